//! Worked scenarios of heatmap.md section 10 (reference preset, no zone manager).

use super::engine::HeatmapEngine;
use super::inference::MinuteInput;
use super::pools::PoolsRequest;
use super::records::HeatmapRecord;
use super::snapshot::build_v2;
use super::{HeatmapConfig, Sides};
use crate::compat::ReferenceCompat;
use crate::event::Side;

fn engine(sym: &str, step: f64, compat: ReferenceCompat) -> HeatmapEngine {
    HeatmapEngine::new(HeatmapConfig::runtime(sym, step), compat).unwrap()
}

#[allow(clippy::too_many_arguments)]
fn minute(k: i64, src: f64, high: f64, low: f64, oi: f64, buy: f64, sell: f64) -> MinuteInput {
    MinuteInput {
        minute_key: k,
        src,
        high,
        low,
        oi,
        taker_buy_usd: buy,
        taker_sell_usd: sell,
    }
}

type PriceValues = Vec<(f64, f64)>;

fn by_price(e: &HeatmapEngine, s: &Sides<f64>) -> (PriceValues, PriceValues) {
    let conv = |m: &super::BucketMap<f64>| {
        let mut v: Vec<(f64, f64)> = m.iter().map(|(k, x)| (e.step().price(*k), *x)).collect();
        v.sort_by(|a, b| a.0.total_cmp(&b.0));
        v
    };
    (conv(&s.long), conv(&s.short))
}

fn assert_map(got: &[(f64, f64)], want: &[(f64, f64)], tol: f64) {
    assert_eq!(got.len(), want.len(), "got {got:?}\nwant {want:?}");
    for ((gp, gv), (wp, wv)) in got.iter().zip(want) {
        assert_eq!(gp, wp, "prices differ: {got:?}");
        assert!((gv - wv).abs() <= tol, "at {gp}: got {gv}, want {wv}");
    }
}

fn scenario_a() -> HeatmapEngine {
    let mut e = engine("BTC", 20.0, ReferenceCompat::reference());
    e.on_minute(
        &minute(1000, 50000.0, 50010.0, 49990.0, 1000.0, 600000.0, 400000.0),
        60000.0,
    )
    .unwrap();
    e.on_minute(
        &minute(1001, 50000.0, 50020.0, 49980.0, 1010.0, 600000.0, 400000.0),
        60060.0,
    )
    .unwrap();
    let p = e.inference().projections();
    let (l, s) = by_price(&e, &p);
    assert_map(
        &l,
        &[
            (47400.0, 54000.0),
            (47900.0, 81000.0),
            (48900.0, 90000.0),
            (49240.0, 45000.0),
            (49400.0, 24000.0),
            (49500.0, 6000.0),
        ],
        1e-9,
    );
    assert_map(
        &s,
        &[
            (50500.0, 4000.0),
            (50600.0, 16000.0),
            (50760.0, 30000.0),
            (51100.0, 60000.0),
            (52100.0, 54000.0),
            (52600.0, 36000.0),
        ],
        1e-9,
    );
    e.on_force_order(60070.0, Side::Long, 49000.0, 1.0, 49000.0)
        .unwrap();
    e.on_force_order(60080.0, Side::Short, 51234.0, 0.5, 25617.0)
        .unwrap();
    e.on_force_order(60090.0, Side::Long, 48765.0, 0.2, 9753.0)
        .unwrap();
    e.on_force_order(60100.0, Side::Short, 52590.0, 0.1, 5259.0)
        .unwrap();
    e.on_minute(
        &minute(1002, 50100.0, 50200.0, 50000.0, 1005.0, 100.0, 900.0),
        60120.0,
    )
    .unwrap();
    e.on_minute(
        &minute(1003, 50300.0, 50520.0, 50150.0, 1005.0, 0.0, 0.0),
        60180.0,
    )
    .unwrap();
    e
}

