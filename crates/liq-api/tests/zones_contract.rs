//! Contract tests of the zone, OI and protocol behaviour: api.md 9.3 (T41 to T49), adapted
//! where DECISIONS changes it (side validation, no OI poller in this server).

mod common;

use common::{get, golden, request};
use serde_json::{Value, json};

fn snap(name: &str, r: &common::Resp) {
    insta::assert_snapshot!(name, r.text());
}

fn weights(zones: &Value) -> Vec<f64> {
    zones
        .as_array()
        .expect("zones")
        .iter()
        .filter_map(|z| z["weight"].as_f64())
        .collect()
}

#[test]
fn t41_liq_zones_btc() {
    let Some(a) = golden("t41") else { return };
    let r = get(a, "/liq_zones?symbol=BTC");
    assert_eq!(r.status, 200);
    let b = r.json();
    assert_eq!(b["zones_count"], 30);
    assert_eq!(
        b["zones"][0],
        json!({"price": 66560.0, "side": "short", "weight": 4.5321, "created_at": 1772244000007_i64,
               "last_reinforced_at": 1772244000007_i64, "reinforcement_count": 0, "source": "inference",
               "tier_contributions": {"100": 6.1461, "125": 0.0115}})
    );
    let s = &b["summary"];
    assert_eq!(
        (&s["active_zones_long"], &s["active_zones_short"]),
        (&json!(15), &json!(15))
    );
    assert_eq!(
        (&s["total_weight_long"], &s["total_weight_short"]),
        (&json!(14.02), &json!(32.63))
    );
    assert_eq!(
        b["filters"],
        json!({"side": null, "min_leverage": null, "max_leverage": null, "min_weight": null})
    );
    assert_eq!(b["ts"], common::RUN_NOW);
    snap("t41_liq_zones_btc", &r);
}

#[test]
fn t42_side_and_leverage() {
    let Some(a) = golden("t42") else { return };
    let r = get(a, "/liq_zones?symbol=BTC&side=long&min_leverage=50");
    let b = r.json();
    assert_eq!(b["zones_count"], 10);
    assert_eq!(b["zones"][0]["price"], 64340.0);
    assert_eq!(b["zones"][0]["weight"], 4.1165);
    assert_eq!(b["zones"][0]["tier_contributions"], json!({"50": 4.609}));
    assert_eq!(b["filters"]["min_leverage"], 50);
    snap("t42_liq_zones_long_50x", &r);
}

#[test]
fn t43_side_foo_and_min_weight() {
    let Some(a) = golden("t43") else { return };
    // DECISIONS HTTP API 4: `side` other than long/short is 400 (the reference: 200, no zones).
    let r = get(a, "/liq_zones?symbol=BTC&side=foo");
    assert_eq!(r.status, 400);
    assert_eq!(
        r.text(),
        "{\"detail\":\"Invalid side 'foo'. Valid sides: long, short\"}"
    );
    let r = get(a, "/liq_zones?symbol=BTC&min_weight=2");
    let b = r.json();
    assert_eq!(
        weights(&b["zones"]),
        vec![
            4.5321, 4.5209, 4.5209, 4.5209, 4.5209, 4.1165, 2.6474, 2.3155, 2.3153
        ]
    );
    snap("t43_liq_zones_min_weight", &r);
}

#[test]
fn t44_t45_zones_heatmap() {
    let Some(a) = golden("t44") else { return };
    let r = get(a, "/liq_zones_heatmap?symbol=BTC");
    let b = r.json();
    assert_eq!(b["long_levels"].as_array().map(Vec::len), Some(15));
    assert_eq!(b["short_levels"].as_array().map(Vec::len), Some(15));
    let l = &b["long_levels"][0];
    assert_eq!(
        (&l["price"], &l["weight"], &l["notional_usd"]),
        (&json!(64340.0), &json!(4.1165), &json!(411650.0))
    );
    assert_eq!(l["tier_contributions"], json!({"50": 4.609}));
    let s = &b["short_levels"][0];
    assert_eq!(
        (&s["price"], &s["weight"], &s["notional_usd"]),
        (&json!(66560.0), &json!(4.5321), &json!(453210.0))
    );
    assert!(r.text().contains("\"min_notional\":0,\"filtered\":false"));
    snap("t44_liq_zones_heatmap_btc", &r);
    let r = get(a, "/liq_zones_heatmap?symbol=BTC&min_notional=200000");
    let b = r.json();
    assert_eq!(b["long_levels"].as_array().map(Vec::len), Some(3));
    assert_eq!(b["short_levels"].as_array().map(Vec::len), Some(6));
    assert!(r.text().contains(
        "\"min_notional\":200000.0,\"filtered\":true,\"long_pools_count\":3,\"short_pools_count\":6"
    ));
    snap("t45_liq_zones_heatmap_min_notional", &r);
}

