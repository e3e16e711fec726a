//! Spec vectors A9 (reference preset), the golden files and API facts, and our fixes.

use super::*;
use crate::heatmap::zones::ZoneSource::{Inference, Tape};

const T0: f64 = 1_000_000.0;

fn btc(compat: ReferenceCompat) -> ZoneManager {
    ZoneManager::new("BTC", 20.0, &compat).unwrap()
}

fn weight(m: &ZoneManager, side: Side, price: f64) -> f64 {
    let z = m.zones().find(|z| z.side == side && z.price == price);
    z.map(|z| z.weight).unwrap_or(f64::NAN)
}

/// A9.1 steps 1 to 13.
fn lifecycle(m: &mut ZoneManager) {
    use Side::{Long, Short};
    assert_eq!(
        m.create_or_reinforce(65003.0, Long, 0.5, Inference, Some(50), 0.6, T0),
        Outcome::Created
    );
    assert_eq!(
        m.create_or_reinforce(65010.0, Long, 0.2, Tape, None, 1.0, T0 + 1.0),
        Outcome::Reinforced
    );
    assert_eq!(
        m.create_or_reinforce(64000.0, Long, 1.0, Inference, Some(10), 1.0, T0 + 1.0),
        Outcome::Skipped
    );
    assert_eq!(
        m.create_or_reinforce(64000.0, Long, 1.0, Inference, Some(0), 1.0, T0 + 1.0),
        Outcome::Created
    );
    m.create_or_reinforce(63000.0, Long, 1.0, Inference, Some(30), 1.0, T0 + 1.0);
    m.create_or_reinforce(66500.0, Short, 2.0, Inference, Some(100), 1.0, T0 + 1.0);
    m.create_or_reinforce(66520.0, Short, 1.0, Inference, Some(125), 1.0, T0 + 1.0);
    m.create_or_reinforce(66540.0, Short, 3.0, Tape, None, 1.0, T0 + 1.0);
    m.create_or_reinforce(70000.0, Short, 0.05, Inference, Some(20), 0.5, T0 + 1.0);
    assert_eq!(weight(m, Short, 70000.0), 0.010000000000000002);
    assert_eq!(m.apply_decay_and_expire(65500.0, T0 + 60.0), 1);
    assert_eq!(m.merge_nearby_zones(T0 + 60.0), 1);
    for _ in 0..3 {
        m.create_or_reinforce(66540.0, Short, 10.0, Inference, Some(75), 1.0, T0 + 60.0);
    }
    let swept: Vec<(Side, f64)> = m
        .sweep(66530.0, 64990.0, T0 + 60.0)
        .iter()
        .map(|z| (z.side, z.price))
        .collect();
    assert_eq!(swept, vec![(Long, 65000.0), (Short, 66500.0)]);
}