#[test]
fn scenario_a_lifecycle() {
    let mut e = scenario_a();
    let recs = e.take_records();
    let entry: Vec<Option<f64>> = recs
        .iter()
        .filter_map(|r| match r {
            HeatmapRecord::ForceOrder { entry_est, .. } => Some(*entry_est),
            _ => None,
        })
        .collect();
    assert_eq!(entry, vec![None, None, None, Some(50000.0)]);
    assert_eq!(e.tape().stats().offset_samples_by_lev["20"], 1);
    let (l, s) = by_price(&e, &e.inference().projections());
    assert_map(
        &l,
        &[
            (47400.0, 53195.3731),
            (47900.0, 79793.0597),
            (48900.0, 88658.9552),
            (49240.0, 44329.4776),
            (49400.0, 23642.3881),
            (49500.0, 5910.5970),
        ],
        5e-5,
    );
    assert_map(
        &s,
        &[
            (50500.0, 1182.1194),
            (50600.0, 15761.5920),
            (50760.0, 29552.9851),
            (51100.0, 59105.9701),
            (52100.0, 53195.3731),
            (52600.0, 35463.5821),
        ],
        5e-5,
    );
    let (tl, ts) = by_price(&e, &e.tape().heatmap());
    assert_map(&tl, &[(48760.0, 9655.7138), (49000.0, 48511.2250)], 5e-5);
    assert_map(&ts, &[(51240.0, 25361.4704), (52600.0, 5206.5415)], 5e-5);
    // minute_inference at 1001 and the sweep at 1003.
    let mi: Vec<&HeatmapRecord> = recs
        .iter()
        .filter(|r| {
            matches!(
                r,
                HeatmapRecord::MinuteInference {
                    minute_key: 1001,
                    ..
                }
            )
        })
        .collect();
    let v = serde_json::to_value(mi[0]).unwrap();
    assert_eq!(v["oi_delta_usd"], 500000.0);
    assert_eq!(v["long_open_usd"], 300000.0);
    assert_eq!(v["short_open_usd"], 200000.0);
    let sr: Vec<serde_json::Value> = recs
        .iter()
        .filter(|r| matches!(r, HeatmapRecord::SweepReduced { .. }))
        .map(|r| serde_json::to_value(r).unwrap())
        .collect();
    assert_eq!(sr.len(), 1);
    assert_eq!(sr[0]["bucket"], 50500.0);
    assert_eq!(sr[0]["before_usd"], 3940.4);
    assert_eq!(sr[0]["after_usd"], 1182.12);
    assert_eq!(sr[0]["deleted"], false);
    let m1002 = recs
        .iter()
        .find(|r| {
            matches!(
                r,
                HeatmapRecord::MinuteInference {
                    minute_key: 1002,
                    ..
                }
            )
        })
        .map(|r| serde_json::to_value(r).unwrap())
        .unwrap();
    assert_eq!(m1002["oi_delta_usd"], -250500.0);
    assert_eq!(m1002["buy_pct"], 0.1);
    let m1003 = recs
        .iter()
        .find(|r| {
            matches!(
                r,
                HeatmapRecord::MinuteInference {
                    minute_key: 1003,
                    ..
                }
            )
        })
        .map(|r| serde_json::to_value(r).unwrap())
        .unwrap();
    assert_eq!(m1003["swept_short_notional"], 2758.28);
    assert_eq!(m1003["buy_pct"], 0.5);
    let balance = recs
        .iter()
        .filter(|r| matches!(r, HeatmapRecord::HeatmapBalance { .. }))
        .count();
    assert_eq!(balance, 1, "heatmap_balance at minute 1000 only");
}