#[test]
fn t46_zones_summary_eth() {
    let Some(a) = golden("t46") else { return };
    let r = get(a, "/liq_zones_summary?symbol=eth");
    let b = r.json();
    assert_eq!(
        (&b["active_zones_long"], &b["active_zones_short"]),
        (&json!(34), &json!(27))
    );
    assert_eq!(
        (&b["total_weight_long"], &b["total_weight_short"]),
        (&json!(29.41), &json!(36.97))
    );
    assert_eq!(b["symbol"], "ETH");
    assert!(
        r.text()
            .ends_with(&format!(",\"symbol\":\"ETH\",\"ts\":{}}}", "1772245230.0"))
    );
    snap("t46_liq_zones_summary_eth", &r);
}

#[test]
fn t47_zones_invalid_symbol() {
    let Some(a) = golden("t47") else { return };
    for path in [
        "/liq_zones?symbol=XRP",
        "/liq_zones_summary?symbol=XRP",
        "/liq_zones_heatmap?symbol=XRP",
    ] {
        let r = get(a, path);
        assert_eq!(r.status, 400);
        assert_eq!(
            r.text(),
            "{\"detail\":\"Invalid symbol 'XRP'. Valid symbols: BTC, ETH, SOL\"}"
        );
    }
    let r = get(a, "/liq_zones?min_leverage=x&min_weight=y");
    assert_eq!(r.status, 422);
    snap("t47_zones_422_two_params", &r);
}

#[test]
fn t48_oi() {
    let Some(a) = golden("t48") else { return };
    // No OI poller in this server: 503 for a valid symbol (the reference's "no poller" branch).
    let r = get(a, "/oi?symbol=ETH");
    assert_eq!(
        (r.status, r.text().as_str()),
        (503, "{\"detail\":\"OI poller not available\"}")
    );
    assert_eq!(get(a, "/oi?symbol=XRP").status, 400);
}

#[test]
fn t48_oi_with_a_poller() {
    let Some(dir) = common::golden_dir("t48p") else {
        return;
    };
    let opts = liq_api::Options {
        oi_poller: true,
        ..liq_api::Options::default()
    };
    let (state, _) = liq_api::load_dir(&dir, liq_api::Clock::Fixed(common::RUN_NOW), opts);
    state.slot(0).set_oi(liq_api::OiSnapshot {
        per_exchange: vec![
            ("binance", 80000.5),
            ("bybit", 55000.25),
            ("okx", 52653.571),
        ],
        ts: 1772245195.5,
    });
    let a = common::start_state(state);
    let r = get(a, "/oi?symbol=ETH");
    assert_eq!(
        (r.status, r.text().as_str()),
        (
            503,
            "{\"detail\":\"No OI data available for ETH. Poller may still be initializing.\"}"
        )
    );
    let r = get(a, "/oi?symbol=btcusdt");
    assert_eq!(r.status, 200);
    assert_eq!(
        r.text(),
        r#"{"symbol":"BTC","aggregated_oi":187654.321,"per_exchange":{"binance":80000.5,"bybit":55000.25,"okx":52653.571},"ts":1772245195.5}"#
    );
}

#[test]
fn t49_methods_and_unknown_paths() {
    let Some(a) = golden("t49") else { return };
    for m in ["POST", "OPTIONS", "HEAD", "PUT", "DELETE"] {
        let r = request(a, m, "/health", &[]);
        assert_eq!(r.status, 405, "{m}");
        assert_eq!(r.header("allow"), Some("GET"));
        if m != "HEAD" {
            assert_eq!(r.text(), "{\"detail\":\"Method Not Allowed\"}");
        }
    }
    let r = get(a, "/nope");
    assert_eq!(
        (r.status, r.text().as_str()),
        (404, "{\"detail\":\"Not Found\"}")
    );
    // CORS is off by default: no Access-Control-* header.
    let r = request(a, "GET", "/health", &[("Origin", "http://example.com")]);
    assert!(
        r.headers
            .iter()
            .all(|(k, _)| !k.starts_with("access-control-"))
    );
}
