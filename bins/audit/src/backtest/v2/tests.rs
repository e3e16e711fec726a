//! Protocol v2 on hand-made cases: the example of spec/prediction_eval_v2.md section 5.1
//! exactly, and the edge rules of sections 2 and 4.

use liq_core::event::Side;

use super::reach;
use super::{RowV2, RowV2Kind, V2Error, rows_v2, score};
use crate::backtest::predict::Prediction;
use crate::backtest::score::{Bar, BinnedMinute, Liq, Truth};
use liq_core::forecast::{CELLS, CONSTANTS, OUTSIDE};

const FIRST: i64 = 28_000_000;
const M: i64 = FIRST + 60;
const TS_T: f64 = 1_680_003_600.5;

/// The replay of 5.1: 76 minutes, closes alternating 100050 / 99950, one long liquidation.
fn example_truth() -> Truth {
    let bars = (0..76)
        .map(|i| Bar {
            minute_key: FIRST + i,
            ts: (FIRST + i) as f64 * 60.0 + 0.5,
            src: 100_000.0,
            close: if i % 2 == 0 { 100_050.0 } else { 99_950.0 },
            high: 100_050.0,
            low: 99_950.0,
        })
        .collect();
    Truth {
        bars,
        liqs: vec![Liq {
            ts: 1_680_003_900.5,
            side: Side::Long,
            price: 99_870.0,
            notional: 10_000.0,
        }],
    }
}

fn empty_prediction(minute_key: i64, ts: f64, price: f64) -> BinnedMinute {
    BinnedMinute::from_prediction(&Prediction {
        minute_key,
        ts,
        symbol: "BTC",
        price,
        long: vec![],
        short: vec![],
        pools: None,
        layers: None,
        dist: None,
        inputs: None,
    })
    .unwrap()
}

fn example_rows() -> Vec<RowV2> {
    let pred = empty_prediction(M, TS_T, 100_000.0);
    rows_v2(&score(&example_truth(), &[pred]).unwrap())
}

fn row<'a>(rows: &'a [RowV2], name: &str, h: i64) -> &'a RowV2 {
    rows.iter()
        .find(|r| r.row == name && r.horizon == h)
        .unwrap_or_else(|| panic!("row {name} H={h}"))
}

/// Within 1e-9 relative of the spec's 12-digit values (they are rounded at about 1e-12).
#[track_caller]
fn near(got: Option<f64>, want: f64) {
    let g = got.expect("defined");
    assert!(
        (g - want).abs() <= 1e-9 * want.abs(),
        "got {g:.15}, want {want}"
    );
}

#[test]
fn example_volatility_is_the_constant_return() {
    let closes: Vec<(i64, f64)> = example_truth()
        .bars
        .iter()
        .map(|b| (b.minute_key, b.close))
        .collect();
    let s = reach::sigmas(&closes, 720.0);
    assert_eq!(s[0], reach::SIGMA_FLOOR);
    near(Some(s[60]), 0.00100000008333);
}

#[test]
fn example_reach_weights_and_distribution() {
    let k = &CONSTANTS[0];
    let sigma = (100_050.0f64 / 99_950.0).ln();
    let r = reach::reach_weights(100_000.0, 100_050.0, sigma, k);
    let long = &r[0];
    for (cell, want) in [
        (97, 0.871703156545),
        (98, 0.922846464531),
        (99, 0.974259291152),
        (101, 0.0292281644221),
        (102, 0.0276888507081),
    ] {
        near(Some(long[cell]), want);
    }
    assert_eq!(long[100], 1.0);
    assert!((long[OUTSIDE] - 3.63771539e-11).abs() < 1e-18);
    near(Some(long.iter().sum()), 13.6203089278);
    let q = reach::mix(long, k.eps);
    near(Some(q[98]), 0.0677551158595);
    near(Some(q[98].ln()), -2.69185531123);
    near(Some(q[100]), 0.0734197053137);
    near(Some(q[101]), 0.00214592804844);
    assert!((q[OUTSIDE] - 4.97779518e-9).abs() < 1e-16);
    // The short side damps the other direction: the bins above are worth 1, below c_up.
    assert_eq!(r[1][101] * k.c_up, long[101]);
    assert_eq!(r[1][98], long[98] * k.c_up);
}