#[test]
fn scenario_a_maps_and_pools() {
    let mut e = scenario_a();
    let raw = e.heatmap_raw();
    let (l, s) = by_price(&e, &raw.map);
    assert_map(
        &l,
        &[
            (47400.0, 0.6),
            (47900.0, 0.9),
            (48760.0, 0.107176),
            (48900.0, 1.0),
            (49000.0, 0.538462),
            (49240.0, 0.5),
            (49400.0, 0.266667),
            (49500.0, 0.066667),
        ],
        5e-7,
    );
    assert_map(
        &s,
        &[
            (50500.0, 0.013333),
            (50600.0, 0.177778),
            (50760.0, 0.333333),
            (51100.0, 0.666667),
            (51240.0, 0.281505),
            (52100.0, 0.6),
            (52600.0, 0.457791),
        ],
        5e-7,
    );
    // Raw pools at 50300.
    let req = PoolsRequest {
        center: 50300.0,
        range_pct: 0.10,
        min_notional: Some(1000.0),
    };
    let p = e.pools_raw(req, 0.0).unwrap();
    let lv = |l: &super::Level| {
        (
            l.price,
            l.price_low,
            l.price_high,
            l.notional_usd,
            l.intensity,
            l.bucket_count,
        )
    };
    assert_eq!(
        lv(&p.long_levels[0]),
        (49066.74, 48760.0, 49500.0, 126010.35, 1.0, 6)
    );
    assert_eq!(
        lv(&p.long_levels[1]),
        (47900.0, 47900.0, 47900.0, 51865.49, 0.6416, 1)
    );
    assert_eq!(
        lv(&p.long_levels[2]),
        (47400.0, 47400.0, 47400.0, 34576.99, 0.5238, 1)
    );
    assert_eq!(
        lv(&p.short_levels[0]),
        (51126.28, 51100.0, 51240.0, 47295.4, 0.6126, 2)
    );
    assert_eq!(p.short_levels[1].notional_usd, 34576.99);
    assert_eq!(
        lv(&p.short_levels[2]),
        (50699.15, 50500.0, 50760.0, 30222.85, 0.4897, 3)
    );
    assert_eq!(p.short_levels[3].notional_usd, 24873.62);
    assert_eq!(p.short_levels[3].intensity, 0.4443);
    let m = &p.meta;
    assert_eq!(
        (
            m.raw_long_buckets,
            m.raw_short_buckets,
            m.long_pools_count,
            m.short_pools_count
        ),
        (8, 7, 3, 4)
    );
    // Display: cluster boost and the bucket-level boost at 52600.
    let d = e.pools_display(req, 0.0).unwrap();
    assert_eq!(d.short_levels[0].intensity, 0.9189);
    assert_eq!(d.short_levels[3].intensity, 0.66645);
    assert_eq!(d.long_levels[0].intensity, 1.0);
    let disp = e.heatmap_display(0.0);
    let k = e.step().key(52600.0);
    assert_eq!(disp.map.short[&k], 0.6866868131868132);
    let recs = e.take_records();
    let boost = recs
        .iter()
        .rev()
        .find(|r| matches!(r, HeatmapRecord::CombinedZoneBoost { .. }))
        .map(|r| serde_json::to_value(r).unwrap())
        .unwrap();
    assert_eq!(boost["total_buckets"], 15);
    assert_eq!(boost["boosted_buckets"], 1);
    assert_eq!(boost["avg_before_boost"], 0.297564);
    assert_eq!(boost["avg_after_boost"], 0.446346);
    assert_eq!(boost["tape_nonzero_buckets"], 4);
    assert_eq!(boost["inf_nonzero_buckets"], 12);
    assert_eq!(boost["near_overlap_1step"], 1);
    assert_eq!(boost["near_overlap_2step"], 1);
    assert_eq!(boost["min_distance_avg"], 95.0);
    assert_eq!(boost["min_distance_median"], 120.0);
    assert_eq!(boost["cluster_total"], 7);
    assert_eq!(boost["cluster_combined"], 3);
    assert_eq!(boost["cluster_combined_pct"], 42.86);
    assert_eq!(boost["avg_intensity_before"], 0.685633);
    assert_eq!(boost["avg_intensity_after"], 0.861783);
}

