//! TV-1 to TV-6 and TV-9 with the reference preset.

use super::*;
use crate::calibrator::update::mid_mass_floor;

const LONGS_1: [(f64, f64); 3] = [(98760.0, 1.0), (97500.0, 0.5), (99000.0, 0.25)];
const SHORTS_1: [(f64, f64); 2] = [(101240.0, 0.8), (102000.0, 0.4)];

fn tv1() -> Calibrator {
    let mut c = calibrator(ReferenceCompat::reference(), 3);
    let snap = snapshot(T0, 100000.0, &LONGS_1, &SHORTS_1, &w());
    assert_eq!(c.on_minute_snapshot(&snap, T0).unwrap(), None);
    c.on_liquidation(&event(
        T0 + 10.0,
        Side::Long,
        98800.0,
        0.5,
        100000.0,
        0.0,
        0.0,
    ));
    c
}

#[test]
fn tv1_single_event_attribution() {
    let c = tv1();
    let expected = [
        (50, 0.00017275548, 5.0139e-10),
        (75, 0.04723962449, 0.00061996002),
        (100, 0.78116672077, 0.68937721148),
        (125, 0.17142089924, 0.01555095313),
    ];
    for (tier, r, credit) in expected {
        // The spec prints 11 decimals.
        let (t, h) = soft(&c, tier);
        assert!((t - r).abs() < 1e-11, "{tier}: {t} vs {r}");
        assert!((h - credit).abs() < 1e-11, "{tier}: {h} vs {credit}");
    }
    assert_close(soft(&c, 10).0, 9.884e-34, 1e-3);
    assert_close(soft(&c, 20).0, 1.869e-15, 1e-3);
    assert_close(soft(&c, 25).0, 8.449e-12, 1e-3);
    let st = &c.stats;
    assert_eq!((st.total_events, st.hits, st.misses), (1, 1, 0));
    assert_eq!(st.total_hit_strength, 1.0);
    assert_eq!(st.band_counts, [0, 1, 0], "dist 0.012 is MID");
    assert_eq!(st.implied_band_counts, [1, 0, 0]);
    assert_eq!(st.attributed.get(&100), Some(&1));
    assert_eq!(st.distance_directions, vec![40.0]);
    assert!(st.miss_distances.is_empty());
    assert_eq!(st.sources.fallback, 1, "B2: markPrice counted as fallback");
    assert_eq!(st.sources.mark, 0);
    assert_close(st.long_miss_pct[0], 0.0001, 1e-9);
    assert_close(st.long_offsets[0], 10.0, 1e-9);
    assert_eq!(c.vol_ewma, 0.0015, "first event: no previous reference");
    let ev = &records_of(&c, "event")[0];
    assert_eq!(ev["attributed_leverage"], 100);
    assert_eq!(ev["src_band"], "MID");
    assert_eq!(ev["implied_band"], "IMPLIED_NEAR");
    assert_eq!(ev["is_hit"], true);
    assert_eq!(ev["hit_strength"], 1.0);
    assert_eq!(ev["miss_distance_buckets"], serde_json::Value::Null);
    assert_eq!(ev["nearest_implied_raw"], 98790.0);
    assert_eq!(ev["miss_usd"], 10.0);
    assert_eq!(ev["timestamp"], "2023-11-14T22:14:10");
    assert_eq!(ev["top_3_by_responsibility"][0]["responsibility"], 0.7812);
}

