//! Protocol v2 (`rows_v2`) against the test vectors of spec/prediction_eval_v2.md section 5.2:
//! the reach-only columns from the replays alone (no engine: a prediction line for every BTC
//! minute after the warm-up, `price = src`, empty layers), per file and pooled, to 1e-9
//! relative; and (ignored, slow in debug) the `heat` columns with the reference preset.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use audit::backtest::predict::{Prediction, WARMUP};
use audit::backtest::score::{BinnedMinute, Truth};
use audit::backtest::v2::{self, RowV2, ScoresV2};
use audit::backtest::{self, Options};

/// Tolerance of the `heat` columns: our engine reproduces the reference's served heatmap on
/// the shared files to about 1e-8 (3871m) and 1e-6 (639m), not bit for bit (the reach-only
/// columns, which need no engine, match to 1e-9).
const HEAT_REL: f64 = 1e-5;

fn shared_dir(test: &str) -> Option<PathBuf> {
    liq_store::shared_fixtures::dir(test)
}

/// The section 5.2 table: `(file, H, [minutes, notional, events, days, reach $, reach ev,
/// heat $, heat ev])` as text.
fn spec_vectors(fixtures: &Path) -> Vec<(String, i64, Vec<String>)> {
    let spec = std::fs::read_to_string(fixtures.join("../spec/prediction_eval_v2.md")).unwrap();
    let sec = spec
        .split("### 5.2 Shared replays, frozen constants")
        .nth(1)
        .expect("section 5.2 in the spec");
    let lines: Vec<(String, i64, Vec<String>)> = sec
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(|l| {
            let c: Vec<String> = l
                .trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_owned())
                .collect();
            (c[0].clone(), c[1].parse().unwrap(), c[2..].to_vec())
        })
        .collect();
    assert_eq!(lines.len(), 21, "6 files and the pooled line, 3 horizons");
    lines
}

/// The BTC truth of a replay, read without the engine.
fn truth_of(file: &Path) -> Truth {
    Truth::read(file).unwrap()
}

/// Empty predictions at `price = src` for every BTC minute from `K0` on.
fn empty_predictions(truth: &Truth) -> Vec<BinnedMinute> {
    let k0 = truth.bars[0].minute_key + WARMUP;
    truth
        .bars
        .iter()
        .filter(|b| b.minute_key >= k0)
        .map(|b| {
            BinnedMinute::from_prediction(&Prediction {
                minute_key: b.minute_key,
                ts: b.ts,
                symbol: "BTC",
                price: b.src,
                long: vec![],
                short: vec![],
                pools: None,
                layers: None,
                dist: None,
                inputs: None,
            })
            .unwrap()
        })
        .collect()
}

fn find<'a>(rows: &'a [RowV2], name: &str, h: i64) -> &'a RowV2 {
    rows.iter()
        .find(|r| r.row == name && r.horizon == h)
        .unwrap_or_else(|| panic!("row {name} H={h}"))
}

#[track_caller]
fn close(got: Option<f64>, want: &str, what: &str) {
    close_rel(got, want, what, 1e-9);
}

#[track_caller]
fn close_rel(got: Option<f64>, want: &str, what: &str, rel: f64) {
    match (got, want) {
        (None, "n/a") => {}
        (Some(g), w) if w != "n/a" => {
            let w: f64 = w.parse().unwrap();
            let tol = rel * w.abs().max(1e-300);
            assert!((g - w).abs() <= tol, "{what}: got {g:.12}, spec {w}");
        }
        _ => panic!("{what}: got {got:?}, spec {want}"),
    }
}

/// Checks the truth and reach-only columns (and `heat`, when `heat` is given) of one line.
fn check_line(rows: &[RowV2], name: &str, h: i64, v: &[String], heat: bool) {
    let r = find(rows, "reach-only", h);
    let at = |c: &str| format!("{name} H={h} {c}");
    assert_eq!(r.minutes.to_string(), v[0], "{}", at("minutes"));
    let notional: f64 = v[1].parse().unwrap();
    assert!(
        (r.notional - notional).abs() <= 1e-9 * notional.max(1.0),
        "{}: {}",
        at("notional"),
        r.notional
    );
    assert_eq!(r.events.to_string(), v[2], "{}", at("events"));
    assert_eq!(r.days.to_string(), v[3], "{}", at("days"));
    close(r.score_usd, &v[4], &at("reach score/$"));
    close(r.score_event, &v[5], &at("reach score/event"));
    let u = find(rows, "uniform", h);
    if r.events > 0 {
        let ln = (1.0f64 / 201.0).ln();
        close(u.score_usd, &ln.to_string(), &at("uniform score/$"));
        close(u.score_event, &ln.to_string(), &at("uniform score/event"));
    }
    if heat {
        let x = find(rows, "heatmap-direct", h);
        close_rel(x.score_usd, &v[6], &at("heat score/$"), HEAT_REL);
        close_rel(x.score_event, &v[7], &at("heat score/event"), HEAT_REL);
    }
}

fn check_vectors(test: &str, heat: bool) {
    let Some(fixtures) = shared_dir(test) else {
        return;
    };
    let vectors = spec_vectors(&fixtures);
    let files: Vec<String> = vectors
        .iter()
        .map(|(f, ..)| f.clone())
        .filter(|f| f.starts_with("btc_"))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(files.len(), 6);
    let mut per_file: BTreeMap<String, Vec<RowV2>> = BTreeMap::new();
    let mut pooled = ScoresV2::default();
    for f in &files {
        let path = fixtures.join("replay").join(format!("{f}.jsonl"));
        let scores = if heat {
            let opts = Options {
                reference_compat: true,
                ..Options::default()
            };
            backtest::run(&path, &opts).unwrap().scores_v2
        } else {
            let truth = truth_of(&path);
            v2::score(&truth, &empty_predictions(&truth)).unwrap()
        };
        pooled.merge(&scores);
        per_file.insert(f.clone(), v2::rows_v2(&scores));
    }
    let pooled = v2::rows_v2(&pooled);
    for (name, h, v) in &vectors {
        let rows = per_file.get(name).unwrap_or(&pooled);
        check_line(rows, name, *h, v, heat);
    }
}

/// Section 5.2's truth and reach-only columns, every file and pooled (fast: no engine).
#[test]
fn reach_only_matches_the_spec_vectors() {
    check_vectors("backtest_v2_reach_vectors", false);
}

/// Section 5.2's `heat` columns: the served heatmap of the reference preset through the engine
/// (about a minute in debug): `cargo test -p audit --test backtest_v2 -- --ignored`.
#[test]
#[ignore]
fn heat_matches_the_spec_vectors_with_the_reference_preset() {
    check_vectors("backtest_v2_heat_vectors", true);
}