#[test]
fn scenario_a_v2_assembly() {
    let mut e = scenario_a();
    let v2 = build_v2(&mut e, 50300.0, 0.0).unwrap();
    assert_eq!(
        (v2.grid.price_min, v2.grid.price_max, v2.grid.prices.len()),
        (45280.0, 55340.0, 504)
    );
    let at = |p: f64| v2.grid.prices.iter().position(|x| *x == p).unwrap();
    assert_eq!(v2.grid.long_size_btc[at(47400.0)], 1.3e-05);
    assert_eq!(v2.grid.long_size_btc[at(47900.0)], 1.9e-05);
    assert_eq!(v2.grid.long_size_btc[at(48760.0)], 2e-06);
    assert_eq!(v2.grid.long_size_btc[at(48900.0)], 2e-05);
    let text = serde_json::to_string(&v2).unwrap();
    assert!(text.starts_with(
        r#"{"symbol":"BTC","ts":0.0,"price":50300.0,"range_pct":0.1,"long_levels":["#
    ));
    let order = [
        "\"short_levels\":",
        "\"meta\":",
        "\"stats\":",
        "\"src\":",
        "\"step\":",
        "\"price_min\":",
        "\"price_max\":",
        "\"prices\":",
        "\"long_intensity\":",
        "\"short_intensity\":",
        "\"long_notional_usd\":",
        "\"short_notional_usd\":",
        "\"long_size_btc\":",
        "\"short_size_btc\":",
        "\"long_usd\":",
        "\"short_usd\":",
    ];
    let pos: Vec<usize> = order.iter().map(|k| text.find(k).unwrap()).collect();
    assert!(pos.windows(2).all(|w| w[0] < w[1]), "key order: {pos:?}");
}

#[test]
fn scenario_b_sol_fractional_grid() {
    let mut e = engine("SOL", 0.1, ReferenceCompat::reference());
    e.on_minute(
        &minute(2000, 82.0, 82.05, 81.95, 100000.0, 1000.0, 3000.0),
        0.0,
    )
    .unwrap();
    e.on_minute(
        &minute(2001, 82.0, 82.05, 81.95, 100500.0, 1000.0, 3000.0),
        0.0,
    )
    .unwrap();
    let (l, s) = by_price(&e, &e.inference().projections());
    assert_map(
        &l,
        &[
            (77.7, 1845.0),
            (78.6, 2767.5),
            (80.2, 3075.0),
            (80.7, 1537.5),
            (81.0, 820.0),
            (81.2, 205.0),
        ],
        1e-9,
    );
    assert_map(
        &s,
        &[
            (82.8, 615.0),
            (83.0, 2460.0),
            (83.3, 4612.5),
            (83.8, 9225.0),
            (85.4, 8302.5),
            (86.3, 5535.0),
        ],
        1e-9,
    );
    // B6: 78.7 - 0.1 misses 78.6; 78.8 - 0.2 hits it.
    assert_eq!(e.estimate_entry(78.7, Side::Long), None);
    assert_eq!(e.estimate_entry(78.8, Side::Long), Some(82.0));
    let mut fixed = engine("SOL", 0.1, ReferenceCompat::fixed());
    fixed
        .on_minute(
            &minute(2000, 82.0, 82.05, 81.95, 100000.0, 1000.0, 3000.0),
            0.0,
        )
        .unwrap();
    fixed
        .on_minute(
            &minute(2001, 82.0, 82.05, 81.95, 100500.0, 1000.0, 3000.0),
            0.0,
        )
        .unwrap();
    assert_eq!(
        fixed.estimate_entry(78.7, Side::Long),
        Some(82.0),
        "B6 fixed: integer neighbours"
    );
    e.on_force_order(1.0, Side::Long, 78.75, 10.0, 787.5)
        .unwrap();
    let (tl, _) = by_price(&e, &e.tape().heatmap());
    assert_eq!(tl[0].0, 78.8);
    let v2 = build_v2(&mut e, 82.0, 0.0).unwrap();
    assert_eq!(
        (v2.grid.price_min, v2.grid.price_max, v2.grid.prices.len()),
        (73.8, 90.2, 165)
    );
    assert_eq!(&v2.grid.prices[..3], &[73.8, 73.9, 74.0]);
    let at = |p: f64| v2.grid.prices.iter().position(|x| *x == p).unwrap();
    let want = [
        (77.7, 0.2),
        (78.6, 0.3),
        (78.8, 0.5384615384615384),
        (80.2, 0.3333333333333333),
        (80.7, 0.16666666666666666),
        (81.0, 0.08888888888888889),
        (81.2, 0.022222222222222223),
    ];
    for (p, v) in want {
        assert!(
            (v2.grid.long_intensity[at(p)] - v).abs() < 1e-15,
            "{p}: {}",
            v2.grid.long_intensity[at(p)]
        );
    }
    assert_eq!(
        v2.grid.long_intensity.iter().filter(|v| **v > 0.0).count(),
        7
    );
    let l0 = &v2.pools.long_levels[0];
    assert_eq!(
        (
            l0.price,
            l0.price_low,
            l0.price_high,
            l0.notional_usd,
            l0.intensity,
            l0.bucket_count
        ),
        (78.63, 78.6, 78.8, 2074.5, 0.8822999999999999, 2)
    );
}

