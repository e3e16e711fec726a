//! Contract tests of the liquidation endpoints: api.md 9.1 (T1 to T11), against the golden
//! state at the reference run's clock. Every body is an insta snapshot (the exact bytes: key
//! order and number formatting are part of the contract).

mod common;

use common::{get, golden, golden_dir, start};
use liq_api::Clock;
use serde_json::Value;

fn snap(name: &str, r: &common::Resp) {
    insta::assert_snapshot!(name, r.text());
}

fn file_json(test: &str, name: &str) -> Option<Value> {
    let bytes = std::fs::read(golden_dir(test)?.join(name)).expect("golden file");
    Some(serde_json::from_slice(&bytes).expect("golden json"))
}

fn nonzero(v: &Value) -> usize {
    v.as_array()
        .expect("array")
        .iter()
        .filter(|x| x.as_f64() != Some(0.0))
        .count()
}

#[test]
fn t01_health() {
    let Some(a) = golden("t01") else { return };
    let r = get(a, "/health");
    assert_eq!(r.status, 200);
    let b = r.json();
    assert_eq!(b["ok"], true);
    assert_eq!(b["mode"], "embedded");
    assert_eq!(b["version"], "3.0.0");
    assert_eq!(
        b["ob_buffer"],
        serde_json::json!({"frames_in_memory": 94, "last_ts": 1772245200.0, "shared": true})
    );
    assert_eq!(b["symbols"]["BTC"]["v1_ts"], 1772245200.019114);
    assert_eq!(b["symbols"]["BTC"]["v2_ts"], 1772245200.0030882);
    for s in ["BTC", "ETH", "SOL"] {
        assert_eq!(b["symbols"][s]["v1_history_frames"], 1);
        assert_eq!(b["symbols"][s]["v2_history_frames"], 1);
    }
    snap("t01_health", &r);
}

#[test]
fn t02_liq_heatmap_btc() {
    let Some(a) = golden("t02") else { return };
    let r = get(a, "/liq_heatmap?symbol=BTC");
    assert_eq!(r.status, 200);
    let b = r.json();
    assert_eq!(
        Some(&b),
        file_json("t02", "liq_api_snapshot_BTC.json").as_ref()
    );
    assert_eq!(b.as_object().map(|o| o.len()), Some(17));
    assert!(b.get("_warning").is_none());
    let prices = b["prices"].as_array().expect("prices");
    assert_eq!(
        (prices.len(), prices[0].as_f64(), prices[527].as_f64()),
        (528, Some(60620.0), Some(71160.0))
    );
    assert_eq!(b["src"], 65892.75);
    assert_eq!(
        b["top_long_zones"][0],
        serde_json::json!({"price": 64592.03, "strength": 0.6523, "age_min": 6})
    );
    assert_eq!(
        b["norm"],
        serde_json::json!({"method": "p50_p95", "p50": 0.032508, "p95": 0.244369})
    );
    assert!(
        r.text()
            .starts_with("{\"schema_version\":2,\"symbol\":\"BTC\"")
    );
    snap("t02_liq_heatmap_btc", &r);
}

#[test]
fn t03_stale_warning() {
    let Some(dir) = golden_dir("t03") else { return };
    // "months later": the age of the spec's example.
    let a = start(&dir, Clock::Fixed(1_772_245_200.019_114 + 23_533_059.0));
    let r = get(a, "/liq_heatmap?symbol=BTC");
    assert_eq!(r.status, 200);
    assert!(
        r.text()
            .ends_with(",\"_warning\":\"Data is 23533059s old, viewer may be stopped\"}")
    );
    assert_eq!(r.json().as_object().map(|o| o.len()), Some(18));
    let v2 = get(a, "/liq_heatmap_v2?symbol=BTC&min_notional=1000000");
    assert!(v2.text().contains("\"_warning\":\"Data is 23533059s old"));
}

