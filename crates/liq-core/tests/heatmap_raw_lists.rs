//! `heatmap_raw_lists` (the calibrator's per-minute input, built without maps) equals
//! `heatmap_raw` key for key, in order, bit for bit, at every minute of a replay, for both
//! presets; and the sparse fallback (a far-off bucket) gives the same as the dense path.

use liq_core::compat::ReferenceCompat;
use liq_core::event::Side;
use liq_core::heatmap::replay::{ReplayFeeder, ReplayRecord};
use liq_core::heatmap::{HeatmapConfig, HeatmapEngine, HeatmapView};

fn as_lists(v: &HeatmapView) -> [Vec<(i64, u64)>; 2] {
    [&v.map.long, &v.map.short].map(|m| m.iter().map(|(k, x)| (*k, x.to_bits())).collect())
}

fn bits(l: [Vec<(i64, f64)>; 2]) -> [Vec<(i64, u64)>; 2] {
    l.map(|s| s.into_iter().map(|(k, x)| (k, x.to_bits())).collect())
}

#[test]
fn lists_equal_the_map_at_every_minute_of_a_replay() {
    let Some(dir) = liq_store::shared_fixtures::dir("heatmap_raw_lists") else {
        return;
    };
    let records =
        liq_store::capture::read_replay(&dir.join("replay/btc_2026-01-30T0001Z_418m.jsonl"))
            .unwrap();
    for compat in [ReferenceCompat::fixed(), ReferenceCompat::reference()] {
        let mut e = HeatmapEngine::new(HeatmapConfig::runtime("BTC", 20.0), compat).unwrap();
        e.set_logging(false);
        let mut feeder = ReplayFeeder::default();
        let mut compared = 0;
        let mut largest = 0;
        for r in &records {
            feeder.apply(&mut e, r).unwrap();
            if let ReplayRecord::Minute(_) = r {
                let map = as_lists(&e.heatmap_raw());
                largest = largest.max(map[0].len() + map[1].len());
                assert_eq!(bits(e.heatmap_raw_lists()), map);
                compared += 1;
            }
        }
        assert_eq!(compared, 418);
        assert!(largest > 100, "the replay builds real maps ({largest})");
    }
}

#[test]
fn a_far_off_bucket_takes_the_sparse_path_with_the_same_result() {
    let mut e = HeatmapEngine::new(
        HeatmapConfig::runtime("BTC", 20.0),
        ReferenceCompat::fixed(),
    )
    .unwrap();
    for (i, p) in [99_000.0, 98_500.0, 1_000.0, 60_000_000.0]
        .iter()
        .enumerate()
    {
        e.on_force_order(i as f64, Side::Long, *p, 0.5, p * 0.5)
            .unwrap();
        e.on_force_order(i as f64, Side::Short, p * 1.01, 0.5, p * 0.5)
            .unwrap();
    }
    let map = as_lists(&e.heatmap_raw());
    assert_eq!(map[0].len(), 4);
    assert_eq!(bits(e.heatmap_raw_lists()), map);
}