#[test]
fn tv2_one_full_window_with_unreached_penalty() {
    let mut c = tv1();
    for k in 1..=2 {
        let t = T0 + 60.0 * f64::from(k);
        let res = c.on_minute_snapshot(&snapshot(t, 100000.0, &LONGS_1, &SHORTS_1, &w()), t);
        if k == 1 {
            assert_eq!(res.unwrap(), None);
        } else {
            let res = res.unwrap().expect("third snapshot calibrates");
            let expected = [
                0.0,
                0.1799967301852272,
                0.26999509527783777,
                0.299994481904083,
                0.14998834719088847,
                0.08003428235090206,
                0.019991063091061603,
            ];
            assert_all_close(&res.weights, &expected, 1e-12);
            assert_eq!(res.buffer, 0.002);
            assert_eq!(res.hit_rate, 1.0);
            assert_eq!(res.calibration_count, 1);
            let save = res.save.expect("enabled: the file is saved");
            let file: serde_json::Value = serde_json::from_str(&save.render()).unwrap();
            assert_eq!(
                file["weights"],
                serde_json::json!([
                    0.0, 0.179997, 0.269995, 0.299994, 0.149988, 0.080034, 0.019991
                ])
            );
            assert_eq!(file["tolerance"], 5);
            assert_eq!(file["calibration_count"], 1);
        }
    }
    let cal = &records_of(&c, "calibration")[0];
    assert_eq!(cal["zones_judged"], 2);
    assert_eq!(cal["zones_unreached"], 3);
    assert_eq!(cal["safety"]["entropy"], 1.5883);
    assert_eq!(cal["calibration_count"], 0);
    let soft_stats = &cal["leverage_soft_stats"];
    let expected = [
        ("50", 0.00049063972, -1.589e-05),
        ("75", 0.13416440009, -0.00372627876),
        ("100", 1.71405861534, 0.64273261676),
        ("125", 1.15128634483, -0.03344231915),
    ];
    for (tier, total, hits) in expected {
        assert_eq!(
            soft_stats[tier]["total_resp"],
            crate::grid::py_round(total, 4)
        );
        assert_eq!(
            soft_stats[tier]["hits_soft"],
            crate::grid::py_round(hits, 4)
        );
    }
    assert_eq!(c.stats.total_events, 0, "window reset");
}

#[test]
fn tv2_scores_and_mean() {
    // The scores of TV-2's table give its mean and weights through `update_weights`.
    let scores = [
        0.2,
        0.19999999999999973,
        0.19999999999888468,
        0.19997719790685278,
        0.19404788074564497,
        0.24467058017659601,
        0.1571309847514501,
    ];
    let mean: f64 = scores.iter().sum::<f64>() / 7.0;
    assert_close(mean, 0.1994038062256326, 1e-15);
    let new = update::update_weights(
        &crate::leverage::RUNTIME_LADDER,
        &w(),
        &scores,
        0.1,
        &crate::leverage::DisabledTiers::default(),
    );
    assert_close(new[5], 0.08003428235090206, 1e-14);
}

const LONGS_3: [(f64, f64); 4] = [
    (99700.0, 1.0),
    (99800.0, 0.6),
    (99600.0, 0.3),
    (99000.0, 0.9),
];
const SHORTS_3: [(f64, f64); 2] = [(100100.0, 0.5), (101000.0, 0.2)];

