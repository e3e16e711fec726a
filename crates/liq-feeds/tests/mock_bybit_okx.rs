//! Bybit v5 and OKX v5 protocols of the mock exchange, checked with a minimal client.

mod mock_util;

use std::time::Duration;

use liq_core::event::{Exchange, Market};
use liq_core::normalize::StreamKind;
use liq_feeds::mock::{MockConfig, MockExchange, VecSource};
use mock_util::*;

const BY_LIQ: &str = r#"{"topic":"allLiquidation.BTCUSDT","type":"snapshot","ts":1739502303204,"data":[{"T":1739502302929,"s":"BTCUSDT","S":"Sell","v":"0.003","p":"43511.70"}]}"#;
const BY_TRADE: &str = r#"{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1706607141139,"data":[{"T":1706607141138,"s":"BTCUSDT","S":"Buy","v":"0.003","p":"43365.90","L":"PlusTick","i":"ecb86ce8","BT":false}]}"#;
const BY_TICK: &str = r#"{"topic":"tickers.BTCUSDT","type":"delta","data":{"symbol":"BTCUSDT","fundingRate":"0.0001"},"cs":1,"ts":1706607140023}"#;
const OKX_BOOK: &str = r#"{"arg":{"channel":"books","instId":"BTC-USDT-SWAP"},"action":"update","data":[{"asks":[["43394","2","0","1"]],"bids":[],"ts":"1706607141000","checksum":1,"seqId":2,"prevSeqId":1}]}"#;
const OKX_LIQ: &str = r#"{"arg":{"channel":"liquidation-orders","instType":"SWAP"},"data":[{"details":[{"bkLoss":"0","bkPx":"43300","ccy":"","posSide":"long","side":"sell","sz":"3","ts":"1706607168920"}],"instFamily":"BTC-USDT","instId":"BTC-USDT-SWAP","instType":"SWAP","uly":"BTC-USDT"}]}"#;
const OKX_TRADE: &str = r#"{"arg":{"channel":"trades","instId":"BTC-USDT-SWAP"},"data":[{"instId":"BTC-USDT-SWAP","tradeId":"1","px":"43390.7","sz":"3","side":"sell","ts":"1706607140566","count":"1"}]}"#;

fn fast(min_subscriptions: usize) -> MockConfig {
    MockConfig {
        speed: f64::INFINITY,
        min_subscriptions,
        ..MockConfig::default()
    }
}

fn bybit_source() -> VecSource {
    VecSource::new(vec![
        VecSource::bybit(
            1.0,
            "BTCUSDT",
            StreamKind::Ticker,
            "tickers.BTCUSDT",
            BY_TICK,
        ),
        VecSource::bybit(
            2.0,
            "BTCUSDT",
            StreamKind::Liquidations,
            "allLiquidation.BTCUSDT",
            BY_LIQ,
        ),
        // Same topic name on the spot market: never routed to a linear connection.
        VecSource::msg(
            3.0,
            Exchange::Bybit,
            Market::Spot,
            "BTCUSDT",
            StreamKind::Trades,
            "publicTrade.BTCUSDT",
            BY_TICK,
        ),
        VecSource::bybit(
            4.0,
            "BTCUSDT",
            StreamKind::Trades,
            "publicTrade.BTCUSDT",
            BY_TRADE,
        ),
    ])
}