#[test]
fn a9_1_lifecycle_reference() {
    let mut m = btc(ReferenceCompat::reference());
    lifecycle(&mut m);
    let z: Vec<(f64, f64)> = m.zones().map(|z| (z.price, z.weight)).collect();
    assert_eq!(z, vec![(64000.0, 0.995), (63000.0, 0.4975), (66540.0, 5.0)]);
    let s = serde_json::to_value(m.summary()).unwrap();
    assert_eq!(
        s,
        serde_json::json!({"active_zones_long": 2, "active_zones_short": 1, "total_weight_long": 1.49,
            "total_weight_short": 5.0, "zones_created_total": 7, "zones_reinforced_total": 4,
            "zones_swept_total": 2, "zones_expired_total": 1, "zones_merged_total": 1})
    );
    let active = serde_json::to_value(m.active_zones(None, LeverageFilter::default())).unwrap();
    assert_eq!(
        active[0],
        serde_json::json!({"price": 66540.0, "side": "short", "weight": 5.0, "created_at": 1000001000_i64,
            "last_reinforced_at": 1000060000_i64, "reinforcement_count": 3, "source": "combined",
            "tier_contributions": {"75": 27.0}})
    );
    assert_eq!(active[1]["price"], 64000.0);
    assert_eq!(active[1]["tier_contributions"], serde_json::json!({}));
    assert_eq!(
        active[2]["tier_contributions"],
        serde_json::json!({"30": 0.5})
    );
    let filtered = m.active_zones(
        None,
        LeverageFilter {
            min_leverage: Some(20),
            max_leverage: None,
        },
    );
    assert_eq!(
        filtered.iter().map(|z| z.price).collect::<Vec<_>>(),
        vec![66540.0, 63000.0]
    );

    // Steps 15 and 16.
    let t = T0 + 60.0 + 241.0 * 60.0;
    assert_eq!(m.apply_decay_and_expire(65500.0, t), 2);
    assert_eq!(weight(&m, Side::Short, 66540.0), 4.975);
    assert_eq!(m.apply_decay_and_expire(75000.0, t), 1);
    let recs: Vec<serde_json::Value> = m
        .take_records()
        .iter()
        .map(|r| serde_json::to_value(r).unwrap())
        .collect();
    let kinds: Vec<&str> = recs.iter().map(|r| r["type"].as_str().unwrap()).collect();
    let mut expected = vec!["zone_created", "zone_reinforced"];
    expected.extend(["zone_created"; 6]);
    expected.push("zone_expired");
    expected.extend(["zone_reinforced"; 3]);
    expected.extend(["zone_swept"; 2]);
    expected.extend(["zone_expired"; 3]);
    assert_eq!(kinds, expected, "17 lines");
    assert_eq!(recs[1]["weight"], 0.3);
    assert_eq!(recs[1]["weight_before"], 0.24);
    assert_eq!(recs[1]["source"], "combined");
    assert_eq!(recs[8]["final_weight"], 0.01);
    assert_eq!(recs[8]["lifespan_min"], 1.0);
    assert_eq!(recs[8]["age_since_reinforce_min"], 1.0);
    let before: Vec<f64> = recs[9..12]
        .iter()
        .map(|r| r["weight_before"].as_f64().unwrap())
        .collect();
    assert_eq!(before, vec![2.985, 5.0, 5.0]);
    assert_eq!(
        (
            recs[14]["weight"].as_f64(),
            recs[14]["lifespan_min"].as_f64()
        ),
        (Some(0.99), Some(242.0))
    );
    assert_eq!(recs[15]["weight"], 0.495);
    assert_eq!(
        (
            recs[16]["weight"].as_f64(),
            recs[16]["age_since_reinforce_min"].as_f64()
        ),
        (Some(4.9501), Some(241.0))
    );
}

#[test]
fn a9_1_merge_and_cap_details() {
    let mut m = btc(ReferenceCompat::reference());
    use Side::Short;
    m.create_or_reinforce(66500.0, Short, 2.0, Inference, Some(100), 1.0, T0);
    m.create_or_reinforce(66520.0, Short, 1.0, Inference, Some(125), 1.0, T0);
    m.apply_decay_and_expire(65500.0, T0 + 60.0);
    m.merge_nearby_zones(T0 + 60.0);
    let z = m.zones().next().unwrap();
    assert_eq!((z.price, z.weight), (66500.0, 2.985));
    assert_eq!(
        z.tier_contributions
            .iter()
            .map(|(t, c)| (*t, *c))
            .collect::<Vec<_>>(),
        vec![(100, 2.0), (125, 1.0)]
    );
    assert_eq!(z.source, ZoneOrigin::Inference);
}

