//! Our fixes (the default preset) against the reference behaviour they replace.

use super::*;

fn fixed(window: u32) -> Calibrator {
    calibrator(ReferenceCompat::fixed(), window)
}

#[test]
fn b1_default_weights_never_trip_the_entropy_switch() {
    let mut c = fixed(1);
    for k in 0..10u32 {
        let t = T0 + 60.0 * f64::from(k);
        let res = c
            .on_minute_snapshot(&snapshot(t, 100000.0, &[], &[], &w()), t)
            .unwrap()
            .unwrap();
        assert!(res.adopted, "run {k}");
        assert!(res.save.is_some());
    }
    assert!(c.calibration_enabled());
    assert!(records_of(&c, "safety_trip").is_empty());
    // The threshold: 0.85 ln 6 = 1.523 over the six enabled tiers; W has 1.588.
    let th = safety::entropy_threshold(&crate::leverage::RUNTIME_LADDER, &c.cfg.disabled, false);
    assert_close(th, 0.85 * 6f64.ln(), 1e-15);
}

#[test]
fn b1_trips_when_the_calibrator_itself_collapses_the_weights() {
    // Entropy below the threshold and lowered by the run: counted; three in a row trip.
    let ladder = crate::leverage::RUNTIME_LADDER;
    let disabled = crate::leverage::DisabledTiers::default();
    let collapsed = [0.0, 0.01, 0.01, 0.01, 0.01, 0.01, 0.95];
    let a_bit_more = [0.0, 0.009, 0.009, 0.009, 0.009, 0.009, 0.955];
    let input = |prev: safety::SafetyCounters, old: &[f64], new: &[f64]| {
        safety::check(
            prev,
            &safety::SafetyInput {
                ladder: &ladder,
                weights: new,
                buffer: 0.002,
                tolerance: 5,
                max_weight: 2.0,
                buffer_bounds: (0.0005, 0.01),
                tolerance_bounds: (2, 50),
                disabled: &disabled,
                reference_threshold: false,
                old_entropy: crate::leverage::enabled_entropy(&ladder, old, &disabled),
                old_max_weight: old.iter().copied().fold(0.0, f64::max),
                engine_weights_trip: false,
                tolerance_trips: false,
            },
        )
    };
    let zero = safety::SafetyCounters::default();
    assert_eq!(input(zero, &collapsed, &a_bit_more).counters.low_entropy, 1);
    assert_eq!(
        input(zero, &a_bit_more, &collapsed).counters.low_entropy,
        0,
        "the run raised the entropy: the engine's concentration is not the calibrator's"
    );
    let mut counters = zero;
    let mut reason = None;
    for _ in 0..3 {
        let out = input(counters, &collapsed, &a_bit_more);
        counters = out.counters;
        reason = out.reason;
    }
    assert_eq!(counters.low_entropy, 3);
    let reason = reason.expect("three collapsing runs trip");
    assert!(reason.starts_with("entropy_collapse: H=0.2"), "{reason}");
    assert!(reason.ends_with("< 1.523 for 3 cycles"), "{reason}");
}

#[test]
fn b2_mark_priced_events_count_as_mark() {
    let mut c = fixed(15);
    c.on_minute_snapshot(&snapshot(T0, 100000.0, &[], &[], &w()), T0)
        .unwrap();
    c.on_liquidation(&event(
        T0 + 1.0,
        Side::Long,
        99500.0,
        0.1,
        100000.0,
        0.0,
        0.0,
    ));
    c.on_liquidation(&event(T0 + 2.0, Side::Long, 99500.0, 0.1, 0.0, 0.0, 0.0));
    let s = c.stats.sources;
    assert_eq!((s.mark, s.mid, s.last, s.fallback), (1, 0, 0, 1));
}

#[test]
fn b2_fixed_no_spurious_mark_stream_warning() {
    let mut c = fixed(15);
    c.cfg.log_events = false;
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
    }
    assert!(records_of(&c, "mark_stream_missing").is_empty());
    assert_eq!(c.minutes_no_mark, 0);
}

#[test]
fn b3_tolerance_grows_from_4_and_shrinks_when_events_hit_close() {
    // Truncation cannot grow 4; rounding up can.
    assert_eq!(
        update::tune_tolerance(4, &[10.0; 5], 0.0, 0.2, 2, 50, true),
        4
    );
    assert_eq!(
        update::tune_tolerance(4, &[10.0; 5], 0.0, 0.2, 2, 50, false),
        5
    );
    assert_eq!(
        update::tune_tolerance(9, &[20.0; 5], 0.0, 0.2, 2, 50, false),
        11
    );
    // Events landing within a bucket of their zones with a high hit rate shrink it.
    assert_eq!(
        update::tune_tolerance(9, &[1.0; 5], 0.9, 0.2, 2, 50, false),
        8
    );
    assert_eq!(
        update::tune_tolerance(3, &[0.0; 5], 0.9, 0.2, 2, 50, false),
        2
    );
    // The reference's shrink branch is unreachable through misses (all > tol); with hits it
    // truncates 9 * 0.9 = 8.1 to 8.
    assert_eq!(
        update::tune_tolerance(9, &[1.0; 5], 0.9, 0.2, 2, 50, true),
        8
    );
}

