//! CaptureSource on the shared recordings, alone and served through the mock exchange.

mod mock_util;

use std::path::{Path, PathBuf};

use liq_core::event::Exchange;
use liq_feeds::capture_source::CaptureSource;
use liq_feeds::mock::{MockConfig, MockExchange};
use liq_feeds::{MarketSource, WireMsg};
use liq_store::shared_fixtures;
use mock_util::*;
use serde_json::Value;

fn raw(dir: &Path, name: &str) -> PathBuf {
    dir.join("raw").join(name)
}

/// The recorded lines of a file, parsed independently of the source.
fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Recorded WebSocket data messages (protocol replies excluded).
fn ws_data(path: &Path) -> Vec<Value> {
    lines(path)
        .into_iter()
        .filter(|l| l["kind"] == "raw" && l["via"] == "ws")
        .filter(|l| l["msg"].get("success").is_none() && l["msg"].get("event").is_none())
        .map(|l| l["msg"].clone())
        .collect()
}

fn drain(src: &mut CaptureSource) -> Vec<WireMsg> {
    let mut out = Vec::new();
    assert!(!src.advance(f64::INFINITY, &mut out));
    out
}

#[test]
fn bybit_streams_are_merged_in_time_order_with_their_topics() {
    let Some(dir) = shared_fixtures::dir("bybit_streams_are_merged") else {
        return;
    };
    let files = [
        raw(&dir, "bybit_perp_btcusdt_trades.jsonl"),
        raw(&dir, "bybit_perp_btcusdt_ticker.jsonl"),
        raw(&dir, "bybit_perp_btcusdt_depth.jsonl"),
    ];
    let mut src = CaptureSource::open_many(&files).unwrap();
    let msgs = drain(&mut src);
    let expected: usize = files.iter().map(|f| ws_data(f).len()).sum();
    assert_eq!(msgs.len(), expected);
    assert!(msgs.windows(2).all(|w| w[0].ts <= w[1].ts));
    assert_eq!(src.start_ts(), msgs[0].ts);
    for m in &msgs {
        let topic: Value = serde_json::from_str(&m.payload).unwrap();
        assert_eq!(topic["topic"], m.topic.as_str());
        assert!(
            [
                "publicTrade.BTCUSDT",
                "tickers.BTCUSDT",
                "orderbook.200.BTCUSDT"
            ]
            .contains(&m.topic.as_str()),
            "{}",
            m.topic
        );
    }
    // The depth file's pong frames were skipped, not served.
    assert!(src.stats().skipped > 0);
    assert_eq!(src.stats().bad_lines, 0);
}

#[test]
fn binance_and_okx_topics() {
    let Some(dir) = shared_fixtures::dir("binance_and_okx_topics") else {
        return;
    };
    let mut src = CaptureSource::open_many(&[
        raw(&dir, "binance_perp_btcusdt_trades.jsonl"),
        raw(&dir, "binance_perp_btcusd_perp_depth.jsonl"),
        raw(&dir, "okx_perp_all_liquidations.jsonl"),
    ])
    .unwrap();
    let msgs = drain(&mut src);
    let count = |t: &str| msgs.iter().filter(|m| m.topic == t).count();
    assert_eq!(count("btcusdt@aggTrade"), 474);
    assert_eq!(count("btcusd_perp@depth@100ms"), 239);
    assert_eq!(count("liquidation-orders:SWAP"), 8);
    assert_eq!(msgs.len(), 474 + 239 + 8);
}

#[test]
fn rest_answers_the_latest_body_at_or_before_now_without_losing_ws_lines() {
    let Some(dir) = shared_fixtures::dir("rest_answers_latest") else {
        return;
    };
    let oi = raw(&dir, "binance_perp_btcusdt_open_interest.jsonl");
    let trades = raw(&dir, "binance_perp_btcusdt_trades.jsonl");
    let recorded: Vec<Value> = lines(&oi)
        .into_iter()
        .filter(|l| l["via"] == "rest")
        .collect();
    assert_eq!(recorded.len(), 13);
    let mut src = CaptureSource::open_many(&[&oi, &trades]).unwrap();
    let q = "symbol=BTCUSDT";
    let ts = |i: usize| recorded[i]["ts"].as_f64().unwrap();
    let body = |a: Option<liq_feeds::RestAnswer>| {
        serde_json::from_str::<Value>(&a.expect("an answer").body).unwrap()
    };
    assert!(
        src.rest(Exchange::Binance, "/fapi/v1/openInterest", q, ts(0) - 1.0)
            .is_none()
    );
    // Asking REST reads ahead; the trades read meanwhile are still served, in order.
    let mid = (ts(1) + ts(2)) / 2.0;
    assert_eq!(
        body(src.rest(Exchange::Binance, "/fapi/v1/openInterest", q, mid)),
        recorded[1]["msg"]
    );
    assert_eq!(
        body(src.rest(Exchange::Binance, "/fapi/v1/openInterest", q, f64::INFINITY)),
        recorded[12]["msg"]
    );
    assert!(
        src.rest(
            Exchange::Binance,
            "/fapi/v1/openInterest",
            "symbol=ETHUSDT",
            f64::INFINITY
        )
        .is_none()
    );
    assert!(
        src.rest(Exchange::Binance, "/fapi/v1/depth", q, f64::INFINITY)
            .is_none()
    );
    let msgs = drain(&mut src);
    assert_eq!(msgs.len(), 474);
    assert!(msgs.windows(2).all(|w| w[0].ts <= w[1].ts));
    let want: Vec<Value> = ws_data(&trades);
    let got: Vec<Value> = msgs
        .iter()
        .map(|m| serde_json::from_str(&m.payload).unwrap())
        .collect();
    assert_eq!(got, want);
}