#[test]
fn a9_2_merge_chains() {
    let run = |step: f64, sym: &str, side: Side, zs: &[(f64, f64)]| {
        let mut m = ZoneManager::new(sym, step, &ReferenceCompat::reference()).unwrap();
        for (p, w) in zs {
            m.create_or_reinforce(*p, side, *w, Tape, None, 1.0, T0);
        }
        let n = m.merge_nearby_zones(T0);
        let mut out: Vec<(f64, f64)> = m.zones().map(|z| (z.price, z.weight)).collect();
        out.sort_by(|a, b| a.0.total_cmp(&b.0));
        (n, out)
    };
    assert_eq!(
        run(
            20.0,
            "BTC",
            Side::Long,
            &[
                (65000.0, 1.0),
                (65020.0, 2.0),
                (65040.0, 1.0),
                (65060.0, 1.0)
            ]
        ),
        (2, vec![(65020.0, 4.0), (65060.0, 1.0)])
    );
    assert_eq!(
        run(
            20.0,
            "BTC",
            Side::Long,
            &[(65000.0, 1.0), (65020.0, 1.0), (65040.0, 3.0)]
        ),
        (1, vec![(65000.0, 2.0), (65040.0, 3.0)])
    );
    assert_eq!(
        run(
            1.0,
            "ETH",
            Side::Short,
            &[(1999.0, 1.0), (2000.0, 1.0), (2100.0, 1.0), (2101.0, 1.0)]
        ),
        (1, vec![(1999.0, 1.0), (2000.0, 1.0), (2100.0, 2.0)])
    );
}

#[test]
fn a9_3_boundaries() {
    let mut m = btc(ReferenceCompat::reference());
    m.create_or_reinforce(65000.0, Side::Long, 0.05 / 0.995, Tape, None, 1.0, T0);
    m.create_or_reinforce(64000.0, Side::Long, 0.0502, Tape, None, 1.0, T0);
    assert_eq!(m.apply_decay_and_expire(65000.0, T0 + 60.0), 1);
    assert_eq!(weight(&m, Side::Long, 65000.0), 0.05);

    let mut m = btc(ReferenceCompat::reference());
    m.create_or_reinforce(65000.0, Side::Long, 1.0, Tape, None, 1.0, T0);
    m.create_or_reinforce(66000.0, Side::Short, 1.0, Tape, None, 1.0, T0);
    assert_eq!(m.sweep(66000.0, 65000.0, T0).len(), 2, "inclusive");

    for (compat, swept) in [
        (ReferenceCompat::reference(), 1),
        (ReferenceCompat::fixed(), 0),
    ] {
        let mut m = btc(compat);
        m.create_or_reinforce(60000.0, Side::Long, 1.0, Tape, None, 1.0, T0);
        m.create_or_reinforce(70000.0, Side::Short, 1.0, Tape, None, 1.0, T0);
        assert_eq!(m.sweep(0.0, 0.0, T0).len(), swept, "Z10");
    }

    let mut m = btc(ReferenceCompat::reference());
    m.create_or_reinforce(65000.0, Side::Long, 1.0, Inference, Some(100), 1.0, T0);
    m.scale_weights(0.75);
    let z = m.zones().next().unwrap();
    assert_eq!((z.weight, z.tier_contributions[&100]), (0.75, 1.0));

    let sol = ZoneManager::new("SOL", 0.1, &ReferenceCompat::reference()).unwrap();
    for (p, b) in [
        (78.45, 78.4),
        (78.55, 78.5),
        (75.15, 75.2),
        (75.25, 75.2),
        (73.8051677055, 73.8),
    ] {
        assert_eq!(sol.step().bucket(p), b, "{p}");
    }
}