#[test]
fn tape_learning_b7_reference_and_fixed() {
    for (compat, want) in [
        (
            ReferenceCompat::reference(),
            [
                0.028571, 0.172571, 0.244571, 0.268571, 0.148571, 0.092571, 0.044571,
            ],
        ),
        // Fixed: only 125x has samples, fewer than three tiers qualify, nothing changes.
        (
            ReferenceCompat::fixed(),
            [0.0, 0.18, 0.27, 0.30, 0.15, 0.08, 0.02],
        ),
    ] {
        let mut t = engine("BTC", 20.0, compat).tape().clone();
        for _ in 0..60 {
            t.learn_offset(Side::Long, 49500.0, 50000.0);
        }
        let mut e2 = engine("BTC", 20.0, compat);
        e2.set_tape_for_test(t);
        e2.push_tape_learning();
        let got = e2.weights_in_ladder_order();
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 5e-7, "{compat:?}: {got:?}");
        }
    }
}

#[test]
fn boundary_rejects_bad_inputs() {
    let mut e = engine("BTC", 20.0, ReferenceCompat::fixed());
    assert!(
        e.on_force_order(1.0, Side::Long, f64::NAN, 1.0, 1.0)
            .is_err()
    );
    assert!(e.on_force_order(1.0, Side::Long, 1.0, 0.0, 1.0).is_err());
    assert!(
        e.on_minute(&minute(1, f64::INFINITY, 1.0, 1.0, 1.0, 1.0, 1.0), 0.0)
            .is_err()
    );
    assert!(
        e.on_minute(&minute(1, 1.0, 1.0, 1.0, -1.0, 1.0, 1.0), 0.0)
            .is_err()
    );
    assert!(
        e.on_minute(&minute(1, 1.0, 1.0, 1.0, 1.0, f64::NAN, 1.0), 0.0)
            .is_err()
    );
    assert_eq!(e.rejected_inputs(), 5);
    assert_eq!(e.stats().total_force_orders, 0);
    assert_eq!(e.tape().bucket_counts(), (0, 0));
}

