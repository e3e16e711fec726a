//! The metrics on hand-made cases: the worked example of spec/prediction_eval.md section 9
//! exactly, and the selection, bound and edge rules of sections 5, 6 and 8.

use liq_core::event::Side;

use super::metrics::{BINS, Band, KS, distance_only, order, select, selections, uniform, vector};
use super::predict::{PerSide, Prediction};
use super::report::{Row, rows};
use super::score::{Bar, BinnedMinute, Liq, Truth, score};

const FIRST: i64 = 28_000_000;
const M: i64 = FIRST + 60;
const TS_T: f64 = 1_680_003_600.5;

/// The replay of section 9: 76 minutes at 100000, two moving bars, six liquidations.
fn example_truth() -> Truth {
    let bars = (FIRST..FIRST + 76)
        .map(|k| Bar {
            minute_key: k,
            ts: k as f64 * 60.0 + 0.5,
            src: 100_000.0,
            close: 100_000.0,
            high: if k == M + 6 { 100_200.0 } else { 100_000.0 },
            low: if k == M + 4 { 99_800.0 } else { 100_000.0 },
        })
        .collect();
    let liq = |dt: f64, side, price, notional| Liq {
        ts: TS_T + dt,
        side,
        price,
        notional,
    };
    Truth {
        bars,
        liqs: vec![
            liq(100.0, Side::Long, 99_860.0, 30_000.0),
            liq(250.0, Side::Short, 100_150.0, 20_000.0),
            liq(400.0, Side::Long, 99_000.0, 10_000.0),
            liq(410.0, Side::Short, 102_150.0, 4_000.0),
            liq(650.0, Side::Long, 80_000.0, 5_000.0),
            liq(900.25, Side::Long, 99_860.0, 7_000.0),
        ],
    }
}

fn example_prediction() -> Prediction {
    Prediction {
        minute_key: M,
        ts: TS_T,
        symbol: "BTC",
        price: 100_000.0,
        long: vec![
            (98_000.0, 0.2),
            (99_550.0, 1.0),
            (99_850.0, 0.6),
            (99_870.0, 0.4),
        ],
        short: vec![(100_120.0, 0.5), (112_000.0, 0.9)],
        pools: Some(PerSide {
            long: vec![[99_860.0, 99_840.0, 99_880.0, 50_000.0, 1.0]],
            short: vec![[100_120.0, 100_120.0, 100_120.0, 20_000.0, 0.5]],
        }),
        layers: None,
        dist: None,
        inputs: None,
    }
}

fn example_rows() -> Vec<Row> {
    let pred = BinnedMinute::from_prediction(&example_prediction()).unwrap();
    rows(&score(&example_truth(), &[pred]))
}

fn row<'a>(rows: &'a [Row], name: &str, h: i64, set: &str) -> &'a Row {
    rows.iter()
        .find(|r| r.row == name && r.horizon == h && r.minute_set == set)
        .unwrap()
}

#[track_caller]
fn near(got: Option<f64>, want: f64) {
    let g = got.expect("defined");
    assert!((g - want).abs() < 5e-7, "got {g}, want {want}");
}

#[test]
fn worked_example_model() {
    let rows = example_rows();
    for set in ["all", "non_overlapping"] {
        let r = row(&rows, "heatmap", 15, set);
        assert_eq!(r.minutes, 1);
        near(r.capture5, 0.789629);
        near(r.capture10, 0.800701);
        near(r.capture20, 0.822845);
        near(r.capture10_long, 0.771574);
        near(r.capture10_short, 0.849246);
        near(r.precision10, 0.054544);
        near(r.precision10_wilson_lb, 0.015845);
        assert_eq!(r.precision10_n, 40);
        assert_eq!(r.zones, Some(2));
        near(r.zone_touch, 1.0);
        near(r.zone_touch_liq, 1.0);
        near(r.band_excluded_share, 5000.0 / 69000.0);
    }
    // The exact sums of the spec's arithmetic.
    let r = row(&rows, "heatmap", 15, "all");
    let long = 30000.0 + 10000.0 * 17.0 / 197.0;
    let short = 20000.0 + 4000.0 * 19.0 / 199.0;
    near(r.capture10, (long + short) / 64000.0);
    near(
        r.precision10,
        (1.0 + 17.0 / 197.0 + 1.0 + 19.0 / 199.0) / 40.0,
    );
}

#[test]
fn worked_example_baselines() {
    let rows = example_rows();
    let d = row(&rows, "distance-only", 15, "all");
    near(d.capture5, 0.9375);
    near(d.capture10, 0.9375);
    near(d.capture20, 1.0);
    near(d.capture10_long, 1.0);
    near(d.capture10_short, 0.833333);
    near(d.precision10, 0.075);
    near(d.precision10_wilson_lb, 0.025836);
    assert_eq!(d.zones, Some(10));
    near(d.zone_touch, 0.4);
    near(d.zone_touch_liq, 0.4);
    let u = row(&rows, "uniform", 15, "all");
    near(u.capture5, 0.05);
    near(u.capture10, 0.10);
    near(u.capture20, 0.20);
    near(u.capture10_long, 0.10);
    near(u.capture10_short, 0.10);
    near(u.precision10, 0.01);
    near(u.precision10_wilson_lb, 0.000869);
    assert_eq!(u.zones, None);
    assert_eq!(u.zone_touch, None);
    // No layers: the layer rows score nothing.
    let t = row(&rows, "tape-only", 15, "all");
    assert_eq!((t.minutes, t.capture10, t.precision10), (0, None, None));
}