#[test]
fn t04_symbol_normalization() {
    let Some(a) = golden("t04") else { return };
    let btc = get(a, "/liq_heatmap?symbol=BTC").body;
    for q in ["btc", "BTCUSDT", "btcusdt", "USDTBTC"] {
        let r = get(a, &format!("/liq_heatmap?symbol={q}"));
        assert_eq!((r.status, &r.body), (200, &btc), "{q}");
    }
    let eth = get(a, "/liq_heatmap?symbol=ETH").body;
    assert_eq!(get(a, "/liq_heatmap?symbol=%20eth%20").body, eth);
    // DECISIONS HTTP API 4: more than 10 characters is 400 (the reference accepted it).
    assert_eq!(get(a, "/liq_heatmap?symbol=BTCUSDTUSDT").status, 400);
}

#[test]
fn t05_invalid_symbol() {
    let Some(a) = golden("t05") else { return };
    for (q, raw) in [("XRP", "XRP"), ("", ""), ("BTC-PERP", "BTC-PERP")] {
        let r = get(a, &format!("/liq_heatmap?symbol={q}"));
        assert_eq!(r.status, 400);
        assert_eq!(
            r.text(),
            format!("{{\"detail\":\"Invalid symbol '{raw}'. Valid symbols: BTC, ETH, SOL\"}}")
        );
        assert_eq!(r.header("content-type"), Some("application/json"));
    }
}

#[test]
fn t06_liq_heatmap_eth_sol() {
    let Some(a) = golden("t06") else { return };
    let eth = get(a, "/liq_heatmap?symbol=ETH");
    let b = eth.json();
    let p = b["prices"].as_array().expect("prices");
    assert_eq!(
        (p.len(), p[0].as_f64(), p[309].as_f64()),
        (310, Some(1773.0), Some(2082.0))
    );
    assert_eq!(b["src"], 1927.36);
    assert_eq!(b["top_long_zones"], serde_json::json!([]));
    assert_eq!(b["norm"]["p50"], 0.102255);
    snap("t06_liq_heatmap_eth", &eth);
    let sol = get(a, "/liq_heatmap?symbol=SOL");
    let b = sol.json();
    let p = b["prices"].as_array().expect("prices");
    assert_eq!(
        (p.len(), p[0].as_f64(), p[131].as_f64()),
        (132, Some(75.5), Some(88.6))
    );
    assert_eq!(b["src"], 82.02);
    assert_eq!(b["norm"]["p95"], 0.381565);
    snap("t06_liq_heatmap_sol", &sol);
}

fn level(b: &Value, side: &str, i: usize) -> (f64, f64, f64, f64, f64, u64) {
    let l = &b[side][i];
    let f = |k: &str| l[k].as_f64().unwrap_or(f64::NAN);
    (
        f("price"),
        f("price_low"),
        f("price_high"),
        f("notional_usd"),
        f("intensity"),
        l["bucket_count"].as_u64().unwrap_or(0),
    )
}