#[test]
fn a9_4_persistence_and_load() {
    let mut m = btc(ReferenceCompat::reference());
    lifecycle(&mut m);
    let text = m.to_json(T0 + 60.0);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["zone_count"], 3);
    assert_eq!(v["zones"][0]["price"], 64000.0);
    assert_eq!(v["zones"][0]["tier_contributions"], serde_json::json!({}));
    let file = ZonesFile::parse(text.as_bytes()).unwrap();
    let load = |sym: &str, now: f64| {
        let mut m2 = ZoneManager::new(sym, 20.0, &ReferenceCompat::reference()).unwrap();
        let rep = m2.load(&file, now);
        (m2, rep)
    };
    let (m2, rep) = load("BTC", T0 + 61.0 * 60.0);
    assert_eq!(rep.loaded, 3);
    let w: Vec<f64> = m2.zones().map(|z| z.weight).collect();
    assert_eq!(
        w,
        vec![0.995, 0.4975, 5.0],
        "no catch-up decay in the reference"
    );
    assert_eq!(load("BTC", T0 + 60.0 + 241.0 * 60.0).1.loaded, 0);
    assert_eq!(
        load("ETH", T0 + 61.0).1.wrong_symbol.as_deref(),
        Some("BTC")
    );

    // Off-grid entries.
    let odd: ZonesFile = serde_json::from_value(serde_json::json!({"symbol": "BTC", "zones": [
        {"price": 65007.0, "side": "long", "weight": 1.0, "source": "tape", "created_at": T0, "last_reinforced_at": T0},
        {"price": 65000.0, "side": "long", "weight": 2.0, "last_reinforced_at": T0},
        {"price": 64000.0, "side": "long", "weight": 3.0}]})).unwrap();
    let mut m3 = btc(ReferenceCompat::reference());
    let rep = m3.load(&odd, T0 + 30.0);
    assert_eq!((rep.loaded, rep.duplicates, rep.too_old), (1, 1, 1));
    let z = m3.zones().next().unwrap();
    assert_eq!(
        (z.price, z.weight, z.source, z.created_at),
        (65000.0, 2.0, ZoneOrigin::Unknown, T0 + 30.0)
    );
    // Ours: re-bucketed, summed.
    let mut m4 = btc(ReferenceCompat::fixed());
    m4.load(&odd, T0 + 30.0);
    let z = m4.zones().next().unwrap();
    assert_eq!(
        (z.price, z.weight, z.source),
        (65000.0, 3.0, ZoneOrigin::Combined)
    );
}

#[test]
fn a9_5_sort_ties() {
    let mut m = btc(ReferenceCompat::reference());
    m.create_or_reinforce(65000.0, Side::Long, 1.00001, Tape, None, 1.0, T0);
    m.create_or_reinforce(66000.0, Side::Short, 1.00002, Tape, None, 1.0, T0);
    m.create_or_reinforce(64000.0, Side::Long, 2.0, Tape, None, 1.0, T0);
    let order: Vec<f64> = m
        .active_zones(None, LeverageFilter::default())
        .iter()
        .map(|z| z.price)
        .collect();
    assert_eq!(order, vec![64000.0, 65000.0, 66000.0]);
}

#[test]
fn fixes_cap_at_creation_merge_record_and_projected_only_scaling() {
    let mut m = btc(ReferenceCompat::fixed());
    m.create_or_reinforce(66000.0, Side::Short, 10.09, Inference, Some(100), 1.0, T0);
    assert_eq!(weight(&m, Side::Short, 66000.0), 5.0, "Z1");
    // Z8: an OI drop fades the projected part only.
    m.create_or_reinforce(65000.0, Side::Long, 1.0, Tape, None, 1.0, T0);
    m.create_or_reinforce(
        65000.0,
        Side::Long,
        1.0,
        Inference,
        Some(100),
        1.0,
        T0 + 1.0,
    );
    m.scale_weights(0.5);
    assert_eq!(weight(&m, Side::Long, 65000.0), 1.0 + 0.3 * 0.5);
    // Z13: a merge record, and the later reinforcement time.
    m.create_or_reinforce(65020.0, Side::Long, 0.5, Tape, None, 1.0, T0 + 5.0);
    m.take_records();
    assert_eq!(m.merge_nearby_zones(T0 + 6.0), 1);
    let recs = m.take_records();
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].kind(), "zone_merged");
    let z = m.zones().find(|z| z.side == Side::Long).unwrap();
    assert_eq!(z.last_reinforced_at, T0 + 5.0);
}

#[test]
fn fixes_load_applies_the_downtime_decay() {
    let mut m = btc(ReferenceCompat::fixed());
    m.create_or_reinforce(65000.0, Side::Long, 1.0, Tape, None, 1.0, T0);
    m.create_or_reinforce(64000.0, Side::Long, 0.06, Tape, None, 1.0, T0);
    let file = ZonesFile::parse(m.to_json(T0).as_bytes()).unwrap();
    let mut m2 = btc(ReferenceCompat::fixed());
    let rep = m2.load(&file, T0 + 90.0 * 60.0 + 10.0);
    assert_eq!((rep.catch_up_minutes, rep.faded, rep.loaded), (90, 1, 1));
    assert!((weight(&m2, Side::Long, 65000.0) - 0.995f64.powi(90)).abs() < 1e-12);
    let z = m2.zones().next().unwrap();
    assert_eq!(
        (z.observed, z.projected),
        (z.weight, 0.0),
        "parts read back"
    );
}