#[test]
fn b3_fixed_tolerance_at_its_bound_does_not_stop_learning() {
    let mut c = fixed(1);
    c.tolerance = 2;
    let zones = [(99000.0, 1.0)];
    for k in 0..8u32 {
        let t = T0 + 60.0 * f64::from(k);
        c.on_minute_snapshot(&snapshot(t, 100000.0, &zones, &[], &w()), t)
            .unwrap();
        for i in 0..5 {
            c.on_liquidation(&event(
                t + 1.0 + f64::from(i),
                Side::Long,
                99000.0,
                0.1,
                100000.0,
                0.0,
                0.0,
            ));
        }
    }
    assert_eq!(c.tolerance, 2);
    assert!(c.counters.tolerance_at_bounds >= 6);
    assert!(c.calibration_enabled(), "reported, not tripped");
}

#[test]
fn b4_one_implied_level_formula() {
    // Fixed: 1/L + b (the engine's); reference: 1/L + b + 0.01/L.
    let f = attribution::implied_level(100000.0, Side::Long, 100, 0.002, false);
    let r = attribution::implied_level(100000.0, Side::Long, 100, 0.002, true);
    assert_close(f, 98800.0, 1e-15);
    assert_close(r, 98790.0, 1e-15);
    assert_eq!(
        f,
        crate::leverage::implied_price(100000.0, true, 100, 0.002),
        "the leverage module's formula, shared with the inference"
    );
}

#[test]
fn b7_volatility_moves_once_per_minute_from_the_range() {
    let mut c = fixed(15);
    let mut s = snapshot(T0, 100000.0, &[], &[], &w());
    s.high = Some(100300.0);
    s.low = Some(99700.0);
    c.on_minute_snapshot(&s, T0).unwrap();
    let expected = 0.9 * 0.0015 + 0.1 * (600.0 / 100000.0);
    assert_close(c.vol_ewma, expected, 1e-15);
    // A burst of events at one mark price leaves it alone (the reference drives it to 0).
    for i in 0..20 {
        c.on_liquidation(&event(
            T0 + 1.0 + f64::from(i),
            Side::Long,
            99500.0,
            0.1,
            100000.0,
            0.0,
            0.0,
        ));
    }
    assert_close(c.vol_ewma, expected, 1e-15);
    let mut r = calibrator(ReferenceCompat::reference(), 15);
    r.on_minute_snapshot(&snapshot(T0, 100000.0, &[], &[], &w()), T0)
        .unwrap();
    for i in 0..20 {
        r.on_liquidation(&event(
            T0 + 1.0 + f64::from(i),
            Side::Long,
            99500.0,
            0.1,
            100000.0,
            0.0,
            0.0,
        ));
    }
    assert!(r.vol_ewma < 0.0015 * 0.15, "B7: {}", r.vol_ewma);
}

#[test]
fn b10_degenerate_fallback_is_uniform_for_tiers_missing_from_the_legacy_config() {
    let compat = ReferenceCompat::fixed();
    let file = WeightsFile {
        symbol: Some("SOL".into()),
        ladder: Some(crate::leverage::RUNTIME_LADDER.to_vec()),
        weights: Some(vec![1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]),
        ..WeightsFile::default()
    };
    let (c, report) = Calibrator::new(CalibratorConfig::runtime("SOL", 0.1, &compat), Some(&file));
    assert_eq!(report, LoadReport::Loaded);
    let u = 1.0 / 6.0;
    assert_all_close(c.weights(), &[0.0, u, u, u, u, u, u], 1e-15);
}

#[test]
fn b11_misses_without_zones_do_not_make_the_average_infinite() {
    for (compat, expect_null) in [
        (ReferenceCompat::fixed(), false),
        (ReferenceCompat::reference(), true),
    ] {
        let mut c = calibrator(compat, 1);
        c.on_minute_snapshot(&snapshot(T0, 100000.0, &[(99000.0, 1.0)], &[], &w()), T0)
            .unwrap();
        c.on_liquidation(&event(
            T0 + 1.0,
            Side::Long,
            99500.0,
            0.1,
            100000.0,
            0.0,
            0.0,
        ));
        c.on_liquidation(&event(
            T0 + 2.0,
            Side::Short,
            100500.0,
            0.1,
            100000.0,
            0.0,
            0.0,
        ));
        c.on_minute_snapshot(&snapshot(T0 + 60.0, 100000.0, &[], &[], &w()), T0 + 60.0)
            .unwrap();
        // Window 1: the first snapshot's run is empty; the second judges the two events.
        let cal = &records_of(&c, "calibration")[1];
        assert_eq!(cal["avg_miss_distance"].is_null(), expect_null, "{cal}");
        if !expect_null {
            assert_eq!(cal["avg_miss_distance"], 25.0);
        }
        let ev = &records_of(&c, "event")[1];
        assert!(
            ev["miss_distance_buckets"].is_null(),
            "JSON never holds Infinity"
        );
    }
}

