//! Writes the tables of docs/ACCURACY.md: `audit backtest` (prediction-eval-v1) of the
//! reference preset, our defaults, the calibrator detached, and every reference-compatibility
//! switch turned back on one at a time, on every shared replay, plus the pooled sums.
//!
//! `cargo run --release -p audit --example accuracy [REPLAY_DIR] > tables.md`
//! (REPLAY_DIR defaults to the shared fixtures' `replay/`).

use std::collections::BTreeMap;
use std::path::PathBuf;

use audit::backtest::score::Scores;
use audit::backtest::{self, Options, Report, Row, report};
use liq_core::compat::ReferenceCompat;

struct Variant {
    name: String,
    opts: Options,
}

fn variants() -> Vec<Variant> {
    let mut out = vec![
        Variant {
            name: "reference preset".into(),
            opts: Options {
                reference_compat: true,
                ..Options::default()
            },
        },
        Variant {
            name: "reference, calibrator off".into(),
            opts: Options {
                reference_compat: true,
                calibrator_off: true,
                ..Options::default()
            },
        },
        Variant {
            name: "**defaults**".into(),
            opts: Options::default(),
        },
        Variant {
            name: "defaults, calibrator off".into(),
            opts: Options {
                calibrator_off: true,
                ..Options::default()
            },
        },
    ];
    let switches = serde_json::to_value(ReferenceCompat::fixed()).expect("serializable");
    for name in switches.as_object().expect("an object").keys() {
        out.push(Variant {
            name: format!("defaults + `{name}`"),
            opts: Options {
                switches: vec![name.clone()],
                ..Options::default()
            },
        });
    }
    out
}

fn cell(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".to_owned(), |x| format!("{x:.4}"))
}

fn find<'a>(rows: &'a [Row], row: &str, h: i64) -> &'a Row {
    rows.iter()
        .find(|r| r.row == row && r.horizon == h && r.minute_set == "all")
        .expect("every row is reported")
}

struct Run {
    per_file: Vec<Report>,
    pooled: Vec<Row>,
}

fn run_variant(files: &[PathBuf], opts: &Options) -> Run {
    let mut pooled = Scores::default();
    let mut per_file = Vec::new();
    for f in files {
        let r = backtest::run(f, opts).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        pooled.merge(&r.scores);
        per_file.push(r);
    }
    Run {
        per_file,
        pooled: report::rows(&pooled),
    }
}

fn short(f: &std::path::Path) -> String {
    f.file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("?")
        .trim_start_matches("btc_")
        .to_owned()
}

fn main() {
    let dir = std::env::args_os().nth(1).map_or_else(
        || liq_store::shared_fixtures::default_dir().join("replay"),
        PathBuf::from,
    );
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl" || e == "gz"))
        .collect();
    files.sort();
    let names: Vec<String> = files.iter().map(|f| short(f)).collect();
    let mut runs: BTreeMap<usize, (String, Run)> = BTreeMap::new();
    for (i, v) in variants().into_iter().enumerate() {
        eprintln!("{}", v.name);
        runs.insert(i, (v.name, run_variant(&files, &v.opts)));
    }
    // Switches that change nothing (every row of every file equal to the defaults') are
    // listed once instead of as rows.
    let same_as_defaults = |run: &Run| {
        run.pooled == runs[&2].1.pooled
            && run
                .per_file
                .iter()
                .zip(&runs[&2].1.per_file)
                .all(|(a, b)| a.rows == b.rows)
    };
    let no_effect: Vec<usize> = runs
        .iter()
        .filter(|(i, (_, run))| **i > 3 && same_as_defaults(run))
        .map(|(i, _)| *i)
        .collect();
    let no_effect_names: Vec<String> = no_effect
        .iter()
        .map(|i| runs[i].0.trim_start_matches("defaults + ").to_owned())
        .collect();
    for i in &no_effect {
        runs.remove(i);
    }
    let reference = &runs[&0].1;
    let defaults = &runs[&2].1;

    println!(
        "### capture@10 % at H = 60, all scored minutes: defaults vs reference vs distance-only\n"
    );
    println!("| file | minutes | defaults | reference preset | distance-only | uniform |");
    println!("|---|---|---|---|---|---|");
    let line = |name: &str, d: &[Row], r: &[Row]| {
        println!(
            "| {name} | {} | {} | {} | {} | {} |",
            find(d, "heatmap", 60).minutes,
            cell(find(d, "heatmap", 60).capture10),
            cell(find(r, "heatmap", 60).capture10),
            cell(find(d, "distance-only", 60).capture10),
            cell(find(d, "uniform", 60).capture10),
        );
    };
    for (i, n) in names.iter().enumerate() {
        line(n, &defaults.per_file[i].rows, &reference.per_file[i].rows);
    }
    line("**pooled**", &defaults.pooled, &reference.pooled);

    println!(
        "\nSwitched back one at a time, these switches change no prediction on any shared \
         replay (every row equal to the defaults'): {}.",
        no_effect_names.join(", ")
    );
    for h in [15, 60, 240] {
        println!("\n### capture@10 % at H = {h}, all scored minutes, per variant\n");
        let header: Vec<&str> = names.iter().map(String::as_str).collect();
        println!("| variant | {} | pooled |", header.join(" | "));
        println!("|---|{}---|", "---|".repeat(names.len()));
        for (name, run) in runs.values() {
            let cells: Vec<String> = run
                .per_file
                .iter()
                .map(|r| cell(find(&r.rows, "heatmap", h).capture10))
                .collect();
            println!(
                "| {name} | {} | {} |",
                cells.join(" | "),
                cell(find(&run.pooled, "heatmap", h).capture10)
            );
        }
        for (label, run, row) in [
            ("tape-only (defaults)", defaults, "tape-only"),
            ("projection-only (defaults)", defaults, "projection-only"),
            ("tape-only (reference)", reference, "tape-only"),
            ("projection-only (reference)", reference, "projection-only"),
            ("distance-only", defaults, "distance-only"),
            ("uniform", defaults, "uniform"),
        ] {
            let cells: Vec<String> = run
                .per_file
                .iter()
                .map(|r| cell(find(&r.rows, row, h).capture10))
                .collect();
            println!(
                "| {label} | {} | {} |",
                cells.join(" | "),
                cell(find(&run.pooled, row, h).capture10)
            );
        }
    }

    for h in [15, 60, 240] {
        println!("\n### Pooled over every shared replay, H = {h}, all scored minutes\n");
        println!(
            "| variant | minutes | cap@5 | cap@10 | cap@20 | cap@10 long | cap@10 short | prec@10 | Wilson LB | zone touch | touch + liq |"
        );
        println!("|---|---|---|---|---|---|---|---|---|---|---|");
        for (name, run) in runs.values() {
            let r = find(&run.pooled, "heatmap", h);
            println!(
                "| {name} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                r.minutes,
                cell(r.capture5),
                cell(r.capture10),
                cell(r.capture20),
                cell(r.capture10_long),
                cell(r.capture10_short),
                cell(r.precision10),
                cell(r.precision10_wilson_lb),
                cell(r.zone_touch),
                cell(r.zone_touch_liq),
            );
        }
    }
}