fn golden(name: &str) -> Option<(Vec<u8>, ZonesFile)> {
    let dir = liq_store::shared_fixtures::dir("zones_golden")?;
    let bytes = std::fs::read(dir.join("golden/2026-02-28").join(name)).unwrap();
    let file = ZonesFile::parse(&bytes).unwrap();
    Some((bytes, file))
}

#[test]
fn golden_files_round_trip_byte_for_byte_and_answer_the_api_vectors() {
    for (sym, step, n) in [("BTC", 20.0, 30), ("ETH", 1.0, 61), ("SOL", 0.1, 28)] {
        let Some((bytes, file)) = golden(&format!("liq_active_zones_{sym}.json")) else {
            return;
        };
        let saved = file.saved_at.unwrap();
        let mut m = ZoneManager::new(sym, step, &ReferenceCompat::reference()).unwrap();
        assert_eq!(m.load(&file, saved).loaded, n);
        assert_eq!(m.to_json(saved).as_bytes(), &bytes[..], "{sym}");
        let mut ours = ZoneManager::new(sym, step, &ReferenceCompat::fixed()).unwrap();
        assert_eq!(
            ours.load(&file, saved).loaded,
            n,
            "{sym}: the fixes load the same zones"
        );
    }
    let (_, file) = golden("liq_active_zones_BTC.json").unwrap();
    let mut m = ZoneManager::new("BTC", 20.0, &ReferenceCompat::fixed()).unwrap();
    m.load(&file, file.saved_at.unwrap());
    let zones = serde_json::to_value(m.active_zones(None, LeverageFilter::default())).unwrap();
    assert_eq!(
        zones[0],
        serde_json::json!({"price": 66560.0, "side": "short", "weight": 4.5321, "created_at": 1772244000007_i64,
            "last_reinforced_at": 1772244000007_i64, "reinforcement_count": 0, "source": "inference",
            "tier_contributions": {"100": 6.1461, "125": 0.0115}})
    );
    let s = m.summary();
    assert_eq!((s.active_zones_long, s.active_zones_short), (15, 15));
    assert_eq!((s.total_weight_long, s.total_weight_short), (14.02, 32.63));
    let (long, short) = m.heatmap_levels(LeverageFilter::default(), None, 0.0);
    assert_eq!((long.len(), short.len()), (15, 15));
    let l0 = serde_json::to_value(&long[0]).unwrap();
    assert_eq!(
        (
            l0["price"].as_f64(),
            l0["weight"].as_f64(),
            l0["notional_usd"].as_f64()
        ),
        (Some(64340.0), Some(4.1165), Some(411650.0))
    );
    assert_eq!(l0["tier_contributions"], serde_json::json!({"50": 4.609}));
    assert_eq!(
        (short[0].price, short[0].weight, short[0].notional_usd),
        (66560.0, 4.5321, 453210.0)
    );

    let (_, file) = golden("liq_active_zones_ETH.json").unwrap();
    let mut e = ZoneManager::new("ETH", 1.0, &ReferenceCompat::fixed()).unwrap();
    e.load(&file, file.saved_at.unwrap());
    let s = e.summary();
    assert_eq!(
        (
            s.active_zones_long,
            s.active_zones_short,
            s.total_weight_long,
            s.total_weight_short
        ),
        (34, 27, 29.41, 36.97)
    );
}

#[test]
fn an_empty_side_sums_to_the_integer_zero() {
    let mut m = btc(ReferenceCompat::fixed());
    m.create_or_reinforce(65000.0, Side::Long, 1.0, Tape, None, 1.0, T0);
    let s = serde_json::to_string(&m.summary()).unwrap();
    assert!(s.contains("\"total_weight_long\":1.0"), "{s}");
    assert!(s.contains("\"total_weight_short\":0,"), "{s}");
}
