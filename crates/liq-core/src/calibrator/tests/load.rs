//! TV-7 (weights file loading) and the persistence format.

use super::*;
use crate::leverage::RUNTIME_LADDER;

fn file(symbol: &str, weights: &[f64]) -> WeightsFile {
    WeightsFile {
        symbol: Some(symbol.into()),
        ladder: Some(RUNTIME_LADDER.to_vec()),
        weights: Some(weights.to_vec()),
        ..WeightsFile::default()
    }
}

fn load(
    compat: ReferenceCompat,
    symbol: &str,
    step: f64,
    f: &WeightsFile,
) -> (Calibrator, LoadReport) {
    Calibrator::new(CalibratorConfig::runtime(symbol, step, &compat), Some(f))
}

fn rounded(w: &[f64]) -> Vec<f64> {
    w.iter().map(|x| crate::grid::py_round(*x, 6)).collect()
}

#[test]
fn tv7a_version_1_file() {
    let mut f = file("BTC", &[0.05, 0.15, 0.25, 0.3, 0.15, 0.08, 0.02]);
    f.buffer = Some(0.0021);
    f.tolerance = Some(9);
    for compat in [ReferenceCompat::reference(), ReferenceCompat::fixed()] {
        let (c, report) = load(compat, "BTC", 20.0, &f);
        assert_eq!(report, LoadReport::Loaded);
        let expected = [
            0.0,
            0.15789473684210525,
            0.2631578947368421,
            0.3157894736842105,
            0.15789473684210525,
            0.08421052631578949,
            0.02105263157894737,
        ];
        assert_all_close(c.weights(), &expected, 1e-15);
        assert_eq!(
            (c.buffer(), c.tolerance(), c.stats().calibration_count),
            (0.0021, 4, 0)
        );
    }
}

#[test]
fn tv7b_another_symbols_file_loads_nothing() {
    let f = file("BTC", &w());
    let (c, report) = load(ReferenceCompat::reference(), "ETH", 1.0, &f);
    assert!(matches!(
        report,
        LoadReport::Rejected(WeightsFileError::Symbol { .. })
    ));
    assert!(report.is_bad());
    assert_eq!((c.tolerance(), c.buffer()), (5, 0.002));
    assert!(c.weights().is_empty());
}

#[test]
fn tv7c_partial_load_in_the_reference_rejection_in_ours() {
    let f = WeightsFile {
        symbol: Some("BTC".into()),
        ladder: Some(vec![10, 20, 25]),
        weights: Some(vec![0.5, 0.5]),
        buffer: Some(0.003),
        tolerance: Some(9),
        calibration_count: Some(7),
        bias_pct_long: Some(0.001),
        ..WeightsFile::default()
    };
    let (c, report) = load(ReferenceCompat::reference(), "BTC", 20.0, &f);
    assert!(matches!(report, LoadReport::Partial(_)));
    assert!(c.weights().is_empty() && c.ladder().is_empty());
    assert_eq!(
        (c.buffer(), c.tolerance(), c.stats().calibration_count),
        (0.003, 9, 7)
    );
    assert_eq!(c.bias(), (0.001, 0.0));

    let (c, report) = load(ReferenceCompat::fixed(), "BTC", 20.0, &f);
    assert!(matches!(
        report,
        LoadReport::Rejected(WeightsFileError::Ladder(_))
    ));
    assert_eq!(
        (c.buffer(), c.tolerance(), c.stats().calibration_count),
        (0.002, 5, 0)
    );
    assert_eq!(c.bias(), (0.0, 0.0));
}

#[test]
fn tv7def_degenerate_files() {
    let one = [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
    let cases: [(&str, f64, [f64; 7]); 3] = [
        (
            "BTC",
            20.0,
            [
                0.0, 0.405405, 0.315315, 0.157658, 0.063063, 0.036036, 0.022523,
            ],
        ),
        (
            "SOL",
            0.1,
            [
                0.0, 0.086622, 0.067372, 0.033686, 0.017324, 0.397498, 0.397498,
            ],
        ),
        (
            "ETH",
            1.0,
            [
                0.0, 0.391304, 0.304348, 0.152174, 0.078261, 0.043478, 0.030435,
            ],
        ),
    ];
    for (sym, step, expected) in cases {
        let (c, report) = load(ReferenceCompat::reference(), sym, step, &file(sym, &one));
        assert_eq!(report, LoadReport::Loaded);
        assert_eq!(rounded(c.weights()), expected, "{sym}");
    }
    // Fixed: BTC and ETH as the reference (their configs hold every enabled tier), SOL uniform.
    let (c, _) = load(ReferenceCompat::fixed(), "BTC", 20.0, &file("BTC", &one));
    assert_eq!(rounded(c.weights()), cases[0].2);
}

#[test]
fn an_old_ladder_is_migrated_in_ours_and_kept_in_the_reference() {
    let f = WeightsFile {
        symbol: Some("BTC".into()),
        ladder: Some(vec![5, 10, 20, 25, 50, 75, 100, 125, 150, 200, 250]),
        weights: Some(vec![
            0.234037, 0.234037, 0.210634, 0.163826, 0.081913, 0.032762, 0.018702, 0.011691,
            0.007017, 0.003509, 0.001872,
        ]),
        ..WeightsFile::default()
    };
    let (c, report) = load(ReferenceCompat::fixed(), "BTC", 20.0, &f);
    assert!(matches!(report, LoadReport::Migrated { .. }));
    assert_eq!(c.ladder(), RUNTIME_LADDER);
    // TV-8's migrated weights with 10x zeroed and the rest renormalized.
    let tv8 = [
        0.31057307597884726,
        0.27951669729883954,
        0.21740128588774693,
        0.10870064294387347,
        0.043476010695825844,
        0.024818031623018585,
        0.015514255571848481,
    ];
    let rest: f64 = tv8[1..].iter().sum();
    let expected: Vec<f64> = std::iter::once(0.0)
        .chain(tv8[1..].iter().map(|x| x / rest))
        .collect();
    assert_all_close(c.weights(), &expected, 1e-12);
    let (c, report) = load(ReferenceCompat::reference(), "BTC", 20.0, &f);
    assert_eq!(report, LoadReport::Loaded);
    assert_eq!(c.ladder().len(), 11, "B9: taken as-is");
}

#[test]
fn a_saved_file_reads_back() {
    let p = PersistedWeights {
        symbol: "BTC".into(),
        ladder: RUNTIME_LADDER.to_vec(),
        weights: vec![0.0, 0.18, 0.27, 0.3, 0.15, 0.08, 0.02],
        buffer: 0.00196,
        tolerance: 6,
        long_offset_usd: 17.65125,
        short_offset_usd: -201.666,
        bias_pct_long: 3.5293676580860025e-05,
        bias_pct_short: 0.0,
        calibration_count: 3,
        saved_at: 1_772_242_551.082,
    };
    let text = p.render();
    assert!(text.contains("\"bias_pct_long\": 3.5e-05,"), "{text}");
    assert!(text.contains("\"saved_at\": \"2026-02-28T01:35:51.082000\""));
    let back = WeightsFile::parse(text.as_bytes()).unwrap();
    assert_eq!(back, p.to_file());
    assert_eq!(back.short_offset_usd, Some(-201.67));
    let (c, report) = load(ReferenceCompat::fixed(), "BTC", 20.0, &back);
    assert_eq!(report, LoadReport::Loaded);
    assert_eq!((c.tolerance(), c.stats().calibration_count), (4, 3));
    assert!(WeightsFile::parse(b"{not json").is_err());
}
