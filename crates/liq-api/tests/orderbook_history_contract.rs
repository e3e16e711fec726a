//! Contract tests of the order-book history, stats and debug endpoints: api.md 9.2 (T31 to
//! T40), the aliases, the binary bodies staying out of the cache and the reload tail; adapted
//! where DECISIONS "HTTP API" changes the behaviour (each adapted test says how).

mod common;

use common::ob::*;
use common::{empty, get, golden, golden_dir, start_state};
use liq_api::{AppState, Clock, Options};
use serde_json::{Value, json};

fn snap(name: &str, r: &common::Resp) {
    insta::assert_snapshot!(name, r.text());
}

#[test]
fn t31_history_default() {
    let Some(a) = golden("t31") else { return };
    let r = get(a, "/orderbook_heatmap_history");
    let b = r.json();
    let t: Vec<i64> = b["t"]
        .as_array()
        .expect("t")
        .iter()
        .filter_map(Value::as_i64)
        .collect();
    let want: Vec<i64> = (0..94).map(|i| 1772242410000 + 30_000 * i).collect();
    assert_eq!(t, want);
    let p = floats(&b["prices"]);
    assert_eq!((p.len(), p[0], p[668]), (669, 59140.0, 72500.0));
    let (bid, ask) = (bytes(&b["bid_u8"]), bytes(&b["ask_u8"]));
    assert_eq!((bid.len(), ask.len()), (62_886, 62_886));
    let j = p.iter().position(|&x| x == 65900.0).expect("65900");
    assert_eq!((bid[93 * 669 + j], ask[93 * 669 + j]), (26, 4));
    assert_eq!(
        (&b["step"], &b["norm_method"]),
        (&json!(20.0), &json!("p50_p95"))
    );
    assert_eq!(
        (
            &b["first_frame_ts_ms"],
            &b["last_frame_ts_ms"],
            &b["data_is_stale"]
        ),
        (
            &json!(1772242410000_i64),
            &json!(1772245200000_i64),
            &json!(false)
        )
    );
    insta::assert_json_snapshot!("t31_history_summary", summary(&b));
    // T36: range_pct is ignored on the history endpoint.
    assert_eq!(
        get(a, "/orderbook_heatmap_history?range_pct=5").body,
        r.body
    );
}

#[test]
fn t32_t33_minutes_clamped() {
    let Some(a) = golden("t32") else { return };
    let r = get(a, "/orderbook_heatmap_history?minutes=5");
    let b = r.json();
    let t = b["t"].as_array().expect("t");
    assert_eq!(
        (t.len(), &t[0], &t[9]),
        (10, &json!(1772244930000_i64), &json!(1772245200000_i64))
    );
    let p = floats(&b["prices"]);
    assert_eq!((p.len(), p[0], p[661]), (662, 59280.0, 72500.0));
    assert_eq!(bytes(&b["bid_u8"]).len(), 6620);
    snap("t32_history_5min", &r);
    assert_eq!(
        get(a, "/orderbook_heatmap_history?minutes=1&stride=0").body,
        r.body
    );
}

/// Adapted (api.md A6, as the liquidation history here): the stride is anchored at the newest
/// frame, so the newest frame is always in and the body is not stale.
#[test]
fn t34_stride_anchored_at_newest_adapted() {
    let Some(a) = golden("t34") else { return };
    let b = get(a, "/orderbook_heatmap_history?minutes=720&stride=60").json();
    assert_eq!(b["t"], json!([1772243400000_i64, 1772245200000_i64]));
    assert_eq!(b["data_is_stale"], false);
    insta::assert_json_snapshot!("t34_history_stride60_summary", summary(&b));
}

