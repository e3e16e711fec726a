use super::mass::{HorizonParams, MassInputs, forecast_side, gaussian_blur, prepare};
use super::reach::{self, CONSTANTS, Volatility, sigmas};
use super::*;

/// Spec 5.1: the hand-checkable example (`H = 15`, cell 98 of the long side).
#[test]
fn reach_prior_reproduces_the_hand_example() {
    let bars: Vec<(i64, f64)> = (0..76)
        .map(|i| {
            (
                28_000_000 + i,
                if i % 2 == 0 { 100_050.0 } else { 99_950.0 },
            )
        })
        .collect();
    let sig = sigmas(&bars, 720.0)[60];
    assert!((sig - 0.001_000_000_083_33).abs() < 1e-14, "{sig}");
    let r = reach::reach_weights(100_000.0, 100_050.0, sig, &CONSTANTS[0]);
    let q = reach::mix(&r[0], CONSTANTS[0].eps);
    let close =
        |got: f64, want: f64| assert!((got - want).abs() <= 1e-9 * want.abs(), "{got} {want}");
    close(q[98], 0.067_755_115_859_5);
    close(q[98].ln(), -2.691_855_311_23);
    close(q[100], 0.073_419_705_313_7);
    close(q[101], 0.002_145_928_048_44);
    close(q[200], 4.977_795_18e-9);
}

#[test]
fn the_incremental_volatility_is_the_batch_one() {
    let bars: Vec<(i64, f64)> = (0..500)
        .map(|i: i64| {
            (
                i + if i > 200 { 3 } else { 0 },
                100.0 + ((i * 37) % 11) as f64 - if i == 50 { 200.0 } else { 0.0 },
            )
        })
        .collect();
    let batch = sigmas(&bars, 60.0);
    let mut v = Volatility::new(60.0);
    for (i, &(k, c)) in bars.iter().enumerate() {
        v.update(k, c);
        assert_eq!(v.sigma(), batch[i], "line {i}");
    }
}

#[test]
fn no_mass_is_the_prior_and_every_forecast_is_a_distribution() {
    let mut f = Forecaster::new(ForecastParams {
        horizons: [HorizonParams::PRIOR; 3],
    });
    for i in 0..120 {
        f.on_minute(i, 100.0 + (i % 7) as f64 * 0.05);
    }
    let mut inputs = MassInputs::default();
    inputs.projection[0][90] = 1e6;
    inputs.projection[1][130] = 5e5;
    let fc = f.forecast(119, 100.0, 100.1, &inputs).unwrap();
    for h in &fc.horizons {
        assert_eq!(h.long.prob, h.long.prior);
        assert_eq!(h.short.prob, h.short.prior);
    }
    let mut f = Forecaster::default();
    for i in 0..120 {
        f.on_minute(i, 100.0 + (i % 7) as f64 * 0.05);
    }
    let fc = f.forecast(119, 100.0, 100.1, &inputs).unwrap();
    assert_eq!(fc.horizons.len(), 3);
    for h in &fc.horizons {
        for side in [&h.long, &h.short] {
            assert_eq!(side.prob.len(), CELLS);
            let sum: f64 = side.prob.iter().sum();
            assert!((sum - 1.0).abs() < 1e-12);
            assert!(side.prob.iter().all(|q| *q > 0.0 && q.is_finite()));
        }
    }
    // The projected long level gains probability over the prior; the short side's too.
    let h15 = fc.horizon(15).unwrap();
    assert!(
        h15.long.prob[90] > h15.long.prior[90],
        "{} {}",
        h15.long.prob[90],
        h15.long.prior[90]
    );
    assert!(h15.short.prob[130] > h15.short.prior[130]);
    assert!(f.forecast(1, f64::NAN, 1.0, &inputs).is_none());
    assert!(f.forecast(1, 1.0, 0.0, &inputs).is_none());
}

#[test]
fn layers_are_blurred_and_normalised_to_mean_one() {
    let mut v = [0.0; BAND_BINS];
    v[100] = 4.0;
    let b = gaussian_blur(&v, 2.0);
    assert!(b[100] > b[101] && b[101] > b[103] && b[103] > 0.0);
    assert_eq!(b[97], b[103]);
    let l = prepare(&v, 2.0, 0.5);
    let mean = l[..BAND_BINS].iter().sum::<f64>() / 200.0;
    assert!((mean - 1.0).abs() < 1e-12);
    // Outside the band: the layer's mean.
    assert_eq!(l[OUTSIDE], 1.0);
    assert_eq!(prepare(&[0.0; BAND_BINS], 2.0, 1.0), [0.0; CELLS]);
    // An empty layer leaves the prior.
    let r = reach::reach_weights(100.0, 100.0, 1e-3, &CONSTANTS[1]);
    let hp = HorizonParams {
        projection: 0.5,
        ..HorizonParams::PRIOR
    };
    let q = forecast_side(&r[0], &MassInputs::default(), 0, &hp, CONSTANTS[1].eps);
    assert_eq!(q, reach::mix(&r[0], CONSTANTS[1].eps));
}

#[test]
fn cells_follow_the_band_rule() {
    assert_eq!(cell(100_000.0, 99_870.0), 98);
    assert_eq!(cell(100_000.0, 100_000.0), 100);
    assert_eq!(cell(100_000.0, 89_999.0), OUTSIDE);
    assert_eq!(cell(100_000.0, 110_000.0), OUTSIDE);
    let v = band_vector(
        100_000.0,
        &[
            (99_870.0, 2.0),
            (99_850.0, 1.0),
            (1.0, 5.0),
            (99_900.0, f64::NAN),
        ],
    );
    assert_eq!(v[98], 3.0);
    assert_eq!(v.iter().sum::<f64>(), 3.0);
}

#[test]
fn no_forecast_before_enough_returns_and_a_restart_keeps_the_volatility() {
    let inputs = MassInputs::default();
    let mut f = Forecaster::default();
    // 30 lines give 29 returns: not yet.
    for i in 0..30 {
        f.on_minute(i, 100.0 + (i % 3) as f64 * 0.1);
    }
    assert!(f.forecast(29, 100.0, 100.1, &inputs).is_none());
    f.on_minute(30, 100.2);
    let before = f.forecast(30, 100.0, 100.2, &inputs).unwrap();
    // A restarted forecaster with the saved state forecasts at once, and the same.
    let mut g = Forecaster::default();
    assert!(g.forecast(30, 100.0, 100.2, &inputs).is_none());
    let saved: ForecasterState =
        serde_json::from_str(&serde_json::to_string(&f.export()).unwrap()).unwrap();
    g.restore(&saved);
    assert_eq!(g.forecast(30, 100.0, 100.2, &inputs).unwrap(), before);
    // A state of other half-lives is ignored.
    let mut h = Forecaster::default();
    h.restore(&ForecasterState {
        vols: vec![Volatility::new(7.0)],
    });
    assert!(h.forecast(30, 100.0, 100.2, &inputs).is_none());
}
