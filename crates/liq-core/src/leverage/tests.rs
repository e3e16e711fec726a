//! Unit tests of the leverage module.

use super::weights::LEGACY;
use super::*;
use crate::grid::BucketStep;

fn close(a: &[f64], b: &[f64], tol: f64) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= tol)
}

fn tw(ladder: &[u32], w: &[f64]) -> TierWeights {
    TierWeights::new(Ladder::new(ladder.to_vec()).expect("ladder"), w.to_vec()).expect("weights")
}

#[test]
fn ladder_and_weights_validation() {
    assert_eq!(Ladder::new(vec![]), Err(LeverageError::EmptyLadder));
    assert_eq!(Ladder::new(vec![0, 5]), Err(LeverageError::ZeroTier));
    assert_eq!(
        Ladder::new(vec![5, 20, 10]),
        Err(LeverageError::NotIncreasing(20, 10))
    );
    assert_eq!(
        Ladder::new(vec![5, 5]),
        Err(LeverageError::NotIncreasing(5, 5))
    );
    let l = Ladder::runtime_default();
    assert_eq!(
        (l.tiers(), l.len(), l.is_empty()),
        (&RUNTIME_LADDER[..], 7, false)
    );
    assert_eq!((l.index_of(50), l.contains(150)), (Some(3), false));
    let parsed: Ladder = serde_json::from_str("[10, 20]").expect("valid ladder");
    assert_eq!(
        serde_json::to_string(&parsed).expect("serializes"),
        "[10,20]"
    );
    assert!(serde_json::from_str::<Ladder>("[20, 10]").is_err());
    let err = TierWeights::new(l.clone(), vec![1.0]);
    assert_eq!(err, Err(LeverageError::LengthMismatch(7, 1)));
    let one = Ladder::new(vec![5]).expect("ladder");
    assert!(matches!(
        TierWeights::new(one.clone(), vec![f64::NAN]),
        Err(LeverageError::InvalidWeight(5, _))
    ));
    assert_eq!(
        TierWeights::new(one, vec![-0.1]),
        Err(LeverageError::InvalidWeight(5, -0.1))
    );
    let w = TierWeights::runtime_default();
    assert_eq!(
        (w.weights(), w.get(25), w.get(5)),
        (&RUNTIME_WEIGHTS[..], Some(0.27), None)
    );
    assert_eq!(w.iter().next(), Some((10, 0.0)));
    let zero = w.with_weights(vec![0.0; 7]).expect("valid");
    assert_eq!(zero.normalized(), zero);
    let n = tw(&[1, 2, 3], &[2.0, 2.0, 4.0]).normalized();
    assert_eq!(n.weights(), [0.25, 0.25, 0.5]);
}

#[test]
fn disabled_tiers_and_v3_weights() {
    let d = DisabledTiers::default();
    assert!(d.contains(10) && !d.contains(20));
    assert_eq!(d.enabled(&RUNTIME_LADDER), [20, 25, 50, 75, 100, 125]);
    assert_eq!(d.iter().collect::<Vec<_>>(), [10]);
    let none = DisabledTiers::new([]);
    assert_eq!(none.enabled(&[10, 20]), [10, 20]);
    assert_eq!(
        (v3_tier_weight(10, &d), v3_tier_weight(10, &none)),
        (0.0, 0.0)
    );
    assert_eq!(
        (v3_tier_weight(50, &d), v3_tier_weight(250, &d)),
        (0.8, 0.7)
    );
    assert_eq!(v3_tier_weight(33, &d), 0.5);
    assert_eq!(v3_tier_weight(50, &DisabledTiers::new([50])), 0.0);
}

#[test]
fn legacy_configs_normalized_by_raw_sum() {
    let btc = legacy_config("BTC");
    assert_eq!(btc.ladder().len(), 11);
    assert_eq!(btc.get(5), Some(1.0 / 4.273));
    assert!((btc.get(10).unwrap_or(0.0) - 0.234027).abs() < 1e-6);
    assert!((btc.sum() - 1.0).abs() < 1e-12);
    assert_eq!(
        legacy_config("eth").ladder().tiers(),
        [5, 10, 20, 25, 50, 75, 100, 125]
    );
    assert!((legacy_config("ETH").get(5).unwrap_or(0.0) - 1.0 / 4.30).abs() < 1e-15);
    assert!((legacy_config("SOL").get(75).unwrap_or(0.0) - 0.18 / 4.13).abs() < 1e-15);
    let other = legacy_config("DOGE");
    assert_eq!(other.ladder().tiers(), [5, 10, 20, 50, 75, 100]);
    assert!((other.get(100).unwrap_or(0.0) - 0.10 / 3.75).abs() < 1e-15);
}