#[test]
fn tv3_approach_stress_and_top_k() {
    let mut c = calibrator(ReferenceCompat::reference(), 15);
    let mut s1 = snapshot(T0, 100000.0, &LONGS_3, &SHORTS_3, &w());
    s1.depth_band = Some(vec![
        (99680.0, 1e6),
        (99700.0, 2e6),
        (99720.0, 1e6),
        (99800.0, 4e6),
    ]);
    c.on_minute_snapshot(&s1, T0).unwrap();
    assert_eq!(c.stats.approach_events, 3);
    let sum1 = &records_of(&c, "approach_minute_summary")[0];
    assert_eq!(sum1["approach_candidates"], 3);
    assert_eq!(
        sum1["skip_reasons"],
        serde_json::json!({"too_far_from_price": 3})
    );
    let order: Vec<f64> = sum1["selected_zones"]
        .as_array()
        .unwrap()
        .iter()
        .map(|z| z["zone_price"].as_f64().unwrap())
        .collect();
    assert_eq!(order, vec![99700.0, 99800.0, 100100.0], "ties keep order");
    assert_close(soft(&c, 125).0, 3.0 * 0.835402, 1e-5);

    let mut s2 = snapshot(T0 + 60.0, 99950.0, &LONGS_3, &SHORTS_3, &w());
    s2.close = Some(99900.0);
    s2.perp_buy_vol = Some(5.0);
    s2.perp_sell_vol = Some(15.0);
    s2.perp_oi_change = Some(-500.0);
    s2.depth_band = Some(vec![
        (99680.0, 5e5),
        (99700.0, 1e6),
        (99720.0, 5e5),
        (99800.0, 4e6),
    ]);
    c.on_minute_snapshot(&s2, T0 + 60.0).unwrap();
    let sum2 = &records_of(&c, "approach_minute_summary")[1];
    let sel = sum2["selected_zones"].as_array().unwrap();
    let prices: Vec<f64> = sel
        .iter()
        .map(|z| z["zone_price"].as_f64().unwrap())
        .collect();
    assert_eq!(prices, vec![99800.0, 99700.0, 100100.0]);
    assert_eq!(sel[1]["S"], 0.6412);
    assert_eq!(sel[1]["S_eff"], 0.2357);
    assert_eq!(sel[0]["S_eff"], 0.2523);
    assert_eq!(sel[2]["S_eff"], 0.153);
    assert_eq!(sel[1]["stress_breakdown"]["depth_thinning"], 0.5);
    assert_eq!(sel[1]["stress_breakdown"]["aggression"], 0.9643);
    assert_eq!(sel[1]["stress_breakdown"]["oi_fuel"], 0.3935);
    let skipped = sum2["skipped_zones"].as_array().unwrap();
    assert_eq!(skipped[0]["zone_price"], 99600.0);
    assert_eq!(skipped[0]["rank"], 4);
    assert_eq!(skipped[0]["S_eff"], 0.0927);
    let totals = [
        (50, 0.000206),
        (75, 0.056305),
        (100, 0.931075),
        (125, 5.012414),
    ];
    let hits = [
        (50, 5.5e-06),
        (75, 0.00150365),
        (100, 0.0248647),
        (125, 0.1338584),
    ];
    for ((tier, t), (_, h)) in totals.into_iter().zip(hits) {
        assert_close(soft(&c, tier).0, t, 2e-3);
        assert_close(soft(&c, tier).1, h, 2e-2);
    }
    assert_eq!(c.stats.approach_events, 6);
    let mut reached: Vec<(i64, Side)> = c.stats.reached_zones.iter().copied().collect();
    reached.sort_by_key(|(b, s)| (*b, *s == Side::Short));
    assert_eq!(
        reached,
        vec![
            (4980, Side::Long),
            (4985, Side::Long),
            (4990, Side::Long),
            (5005, Side::Short)
        ]
    );
}

#[test]
fn tv3_stress_exact() {
    let c = {
        let mut c = calibrator(ReferenceCompat::reference(), 15);
        let mut s1 = snapshot(T0, 100000.0, &LONGS_3, &SHORTS_3, &w());
        s1.depth_band = Some(vec![
            (99680.0, 1e6),
            (99700.0, 2e6),
            (99720.0, 1e6),
            (99800.0, 4e6),
        ]);
        c.on_minute_snapshot(&s1, T0).unwrap();
        c
    };
    // S of 99700 on minute 2 = 0.45 * 0.5 + 0.35 * aggression + 0.20 * oi_fuel.
    let aggression = 1.0 - (-0.5_f64 / 0.15).exp();
    let oi_fuel = 1.0 - (-0.5_f64).exp();
    assert_close(aggression, 0.9643260066527476, 1e-15);
    assert_close(oi_fuel, 0.3934693402873666, 1e-15);
    let s = 0.45 * 0.5 + 0.35 * aggression + 0.20 * oi_fuel;
    assert_close(s, 0.641207970385935, 1e-15);
    assert_close(
        s * (-0.002002002002002002_f64 / 0.002).exp(),
        0.2356512246075127,
        1e-12,
    );
    drop(c);
}