/// Adapted like T34: rows 1772244660000 … 1772245200000. The body is checked against the JSON
/// of the same query byte for byte (rows, grid, times) and the header field by field.
#[test]
fn t35_history_binary_adapted() {
    let Some(a) = golden("t35") else { return };
    let r = get(
        a,
        "/orderbook_heatmap_history?format=bin&minutes=10&stride=2",
    );
    assert_eq!(r.header("content-type"), Some("application/octet-stream"));
    let j = get(a, "/orderbook_heatmap_history?minutes=10&stride=2").json();
    let p = floats(&j["prices"]);
    let cols = p.len();
    assert_eq!(r.body.len(), 64 + 2 * 10 * cols + 8 * 10);
    let h = header(&r.body);
    assert_eq!(
        (h.0, h.1, h.2, h.3, h.4, h.5, h.6),
        (1, 0, 0, 1772244660000, 30000, 10, cols as u16)
    );
    assert_eq!((h.7, h.8, h.9, h.10), (p[0], p[cols - 1], 20.0, 65897.65));
    assert_eq!([h.11[1], h.11[3], h.11[4], h.11[5]], [0, 0, 0, 0]);
    let n = 10 * cols;
    assert_eq!(&r.body[64..64 + n], &bytes(&j["bid_u8"])[..]);
    assert_eq!(&r.body[64 + n..64 + 2 * n], &bytes(&j["ask_u8"])[..]);
    let times: Vec<u64> = r.body[64 + 2 * n..]
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect();
    let want: Vec<u64> = (0..10).map(|i| 1772244660000 + 60_000 * i).collect();
    assert_eq!(times, want);
    assert_eq!(r.header("x-frame-count"), Some("10"));
    assert_eq!(r.header("x-price-count"), Some(cols.to_string().as_str()));
    assert_eq!(r.header("x-first-frame-ts-ms"), Some("1772244660000"));
    assert_eq!(r.header("x-last-frame-ts-ms"), Some("1772245200000"));
    assert_eq!(r.header("x-data-is-stale"), Some("false"));
}

#[test]
fn t37_stats() {
    let Some(a) = golden("t37") else { return };
    let r = get(a, "/orderbook_heatmap_stats");
    let b = r.json();
    assert_eq!(b["frames_in_memory"], 94);
    assert_eq!(b["frames_on_disk"], 94);
    assert_eq!(b["file_size_bytes"], 385024);
    assert_eq!(
        (&b["oldest_ts"], &b["last_ts"]),
        (&json!(1772242410.0), &json!(1772245200.0))
    );
    assert_eq!(b["frames_written_total"], 0);
    assert_eq!(b["mode"], "shared_buffer");
    assert_eq!(
        (&b["last_frame_age_s"], &b["data_is_stale"]),
        (&json!(30.0), &json!(false))
    );
    let rc = &b["reconstructor"];
    assert_eq!(
        (&rc["state"], &rc["levels_bid"], &rc["levels_ask"]),
        (&json!("synced"), &json!(8056), &json!(6232))
    );
    assert_eq!(
        (&rc["best_bid"], &rc["best_ask"]),
        (&json!(65904.1), &json!(65904.2))
    );
    // round(1772245230 − 1772245252.4589734, 1): the fixed clock is before the file was written.
    assert_eq!(rc["stats_age_s"], -22.5);
    snap("t37_stats", &r);
    // DECISIONS HTTP API 4: `symbol` on the stats endpoint.
    let eth = get(a, "/orderbook_heatmap_stats?symbol=ETH").json();
    assert_eq!(
        (
            &eth["frames_in_memory"],
            &eth["last_ts"],
            &eth["last_frame_age_s"]
        ),
        (&json!(0), &json!(0), &Value::Null)
    );
    assert_eq!(
        (&eth["data_is_stale"], &eth["reconstructor"]),
        (&json!(true), &json!({"error": "stats file not found"}))
    );
    assert_eq!(get(a, "/orderbook_heatmap_stats?symbol=XRP").status, 400);
}

#[test]
fn t38_debug() {
    let Some(a) = golden("t38") else { return };
    let r = get(a, "/orderbook_heatmap_debug");
    let b = r.json();
    assert_eq!(
        (
            &b["has_ob_heatmap_module"],
            &b["ob_buffer_shared"],
            &b["mode"]
        ),
        (&json!(true), &json!(true), &json!("embedded"))
    );
    assert_eq!(b["ob_buffer_stats"]["frames_in_memory"], 94);
    snap("t38_debug", &r);
    assert_eq!(
        get(a, "/orderbook_heatmap_debug?symbol=sol").json()["ob_buffer_stats"]["frames_in_memory"],
        0
    );
    assert_eq!(get(a, "/orderbook_heatmap_debug?symbol=XRP").status, 400);
}