#[test]
fn b14_engine_concentrated_weights_do_not_trip_the_max_weight_switch() {
    // The engine hands in 0.45 on 50x (its tape learning can); no event, so the calibrator
    // changes nothing: the reference trips after 3 runs, the fix does not.
    let engine = [0.0, 0.15, 0.15, 0.45, 0.1, 0.1, 0.05];
    for (compat, trips) in [
        (ReferenceCompat::fixed(), false),
        (ReferenceCompat::reference(), true),
    ] {
        let mut c = calibrator(compat, 1);
        c.cfg.compat.b1_entropy_fixed_threshold = false;
        for k in 0..4u32 {
            let t = T0 + 60.0 * f64::from(k);
            c.on_minute_snapshot(&snapshot(t, 100000.0, &[], &[], &engine), t)
                .unwrap();
        }
        let trip = records_of(&c, "safety_trip");
        assert_eq!(!trip.is_empty(), trips, "{trip:?}");
        if trips {
            assert!(
                trip[0]["reason"]
                    .as_str()
                    .unwrap()
                    .starts_with("max_weight_cap")
            );
        }
    }
}

#[test]
fn b19_a_bad_snapshot_changes_nothing() {
    let mut c = fixed(1);
    let mut s = snapshot(T0, 100000.0, &[], &[], &w());
    s.weights.pop();
    let before = format!("{c:?}");
    assert!(matches!(
        c.on_minute_snapshot(&s, T0),
        Err(SnapshotError::LengthMismatch { .. })
    ));
    assert_eq!(format!("{c:?}"), before);
}

#[test]
fn b20_the_engine_gets_the_weights_the_calibrator_keeps() {
    // All engine mass on the disabled tier: the reference hands back zeros, the fix the
    // degenerate fallback it saved.
    let engine = [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
    for (compat, zeros) in [
        (ReferenceCompat::fixed(), false),
        (ReferenceCompat::reference(), true),
    ] {
        let mut c = calibrator(compat, 1);
        c.on_minute_snapshot(&snapshot(T0, 100000.0, &[], &[], &engine), T0)
            .unwrap();
        c.on_liquidation(&event(
            T0 + 1.0,
            Side::Long,
            99500.0,
            0.1,
            100000.0,
            0.0,
            0.0,
        ));
        let res = c
            .on_minute_snapshot(&snapshot(T0 + 60.0, 100000.0, &[], &[], &engine), T0 + 60.0)
            .unwrap()
            .unwrap();
        let sum: f64 = res.weights.iter().sum();
        assert_eq!(sum == 0.0, zeros, "{:?}", res.weights);
        assert_close(c.weights().iter().sum(), 1.0, 1e-12);
        if !zeros {
            assert_eq!(res.weights, c.weights());
        }
    }
}

#[test]
fn dropped_events_are_counted_not_silent() {
    let mut c = fixed(15);
    c.on_liquidation(&event(T0, Side::Long, 99500.0, 0.1, 100000.0, 0.0, 0.0));
    assert_eq!(c.stats().dropped_events, 1);
    assert_eq!(c.stats().total_events, 0);
    c.on_minute_snapshot(&snapshot(T0 + 60.0, 100000.0, &[], &[], &w()), T0 + 60.0)
        .unwrap();
    c.on_liquidation(&event(
        T0 + 1.0,
        Side::Long,
        99500.0,
        0.1,
        100000.0,
        0.0,
        0.0,
    ));
    assert_eq!(c.stats().dropped_events, 2, "older than every snapshot");
    c.on_liquidation(&event(
        T0 + 61.0,
        Side::Long,
        99500.0,
        0.1,
        100000.0,
        0.0,
        0.0,
    ));
    assert_eq!(c.stats().total_events, 1);
    let mut other = event(T0 + 62.0, Side::Long, 99500.0, 0.1, 0.0, 0.0, 0.0);
    other.symbol = "ETH".into();
    c.on_liquidation(&other);
    assert_eq!(c.stats().ignored_events, 1);
}

#[test]
fn top_zones_is_the_head_of_a_stable_sort() {
    let zones: Vec<(f64, f64)> = (0..40)
        .map(|i| (100.0 + f64::from(i), f64::from((i * 7) % 5) / 4.0))
        .collect();
    let mut sorted = zones.clone();
    sorted.sort_by(|a, b| b.1.total_cmp(&a.1));
    let expected: Vec<(f64, f64)> = sorted
        .iter()
        .take(5)
        .map(|(p, s)| (crate::grid::py_round(*p, 2), crate::grid::py_round(*s, 3)))
        .collect();
    assert_eq!(attribution::top_zones(&zones, 5), expected);
    assert_eq!(attribution::top_zones(&zones[..3], 5).len(), 3);
    assert!(attribution::top_zones(&[], 5).is_empty());
}

#[test]
fn b7_a_minute_without_a_range_is_no_volatility_sample() {
    let mut c = fixed(15);
    let mut s = snapshot(T0, 100000.0, &[], &[], &w());
    s.high = None;
    s.low = None;
    c.on_minute_snapshot(&s, T0).unwrap();
    assert_eq!(c.vol_ewma, 0.0015);
}
