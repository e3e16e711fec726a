//! The 2026-02-28 session replayed from the capture-v1 file for BTC, ETH and SOL with the
//! reference preset and the calibrator's weight schedule of that session (persisted weights,
//! then the `calibration` records of `logs/2026-02-28`, the last one at full precision from the
//! golden stats), compared with the real snapshot files.
//!
//! ETH and SOL were never verified against the reference by the spec. They match as closely as
//! BTC once the unknown absolute OI has the symbol's own scale (it enters the opening threshold
//! and the closing factor); with BTC's base of 160000 their intensities are off by up to 0.10.
//! All three must match within the spec's residuals (intensities 1e-3, notionals 2e-4
//! relative); the worst differences are printed (`--nocapture`).

use std::path::Path;

use liq_core::compat::ReferenceCompat;
use liq_core::heatmap::replay::{ReplayFeeder, ReplayRecord};
use liq_core::heatmap::snapshot::build_v2;
use liq_core::heatmap::{HeatmapConfig, HeatmapEngine};
use serde_json::Value;

const LADDER: [u32; 7] = [10, 20, 25, 50, 75, 100, 125];

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    // The reference's logs write `Infinity`, which is not JSON.
    serde_json::from_str(&text.replace("Infinity", "null")).unwrap()
}

/// `(minute_key, weights)` of the session's calibrations, in order.
fn calibrations(dir: &Path, sym: &str) -> Vec<(i64, Vec<f64>)> {
    let text =
        std::fs::read_to_string(dir.join(format!("logs/2026-02-28/liq_calibrator_{sym}.jsonl")))
            .unwrap();
    text.lines()
        .filter(|l| l.contains("\"type\": \"calibration\""))
        .map(|l| serde_json::from_str::<Value>(&l.replace("Infinity", "null")).unwrap())
        .filter(|v| (29537374..=29537420).contains(&v["minute_key"].as_i64().unwrap()))
        .map(|v| {
            let w = LADDER
                .iter()
                .map(|t| v["new_weights"][t.to_string()].as_f64().unwrap())
                .collect();
            (v["minute_key"].as_i64().unwrap(), w)
        })
        .collect()
}

struct Diff {
    worst_long: f64,
    worst_short: f64,
    worst_notional_rel: f64,
    levels: (usize, usize, usize, usize),
}

fn replay_symbol(dir: &Path, sym: &str, step: f64, oi_base: f64) -> (Value, Diff) {
    let golden = read_json(&dir.join(format!("golden/2026-02-28/liq_api_snapshot_v2_{sym}.json")));
    let persisted = read_json(&dir.join(format!(
        "golden/2026-02-28/liq_calibrator_weights_{sym}.json"
    )));
    let mut e = HeatmapEngine::new(
        HeatmapConfig::runtime(sym, step),
        ReferenceCompat::reference(),
    )
    .unwrap();
    let w0: Vec<f64> = persisted["weights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    e.update_leverage_weights(&LADDER.iter().copied().zip(w0).collect::<Vec<_>>());
    let mut cals = calibrations(dir, sym);
    if let Some(last) = cals.last_mut() {
        let gw = &golden["stats"]["inference"]["leverage_weights"];
        last.1 = LADDER
            .iter()
            .map(|t| gw[t.to_string()].as_f64().unwrap())
            .collect();
    }
    let records =
        liq_store::capture::read_replay(&dir.join("replay/btc_eth_sol_2026-02-28T0133Z_47m.jsonl"))
            .unwrap();
    let mut feeder = ReplayFeeder::with_oi_base(oi_base);
    let mut last_src = 0.0;
    for r in &records {
        let mine = match r {
            ReplayRecord::Minute(b) => b.symbol == sym,
            ReplayRecord::Liquidation(l) => l.symbol == sym,
        };
        if !mine {
            continue;
        }
        feeder.apply(&mut e, r).unwrap();
        if let ReplayRecord::Minute(b) = r {
            last_src = b.src;
            if let Some((_, w)) = cals.iter().find(|(k, _)| *k == b.minute_key) {
                e.update_leverage_weights(
                    &LADDER
                        .iter()
                        .copied()
                        .zip(w.iter().copied())
                        .collect::<Vec<_>>(),
                );
            }
        }
    }
    let v2 = build_v2(&mut e, last_src, 0.0).unwrap();
    let ours = serde_json::to_value(&v2).unwrap();
    let worst = |k: &str| {
        let (a, b) = (ours[k].as_array().unwrap(), golden[k].as_array().unwrap());
        assert_eq!(a.len(), b.len(), "{sym} {k} length");
        a.iter()
            .zip(b)
            .map(|(x, y)| (x.as_f64().unwrap() - y.as_f64().unwrap()).abs())
            .fold(0.0, f64::max)
    };
    let mut worst_notional_rel: f64 = 0.0;
    for side in ["long_levels", "short_levels"] {
        for (o, g) in ours[side]
            .as_array()
            .unwrap()
            .iter()
            .zip(golden[side].as_array().unwrap())
        {
            let (a, b) = (
                o["notional_usd"].as_f64().unwrap(),
                g["notional_usd"].as_f64().unwrap(),
            );
            worst_notional_rel = worst_notional_rel.max((a - b).abs() / b.abs().max(1e-12));
        }
    }
    let n = |v: &Value, k: &str| v[k].as_array().unwrap().len();
    let diff = Diff {
        worst_long: worst("long_intensity"),
        worst_short: worst("short_intensity"),
        worst_notional_rel,
        levels: (
            n(&ours, "long_levels"),
            n(&golden, "long_levels"),
            n(&ours, "short_levels"),
            n(&golden, "short_levels"),
        ),
    };
    assert_eq!(ours["prices"], golden["prices"], "{sym}: grid");
    (ours, diff)
}

#[test]
fn session_replay_against_real_files_for_every_symbol() {
    let Some(dir) = liq_store::shared_fixtures::dir("golden_heatmap_files") else {
        return;
    };
    // OI bases: BTC as the spec; ETH and SOL at the middle of the range that reproduces the
    // session's inference minutes (ETH 2.60M-3.73M, SOL 18.3M-22.6M, from the thresholds).
    for (sym, step, base) in [
        ("BTC", 20.0, 160_000.0),
        ("ETH", 1.0, 3_160_000.0),
        ("SOL", 0.1, 20_430_000.0),
    ] {
        let (_, d) = replay_symbol(&dir, sym, step, base);
        eprintln!(
            "{sym}: levels ours/golden long {}/{} short {}/{}; worst |intensity| diff long {:.3e} short {:.3e}; worst notional rel {:.3e}",
            d.levels.0,
            d.levels.1,
            d.levels.2,
            d.levels.3,
            d.worst_long,
            d.worst_short,
            d.worst_notional_rel
        );
        assert_eq!(
            (d.levels.0, d.levels.2),
            (d.levels.1, d.levels.3),
            "{sym}: pool counts"
        );
        assert!(
            d.worst_long < 1e-3 && d.worst_short < 1e-3,
            "{sym}: intensities"
        );
        assert!(d.worst_notional_rel < 2e-4, "{sym}: notionals");
    }
}
