//! `audit forecast-fit` on two shared replays: the search's evaluation agrees with the
//! forecast the engine serves, and the leave-one-file-out report is complete.

use std::path::PathBuf;

use audit::backtest::{self, Options};
use audit::fit::{self, FitOptions, Objective, data, search};
use liq_core::forecast::ForecastParams;

fn replay(test: &str, suffix: &str) -> Option<PathBuf> {
    let dir = liq_store::shared_fixtures::dir(test)?.join("replay");
    std::fs::read_dir(&dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with(suffix))
}

/// The linear-normaliser evaluation of the default parameters equals the engine's forecast
/// row of `audit backtest` (the same minutes, cells and probabilities).
#[test]
fn the_search_scores_the_defaults_as_the_backtest_does() {
    let Some(file) = replay("forecast_fit_agrees", "_308m.jsonl") else {
        return;
    };
    let d = data::load(&file).unwrap();
    let sums = search::evaluate(
        std::slice::from_ref(&d),
        &ForecastParams::default().horizons,
    );
    let report = backtest::run(
        &file,
        &Options {
            reference_compat: false,
            switches: vec![],
            calibrator_off: false,
            emit_predictions: None,
            progress: false,
        },
    )
    .unwrap();
    for (hi, h) in [15i64, 60, 240].iter().enumerate() {
        let row = report
            .rows_v2
            .iter()
            .find(|r| r.row == "forecast" && r.horizon == *h)
            .unwrap();
        let (got, want) = (sums[hi].skill_usd().unwrap(), row.skill_usd.unwrap());
        assert!(
            (got - want).abs() < 1e-9,
            "H={h}: search {got} backtest {want}"
        );
        let (got, want) = (sums[hi].skill_event().unwrap(), row.skill_event.unwrap());
        assert!(
            (got - want).abs() < 1e-9,
            "H={h}: search {got} backtest {want}"
        );
    }
    // The defaults are not the prior: at 15 and 60 minutes they move probability.
    assert!(sums[0].skill_usd().unwrap().abs() > 0.01);
    assert!(sums[1].skill_usd().unwrap().abs() > 0.01);
}

#[test]
fn leave_one_file_out_reports_every_fold_and_family() {
    let (Some(a), Some(b)) = (
        replay("forecast_fit_lofo", "_308m.jsonl"),
        replay("forecast_fit_lofo", "_229m.jsonl"),
    ) else {
        return;
    };
    let r = fit::run(&FitOptions {
        files: vec![a, b],
        objective: Objective::FileMean,
        progress: false,
    })
    .unwrap();
    assert_eq!(r.files.len(), 2);
    assert_eq!(r.families.len(), search::FAMILIES.len());
    for f in &r.families {
        assert_eq!(f.folds.len(), 2);
    }
    // The prior alone has skill 0 exactly; 229m has no minute at H = 240.
    let prior = &r.families[0];
    assert_eq!(prior.pooled.skill_usd[0], Some(0.0));
    assert_eq!(prior.folds[1].skill_usd[2], None);
    assert_eq!(r.scored_minutes, vec![[232, 187, 7], [153, 109, 0]]);
    // The selection never does worse out of sample than the prior.
    for s in &r.selected {
        assert!(s.skill_usd.unwrap_or(0.0) >= 0.0, "{s:?}");
    }
    let mut md = Vec::new();
    fit::write_markdown(&r, &mut md).unwrap();
    let md = String::from_utf8(md).unwrap();
    assert!(md.contains("Selected per horizon") && md.contains("btc_2026-02-10T0224Z_229m"));
}

#[test]
fn one_file_is_a_usage_error() {
    let e = fit::run(&FitOptions {
        files: vec![PathBuf::from("x.jsonl")],
        objective: Objective::Usd,
        progress: false,
    })
    .unwrap_err();
    assert_eq!(e.exit_code(), audit::EXIT_USAGE);
}
