//! Contract tests of the liquidation history endpoints and the warming-up state: api.md 9.1
//! (T12 to T19). Every body is an insta snapshot.

mod common;

use common::{empty, get, golden};
use serde_json::Value;

fn snap(name: &str, r: &common::Resp) {
    insta::assert_snapshot!(name, r.text());
}

/// `(price, value)` of the non-zero cells of a one-frame history row.
fn cells(body: &Value, side: &str) -> Vec<(f64, u64)> {
    let prices = body["prices"].as_array().expect("prices");
    let row = body[side].as_array().expect("row");
    prices
        .iter()
        .zip(row)
        .filter(|(_, v)| v.as_u64() != Some(0))
        .map(|(p, v)| (p.as_f64().unwrap_or(0.0), v.as_u64().unwrap_or(0)))
        .collect()
}

#[test]
fn t12_v1_history_btc() {
    let Some(a) = golden("t12") else { return };
    let r = get(a, "/liq_heatmap_history?symbol=BTC");
    let b = r.json();
    assert_eq!(b["t"], serde_json::json!([1772245200019_i64]));
    let p = b["prices"].as_array().expect("prices");
    assert_eq!(
        (p.len(), p[0].as_f64(), p[527].as_f64()),
        (528, Some(60620.0), Some(71160.0))
    );
    assert_eq!(b["long"].as_array().map(Vec::len), Some(528));
    let long = cells(&b, "long");
    assert_eq!(long.len(), 18);
    assert_eq!(&long[..3], &[(62340.0, 59), (62360.0, 107), (62380.0, 50)]);
    assert_eq!(long.iter().map(|c| c.1).max(), Some(204));
    let short = cells(&b, "short");
    assert_eq!(short.len(), 34);
    assert!(short.contains(&(66160.0, 255)));
    assert!(
        r.text()
            .ends_with(",\"step\":20.0,\"scale\":255,\"_mode\":\"embedded\"}")
    );
    snap("t12_v1_history_btc", &r);
}

#[test]
fn t13_v2_history_btc() {
    let Some(a) = golden("t13") else { return };
    let r = get(a, "/liq_heatmap_v2_history?symbol=BTC");
    let b = r.json();
    assert_eq!(b["t"], serde_json::json!([1772245200003_i64]));
    let p = b["prices"].as_array().expect("prices");
    assert_eq!(
        (p.len(), p[0].as_f64(), p[527].as_f64()),
        (528, Some(60620.0), Some(71160.0))
    );
    let long = cells(&b, "long");
    assert_eq!(long.len(), 34);
    assert_eq!(&long[..3], &[(62320.0, 1), (62340.0, 17), (62360.0, 62)]);
    assert_eq!(long.iter().map(|c| c.1).max(), Some(104));
    let short = cells(&b, "short");
    assert_eq!(short.len(), 37);
    for c in [(66140.0, 37), (66160.0, 137), (66180.0, 37)] {
        assert!(short.contains(&c), "{c:?}");
    }
    assert_eq!(short.iter().map(|c| c.1).max(), Some(255));
    snap("t13_v2_history_btc", &r);
}

#[test]
fn t14_history_eth() {
    let Some(a) = golden("t14") else { return };
    for (path, n, first) in [
        ("/liq_heatmap_history?symbol=ETH", 24, vec![(1823.0, 107)]),
        (
            "/liq_heatmap_v2_history?symbol=ETH",
            37,
            vec![(1822.0, 17), (1823.0, 111)],
        ),
    ] {
        let r = get(a, path);
        let b = r.json();
        let p = b["prices"].as_array().expect("prices");
        assert_eq!(
            (p.len(), p[0].as_f64(), p[309].as_f64()),
            (310, Some(1773.0), Some(2082.0))
        );
        assert_eq!(b["step"], 1.0);
        let long = cells(&b, "long");
        assert_eq!(long.len(), n, "{path}");
        for c in first {
            assert!(long.contains(&c), "{path} {c:?}");
        }
        snap(
            &format!(
                "t14_{}",
                path.trim_start_matches('/').replace(['?', '='], "_")
            ),
            &r,
        );
    }
    let v2 = get(a, "/liq_heatmap_v2_history?symbol=ETH").json();
    assert_eq!(cells(&v2, "long").iter().map(|c| c.1).max(), Some(230));
}

