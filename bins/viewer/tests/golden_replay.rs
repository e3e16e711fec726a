//! `viewer --replay` end to end: the 47-minute session with the reference preset, starting
//! from the session's weights files (W0), writes BTC V1 and V2 snapshot files that match the
//! real ones of 2026-02-28 (the tolerances of the heatmap golden: the unknown absolute OI) and a
//! `plot_feed.jsonl` equal line for line to the session's;
//! and a second replay of the same file writes byte-identical files (determinism).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const REPLAY: &str = "replay/btc_eth_sol_2026-02-28T0133Z_47m.jsonl";

fn run_replay(fixtures: &Path, data: &Path) {
    std::fs::create_dir_all(data).unwrap();
    for sym in ["BTC", "ETH", "SOL"] {
        let name = format!("liq_calibrator_weights_{sym}.json");
        std::fs::copy(
            fixtures.join("golden/2026-02-28").join(&name),
            data.join(&name),
        )
        .unwrap();
    }
    let out = Command::new(env!("CARGO_BIN_EXE_viewer"))
        .arg("--replay")
        .arg(fixtures.join(REPLAY))
        .args(["--headless", "--no-api", "--reference-compat", "--data-dir"])
        .arg(data)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn worst(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

fn check_levels(ours: &Value, theirs: &Value, what: &str) {
    let (o, t) = (ours.as_array().unwrap(), theirs.as_array().unwrap());
    assert_eq!(o.len(), t.len(), "{what}: count");
    for (a, b) in o.iter().zip(t) {
        for k in ["price_low", "price_high", "bucket_count"] {
            assert_eq!(a[k], b[k], "{what}: {k}");
        }
        let (na, nb) = (
            a["notional_usd"].as_f64().unwrap(),
            b["notional_usd"].as_f64().unwrap(),
        );
        assert!(
            (na - nb).abs() / nb.abs() < 2e-4,
            "{what}: notional {a} vs {b}"
        );
        let (ia, ib) = (
            a["intensity"].as_f64().unwrap(),
            b["intensity"].as_f64().unwrap(),
        );
        assert!((ia - ib).abs() < 1e-3, "{what}: intensity {a} vs {b}");
    }
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("viewer-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn replay_writes_the_real_btc_snapshots_and_is_deterministic() {
    let Some(fixtures) = liq_store::shared_fixtures::dir("viewer_golden_replay") else {
        return;
    };
    let a = tmp("a");
    run_replay(&fixtures, &a);
    let golden = fixtures.join("golden/2026-02-28");

    let (v2, g2) = (
        json(&a.join("liq_api_snapshot_v2_BTC.json")),
        json(&golden.join("liq_api_snapshot_v2_BTC.json")),
    );
    for k in [
        "symbol",
        "price",
        "range_pct",
        "src",
        "price_min",
        "price_max",
        "step",
        "prices",
        "meta",
    ] {
        assert_eq!(v2[k], g2[k], "v2 {k}");
    }
    assert_eq!(v2["stats"]["tape"], g2["stats"]["tape"], "v2 tape stats");
    check_levels(&v2["long_levels"], &g2["long_levels"], "v2 long");
    check_levels(&v2["short_levels"], &g2["short_levels"], "v2 short");
    for side in ["long", "short"] {
        let k = format!("{side}_intensity");
        assert!(worst(&floats(&v2[&k]), &floats(&g2[&k])) < 1e-3, "v2 {k}");
    }
    let (v1, g1) = (
        json(&a.join("liq_api_snapshot_BTC.json")),
        json(&golden.join("liq_api_snapshot_BTC.json")),
    );
    for k in ["symbol", "src", "step", "price_min", "price_max", "prices"] {
        assert_eq!(v1[k], g1[k], "v1 {k}");
    }
    for side in ["long", "short"] {
        let k = format!("{side}_intensity");
        assert!(worst(&floats(&v1[&k]), &floats(&g1[&k])) < 1e-3, "v1 {k}");
        let k = format!("top_{side}_zones");
        let (o, t) = (v1[&k].as_array().unwrap(), g1[&k].as_array().unwrap());
        assert_eq!(o.len(), t.len(), "{k}");
        for (x, y) in o.iter().zip(t) {
            assert!(
                (x["price"].as_f64().unwrap() - y["price"].as_f64().unwrap()).abs() <= 0.05,
                "{k}"
            );
            assert_eq!(x["age_min"], y["age_min"], "{k}");
        }
    }

    // plot_feed.jsonl: every line of the real session's feed, value for value (bars of the
    // finished minute, the tracker's top zones with their ages).
    let lines = |p: &Path| -> Vec<Value> {
        std::fs::read_to_string(p)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let (ours, theirs) = (
        lines(&a.join("plot_feed.jsonl")),
        lines(&fixtures.join("logs/2026-02-28/plot_feed.jsonl")),
    );
    assert_eq!(ours.len(), theirs.len());
    for (o, t) in ours.iter().zip(&theirs) {
        for k in [
            "symbol",
            "minute",
            "ts",
            "o",
            "h",
            "l",
            "c",
            "long_zones",
            "short_zones",
        ] {
            assert_eq!(o[k], t[k], "plot_feed {k}: {o} vs {t}");
        }
    }

    // Determinism: the same input twice gives byte-identical files.
    let b = tmp("b");
    run_replay(&fixtures, &b);
    let mut names: Vec<String> = std::fs::read_dir(&a)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() > 20, "{names:?}");
    for n in &names {
        assert_eq!(
            std::fs::read(a.join(n)).unwrap(),
            std::fs::read(b.join(n)).unwrap(),
            "{n} differs between runs"
        );
    }
    let _ = std::fs::remove_dir_all(&a);
    let _ = std::fs::remove_dir_all(&b);
}