#[test]
fn example_scores_of_section_5_1() {
    let rows = example_rows();
    let reach = row(&rows, "reach-only", 15);
    assert_eq!((reach.minutes, reach.days, reach.events), (1, 1, 1));
    assert_eq!(reach.notional, 10_000.0);
    near(reach.score_usd, -2.69185531123);
    near(reach.score_event, -2.69185531123);
    assert_eq!(reach.skill_usd, Some(0.0));
    let uni = row(&rows, "uniform", 15);
    near(uni.score_usd, -5.303304908059076);
    near(uni.skill_usd, -2.61144959683);
    near(uni.skill_event, -2.61144959683);
    let heat = row(&rows, "heatmap-direct", 15);
    near(heat.score_usd, -5.29981101880);
    near(heat.skill_usd, -2.60795570757);
    // Empty served heatmap: reach x (1 + g * 0) is the prior itself.
    let rh = row(&rows, "reach-heatmap", 15);
    assert_eq!(rh.score_usd, reach.score_usd);
    assert_eq!(rh.skill_usd, Some(0.0));
    // One day: no CI; no short liquidation: no short skill.
    for r in &rows {
        assert_eq!(r.skill_usd_ci, None, "{}", r.row);
        assert_eq!(r.skill_event_ci, None, "{}", r.row);
        if r.horizon == 15 && r.row != "forecast" {
            assert_eq!(r.skill_usd_short, None);
            assert!(r.skill_usd_long.is_some());
        }
    }
    // 60 and 240: no scored minute, everything n/a.
    for h in [60, 240] {
        let r = row(&rows, "reach-only", h);
        assert_eq!((r.minutes, r.days, r.events), (0, 0, 0));
        assert_eq!((r.score_usd, r.skill_usd), (None, None));
    }
    // Without layers on any line the layer rows do not exist; the forecast row is null.
    assert!(rows.iter().all(|r| r.row != "projection-direct"));
    let f = row(&rows, "forecast", 15);
    assert_eq!((f.minutes, f.score_usd, f.skill_usd), (1, None, None));
}

#[test]
fn outside_liquidations_are_truth_in_the_outside_cell() {
    let mut truth = example_truth();
    // Far below the band: cell 200 (v1 would exclude it).
    truth.liqs[0].price = 50_000.0;
    let pred = empty_prediction(M, TS_T, 100_000.0);
    let rows = rows_v2(&score(&truth, &[pred]).unwrap());
    let heat = row(&rows, "heatmap-direct", 15);
    near(heat.score_usd, (0.3f64 / CELLS as f64).ln());
    let reach = row(&rows, "reach-only", 15);
    let k = &CONSTANTS[0];
    let r = reach::reach_weights(100_000.0, 100_050.0, (100_050.0f64 / 99_950.0).ln(), k);
    near(reach.score_usd, reach::mix(&r[0], k.eps)[OUTSIDE].ln());
}

#[test]
fn direct_row_follows_the_layer() {
    let v = {
        let mut v = [0.0; 200];
        v[98] = 3.0;
        v[150] = 1.0;
        v
    };
    let q = reach::direct(&v, 0.3);
    near(Some(q[98]), 0.7 * 0.75 + 0.3 / 201.0);
    near(Some(q[0]), 0.3 / 201.0);
    near(Some(q.iter().sum()), 1.0);
    let l = reach::mean_one(&v);
    assert_eq!((l[98], l[150], l[OUTSIDE]), (150.0, 50.0, 0.0));
}

#[test]
fn non_positive_close_at_a_scored_minute_is_invalid() {
    let mut truth = example_truth();
    truth.bars[60].close = 0.0;
    let pred = empty_prediction(M, TS_T, 100_000.0);
    assert_eq!(
        score(&truth, &[pred]),
        Err(V2Error::BadClose {
            minute_key: M,
            close: 0.0
        })
    );
}

#[test]
fn every_row_kind_has_its_design_name() {
    let names: Vec<&str> = RowV2Kind::ALL.iter().map(|k| k.name()).collect();
    assert_eq!(
        names[..5],
        [
            "reach-only",
            "uniform",
            "heatmap-direct",
            "reach-heatmap",
            "forecast"
        ]
    );
}