fn enforce(symbol: &str, w: &mut [f64], fb: DegenerateFallback) -> EnforceOutcome {
    let d = DisabledTiers::default();
    enforce_disabled_tiers(&RUNTIME_LADDER, w, &d, &legacy_config(symbol), fb)
}

#[test]
#[rustfmt::skip]
fn enforce_tv7() {
    use DegenerateFallback::{Fixed, Reference};
    let mut w = [0.05, 0.15, 0.25, 0.3, 0.15, 0.08, 0.02];
    assert_eq!(enforce("BTC", &mut w, Reference), EnforceOutcome::Normalized);
    assert_eq!(w, [0.0, 0.15789473684210525, 0.2631578947368421, 0.3157894736842105,
        0.15789473684210525, 0.08421052631578949, 0.02105263157894737]);
    let cases: [(&str, _, [f64; 7]); 5] = [
        ("BTC", Reference, [0.0, 0.405405, 0.315315, 0.157658, 0.063063, 0.036036, 0.022523]),
        ("SOL", Reference, [0.0, 0.086622, 0.067372, 0.033686, 0.017324, 0.397498, 0.397498]),
        ("ETH", Reference, [0.0, 0.391304, 0.304348, 0.152174, 0.078261, 0.043478, 0.030435]),
        // Fixed B10: BTC's config covers every runtime tier, so nothing changes.
        ("BTC", Fixed, [0.0, 0.405405, 0.315315, 0.157658, 0.063063, 0.036036, 0.022523]),
        // SOL lacks 100x and 125x: uniform over the enabled tiers.
        ("SOL", Fixed, [0.0, 1.0 / 6.0, 1.0 / 6.0, 1.0 / 6.0, 1.0 / 6.0, 1.0 / 6.0, 1.0 / 6.0]),
    ];
    for (sym, fb, want) in cases {
        let mut w = [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
        let out = enforce(sym, &mut w, fb);
        let expected = if want[1] == 1.0 / 6.0 { EnforceOutcome::Uniform } else { EnforceOutcome::ConfigFallback };
        assert_eq!(out, expected, "{sym}");
        assert!(close(&w, &want, 5e-7), "{sym}: {w:?}");
    }
    assert_eq!(DegenerateFallback::default(), Fixed);
}

#[test]
fn enforce_edge_cases() {
    let (cfg, d) = (legacy_config("BTC"), DisabledTiers::default());
    let fb = DegenerateFallback::Reference;
    let mut w = [0.5, 0.5];
    assert_eq!(
        enforce_disabled_tiers(&[10], &mut w, &d, &cfg, fb),
        EnforceOutcome::Skipped
    );
    assert_eq!(
        enforce_disabled_tiers(&[], &mut [], &d, &cfg, fb),
        EnforceOutcome::Skipped
    );
    assert_eq!(w, [0.5, 0.5]);
    // Tiers unknown to the config get 1.0 each (B10).
    let mut w = [0.0, 0.0, 0.0];
    let out = enforce_disabled_tiers(&[10, 30, 40], &mut w, &d, &cfg, fb);
    assert_eq!((out, w), (EnforceOutcome::ConfigFallback, [0.0, 0.5, 0.5]));
    // An all-zero config falls through to uniform.
    let zero_cfg = TierWeights::runtime_default()
        .with_weights(vec![0.0; 7])
        .expect("valid");
    let mut w = [0.0; 7];
    let out = enforce_disabled_tiers(&RUNTIME_LADDER, &mut w, &d, &zero_cfg, fb);
    assert_eq!((out, w[0]), (EnforceOutcome::Uniform, 0.0));
    assert!((w[3] - 1.0 / 6.0).abs() < 1e-15);
    let mut w = [0.7];
    let out = enforce_disabled_tiers(&[10], &mut w, &d, &cfg, fb);
    assert_eq!((out, w), (EnforceOutcome::NoEnabledTiers, [0.0]));
}

#[test]
#[rustfmt::skip]
fn migrate_tv8() {
    let old = [0.234037, 0.234037, 0.210634, 0.163826, 0.081913, 0.032762, 0.018702,
        0.011691, 0.007017, 0.003509, 0.001872];
    let got = migrate_weights(LEGACY[0].1, &old, &RUNTIME_LADDER).expect("migrates");
    let want = [0.31057307597884726, 0.27951669729883954, 0.21740128588774693,
        0.10870064294387347, 0.043476010695825844, 0.024818031623018585, 0.015514255571848481];
    assert!(close(&got, &want, 1e-12) && got[0] > 0.0, "{got:?}");
    let new = [5, 10, 20, 25, 50, 100];
    let got = migrate_weights(&[10, 50], &[0.2, 0.8], &new).expect("migrates");
    let want = [0.062015503875969, 0.062015503875969, 0.17829457364341086,
        0.20155038759689925, 0.24806201550387602, 0.24806201550387602];
    assert!(close(&got, &want, 1e-12), "{got:?}");
    assert_eq!(migrate_weights(&[50, 10], &[0.8, 0.2], &new), Some(got));
}

#[test]
fn migrate_invalid_inputs() {
    assert_eq!(migrate_weights(&[], &[], &[10]), None);
    assert_eq!(migrate_weights(&[10], &[1.0], &[]), None);
    assert_eq!(migrate_weights(&[10, 20], &[1.0], &[10]), None);
    assert_eq!(migrate_weights(&[0], &[1.0], &[10]), None);
    assert_eq!(migrate_weights(&[10], &[f64::NAN], &[10]), None);
    assert_eq!(migrate_weights(&[10, 20], &[0.0, 0.0], &[10]), None);
    let w = TierWeights::runtime_default();
    let same = w.migrate_to(w.ladder()).expect("migrates");
    assert!(close(same.weights(), w.normalized().weights(), 1e-15));
}

#[test]
fn entropy_over_enabled_tiers() {
    let d = DisabledTiers::default();
    let h = TierWeights::runtime_default().enabled_entropy(&d);
    assert!((h - 1.5882).abs() < 5e-5 && h > 0.85 * 6f64.ln(), "{h}");
    let w = [0.5, 0.18, 0.27, 0.30, 0.15, 0.08, 0.02];
    assert!((enabled_entropy(&RUNTIME_LADDER, &w, &d) - h).abs() < 1e-12);
    let one = [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
    assert_eq!(enabled_entropy(&RUNTIME_LADDER, &one, &d), 0.0);
    assert_eq!(enabled_entropy(&[20, 25], &[1.0], &d), 0.0);
    assert!((enabled_entropy(&[20, 25], &[3.0, 3.0], &d) - 2f64.ln()).abs() < 1e-15);
}

#[test]
fn implied_levels() {
    assert_eq!(implied_offset(20, 0.002), 0.052000000000000005);
    let src = 65743.25;
    assert_eq!(
        implied_price(src, true, 20, 0.002),
        src * (1.0 - (0.05 + 0.002))
    );
    assert_eq!(
        implied_price(src, false, 20, 0.002),
        src * (1.0 + (0.05 + 0.002))
    );
    let off = calibrator_reference_offset(125, 0.002);
    assert_eq!(off, 1.0 / 125.0 + 0.002 + 0.01 / 125.0);
    // Calibrator TV-10: short, mark 65801.28, 125x -> 66464.56.
    let p = calibrator_reference_price(65801.28, false, 125, 0.002);
    assert!((p - 66464.56).abs() < 0.005, "{p}");
    assert!((calibrator_reference_price(100.0, true, 100, 0.0) - 98.99).abs() < 1e-12);
}

#[test]
#[rustfmt::skip]
fn heatmap_10_2_projection_buckets() {
    let w = tw(&RUNTIME_LADDER, &[0.0, 0.180028, 0.270041, 0.300046, 0.150013, 0.079905, 0.019967]);
    let (d, step) = (DisabledTiers::default(), BucketStep::new(20.0).expect("valid step"));
    let src = 65743.25;
    let want = [
        (true, 78611.10, [(14152.2, 62320.0), (21228.22, 62980.0), (23586.95, 64300.0),
            (11792.69, 64740.0), (6281.42, 64960.0), (1569.63, 65080.0)]),
        (false, 491067.31, [(88405.87, 69160.0), (132608.31, 68500.0), (147342.78, 67180.0),
            (73666.48, 66760.0), (39238.73, 66540.0), (9805.14, 66400.0)]),
    ];
    for (long, usd, entries) in want {
        let got: Vec<(f64, f64)> = w.iter().filter(|(t, w)| !d.contains(*t) && *w >= 0.01)
            .map(|(t, w)| (usd * w, step.bucket(implied_price(src, long, t, 0.002)))).collect();
        assert_eq!(got.len(), entries.len());
        for ((size, b), (want_size, want_b)) in got.into_iter().zip(entries) {
            assert_eq!(b, want_b);
            // The logged weights are rounded to 6 digits: sizes agree within 0.1%.
            assert!((size - want_size).abs() <= want_size * 1e-3, "{size} vs {want_size}");
        }
    }
}

#[test]
fn registry_defaults_and_config() {
    let r = LeverageRegistry::new();
    for sym in ["BTC", "eth", "DOGE"] {
        assert_eq!(r.get(sym), &SymbolLadder::default());
        assert_eq!(r.get(sym).enabled_tiers(), [20, 25, 50, 75, 100, 125]);
    }
    assert_eq!(
        (r.symbols().count(), r.default_ladder()),
        (0, &SymbolLadder::default())
    );
    let json = r#"{"default": {"disabled_tiers": [10, 20]}, "symbols": {
            "btc": {"ladder": [10, 20, 50, 150], "weights": [0.0, 0.4, 0.4, 0.2]},
            "SOL": {"weights": [0.0, 0.2, 0.2, 0.2, 0.2, 0.2, 0.0], "disabled_tiers": []}}}"#;
    let cfg: LeverageConfig = serde_json::from_str(json).expect("valid config");
    let mut r = LeverageRegistry::from_config(&cfg).expect("valid registry");
    assert_eq!(r.get("BTC").ladder().tiers(), [10, 20, 50, 150]);
    assert_eq!(r.get("BTC").enabled_tiers(), [50, 150]);
    let sol = r.get("sol");
    assert_eq!(
        (sol.ladder().tiers(), sol.weights.get(125)),
        (&RUNTIME_LADDER[..], Some(0.0))
    );
    assert_eq!(sol.enabled_tiers().len(), 7);
    assert_eq!(r.get("ETH").enabled_tiers(), [25, 50, 75, 100, 125]);
    assert_eq!(r.symbols().collect::<Vec<_>>(), ["BTC", "SOL"]);
    r.insert("eth", SymbolLadder::default());
    assert_eq!(r.get("ETH").enabled_tiers().len(), 6);
}