#[tokio::test]
async fn bybit_subscribe_ack_routing_and_ping() {
    let mock = MockExchange::start(Box::new(bybit_source()), fast(2))
        .await
        .unwrap();
    let mut ws = connect(&format!(
        "{}/v5/public/linear",
        mock.ws_url(Exchange::Bybit)
    ))
    .await;
    send(
        &mut ws,
        r#"{"op":"subscribe","args":["allLiquidation.BTCUSDT","publicTrade.BTCUSDT"],"req_id":"s1"}"#,
    )
    .await;
    let ack = json(&next_text(&mut ws).await);
    assert_eq!(ack["success"], true);
    assert_eq!(ack["ret_msg"], "");
    assert_eq!(ack["req_id"], "s1");
    assert_eq!(ack["op"], "subscribe");
    assert!(ack["conn_id"].as_str().is_some_and(|s| !s.is_empty()));
    assert_eq!(next_text(&mut ws).await, BY_LIQ);
    assert_eq!(next_text(&mut ws).await, BY_TRADE);
    send(&mut ws, r#"{"op":"ping","req_id":"p1"}"#).await;
    let pong = json(&next_text(&mut ws).await);
    assert_eq!(pong["success"], true);
    assert_eq!(pong["ret_msg"], "pong");
    assert_eq!(pong["op"], "ping");
    assert_eq!(pong["req_id"], "p1");
    assert_eq!(pong["conn_id"], ack["conn_id"]);
    let c = mock.counters(Exchange::Bybit);
    assert_eq!((c.subscriptions, c.messages_sent, c.app_pings), (2, 2, 1));
    mock.shutdown().await;
}

#[tokio::test]
async fn bybit_rejects_bad_topics_and_long_args() {
    let cfg = MockConfig {
        bybit_max_args_chars: 30,
        ..fast(1)
    };
    let mock = MockExchange::start(Box::new(VecSource::default()), cfg)
        .await
        .unwrap();
    let mut ws = connect(&format!(
        "{}/v5/public/linear",
        mock.ws_url(Exchange::Bybit)
    ))
    .await;
    send(
        &mut ws,
        r#"{"op":"subscribe","args":["orderbook.7.BTCUSDT"]}"#,
    )
    .await;
    let r = json(&next_text(&mut ws).await);
    assert_eq!(r["success"], false);
    assert!(r["ret_msg"].as_str().unwrap().contains("handler not found"));
    // 22 + 22 characters > 30.
    send(
        &mut ws,
        r#"{"op":"subscribe","args":["allLiquidation.BTCUSDT","allLiquidation.ETHUSDT"]}"#,
    )
    .await;
    let r = json(&next_text(&mut ws).await);
    assert_eq!(r["success"], false);
    assert!(r["ret_msg"].as_str().unwrap().contains("exceeds"));
    send(
        &mut ws,
        r#"{"op":"subscribe","args":["allLiquidation.BTCUSDT"]}"#,
    )
    .await;
    assert_eq!(json(&next_text(&mut ws).await)["success"], true);
    let c = mock.counters(Exchange::Bybit);
    assert_eq!((c.subscribe_errors, c.subscriptions), (2, 1));
    mock.shutdown().await;
}

#[tokio::test]
async fn bybit_idle_connection_is_closed() {
    let cfg = MockConfig {
        bybit_idle_timeout: Duration::from_millis(50),
        ..fast(1)
    };
    let mock = MockExchange::start(Box::new(VecSource::default()), cfg)
        .await
        .unwrap();
    let mut ws = connect(&format!(
        "{}/v5/public/linear",
        mock.ws_url(Exchange::Bybit)
    ))
    .await;
    assert!(matches!(next_ev(&mut ws).await, Ev::Close));
    assert!(
        mock.wait_until(Exchange::Bybit, DEADLINE, |c| c.idle_closes == 1)
            .await
    );
    mock.shutdown().await;
}

#[tokio::test]
async fn okx_subscribe_events_routing_and_ping() {
    let src = VecSource::new(vec![
        VecSource::okx(
            1.0,
            "BTC-USDT-SWAP",
            StreamKind::Trades,
            "trades:BTC-USDT-SWAP",
            OKX_TRADE,
        ),
        VecSource::okx(
            2.0,
            "BTC-USDT-SWAP",
            StreamKind::Depth,
            "books:BTC-USDT-SWAP",
            OKX_BOOK,
        ),
        VecSource::okx(
            3.0,
            "*",
            StreamKind::Liquidations,
            "liquidation-orders:SWAP",
            OKX_LIQ,
        ),
    ]);
    let mock = MockExchange::start(Box::new(src), fast(2)).await.unwrap();
    let mut ws = connect(&format!("{}/ws/v5/public", mock.ws_url(Exchange::Okx))).await;
    send(
        &mut ws,
        r#"{"op":"subscribe","args":[{"channel":"books","instId":"BTC-USDT-SWAP"},{"channel":"liquidation-orders","instType":"SWAP"}]}"#,
    )
    .await;
    let e1 = json(&next_text(&mut ws).await);
    assert_eq!(e1["event"], "subscribe");
    assert_eq!(
        e1["arg"],
        json(r#"{"channel":"books","instId":"BTC-USDT-SWAP"}"#)
    );
    assert!(e1["connId"].as_str().is_some());
    let e2 = json(&next_text(&mut ws).await);
    assert_eq!(e2["arg"]["channel"], "liquidation-orders");
    assert_eq!(next_text(&mut ws).await, OKX_BOOK);
    assert_eq!(next_text(&mut ws).await, OKX_LIQ);
    send(&mut ws, "ping").await;
    assert_eq!(next_text(&mut ws).await, "pong");
    send(
        &mut ws,
        r#"{"op":"subscribe","args":[{"channel":"nope","instId":"X"}]}"#,
    )
    .await;
    let err = json(&next_text(&mut ws).await);
    assert_eq!(
        (err["event"].as_str(), err["code"].as_str()),
        (Some("error"), Some("60018"))
    );
    let c = mock.counters(Exchange::Okx);
    assert_eq!(
        (
            c.subscriptions,
            c.messages_sent,
            c.app_pings,
            c.subscribe_errors
        ),
        (2, 2, 1, 1)
    );
    mock.shutdown().await;
}

#[tokio::test]
async fn okx_idle_connection_is_closed() {
    let cfg = MockConfig {
        okx_idle_timeout: Duration::from_millis(50),
        ..fast(1)
    };
    let mock = MockExchange::start(Box::new(VecSource::default()), cfg)
        .await
        .unwrap();
    let mut ws = connect(&format!("{}/ws/v5/public", mock.ws_url(Exchange::Okx))).await;
    assert!(matches!(next_ev(&mut ws).await, Ev::Close));
    assert!(
        mock.wait_until(Exchange::Okx, DEADLINE, |c| c.idle_closes == 1)
            .await
    );
    mock.shutdown().await;
}