#[test]
fn a_minute_replay_has_no_raw_lines() {
    let Some(dir) = shared_fixtures::dir("a_minute_replay_has_no_raw_lines") else {
        return;
    };
    let path = dir.join("replay/btc_2026-01-29T0812Z_34m.jsonl");
    let mut src = CaptureSource::open(&path).unwrap();
    assert!(drain(&mut src).is_empty());
    assert!(src.stats().skipped > 34);
}

#[tokio::test]
async fn a_recording_served_through_the_mock() {
    let Some(dir) = shared_fixtures::dir("a_recording_served_through_the_mock") else {
        return;
    };
    let liqs = raw(&dir, "okx_perp_all_liquidations.jsonl");
    let src = CaptureSource::open_many(&[
        liqs.clone(),
        raw(&dir, "okx_perp_btc-usdt-swap_trades.jsonl"),
        raw(&dir, "binance_perp_btcusdt_open_interest.jsonl"),
    ])
    .unwrap();
    let cfg = MockConfig {
        speed: f64::INFINITY,
        step: 30.0,
        ..MockConfig::default()
    };
    let mock = MockExchange::start(Box::new(src), cfg).await.unwrap();
    let mut ws = connect(&format!("{}/ws/v5/public", mock.ws_url(Exchange::Okx))).await;
    send(
        &mut ws,
        r#"{"op":"subscribe","args":[{"channel":"liquidation-orders","instType":"SWAP"}]}"#,
    )
    .await;
    assert_eq!(json(&next_text(&mut ws).await)["event"], "subscribe");
    for want in ws_data(&liqs) {
        assert_eq!(json(&next_text(&mut ws).await), want);
    }
    assert!(
        mock.wait_until(Exchange::Okx, DEADLINE, |_| mock.source_exhausted())
            .await
    );
    let a = get(
        &mock.rest_url(Exchange::Binance),
        "/fapi/v1/openInterest?symbol=BTCUSDT",
    )
    .await;
    assert_eq!(a.status, 200);
    assert_eq!(json(&a.body)["symbol"], "BTCUSDT");
    assert_eq!(mock.counters(Exchange::Okx).messages_sent, 8);
    mock.shutdown().await;
}

#[test]
fn every_recording_at_once_and_each_recorded_rest_stream_is_reachable() {
    let Some(dir) = shared_fixtures::dir("every_recording_at_once") else {
        return;
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("raw"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 33);
    let mut src = CaptureSource::open_many(&files).unwrap();
    let msgs = drain(&mut src);
    let expected: usize = files.iter().map(|f| ws_data(f).len()).sum();
    assert_eq!(msgs.len(), expected);
    assert!(msgs.windows(2).all(|w| w[0].ts <= w[1].ts));
    assert!(msgs.iter().all(|m| !m.topic.is_empty()));
    let stats = src.stats();
    assert_eq!(stats.bad_lines, 0);
    let rest_lines: usize = files
        .iter()
        .map(|f| lines(f).iter().filter(|l| l["via"] == "rest").count())
        .sum();
    assert_eq!(stats.rest as usize, rest_lines);
    // Each recorded REST stream, asked the way a client asks it, gets its last recorded body.
    let asks = [
        (
            Exchange::Binance,
            "/fapi/v1/depth?symbol=BTCUSDT&limit=1000",
            "binance_perp_btcusdt_depth.jsonl",
        ),
        (
            Exchange::Binance,
            "/dapi/v1/depth?symbol=BTCUSD_PERP&limit=1000",
            "binance_perp_btcusd_perp_depth.jsonl",
        ),
        (
            Exchange::Binance,
            "/api/v3/depth?symbol=BTCUSDT&limit=100",
            "binance_spot_btcusdt_depth.jsonl",
        ),
        (
            Exchange::Binance,
            "/fapi/v1/fundingRate?symbol=BTCUSDT&limit=1",
            "binance_perp_btcusdt_funding.jsonl",
        ),
        (
            Exchange::Binance,
            "/dapi/v1/openInterest?symbol=BTCUSD_PERP",
            "binance_perp_btcusd_perp_open_interest.jsonl",
        ),
        (
            Exchange::Bybit,
            "/v5/market/orderbook?category=linear&symbol=BTCUSDT&limit=200",
            "bybit_perp_btcusdt_depth.jsonl",
        ),
        (
            Exchange::Bybit,
            "/v5/market/orderbook?category=inverse&symbol=BTCUSD&limit=200",
            "bybit_perp_btcusd_depth.jsonl",
        ),
        (
            Exchange::Bybit,
            "/v5/market/orderbook?category=spot&symbol=BTCUSDC&limit=200",
            "bybit_spot_btcusdc_depth.jsonl",
        ),
    ];
    for (ex, pq, file) in asks {
        let (path, query) = pq.split_once('?').unwrap();
        let last = lines(&raw(&dir, file))
            .into_iter()
            .rev()
            .find(|l| l["via"] == "rest")
            .unwrap();
        let got = src
            .rest(ex, path, query, f64::INFINITY)
            .unwrap_or_else(|| panic!("{pq}"));
        assert_eq!(
            serde_json::from_str::<Value>(&got.body).unwrap(),
            last["msg"],
            "{pq}"
        );
    }
}
