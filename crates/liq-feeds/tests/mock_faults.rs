//! Fault injection of the mock exchange, each fault observed by a minimal client.

mod mock_util;

use std::time::Duration;

use liq_core::event::Exchange;
use liq_core::normalize::StreamKind;
use liq_feeds::mock::{DropMode, MockConfig, MockExchange, VecSource};
use mock_util::*;

const AGG: &str = r#"{"e":"aggTrade","E":1706607141237,"a":2003610431,"s":"BTCUSDT","p":"43370.00","q":"0.004","f":4542591079,"l":4542591079,"T":1706607141085,"m":true}"#;
const BY_LIQ: &str = r#"{"topic":"allLiquidation.BTCUSDT","type":"snapshot","ts":1739502303204,"data":[{"T":1739502302929,"s":"BTCUSDT","S":"Sell","v":"0.003","p":"43511.70"}]}"#;

fn fast(min_subscriptions: usize) -> MockConfig {
    MockConfig {
        speed: f64::INFINITY,
        min_subscriptions,
        ..MockConfig::default()
    }
}

fn one_trade() -> VecSource {
    VecSource::new(vec![VecSource::binance(
        1.0,
        "BTCUSDT",
        StreamKind::Trades,
        "btcusdt@aggTrade",
        AGG,
    )])
}

async fn binance_client(mock: &liq_feeds::mock::MockHandle) -> Ws {
    let mut ws = connect(&format!(
        "{}/market/stream?streams=btcusdt@aggTrade",
        mock.ws_url(Exchange::Binance)
    ))
    .await;
    // The one data frame: the connection is registered and live.
    let v = json(&next_text(&mut ws).await);
    assert_eq!(v["data"], json(AGG));
    ws
}

#[tokio::test]
async fn drop_with_close_frame() {
    let mock = MockExchange::start(Box::new(one_trade()), fast(1))
        .await
        .unwrap();
    let mut ws = binance_client(&mock).await;
    assert_eq!(mock.drop_connections(Exchange::Binance, DropMode::Close), 1);
    assert!(matches!(next_ev(&mut ws).await, Ev::Close));
    assert!(
        mock.wait_until(Exchange::Binance, DEADLINE, |c| c.connections_open == 0
            && c.faults_injected == 1)
            .await
    );
    mock.shutdown().await;
}

#[tokio::test]
async fn drop_with_tcp_reset() {
    let mock = MockExchange::start(Box::new(one_trade()), fast(1))
        .await
        .unwrap();
    let mut ws = binance_client(&mock).await;
    assert_eq!(mock.drop_connections(Exchange::Binance, DropMode::Reset), 1);
    match next_ev(&mut ws).await {
        Ev::Error(e) => assert!(
            e.to_lowercase().contains("reset") || e.to_lowercase().contains("closing handshake"),
            "{e}"
        ),
        Ev::End => {}
        other => panic!("expected an abrupt end, got {other:?}"),
    }
    mock.shutdown().await;
}