#[test]
fn worked_example_longer_horizons_score_nothing() {
    let rows = example_rows();
    for name in ["heatmap", "distance-only", "uniform"] {
        for h in [60, 240] {
            let r = row(&rows, name, h, "all");
            assert_eq!(r.minutes, 0);
            assert_eq!(r.capture10, None);
            assert_eq!(r.precision10, None);
            assert_eq!(r.precision10_wilson_lb, None);
            assert_eq!(r.precision10_n, 0);
            assert_eq!(r.band_excluded_share, None);
            assert_eq!(r.zone_touch, None);
        }
    }
}

#[test]
fn warm_up_and_horizon_truncation() {
    // A prediction one minute before K0 is not scored; one whose horizon passes T_end is not
    // scored for that horizon.
    let mut early = example_prediction();
    early.minute_key = M - 1;
    let mut late = example_prediction();
    late.minute_key = M + 1;
    let preds: Vec<BinnedMinute> = [early, late]
        .iter()
        .map(|p| BinnedMinute::from_prediction(p).unwrap())
        .collect();
    let rows = rows(&score(&example_truth(), &preds));
    assert_eq!(row(&rows, "heatmap", 15, "all").minutes, 0);
}

#[test]
fn window_bounds_are_left_open_right_closed() {
    let mut truth = example_truth();
    truth.liqs = vec![
        Liq {
            ts: TS_T,
            side: Side::Long,
            price: 99_950.0,
            notional: 1000.0,
        },
        Liq {
            ts: TS_T + 900.0,
            side: Side::Long,
            price: 99_950.0,
            notional: 3000.0,
        },
    ];
    let pred = BinnedMinute::from_prediction(&example_prediction()).unwrap();
    let rows = rows(&score(&truth, &[pred]));
    let d = row(&rows, "distance-only", 15, "all");
    // Only the liquidation at ts_t + 900 counts; bin -1 is distance-only's first long bin.
    near(d.capture5, 1.0);
    near(d.precision10, 1.0 / 40.0);
}

#[test]
fn invalid_values_are_refused() {
    let mut p = example_prediction();
    p.short.push((100_300.0, f64::NAN));
    assert!(BinnedMinute::from_prediction(&p).is_err());
    let mut p = example_prediction();
    p.long.push((99_300.0, -1.0));
    assert!(BinnedMinute::from_prediction(&p).is_err());
}

#[test]
fn selection_spreads_ties_and_sums_to_k() {
    // Constant: every bin K/200.
    let u = uniform();
    for (k, s) in KS.iter().zip(selections(&u)) {
        assert!(s.iter().all(|x| *x == k / BINS as f64));
    }
    // Three equal maxima with two slots: 2/3 each, nothing else.
    let mut v = [0.0; BINS];
    v[5] = 2.0;
    v[9] = 2.0;
    v[100] = 2.0;
    v[7] = 1.0;
    let s = select(&v, &order(&v), 2.0);
    assert_eq!(
        (s[5], s[9], s[100], s[7]),
        (2.0 / 3.0, 2.0 / 3.0, 2.0 / 3.0, 0.0)
    );
    assert!((s.iter().sum::<f64>() - 2.0).abs() < 1e-12);
    // Empty prediction behaves as uniform.
    let band = Band::new(100_000.0);
    assert_eq!(vector(&band, &[]), [0.0; BINS]);
    assert_eq!(selections(&vector(&band, &[]))[1], [0.1; BINS]);
}

#[test]
fn bins_and_band_edges() {
    let band = Band::new(100_000.0);
    assert_eq!(band.bin(99_999.0), -1);
    assert_eq!(band.bin(100_000.0), 0);
    assert_eq!(band.pos(90_000.0), Some(0));
    assert_eq!(band.pos(110_000.0), None);
    assert_eq!(band.pos(109_999.0), Some(199));
    // Distance-only has no ties and ranks the nearest bins first.
    let [long, short] = distance_only();
    let ol = order(&long);
    assert_eq!(&ol[..3], &[99, 98, 97]);
    assert_eq!(ol[100], 100);
    let os = order(&short);
    assert_eq!(&os[..3], &[100, 101, 102]);
    assert_eq!(os[100], 99);
}

#[test]
fn wilson_bound() {
    assert_eq!(super::metrics::wilson_lb(1.0, 0.0), None);
    let lb = super::metrics::wilson_lb(3.0, 40.0).unwrap();
    assert!((lb - 0.025836).abs() < 5e-7, "{lb}");
}
