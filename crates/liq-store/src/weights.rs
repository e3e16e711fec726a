//! The calibrator's weights file `liq_calibrator_weights_{SYM}.json` (calibrator.md section 8):
//! loading at start-up with quarantine of unusable files, and atomic saves.
//!
//! The format and the load rules live in `liq_core::calibrator` (`persist`, `load`); this module
//! only moves bytes. A file that cannot be parsed is renamed aside by
//! [`read_or_quarantine`] (`.bad-invalid-…` or `.bad-empty-…`); a file that parses but that the
//! calibrator does not accept ([`LoadReport::is_bad`]: another symbol, an invalid ladder or
//! weights) is renamed aside as `.bad-rejected-…`. Either way the calibrator starts from what
//! [`Calibrator::new`] built, and the next save writes a fresh file.

use std::path::{Path, PathBuf};

use liq_core::calibrator::{
    Calibrator, CalibratorConfig, LoadReport, PersistedWeights, WeightsFile,
};

use crate::atomic::{self, AtomicError, BadReason, ReadOutcome, read_or_quarantine, write_atomic};

/// Quarantine reason of a file that parsed but that the calibrator rejected.
const REJECTED: &str = "rejected";

/// The weights file of `symbol` in `dir`: `dir/liq_calibrator_weights_{symbol}.json`.
pub fn weights_path(dir: &Path, symbol: &str) -> PathBuf {
    dir.join(format!("liq_calibrator_weights_{symbol}.json"))
}

/// A calibrator built at start-up, with what became of its weights file.
#[derive(Clone, Debug)]
pub struct LoadedCalibrator {
    /// The calibrator (defaults when the file was missing or unusable).
    pub calibrator: Calibrator,
    /// The core's load report (`NoFile` also when the file could not be read or parsed).
    pub report: LoadReport,
    /// Where a bad file was moved aside, if it was.
    pub kept_as: Option<PathBuf>,
    /// Why the file was not (fully) used; `None` when it loaded or was absent.
    pub problem: Option<String>,
}

/// Builds the calibrator of `cfg.symbol` from its weights file in `dir`; never fails nor panics.
///
/// Missing file: defaults. Unreadable: defaults, the file stays in place. Empty or not JSON of
/// the expected shape: defaults, the file is quarantined. Parsed: [`Calibrator::new`] with it;
/// if the report is bad (wrong symbol, invalid ladder or weights) the file is quarantined as
/// `rejected` and the calibrator `Calibrator::new` built is kept (defaults, or the reference
/// preset's partial load). `now_unix_secs` only names the quarantined file.
pub fn load_calibrator(dir: &Path, cfg: CalibratorConfig, now_unix_secs: i64) -> LoadedCalibrator {
    let path = weights_path(dir, &cfg.symbol);
    let parse = |bytes: &[u8]| WeightsFile::parse(bytes).map_err(|e| e.to_string());
    match read_or_quarantine(&path, now_unix_secs, parse) {
        ReadOutcome::Missing => {
            let (calibrator, report) = Calibrator::new(cfg, None);
            LoadedCalibrator {
                calibrator,
                report,
                kept_as: None,
                problem: None,
            }
        }
        ReadOutcome::Bad {
            reason,
            kept_as,
            detail,
        } => {
            let what = match reason {
                BadReason::Empty => "empty",
                BadReason::Invalid => "invalid",
                BadReason::Unreadable => "unreadable",
            };
            let problem = describe(&format!("{what}: {detail}"), kept_as.as_deref());
            tracing::warn!(
                path = %path.display(), kept_as = ?kept_as, problem = %problem,
                "calibrator weights file not loaded, defaults used"
            );
            let (calibrator, report) = Calibrator::new(cfg, None);
            LoadedCalibrator {
                calibrator,
                report,
                kept_as,
                problem: Some(problem),
            }
        }
        ReadOutcome::Loaded(file) => {
            let (calibrator, report) = Calibrator::new(cfg, Some(&file));
            let (kept_as, problem) = if report.is_bad() {
                let why = match &report {
                    LoadReport::Rejected(e) | LoadReport::Partial(e) => e.to_string(),
                    other => format!("{other:?}"),
                };
                let kept_as = atomic::quarantine(&path, REJECTED, now_unix_secs)
                    .inspect_err(|q| {
                        tracing::warn!(
                            path = %path.display(), error = %q,
                            "rejected calibrator weights file not quarantined"
                        );
                    })
                    .ok();
                let problem = describe(&format!("rejected: {why}"), kept_as.as_deref());
                tracing::warn!(
                    path = %path.display(), kept_as = ?kept_as, report = ?report,
                    problem = %problem, "calibrator weights file rejected"
                );
                (kept_as, Some(problem))
            } else {
                (None, None)
            };
            LoadedCalibrator {
                calibrator,
                report,
                kept_as,
                problem,
            }
        }
    }
}