#[tokio::test]
async fn garbage_and_truncated_frames() {
    let mock = MockExchange::start(Box::new(one_trade()), fast(1))
        .await
        .unwrap();
    let mut ws = binance_client(&mock).await;
    let last = format!(r#"{{"stream":"btcusdt@aggTrade","data":{AGG}}}"#);
    assert_eq!(mock.send_garbage(Exchange::Binance), 1);
    let g = next_text(&mut ws).await;
    assert!(
        serde_json::from_str::<serde_json::Value>(&g).is_err(),
        "{g}"
    );
    assert_eq!(mock.send_truncated(Exchange::Binance), 1);
    let t = next_text(&mut ws).await;
    assert!(
        serde_json::from_str::<serde_json::Value>(&t).is_err(),
        "{t}"
    );
    assert!(
        !t.is_empty() && t.len() < last.len() && last.starts_with(&t),
        "{t}"
    );
    // The connection stays open after both.
    send(&mut ws, r#"{"method":"LIST_SUBSCRIPTIONS","id":9}"#).await;
    assert_eq!(json(&next_text(&mut ws).await)["id"], 9);
    assert_eq!(mock.counters(Exchange::Binance).faults_injected, 2);
    mock.shutdown().await;
}

#[tokio::test]
async fn stall_sends_nothing_then_resumes() {
    let src = VecSource::new(
        (0..5)
            .map(|i| {
                VecSource::bybit(
                    1.0 + f64::from(i),
                    "BTCUSDT",
                    StreamKind::Liquidations,
                    "allLiquidation.BTCUSDT",
                    BY_LIQ,
                )
            })
            .collect(),
    );
    // The clock starts at the second subscription, which comes after the stall.
    let mock = MockExchange::start(Box::new(src), fast(2)).await.unwrap();
    let mut ws = connect(&format!(
        "{}/v5/public/linear",
        mock.ws_url(Exchange::Bybit)
    ))
    .await;
    send(
        &mut ws,
        r#"{"op":"subscribe","args":["publicTrade.BTCUSDT"]}"#,
    )
    .await;
    assert_eq!(json(&next_text(&mut ws).await)["success"], true);
    assert_eq!(mock.stall(Exchange::Bybit, Duration::from_millis(300)), 1);
    send(
        &mut ws,
        r#"{"op":"subscribe","args":["allLiquidation.BTCUSDT"]}"#,
    )
    .await;
    // All 5 frames (and the ack) are dropped while stalled.
    assert!(
        mock.wait_until(Exchange::Bybit, DEADLINE, |c| c.stall_dropped == 6)
            .await
    );
    // After the stall the connection answers again: the next frame is the pong, so no data
    // frame was merely delayed.
    tokio::time::sleep(Duration::from_millis(300)).await;
    send(&mut ws, r#"{"op":"ping"}"#).await;
    assert_eq!(json(&next_text(&mut ws).await)["ret_msg"], "pong");
    let c = mock.counters(Exchange::Bybit);
    assert_eq!((c.messages_sent, c.connections_open), (0, 1));
    mock.shutdown().await;
}

#[tokio::test]
async fn skipped_depth_diff_leaves_a_sequence_gap() {
    let diff = |u: u64, pu: u64| {
        format!(
            r#"{{"e":"depthUpdate","E":1,"T":1,"s":"BTCUSDT","U":{},"u":{u},"pu":{pu},"b":[],"a":[]}}"#,
            pu + 1
        )
    };
    let src = VecSource::new(
        [(10, 5), (20, 10), (30, 20)]
            .iter()
            .enumerate()
            .map(|(i, (u, pu))| {
                VecSource::binance(
                    1.0 + i as f64,
                    "BTCUSDT",
                    StreamKind::Depth,
                    "btcusdt@depth@100ms",
                    &diff(*u, *pu),
                )
            })
            .collect(),
    );
    let mock = MockExchange::start(Box::new(src), fast(1)).await.unwrap();
    mock.skip_next_depth(Exchange::Binance, "BTCUSDT");
    let mut ws = connect(&format!(
        "{}/public/stream?streams=btcusdt@depth@100ms",
        mock.ws_url(Exchange::Binance)
    ))
    .await;
    let first = json(&next_text(&mut ws).await);
    let second = json(&next_text(&mut ws).await);
    assert_eq!(first["data"]["u"], 20);
    assert_eq!(second["data"]["pu"], 20);
    assert_eq!(second["data"]["u"], 30);
    assert_eq!(mock.counters(Exchange::Binance).depth_skipped, 1);
    mock.shutdown().await;
}

#[tokio::test]
async fn skipped_depth_on_bybit_spares_snapshots() {
    let snap = r#"{"topic":"orderbook.50.BTCUSDT","type":"snapshot","ts":1,"data":{"s":"BTCUSDT","b":[],"a":[],"u":1,"seq":1},"cts":1}"#;
    let delta = |u: u64| {
        format!(
            r#"{{"topic":"orderbook.50.BTCUSDT","type":"delta","ts":1,"data":{{"s":"BTCUSDT","b":[],"a":[],"u":{u},"seq":{u}}},"cts":1}}"#
        )
    };
    let mut msgs = vec![VecSource::bybit(
        1.0,
        "BTCUSDT",
        StreamKind::Depth,
        "orderbook.50.BTCUSDT",
        snap,
    )];
    for u in 2..=3 {
        msgs.push(VecSource::bybit(
            f64::from(u as u32),
            "BTCUSDT",
            StreamKind::Depth,
            "orderbook.50.BTCUSDT",
            &delta(u),
        ));
    }
    let mock = MockExchange::start(Box::new(VecSource::new(msgs)), fast(1))
        .await
        .unwrap();
    mock.skip_next_depth(Exchange::Bybit, "BTCUSDT");
    let mut ws = connect(&format!(
        "{}/v5/public/linear",
        mock.ws_url(Exchange::Bybit)
    ))
    .await;
    send(
        &mut ws,
        r#"{"op":"subscribe","args":["orderbook.50.BTCUSDT"]}"#,
    )
    .await;
    assert_eq!(json(&next_text(&mut ws).await)["success"], true);
    assert_eq!(json(&next_text(&mut ws).await)["type"], "snapshot");
    assert_eq!(json(&next_text(&mut ws).await)["data"]["u"], 3);
    mock.shutdown().await;
}

#[tokio::test]
async fn a_client_that_does_not_read_is_disconnected_and_counted() {
    let big = format!(
        r#"{{"e":"aggTrade","E":1,"s":"BTCUSDT","p":"1","q":"1","m":true,"pad":"{}"}}"#,
        "x".repeat(16 * 1024)
    );
    let src = VecSource::new(
        (0..4000)
            .map(|i| {
                VecSource::binance(
                    f64::from(i),
                    "BTCUSDT",
                    StreamKind::Trades,
                    "btcusdt@aggTrade",
                    &big,
                )
            })
            .collect(),
    );
    let cfg = MockConfig {
        client_buffer: 8,
        slow_client_timeout: Duration::from_millis(100),
        ..fast(1)
    };
    let mock = MockExchange::start(Box::new(src), cfg).await.unwrap();
    // Connect and never read.
    let _ws = connect(&format!(
        "{}/market/ws/btcusdt@aggTrade",
        mock.ws_url(Exchange::Binance)
    ))
    .await;
    assert!(
        mock.wait_until(Exchange::Binance, DEADLINE, |c| c.slow_disconnects == 1
            && c.connections_open == 0)
            .await
    );
    mock.shutdown().await;
}

#[tokio::test]
async fn connections_close_at_the_maximum_age() {
    let cfg = MockConfig {
        max_connection_age: Some(Duration::from_millis(50)),
        ..fast(1)
    };
    let mock = MockExchange::start(Box::new(VecSource::default()), cfg)
        .await
        .unwrap();
    let mut ws = connect(&format!("{}/market/ws", mock.ws_url(Exchange::Binance))).await;
    assert!(matches!(next_ev(&mut ws).await, Ev::Close));
    assert!(
        mock.wait_until(Exchange::Binance, DEADLINE, |c| c.age_closes == 1)
            .await
    );
    mock.shutdown().await;
}

#[tokio::test]
async fn connection_requests_past_the_rate_limit_get_429() {
    let cfg = MockConfig {
        max_connects_per_sec: Some(2),
        ..fast(1)
    };
    let mock = MockExchange::start(Box::new(VecSource::default()), cfg)
        .await
        .unwrap();
    let url = format!("{}/ws/v5/public", mock.ws_url(Exchange::Okx));
    // Three requests back to back (well inside one second): the third is refused.
    let _a = connect(&url).await;
    let _b = connect(&url).await;
    let err = tokio_tungstenite::connect_async(&url).await.unwrap_err();
    assert!(err.to_string().contains("429"), "{err}");
    assert!(
        mock.wait_until(Exchange::Okx, DEADLINE, |c| c.handshakes_rejected == 1
            && c.connections_accepted == 2)
            .await
    );
    mock.shutdown().await;
}