#[test]
fn t07_liq_heatmap_v2_btc() {
    let Some(a) = golden("t07") else { return };
    let r = get(a, "/liq_heatmap_v2?symbol=BTC");
    let b = r.json();
    assert_eq!(
        Some(&b),
        file_json("t07", "liq_api_snapshot_v2_BTC.json").as_ref()
    );
    let p = b["prices"].as_array().expect("prices");
    assert_eq!(
        (p.len(), p[0].as_f64(), p[659].as_f64()),
        (660, Some(59300.0), Some(72480.0))
    );
    assert_eq!(b["long_levels"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        level(&b, "long_levels", 0),
        (64596.35, 64300.0, 65220.0, 1591584.9, 0.6523, 23)
    );
    assert_eq!(
        level(&b, "short_levels", 0),
        (66991.45, 66140.0, 67340.0, 3740354.67, 1.0, 26)
    );
    assert_eq!(
        (
            nonzero(&b["long_intensity"]),
            nonzero(&b["short_intensity"])
        ),
        (36, 38)
    );
    snap("t07_liq_heatmap_v2_btc", &r);
}

#[test]
fn t08_t09_min_notional() {
    let Some(a) = golden("t08") else { return };
    let r = get(a, "/liq_heatmap_v2?symbol=BTC&min_notional=1000000");
    let b = r.json();
    let prices = |side: &str| -> Vec<f64> {
        b[side]
            .as_array()
            .expect("levels")
            .iter()
            .filter_map(|l| l["price"].as_f64())
            .collect()
    };
    assert_eq!(prices("long_levels"), vec![64596.35]);
    assert_eq!(prices("short_levels"), vec![66991.45, 68539.56, 69199.56]);
    assert_eq!(b["meta"]["long_pools_count"], 3);
    snap("t08_liq_heatmap_v2_min_notional", &r);
    let off = get(a, "/liq_heatmap_v2?symbol=BTC&min_notional=-1");
    assert_eq!(off.body, get(a, "/liq_heatmap_v2?symbol=BTC").body);
    let b = off.json();
    assert_eq!(
        (
            b["long_levels"].as_array().map(Vec::len),
            b["short_levels"].as_array().map(Vec::len)
        ),
        (Some(3), Some(3))
    );
}

#[test]
fn t10_liq_heatmap_v2_eth_sol() {
    let Some(a) = golden("t10") else { return };
    let eth = get(a, "/liq_heatmap_v2?symbol=ETH");
    let b = eth.json();
    let p = b["prices"].as_array().expect("prices");
    assert_eq!(
        (p.len(), p[0].as_f64(), p[385].as_f64()),
        (386, Some(1735.0), Some(2120.0))
    );
    assert_eq!(
        level(&b, "long_levels", 0),
        (1889.87, 1879.0, 1915.0, 4979890.14, 1.0, 26)
    );
    assert_eq!(
        (
            level(&b, "short_levels", 0).0,
            level(&b, "short_levels", 0).3
        ),
        (1959.61, 4969102.34)
    );
    snap("t10_liq_heatmap_v2_eth", &eth);
    let sol = get(a, "/liq_heatmap_v2?symbol=SOL");
    let b = sol.json();
    let p = b["prices"].as_array().expect("prices");
    assert_eq!(
        (p.len(), p[0].as_f64(), p[164].as_f64()),
        (165, Some(73.8), Some(90.2))
    );
    assert_eq!(
        level(&b, "long_levels", 0),
        (80.38, 80.0, 81.3, 459619.19, 1.0, 12)
    );
    assert_eq!(
        (
            level(&b, "short_levels", 0).0,
            level(&b, "short_levels", 0).3
        ),
        (83.36, 260816.67)
    );
    snap("t10_liq_heatmap_v2_sol", &sol);
}

#[test]
fn t11_liq_stats() {
    let Some(a) = golden("t11") else { return };
    let r = get(a, "/liq_stats?symbol=BTC");
    assert_eq!(r.status, 200);
    let t = r.text();
    let keys = [
        "symbol",
        "current_minute",
        "current_price",
        "total_force_orders",
        "total_inferences",
        "tape",
        "inference",
        "config",
        "zone_manager",
        "snapshot_ts",
        "snapshot_age_s",
        "history_frames",
    ];
    let mut at = 0;
    for k in keys {
        let pos = t[at..].find(&format!("\"{k}\":")).map(|p| p + at);
        assert!(pos.is_some(), "key {k} missing or out of order");
        at = pos.unwrap_or(at);
    }
    let b = r.json();
    assert_eq!(b["symbol"], "BTC");
    assert_eq!(b["snapshot_ts"], 1772245200.0030882);
    // Fixed clock at the run's start (30 s after the write), not the spec's 38.1 s.
    assert_eq!(b["snapshot_age_s"], 30.0);
    assert_eq!(b["history_frames"], 1);
    assert_eq!(b["zone_manager"]["active_zones_long"], 15);
    snap("t11_liq_stats_btc", &r);
}