#[test]
fn t39_empty_buffer() {
    let a = empty();
    for q in ["", "?format=bin"] {
        let r = get(a, &format!("/orderbook_heatmap{q}"));
        assert_eq!(
            (r.status, detail(&r)),
            (404, json!("No orderbook frames available yet")),
            "{q}"
        );
        let r = get(a, &format!("/orderbook_heatmap_history{q}"));
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(
            r.text(),
            r#"{"t":[],"prices":[],"bid_u8":[],"ask_u8":[],"frame_interval_ms":30000,"step":20.0,"scale":255,"norm_method":"p50_p95","_mode":"shared_buffer"}"#
        );
    }
    let s = get(a, "/orderbook_heatmap_stats").json();
    assert_eq!(
        (&s["last_frame_age_s"], &s["data_is_stale"]),
        (&Value::Null, &json!(true))
    );
}

#[test]
fn t40_no_buffer() {
    let state = AppState::new(Clock::Fixed(common::RUN_NOW), Options::default());
    let a = start_state(state);
    for path in [
        "/orderbook_heatmap",
        "/orderbook_heatmap_history",
        "/orderbook_heatmap_stats",
    ] {
        let r = get(a, path);
        let want = json!("Orderbook heatmap not available (no shared buffer)");
        assert_eq!((r.status, detail(&r)), (503, want), "{path}");
    }
    let d = get(a, "/orderbook_heatmap_debug");
    assert_eq!(
        d.text(),
        r#"{"has_ob_heatmap_module":true,"ob_buffer_shared":false,"mode":"embedded"}"#
    );
    let h = get(a, "/health").json();
    assert_eq!(
        h["ob_buffer"],
        json!({"frames_in_memory": 0, "last_ts": 0, "shared": false})
    );
}

#[test]
fn aliases_equal_primaries_and_binary_is_not_cached() {
    let Some(dir) = golden_dir("ob_aliases") else {
        return;
    };
    let (state, _) = liq_api::load_dir(&dir, Clock::Fixed(common::RUN_NOW), Options::default());
    let a = start_state(state.clone());
    for (primary, alias, q) in [
        (
            "/orderbook_heatmap",
            "/v2/orderbook_heatmap_30s",
            "price_min=65000&price_max=66000",
        ),
        (
            "/orderbook_heatmap",
            "/v2/orderbook_heatmap_30s",
            "format=bin",
        ),
        (
            "/orderbook_heatmap_history",
            "/v2/orderbook_heatmap_30s_history",
            "minutes=5&stride=2",
        ),
        (
            "/orderbook_heatmap_history",
            "/v2/orderbook_heatmap_30s_history",
            "format=bin",
        ),
        (
            "/orderbook_heatmap_stats",
            "/v2/orderbook_heatmap_30s_stats",
            "",
        ),
        (
            "/orderbook_heatmap_debug",
            "/v2/orderbook_heatmap_30s_debug",
            "",
        ),
    ] {
        let (p, al) = (
            get(a, &format!("{primary}?{q}")),
            get(a, &format!("{alias}?{q}")),
        );
        assert_eq!((p.status, &p.body), (al.status, &al.body), "{alias}?{q}");
    }
    state.cache().clear();
    get(a, "/orderbook_heatmap?format=bin");
    get(a, "/orderbook_heatmap_history?format=bin&minutes=5");
    assert!(state.cache().is_empty(), "binary bodies are never cached");
    get(a, "/orderbook_heatmap");
    assert_eq!(state.cache().len(), 1);
}

#[test]
fn reload_tails_the_frame_file() {
    let Some(golden) = golden_dir("ob_reload") else {
        return;
    };
    let bytes = std::fs::read(golden.join("ob_heatmap_30s.bin")).expect("read");
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = tmp.path().join("ob_heatmap_30s.bin");
    std::fs::write(&file, &bytes[..90 * 4096]).expect("write");
    let (state, mut reloader) = liq_api::load_dir(
        tmp.path(),
        Clock::Fixed(common::RUN_NOW),
        Options::default(),
    );
    let len = |s: &AppState| s.slot(0).orderbook().map(|b| b.ring.len());
    assert_eq!(len(&state), Some(90));
    assert_eq!(reloader.reload(tmp.path(), &state).published, 0);
    std::fs::write(&file, &bytes).expect("write");
    assert_eq!(reloader.reload(tmp.path(), &state).published, 1);
    assert_eq!(len(&state), Some(94));
    let ts = state
        .slot(0)
        .orderbook()
        .and_then(|b| b.ring.latest().map(|f| f.ts));
    assert_eq!(ts, Some(1772245200.0));
}