#[test]
fn registry_config_errors() {
    let build = |json: &str| {
        let cfg: LeverageConfig = serde_json::from_str(json).expect("parses");
        LeverageRegistry::from_config(&cfg)
    };
    let e = build(r#"{"symbols": {"BTC": {"ladder": [10, 20]}}}"#).expect_err("no weights");
    let want = LeverageError::Symbol("BTC".into(), Box::new(LeverageError::MissingWeights));
    assert_eq!(e, want);
    assert!(e.to_string().contains("BTC"));
    let e = build(r#"{"default": {"weights": [1.0]}}"#).expect_err("short weights");
    assert!(matches!(e, LeverageError::Symbol(ref s, _) if s == "default"));
    assert!(build(r#"{"symbols": {"X": {"ladder": [20, 10], "weights": [1, 1]}}}"#).is_err());
    assert!(build(r#"{"symbols": {"X": {"ladder": [10, 20, 25, 50, 75, 100, 125]}}}"#).is_ok());
    assert!(serde_json::from_str::<LeverageConfig>(r#"{"bogus": 1}"#).is_err());
    let dup = build(r#"{"symbols": {"BTC": {}, "btc": {}}}"#);
    assert_eq!(dup, Err(LeverageError::DuplicateSymbol("BTC".into())));
}