#[test]
fn scenario_a_v1_assembly() {
    let mut e = scenario_a();
    let v1 = super::snapshot::build_v1(&mut e, 50310.0, &(vec![], vec![]), 0.0).unwrap();
    assert_eq!(
        (v1.grid.price_min, v1.grid.price_max, v1.grid.prices.len()),
        (46280.0, 54340.0, 404)
    );
    assert_eq!((v1.norm.p50, v1.norm.p95), (0.066667, 0.266667));
    let at = |p: f64| v1.grid.prices.iter().position(|x| *x == p).unwrap();
    // The same expected values as the V1 math unit test, here end to end through the engine.
    let (long, short) = (
        super::v1_math::tests::WANT_LONG,
        super::v1_math::tests::WANT_SHORT,
    );
    for (p, v) in long {
        assert_eq!(v1.grid.long_intensity[at(p)], v, "long {p}");
    }
    assert_eq!(
        v1.grid.long_intensity.iter().filter(|v| **v > 0.0).count(),
        long.len()
    );
    for (p, v) in short {
        assert_eq!(v1.grid.short_intensity[at(p)], v, "short {p}");
    }
    assert_eq!(
        v1.grid.short_intensity.iter().filter(|v| **v > 0.0).count(),
        short.len()
    );
}

#[test]
fn b20_zone_tracker_per_symbol() {
    let r = ReferenceCompat::reference();
    assert!(super::zone_tracker_for("ETH", 1.0, &r).is_none());
    assert_eq!(
        super::zone_tracker_for("BTC", 20.0, &r)
            .unwrap()
            .config()
            .steps,
        20.0
    );
    let f = ReferenceCompat::fixed();
    assert_eq!(
        super::zone_tracker_for("SOL", 0.1, &f)
            .unwrap()
            .config()
            .steps,
        0.1
    );
    assert_eq!(
        super::zone_tracker_for("BTC", 20.0, &f)
            .unwrap()
            .config()
            .steps,
        20.0
    );
}

#[test]
fn balance_equals_the_combined_map() {
    let e = scenario_a();
    let layers = e.layers();
    let (map, sc) = super::combine::combined_raw(&layers.tape, &layers.proj, 0.35, 0.65);
    let max = map
        .long
        .values()
        .chain(map.short.values())
        .copied()
        .fold(0.0, f64::max);
    let (sc2, max2) = super::combine::balance(
        e.tape().buckets(),
        e.inference().buckets(),
        |b| b.notional,
        |b| b.size_usd,
        0.35,
        0.65,
    );
    assert_eq!((sc, max.to_bits()), (sc2, max2.to_bits()));
    assert_eq!(max, 0.65);
}

#[test]
fn refused_calibrations_and_absurd_prices() {
    let mut e = engine("BTC", 20.0, ReferenceCompat::fixed());
    let before = e.weights_in_ladder_order();
    assert!(!e.apply_calibrated_weights(&[0.0, -0.5, 0.0, 1.0, 0.0, 0.0, 0.0], 0.002));
    assert!(!e.apply_calibrated_weights(&[0.0; 7], 0.002));
    assert!(!e.apply_calibrated_weights(&[0.1; 6], 0.002));
    assert!(!e.apply_calibrated_weights(&[0.1; 7], f64::NAN));
    assert_eq!(e.weights_in_ladder_order(), before);
    assert!(e.apply_calibrated_weights(&[0.1; 7], 0.0025));
    assert_eq!(
        e.inference().buffer(),
        0.0025,
        "B2 fixed: the buffer reaches the projections"
    );
    let mut r = engine("BTC", 20.0, ReferenceCompat::reference());
    assert!(r.apply_calibrated_weights(&[0.1; 7], 0.0025));
    assert_eq!(
        r.inference().buffer(),
        0.002,
        "B2: reference keeps the constructor buffer"
    );
    assert_eq!(r.stats().config.buffer, 0.0025);
    // A price a million times off the scale gets no snapshot instead of a 10^9-point grid.
    e.on_minute(&minute(1, 1e12, 1e12, 1e12, 0.0, 1.0, 1.0), 0.0)
        .unwrap();
    assert!(build_v2(&mut e, 1e12, 0.0).is_none());
}