#[test]
fn tv4_mid_mass_floor() {
    let out = mid_mass_floor(
        &crate::leverage::RUNTIME_LADDER,
        &[0.0, 0.05, 0.10, 0.40, 0.25, 0.15, 0.05],
    );
    assert!(out.triggered);
    let expected = [
        0.0,
        0.08333333333333333,
        0.16666666666666666,
        0.3529411764705883,
        0.2205882352941177,
        0.13235294117647062,
        0.04411764705882354,
    ];
    assert_all_close(&out.weights, &expected, 1e-15);
    assert_close(out.mid_mass_after, 0.25, 1e-12);
    assert_eq!(
        out.drained,
        vec![
            (50, 0.047059),
            (75, 0.029412),
            (100, 0.017647),
            (125, 0.005882)
        ]
    );
}

const W5: [f64; 7] = [0.0, 0.05, 0.10, 0.40, 0.25, 0.15, 0.05];
const LONGS_5: [(f64, f64); 2] = [(98000.0, 1.0), (97000.0, 0.5)];
const SHORTS_5: [(f64, f64); 1] = [(102000.0, 0.7)];

fn tv5() -> (Calibrator, CalibrationResult) {
    let mut c = calibrator(ReferenceCompat::reference(), 2);
    c.on_minute_snapshot(&snapshot(T0, 100000.0, &LONGS_5, &SHORTS_5, &W5), T0)
        .unwrap();
    for i in 0..12 {
        let fi = f64::from(i);
        c.on_liquidation(&event(
            T0 + 1.0 + fi,
            Side::Long,
            98800.0 + 10.0 * fi,
            0.1,
            100000.0 + 5.0 * fi,
            0.0,
            0.0,
        ));
    }
    c.on_liquidation(&event(
        T0 + 13.0,
        Side::Short,
        101300.0,
        0.1,
        100050.0,
        0.0,
        0.0,
    ));
    c.on_liquidation(&event(
        T0 + 14.0,
        Side::Short,
        103000.0,
        0.1,
        0.0,
        100050.0,
        0.0,
    ));
    c.on_liquidation(&event(
        T0 + 15.0,
        Side::Long,
        80000.0,
        0.1,
        0.0,
        0.0,
        100050.0,
    ));
    c.on_liquidation(&event(T0 + 16.0, Side::Long, 99000.0, 0.1, 0.0, 0.0, 0.0));
    let st = &c.stats;
    assert_eq!(
        st.miss_distances,
        vec![
            40.0, 40.0, 41.0, 42.0, 42.0, 42.0, 43.0, 44.0, 44.0, 44.0, 45.0, 46.0, 35.0, 50.0
        ]
    );
    assert_close(c.vol_ewma, 0.0003849583654268611, 1e-12);
    assert_eq!((st.window_low, st.window_high), (98800.0, 103000.0));
    assert_eq!(st.band_counts, [1, 13, 2]);
    assert_eq!(st.implied_band_counts, [14, 1, 1]);
    assert_eq!(
        (
            st.sources.mark,
            st.sources.mid,
            st.sources.last,
            st.sources.fallback
        ),
        (0, 1, 1, 14)
    );
    assert_eq!(records_of(&c, "event_rejected").len(), 1);
    let res = c
        .on_minute_snapshot(
            &snapshot(T0 + 60.0, 100000.0, &LONGS_5, &SHORTS_5, &W5),
            T0 + 60.0,
        )
        .unwrap()
        .expect("window 2 calibrates");
    (c, res)
}

