//! Contract tests of the latest-frame order-book endpoint: api.md 9.2 (T20 to T30) against the
//! golden directory (94 frames in `ob_heatmap_30s.bin`) at the fixed clock of 9.0, adapted where
//! DECISIONS "HTTP API" changes the behaviour (each adapted test says how).

mod common;

use common::get;
use common::golden;
use common::ob::*;
use serde_json::json;

fn snap(name: &str, r: &common::Resp) {
    insta::assert_snapshot!(name, r.text());
}

#[test]
fn t20_latest_frame() {
    let Some(a) = golden("t20") else { return };
    let r = get(a, "/orderbook_heatmap");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let b = r.json();
    assert_eq!(b["frame_ts_ms"], 1772245200000_i64);
    assert_eq!(b["valid_to_ts_ms"], 1772245230000_i64);
    // The fixed clock is 30 s after the frame (the reference run: 38 s): fresh either way.
    assert_eq!(b["server_recv_ts_ms"], 1772245230000_i64);
    assert_eq!(b["data_is_stale"], false);
    assert_eq!(b["src"], 65897.65);
    let p = floats(&b["prices"]);
    assert_eq!((p.len(), p[0], p[659]), (660, 59300.0, 72480.0));
    assert_eq!((nonzero(&b["bid_u8"]), nonzero(&b["ask_u8"])), (143, 119));
    let bid: Vec<u8> = [65860.0, 65880.0, 65900.0]
        .map(|p| at(&b, "bid_u8", p))
        .to_vec();
    let ask: Vec<u8> = [65900.0, 65920.0, 65940.0]
        .map(|p| at(&b, "ask_u8", p))
        .to_vec();
    assert_eq!((bid, ask), (vec![103, 77, 26], vec![4, 97, 112]));
    for k in [
        "norm_p90", "norm_p99", "norm_max", "bid_p50", "bid_p95", "bid_max", "ask_p50", "ask_p95",
        "ask_max",
    ] {
        assert_eq!(b[k], 0.0, "{k}");
    }
    let t = r.text();
    assert!(t.starts_with(r#"{"symbol":"BTC","frame_ts_ms":1772245200000,"frame_interval_ms":30000,"valid_from_ts_ms":1772245200000,"valid_to_ts_ms":1772245230000,"server_recv_ts_ms":1772245230000,"server_send_ts_ms":1772245230000,"data_is_stale":false,"ts":1772245200.0,"src":65897.65,"step":20.0,"price_min":59300.0,"price_max":72480.0,"prices":[59300.0,59320.0,"#));
    assert!(t.ends_with(r#""norm_p50":333754.26665,"norm_p90":0.0,"norm_p95":6069886.805444994,"norm_p99":0.0,"norm_max":0.0,"bid_p50":0.0,"bid_p95":0.0,"bid_max":0.0,"ask_p50":0.0,"ask_p95":0.0,"ask_max":0.0,"total_bid_notional":483691906.37939996,"total_ask_notional":369022302.2875,"scale":255,"_mode":"shared_buffer"}"#));
    snap("t20_latest", &r);
}

#[test]
fn t21_t22_price_overrides() {
    let Some(a) = golden("t21") else { return };
    let r = get(a, "/orderbook_heatmap?price_min=65000&price_max=66000");
    let b = r.json();
    let p = floats(&b["prices"]);
    assert_eq!((p.len(), p[0], p[50]), (51, 65000.0, 66000.0));
    assert_eq!(bytes(&b["bid_u8"])[..4], [255, 55, 146, 51]);
    assert_eq!(bytes(&b["ask_u8"])[49..], [173, 255]);
    assert_eq!(
        (&b["step"], &b["price_min"], &b["price_max"]),
        (&json!(20.0), &json!(65000.0), &json!(66000.0))
    );
    snap("t21_override", &r);
    // T22: bounds rounded half-to-even onto the 20 grid give the same body.
    let r22 = get(a, "/orderbook_heatmap?price_min=65010&price_max=65990");
    assert_eq!(r22.body, r.body);
}

/// Adapted: resampling to another step covers (DECISIONS zones 8, docs/API.md): a finer grid
/// repeats the frame cell containing each price instead of zeros between buckets (A11), so the
/// cells on the frame's own prices keep the reference's values.
#[test]
fn t23_finer_step_adapted() {
    let Some(a) = golden("t23") else { return };
    let r = get(
        a,
        "/orderbook_heatmap?price_min=65000&price_max=66000&step=10",
    );
    let b = r.json();
    let bid = bytes(&b["bid_u8"]);
    assert_eq!(floats(&b["prices"]).len(), 101);
    assert_eq!((bid[0], bid[2]), (255, 55));
    assert_eq!(b["step"], 20.0, "the frame's step, as the reference (A14)");
    snap("t23_step10", &r);
}

/// Adapted: a coarser grid takes the maximum of the frame cells it covers (A11) instead of the
/// last colliding one, so every cell is at least the reference's value.
#[test]
fn t24_coarser_step_adapted() {
    let Some(a) = golden("t24") else { return };
    let r = get(
        a,
        "/orderbook_heatmap?price_min=65000&price_max=66000&step=40",
    );
    let b = r.json();
    let p = floats(&b["prices"]);
    assert_eq!((p.len(), p[0], p[25]), (26, 65000.0, 66000.0));
    let (bid, ask) = (bytes(&b["bid_u8"]), bytes(&b["ask_u8"]));
    for (got, reference) in bid[..4].iter().zip([255, 51, 49, 56]) {
        assert!(*got >= reference, "{bid:?}");
    }
    for (got, reference) in ask[24..].iter().zip([144, 86]) {
        assert!(*got >= reference, "{ask:?}");
    }
    snap("t24_step40", &r);
}

#[test]
fn t25_t26_inverted_and_one_sided_bounds() {
    let Some(a) = golden("t25") else { return };
    let b = get(a, "/orderbook_heatmap?price_min=66000&price_max=65000").json();
    assert_eq!(
        (&b["prices"], &b["bid_u8"], &b["ask_u8"]),
        (&json!([]), &json!([]), &json!([]))
    );
    assert_eq!(
        (&b["price_min"], &b["price_max"]),
        (&json!(66000.0), &json!(65000.0))
    );
    let p = floats(&get(a, "/orderbook_heatmap?price_min=65000").json()["prices"]);
    assert_eq!((p.len(), p[0], p[374]), (375, 65000.0, 72480.0));
}

/// Adapted (DECISIONS HTTP API 4): every configured symbol has its own buffer; the golden
/// directory has no ETH frame file, so ETH is the empty buffer's 404. An unknown symbol is the
/// usual 400, still checked before the other parameters.
#[test]
fn t27_symbols_adapted() {
    let Some(a) = golden("t27") else { return };
    let r = get(a, "/orderbook_heatmap?symbol=ETH");
    assert_eq!(
        (r.status, detail(&r)),
        (404, json!("No orderbook frames available yet"))
    );
    let r = get(a, "/orderbook_heatmap?symbol=eth&step=0");
    assert_eq!(
        (r.status, detail(&r)),
        (400, json!("step must be positive"))
    );
    let r = get(a, "/orderbook_heatmap?symbol=XRP&step=0");
    assert_eq!(
        (r.status, detail(&r)),
        (
            400,
            json!("Invalid symbol 'XRP'. Valid symbols: BTC, ETH, SOL")
        )
    );
    let h = get(a, "/orderbook_heatmap_history?symbol=SOL").json();
    assert_eq!(h["t"], json!([]));
    assert_eq!(h["step"], 0.1, "SOL's own step");
    // The raw value is echoed (A13 kept).
    assert_eq!(
        get(a, "/orderbook_heatmap?symbol=btcusdt").json()["symbol"],
        "btcusdt"
    );
}

#[test]
fn t28_parameter_errors() {
    let Some(a) = golden("t28") else { return };
    for q in ["step=0", "step=-1"] {
        let r = get(a, &format!("/orderbook_heatmap?{q}"));
        assert_eq!(
            (r.status, detail(&r)),
            (400, json!("step must be positive")),
            "{q}"
        );
    }
    for q in ["range_pct=0", "range_pct=1.5"] {
        let r = get(a, &format!("/orderbook_heatmap?{q}"));
        let want = json!("range_pct must be between 0 and 1.0");
        assert_eq!((r.status, detail(&r)), (400, want), "{q}");
    }
    let r = get(a, "/orderbook_heatmap?step=abc");
    assert_eq!(r.status, 422);
    assert_eq!(detail(&r)[0]["type"], "float_parsing");
    assert_eq!(detail(&r)[0]["loc"], json!(["query", "step"]));
    let r = get(a, "/orderbook_heatmap_history?minutes=1.5");
    assert_eq!(
        (r.status, &detail(&r)[0]["type"]),
        (422, &json!("int_parsing"))
    );
}

/// Adapted (api.md A15, DECISIONS HTTP API 4): non-finite numbers are 400 with the existing
/// messages whether or not they are used, and grids over 10 000 prices are 400 (no 500).
#[test]
fn t29_non_finite_and_huge_grids_adapted() {
    let Some(a) = golden("t29") else { return };
    for q in ["step=nan", "step=nan&price_min=65000", "step=inf"] {
        let r = get(a, &format!("/orderbook_heatmap?{q}"));
        assert_eq!(
            (r.status, detail(&r)),
            (400, json!("step must be positive")),
            "{q}"
        );
    }
    let r = get(a, "/orderbook_heatmap?range_pct=nan");
    assert_eq!(r.status, 400);
    let r = get(a, "/orderbook_heatmap?price_min=-inf");
    assert_eq!(
        (r.status, detail(&r)),
        (400, json!("price_min must be a finite number"))
    );
    for path in ["/orderbook_heatmap", "/orderbook_heatmap_history"] {
        let r = get(a, &format!("{path}?price_min=0&price_max=1e9&step=0.01"));
        assert_eq!(r.status, 400, "{path}");
        let r = get(
            a,
            &format!("{path}?price_min=60000&price_max=260000&step=20"),
        );
        assert_eq!(r.status, 400, "{path}: 10 001 prices");
        let r = get(
            a,
            &format!("{path}?price_min=60000&price_max=259980&step=20"),
        );
        assert_eq!(r.status, 200, "{path}: 10 000 prices");
    }
}

#[test]
fn t30_latest_binary() {
    let Some(a) = golden("t30") else { return };
    let r = get(a, "/orderbook_heatmap?format=bin");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/octet-stream"));
    assert_eq!(r.body.len(), 1384);
    assert_eq!(
        header(&r.body),
        Header(
            1,
            0,
            0,
            1772245200000,
            30000,
            1,
            660,
            59300.0,
            72480.0,
            20.0,
            65897.65,
            [333, 0, 6069, 0, 0, 0]
        )
    );
    assert_eq!(r.header("x-frame-ts-ms"), Some("1772245200000"));
    assert_eq!(r.header("x-frame-interval-ms"), Some("30000"));
    assert_eq!(r.header("x-data-is-stale"), Some("false"));
    assert_eq!(r.header("x-server-send-ts-ms"), Some("1772245230000"));
    // The body is the frame's own cells, the same as the JSON arrays, whatever the overrides.
    let j = get(a, "/orderbook_heatmap").json();
    let cells = [bytes(&j["bid_u8"]), bytes(&j["ask_u8"])].concat();
    assert_eq!(&r.body[64..], &cells[..]);
    let over = get(a, "/orderbook_heatmap?format=bin&price_min=65000&step=40");
    assert_eq!(over.body, r.body);
}