#[test]
fn t15_history_sol() {
    let Some(a) = golden("t15") else { return };
    let v1 = get(a, "/liq_heatmap_history?symbol=SOL");
    let b = v1.json();
    let p = b["prices"].as_array().expect("prices");
    assert_eq!(
        (p.len(), p[0].as_f64(), p[131].as_f64()),
        (132, Some(75.5), Some(88.6))
    );
    assert_eq!(b["step"], 0.1);
    let long = cells(&b, "long");
    assert_eq!(long.len(), 18);
    assert!(long.contains(&(77.5, 96)) && long.contains(&(77.6, 234)));
    snap("t15_v1_history_sol", &v1);
    let v2 = get(a, "/liq_heatmap_v2_history?symbol=SOL");
    let b = v2.json();
    let p = b["prices"].as_array().expect("prices");
    assert_eq!(
        (p.len(), p[0].as_f64(), p[132].as_f64()),
        (133, Some(75.4), Some(88.6))
    );
    let long = cells(&b, "long");
    assert_eq!(long.len(), 19);
    assert!(long.contains(&(77.5, 29)) && long.contains(&(77.6, 196)));
    snap("t15_v2_history_sol", &v2);
}

#[test]
fn t16_history_clamping() {
    let Some(a) = golden("t16") else { return };
    let base = get(a, "/liq_heatmap_history?symbol=BTC").body;
    for q in [
        "minutes=0&stride=0",
        "minutes=99999999999999999999999",
        "minutes=-5&stride=999",
    ] {
        let r = get(a, &format!("/liq_heatmap_history?symbol=BTC&{q}"));
        assert_eq!((r.status, &r.body), (200, &base), "{q}");
    }
}

#[test]
fn t17_history_422() {
    let Some(a) = golden("t17") else { return };
    for v in ["abc", "1.5"] {
        let r = get(a, &format!("/liq_heatmap_history?minutes={v}"));
        assert_eq!(r.status, 422);
        assert_eq!(
            r.text(),
            format!(
                "{{\"detail\":[{{\"type\":\"int_parsing\",\"loc\":[\"query\",\"minutes\"],\"msg\":\"Input should be a valid integer, unable to parse string as an integer\",\"input\":\"{v}\"}}]}}"
            )
        );
    }
    let r = get(a, "/liq_heatmap_v2?min_notional=abc");
    assert_eq!(r.status, 422);
    snap("t17_float_422", &r);
}

#[test]
fn t18_warming_up() {
    let a = empty();
    for path in [
        "/liq_heatmap?symbol=BTC",
        "/liq_heatmap_v2?symbol=BTC",
        "/liq_stats?symbol=btc",
    ] {
        let r = get(a, path);
        assert_eq!(r.status, 503, "{path}");
        assert_eq!(
            r.text(),
            "{\"detail\":\"Data for BTC is warming up, try again shortly\"}"
        );
    }
    let h = get(a, "/health").json();
    assert_eq!(h["symbols"]["BTC"]["v1_available"], false);
    assert_eq!(h["symbols"]["BTC"]["v1_ts"], 0);
}

#[test]
fn t19_empty_history_fallback() {
    let a = empty();
    for (path, n, first, last) in [
        ("/liq_heatmap_history?symbol=BTC", 1501, 85000.0, 115000.0),
        ("/liq_heatmap_v2_history?symbol=ETH", 176, 1500.0, 5000.0),
        ("/liq_heatmap_history?symbol=SOL", 19, 50.0, 410.0),
    ] {
        let r = get(a, path);
        assert_eq!(r.status, 200);
        let b = r.json();
        assert_eq!(
            (&b["t"], &b["long"], &b["short"]),
            (
                &serde_json::json!([]),
                &serde_json::json!([]),
                &serde_json::json!([])
            )
        );
        assert_eq!(b["step"], 20.0);
        let p = b["prices"].as_array().expect("prices");
        assert_eq!(
            (p.len(), p[0].as_f64(), p[n - 1].as_f64()),
            (n, Some(first), Some(last))
        );
        assert!(r.text().starts_with("{\"t\":[],\"prices\":["));
    }
}
