//! The 47-minute session of 2026-02-28 replayed through heatmap + calibrator + zone manager
//! with the reference preset, compared with the real zone files saved at its end
//! (`golden/2026-02-28/liq_active_zones_{SYM}.json`) and the session's cycle-log counts
//! (zones_orderbook.md A7: created − expired − swept − merged = zones in the file).
//!
//! The replay cannot reproduce the wall-clock times the reference stamped (tape zones take the
//! exchange time of their liquidation, minute contributions the bar's close time), nor the
//! unknown absolute OI (ETH and SOL bases as in `golden_heatmap_files.rs`); weights agree within
//! the heatmap golden's residuals.

use liq_core::calibrator::{Calibrator, CalibratorConfig, WeightsFile};
use liq_core::compat::ReferenceCompat;
use liq_core::heatmap::replay::{ReplayFeeder, ReplayRecord};
use liq_core::heatmap::{HeatmapConfig, HeatmapEngine};
use liq_core::pipeline::SymbolPipeline;
use liq_core::zones::{ZoneManager, ZonesFile};

const REPLAY: &str = "replay/btc_eth_sol_2026-02-28T0133Z_47m.jsonl";
const LADDER: [u32; 7] = [10, 20, 25, 50, 75, 100, 125];

#[test]
fn session_zones_against_the_real_files() {
    let Some(dir) = liq_store::shared_fixtures::dir("golden_zones") else {
        return;
    };
    let records = liq_store::capture::read_replay(&dir.join(REPLAY)).unwrap();
    // (symbol, step, OI base, cycle-log counts created/expired/swept/merged)
    let cases = [
        ("BTC", 20.0, 160_000.0, (77, 13, 1, 33)),
        ("ETH", 1.0, 3_160_000.0, (111, 31, 0, 19)),
        ("SOL", 0.1, 20_430_000.0, (72, 42, 2, 0)),
    ];
    for (sym, step, base, (created, expired, swept, merged)) in cases {
        let compat = ReferenceCompat::reference();
        let wbytes = std::fs::read(dir.join(format!(
            "golden/2026-02-28/liq_calibrator_weights_{sym}.json"
        )))
        .unwrap();
        let wfile = WeightsFile::parse(&wbytes).unwrap();
        let (cal, _) = Calibrator::new(CalibratorConfig::runtime(sym, step, &compat), Some(&wfile));
        let mut engine = HeatmapEngine::new(HeatmapConfig::runtime(sym, step), compat).unwrap();
        let w0 = wfile.weights.clone().unwrap();
        engine.update_leverage_weights(&LADDER.iter().copied().zip(w0).collect::<Vec<_>>());
        engine.set_zones(ZoneManager::new(sym, step, &compat).unwrap());
        let mut p = SymbolPipeline::new(engine, cal);
        let mut feeder = ReplayFeeder::with_oi_base(base);
        for r in &records {
            let mine = match r {
                ReplayRecord::Minute(b) => b.symbol == sym,
                ReplayRecord::Liquidation(l) => l.symbol == sym,
            };
            if mine {
                p.apply_replay(&mut feeder, r).unwrap();
                p.heatmap_mut().zones_mut().unwrap().take_records();
            }
        }
        let zm = p.heatmap().zones().unwrap();
        let s = zm.summary();
        let counts = (
            s.zones_created_total,
            s.zones_expired_total,
            s.zones_swept_total,
            s.zones_merged_total,
        );
        let gold = ZonesFile::parse(
            &std::fs::read(dir.join(format!("golden/2026-02-28/liq_active_zones_{sym}.json")))
                .unwrap(),
        )
        .unwrap();
        let ours: Vec<(String, f64, f64)> = zm
            .zones()
            .map(|z| (z.side.as_str().to_string(), z.price, z.weight))
            .collect();
        let theirs: Vec<(String, f64, f64)> = gold
            .zones
            .iter()
            .map(|z| (z.side.clone().unwrap(), z.price.unwrap(), z.weight.unwrap()))
            .collect();
        let worst = ours
            .iter()
            .zip(&theirs)
            .map(|(a, b)| (a.2 - b.2).abs() / b.2)
            .fold(0.0, f64::max);
        eprintln!(
            "{sym}: counts ours {counts:?} log {:?}; zones ours {} file {}; worst weight rel {worst:.2e}",
            (created, expired, swept, merged),
            ours.len(),
            theirs.len()
        );
        assert_eq!(counts, (created, expired, swept, merged), "{sym}: counts");
        let keys = |v: &[(String, f64, f64)]| -> Vec<(String, f64)> {
            v.iter().map(|(s, p, _)| (s.clone(), *p)).collect()
        };
        assert_eq!(keys(&ours), keys(&theirs), "{sym}: zones in map order");
        assert!(worst < 1e-3, "{sym}: weights");
    }
}