#[test]
fn tv5_mixed_window() {
    let (c, res) = tv5();
    let expected = [
        0.0,
        0.08333333333333447,
        0.16666666666666552,
        0.35051083735243094,
        0.22174616573323597,
        0.1333732352434136,
        0.04436976167091962,
    ];
    assert_all_close(&res.weights, &expected, 1e-12);
    assert_close(res.buffer, 0.00196, 1e-12);
    assert_eq!(c.tolerance, 6);
    assert_close(c.bias_long, 3.5293676580860025e-05, 1e-12);
    assert_eq!(c.bias_short, 0.0);
    assert_close(c.long_offset, 17.65125, 1e-12);
    assert_eq!(c.short_offset, 0.0);
    let cal = &records_of(&c, "calibration")[0];
    assert_eq!(cal["zones_judged"], 1);
    assert_eq!(cal["zones_unreached"], 2);
    assert_eq!(cal["safety"]["entropy"], 1.6141);
    assert_eq!(cal["bias_update_info"]["long_samples"], 13);
    assert_eq!(cal["bias_update_info"]["short_samples"], 1);
    assert_eq!(
        cal["bias_update_info"]["long_agg_miss_pct"],
        0.0003529367658086002
    );
    assert_eq!(cal["new_tolerance"], 6);
    assert_eq!(cal["new_buffer"], 0.00196);
    let diag = &records_of(&c, "ident_diag")[0];
    assert_eq!(diag["n"], 16);
    assert_eq!(
        diag["best_L_hist"],
        serde_json::json!({"10": 1, "50": 1, "100": 13, "125": 1})
    );
    assert_eq!(diag["gap_pct_p50"], 0.001516);
    assert_eq!(diag["gap_pct_p95"], 0.0505);
    assert_eq!(diag["resp_best_p50"], 0.8147);
    assert_eq!(diag["resp_best_p95"], 1.0);
    assert!(records_of(&c, "safety_trip").is_empty());
}

#[test]
fn tv6_safety_trip_with_default_weights() {
    let mut c = calibrator(ReferenceCompat::reference(), 1);
    let mut saved = Vec::new();
    for k in 0..6u32 {
        let t = T0 + 60.0 * f64::from(k);
        let mut s = snapshot(t, 100000.0, &[], &[], &w());
        if k == 0 {
            s.high = None;
            s.low = None;
            s.close = None;
            s.perp_buy_vol = None;
            s.perp_sell_vol = None;
            s.perp_oi_change = None;
            s.depth_band = None;
        }
        let res = c.on_minute_snapshot(&s, t).unwrap().expect("window 1");
        assert_eq!(res.weights, w(), "weights unchanged, echoed");
        assert_eq!(res.calibration_count, u64::from(k) + 1);
        saved.push(res.save.map(|s| s.calibration_count));
        assert_close(res.entropy, 1.588242304136049, 1e-12);
    }
    assert_eq!(saved, vec![Some(1), Some(2), None, None, None, None]);
    let trips = records_of(&c, "safety_trip");
    assert_eq!(trips.len(), 1);
    assert_eq!(trips[0]["cycle"], 2);
    assert_eq!(
        trips[0]["reason"],
        "entropy_collapse: H=1.588 < 1.6 for 3 cycles"
    );
    assert_eq!(trips[0]["entropy"], 1.5882);
    assert_eq!(trips[0]["consecutive_low_entropy"], 3);
    let inputs = &records_of(&c, "minute_inputs")[0];
    assert_eq!(inputs["ok"], false);
    assert_eq!(inputs["missing"].as_array().unwrap().len(), 7);
    assert_eq!(
        records_of(&c, "depth_band_empty")[0]["reason"],
        "state_missing"
    );
    assert!(!c.calibration_enabled);
}

#[test]
fn tv9_mark_sentinel_fires_under_b2() {
    let mut c = calibrator(ReferenceCompat::reference(), 15);
    c.cfg.log_events = false;
    let mut fired_at = None;
    for m in 0..(97 * 15) {
        let t = T0 + 60.0 * f64::from(m);
        c.on_minute_snapshot(&snapshot(t, 100000.0, &[], &[], &w()), t)
            .unwrap();
        c.on_liquidation(&event(
            t + 1.0,
            Side::Long,
            99900.0,
            0.1,
            100000.0,
            0.0,
            0.0,
        ));
        if fired_at.is_none() && !records_of(&c, "mark_stream_missing").is_empty() {
            fired_at = Some(c.calibration_count);
        }
    }
    assert_eq!(fired_at, Some(96));
    let recs = records_of(&c, "mark_stream_missing");
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0]["minutes_no_mark"], 1440);
    assert_eq!(
        recs[0]["src_source_counts"],
        serde_json::json!({"mark": 0, "mid": 0, "last": 0, "fallback": 15})
    );
}