/// `what` plus where the file went (moved aside, or left in place).
fn describe(what: &str, kept_as: Option<&Path>) -> String {
    match kept_as {
        Some(p) => format!("{what} (kept as {})", p.display()),
        None => format!("{what} (file left in place)"),
    }
}

/// Writes `w` atomically to [`weights_path`]`(dir, &w.symbol)`; `dir` must exist.
pub fn save_weights(dir: &Path, w: &PersistedWeights) -> Result<(), AtomicError> {
    write_atomic(&weights_path(dir, &w.symbol), w.render().as_bytes())
}

#[cfg(test)]
mod tests {
    use std::fs;

    use liq_core::calibrator::WeightsFileError;
    use liq_core::compat::ReferenceCompat;
    use liq_core::grid::py_round;

    use super::*;
    use crate::shared_fixtures;

    /// 2026-02-28T01:35:51Z.
    const NOW: i64 = 1_772_242_551;
    const STAMP: &str = "20260228T013551Z";
    const RUNTIME_LADDER: [u32; 7] = [10, 20, 25, 50, 75, 100, 125];
    const HISTORICAL_LADDER: [u32; 11] = [5, 10, 20, 25, 50, 75, 100, 125, 150, 200, 250];
    /// calibrator.md section 14, TV-8: the 11-tier file's weights migrated onto 7 tiers.
    const TV8: [f64; 7] = [
        0.31057307597884726,
        0.27951669729883954,
        0.21740128588774693,
        0.10870064294387347,
        0.043476010695825844,
        0.024818031623018585,
        0.015514255571848481,
    ];
    /// TV-7 case c: ladder of 3, weights of 2.
    const LENGTH_MISMATCH: &str = r#"{"schema_version": 2, "symbol": "BTC",
        "ladder": [20, 50, 100], "weights": [0.5, 0.5], "buffer": 0.003, "tolerance": 9,
        "calibration_count": 7, "bias_pct_long": 0.001}"#;

    fn fixed(symbol: &str, steps: f64) -> CalibratorConfig {
        CalibratorConfig::runtime(symbol, steps, &ReferenceCompat::fixed())
    }

    fn reference(symbol: &str, steps: f64) -> CalibratorConfig {
        CalibratorConfig::runtime(symbol, steps, &ReferenceCompat::reference())
    }

    /// Copies `golden/<rel>` of the shared fixtures to `symbol`'s weights path in `dir`;
    /// returns the bytes, or `None` when the fixtures are absent (test skipped).
    fn copy_golden(test: &str, rel: &str, dir: &Path, symbol: &str) -> Option<Vec<u8>> {
        let src = shared_fixtures::dir(test)?.join("golden").join(rel);
        let bytes = fs::read(&src).unwrap();
        fs::write(weights_path(dir, symbol), &bytes).unwrap();
        Some(bytes)
    }

    fn assert_close(got: &[f64], want: &[f64], tol: f64) {
        assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() <= tol, "{got:?} vs {want:?}");
        }
    }

    fn normalized(w: &[f64]) -> Vec<f64> {
        let s: f64 = w.iter().sum();
        w.iter().map(|x| x / s).collect()
    }

    fn assert_defaults(l: &LoadedCalibrator) {
        let c = &l.calibrator;
        assert!(c.ladder().is_empty() && c.weights().is_empty(), "{l:?}");
        assert_eq!((c.tolerance(), c.buffer()), (5, 0.002));
        assert_eq!(c.stats().calibration_count, 0);
        assert_eq!((c.bias(), c.offsets()), ((0.0, 0.0), (0.0, 0.0)));
    }

    /// The file is gone from `path` and kept, unchanged, under `<name>.bad-<tag>-<stamp>`.
    fn assert_kept(l: &LoadedCalibrator, path: &Path, tag: &str, bytes: &[u8]) {
        let kept = l.kept_as.as_deref().expect("kept_as");
        let mut name = path.file_name().unwrap().to_os_string();
        name.push(format!(".bad-{tag}-{STAMP}"));
        assert_eq!(kept, path.with_file_name(name));
        assert!(!path.exists());
        assert_eq!(fs::read(kept).unwrap(), bytes);
        let problem = l.problem.as_deref().expect("problem");
        assert!(problem.starts_with(tag), "{problem}");
        assert!(problem.contains(&kept.display().to_string()), "{problem}");
    }

    #[test]
    fn path_names_the_symbol() {
        assert_eq!(
            weights_path(Path::new("/data"), "BTC"),
            PathBuf::from("/data/liq_calibrator_weights_BTC.json")
        );
    }

    #[test]
    fn golden_files_load_as_written() {
        let dir = tempfile::tempdir().unwrap();
        for (sym, steps) in [("BTC", 20.0), ("ETH", 1.0), ("SOL", 0.1)] {
            let rel = format!("2026-02-28/liq_calibrator_weights_{sym}.json");
            let Some(bytes) = copy_golden("golden_files_load_as_written", &rel, dir.path(), sym)
            else {
                return;
            };
            let file = WeightsFile::parse(&bytes).unwrap();
            for cfg in [fixed(sym, steps), reference(sym, steps)] {
                let l = load_calibrator(dir.path(), cfg, NOW);
                assert_eq!(l.report, LoadReport::Loaded, "{sym}");
                assert_eq!((l.kept_as.as_ref(), l.problem.as_ref()), (None, None));
                let c = &l.calibrator;
                assert_eq!(c.ladder(), RUNTIME_LADDER);
                let want = file.weights.as_deref().unwrap();
                assert_eq!(want[0], 0.0);
                assert_close(c.weights(), want, 1e-6);
                assert_eq!(c.weights()[0], 0.0);
                assert_eq!(c.tolerance(), 4);
                assert_eq!(c.buffer(), file.buffer.unwrap());
                assert_eq!(c.stats().calibration_count, 1);
                assert_eq!(fs::read(weights_path(dir.path(), sym)).unwrap(), bytes);
            }
        }
        let l = load_calibrator(dir.path(), fixed("BTC", 20.0), NOW);
        assert_eq!(l.calibrator.buffer(), 0.002);
        assert_eq!(l.calibrator.offsets(), (0.0, -201.67));
    }

    #[test]
    fn historical_file_is_migrated_or_kept_by_the_reference() {
        let dir = tempfile::tempdir().unwrap();
        let test = "historical_file_is_migrated_or_kept_by_the_reference";
        let rel = "historical_2026-01/liq_calibrator_weights.json";
        let Some(bytes) = copy_golden(test, rel, dir.path(), "BTC") else {
            return;
        };
        let path = weights_path(dir.path(), "BTC");

        let l = load_calibrator(dir.path(), fixed("BTC", 20.0), NOW);
        assert_eq!(
            l.report,
            LoadReport::Migrated {
                from: HISTORICAL_LADDER.to_vec()
            }
        );
        assert_eq!((l.kept_as.as_ref(), l.problem.as_ref()), (None, None));
        assert_eq!(fs::read(&path).unwrap(), bytes);
        let mut want = TV8;
        want[0] = 0.0;
        let c = &l.calibrator;
        assert_eq!(c.ladder(), RUNTIME_LADDER);
        assert_close(c.weights(), &normalized(&want), 1e-12);
        assert_eq!((c.tolerance(), c.buffer()), (4, 0.002));

        let l = load_calibrator(dir.path(), reference("BTC", 20.0), NOW);
        assert_eq!(l.report, LoadReport::Loaded);
        assert_eq!((l.kept_as.as_ref(), l.problem.as_ref()), (None, None));
        assert_eq!(fs::read(&path).unwrap(), bytes);
        let mut want = WeightsFile::parse(&bytes).unwrap().weights.unwrap();
        want[1] = 0.0; // 10x disabled
        let c = &l.calibrator;
        assert_eq!(c.ladder(), HISTORICAL_LADDER);
        assert_close(c.weights(), &normalized(&want), 1e-12);
        assert_eq!((c.tolerance(), c.buffer()), (4, 0.002));
    }

    #[test]
    fn corrupt_and_empty_files_are_quarantined() {
        for (content, tag) in [
            (&b"{\"schema_version\": 2, \"sym"[..], "invalid"),
            (b"", "empty"),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let path = weights_path(dir.path(), "BTC");
            fs::write(&path, content).unwrap();
            let l = load_calibrator(dir.path(), fixed("BTC", 20.0), NOW);
            assert_eq!(l.report, LoadReport::NoFile);
            assert_defaults(&l);
            assert_kept(&l, &path, tag, content);
        }
    }

    #[test]
    fn wrong_shape_json_is_invalid() {
        let dir = tempfile::tempdir().unwrap();
        let path = weights_path(dir.path(), "BTC");
        let content = br#"{"symbol": "BTC", "ladder": "10,20", "weights": [1.0]}"#;
        fs::write(&path, content).unwrap();
        let l = load_calibrator(dir.path(), fixed("BTC", 20.0), NOW);
        assert_defaults(&l);
        assert_kept(&l, &path, "invalid", content);
    }

    #[test]
    fn another_symbols_file_is_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let rel = "2026-02-28/liq_calibrator_weights_BTC.json";
        let Some(bytes) = copy_golden("another_symbols_file_is_rejected", rel, dir.path(), "ETH")
        else {
            return;
        };
        let path = weights_path(dir.path(), "ETH");
        for cfg in [fixed("ETH", 1.0), reference("ETH", 1.0)] {
            fs::write(&path, &bytes).unwrap();
            let l = load_calibrator(dir.path(), cfg, NOW);
            assert!(
                matches!(
                    &l.report,
                    LoadReport::Rejected(WeightsFileError::Symbol { expected, found })
                        if expected == "ETH" && found.as_deref() == Some("BTC")
                ),
                "{:?}",
                l.report
            );
            assert_defaults(&l);
            assert_kept(&l, &path, "rejected", &bytes);
            fs::remove_file(l.kept_as.unwrap()).unwrap();
        }
    }

    #[test]
    fn length_mismatch_is_rejected_or_partially_loaded_by_the_reference() {
        let dir = tempfile::tempdir().unwrap();
        let path = weights_path(dir.path(), "BTC");
        fs::write(&path, LENGTH_MISMATCH).unwrap();
        let l = load_calibrator(dir.path(), fixed("BTC", 20.0), NOW);
        assert!(
            matches!(l.report, LoadReport::Rejected(WeightsFileError::Ladder(_))),
            "{:?}",
            l.report
        );
        assert_defaults(&l);
        assert_kept(&l, &path, "rejected", LENGTH_MISMATCH.as_bytes());

        // TV-7 case c: the reference loads the scalars anyway (B8); the file still goes aside.
        fs::remove_file(l.kept_as.unwrap()).unwrap();
        fs::write(&path, LENGTH_MISMATCH).unwrap();
        let l = load_calibrator(dir.path(), reference("BTC", 20.0), NOW);
        assert!(
            matches!(l.report, LoadReport::Partial(WeightsFileError::Ladder(_))),
            "{:?}",
            l.report
        );
        let c = &l.calibrator;
        assert!(c.ladder().is_empty() && c.weights().is_empty());
        assert_eq!((c.buffer(), c.tolerance()), (0.003, 9));
        assert_eq!(c.stats().calibration_count, 7);
        assert_eq!(c.bias(), (0.001, 0.0));
        assert_kept(&l, &path, "rejected", LENGTH_MISMATCH.as_bytes());
    }

    #[test]
    fn missing_file_gives_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let l = load_calibrator(dir.path(), fixed("BTC", 20.0), NOW);
        assert_eq!(l.report, LoadReport::NoFile);
        assert_eq!((l.kept_as, l.problem), (None, None));
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn unreadable_file_is_left_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = weights_path(dir.path(), "BTC");
        fs::create_dir(&path).unwrap();
        let l = load_calibrator(dir.path(), fixed("BTC", 20.0), NOW);
        assert_eq!(l.report, LoadReport::NoFile);
        assert_defaults(&l);
        assert_eq!(l.kept_as, None);
        let problem = l.problem.unwrap();
        assert!(problem.starts_with("unreadable: "), "{problem}");
        assert!(problem.ends_with("(file left in place)"), "{problem}");
        assert!(path.is_dir());
    }

    #[test]
    fn save_then_load_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let sixth = 1.0 / 6.0;
        let w = PersistedWeights {
            symbol: "BTC".into(),
            ladder: RUNTIME_LADDER.to_vec(),
            weights: vec![
                0.0,
                sixth,
                sixth,
                2.0 * sixth,
                sixth,
                sixth / 2.0,
                sixth / 2.0,
            ],
            buffer: 0.00196,
            tolerance: 6,
            long_offset_usd: 12.5,
            short_offset_usd: -201.674,
            bias_pct_long: 0.001_234_567_8,
            bias_pct_short: -0.0004,
            calibration_count: 3,
            saved_at: 1_772_242_551.082,
        };
        assert!((w.weights.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        save_weights(dir.path(), &w).unwrap();
        let path = weights_path(dir.path(), "BTC");
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(text, w.render());
        assert!(text.contains("\"saved_at\": \"2026-02-28T01:35:51.082000\""));
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "no temporary file left");

        let l = load_calibrator(dir.path(), fixed("BTC", 20.0), NOW);
        assert_eq!(l.report, LoadReport::Loaded);
        assert_eq!((l.kept_as.as_ref(), l.problem.as_ref()), (None, None));
        let c = &l.calibrator;
        let rounded: Vec<f64> = w.weights.iter().map(|x| py_round(*x, 6)).collect();
        assert_eq!(c.ladder(), RUNTIME_LADDER);
        assert_close(c.weights(), &normalized(&rounded), 1e-15);
        assert_eq!((c.tolerance(), c.buffer()), (4, 0.00196));
        assert_eq!(c.offsets(), (12.5, -201.67));
        assert_eq!(c.bias(), (0.001235, -0.0004));
        assert_eq!(c.stats().calibration_count, 3);

        // A second save replaces the file.
        let w2 = PersistedWeights {
            calibration_count: 4,
            ..w
        };
        save_weights(dir.path(), &w2).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), w2.render());
    }

    #[test]
    fn save_into_a_missing_directory_fails() {
        let dir = tempfile::tempdir().unwrap();
        let w = PersistedWeights {
            symbol: "BTC".into(),
            ladder: RUNTIME_LADDER.to_vec(),
            weights: vec![0.0, 0.2, 0.2, 0.2, 0.2, 0.1, 0.1],
            buffer: 0.002,
            tolerance: 4,
            long_offset_usd: 0.0,
            short_offset_usd: 0.0,
            bias_pct_long: 0.0,
            bias_pct_short: 0.0,
            calibration_count: 1,
            saved_at: 0.0,
        };
        let err = save_weights(&dir.path().join("nope"), &w).unwrap_err();
        assert!(err.to_string().starts_with("create failed for "), "{err}");
    }

    #[test]
    fn golden_bytes_are_reproduced_from_the_loaded_state() {
        let dir = tempfile::tempdir().unwrap();
        // (symbol, step, tolerance in the file, saved_at as Unix seconds of its UTC rendering)
        for (sym, steps, tolerance, saved_at) in [
            ("BTC", 20.0, 6, 1_771_819_920.272_738),
            ("ETH", 1.0, 5, 1_771_819_920.410_79),
            ("SOL", 0.1, 5, 1_771_819_920.514_7),
        ] {
            let rel = format!("2026-02-28/liq_calibrator_weights_{sym}.json");
            let test = "golden_bytes_are_reproduced_from_the_loaded_state";
            let Some(bytes) = copy_golden(test, &rel, dir.path(), sym) else {
                return;
            };
            let l = load_calibrator(dir.path(), fixed(sym, steps), NOW);
            assert_eq!(l.report, LoadReport::Loaded);
            let c = &l.calibrator;
            let ((long_offset_usd, short_offset_usd), (bias_pct_long, bias_pct_short)) =
                (c.offsets(), c.bias());
            let w = PersistedWeights {
                symbol: c.config().symbol.clone(),
                ladder: c.ladder().to_vec(),
                weights: c.weights().to_vec(),
                buffer: c.buffer(),
                tolerance,
                long_offset_usd,
                short_offset_usd,
                bias_pct_long,
                bias_pct_short,
                calibration_count: c.stats().calibration_count,
                saved_at,
            };
            assert_eq!(w.render(), String::from_utf8(bytes).unwrap(), "{sym}");
        }
    }
}
