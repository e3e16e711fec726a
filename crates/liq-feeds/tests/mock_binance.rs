//! Binance USD-M protocol of the mock exchange, checked with a minimal tokio-tungstenite client.

mod mock_util;

use std::time::Duration;

use liq_core::event::Exchange;
use liq_core::normalize::StreamKind;
use liq_feeds::mock::{MockConfig, MockExchange, VecSource};
use mock_util::*;

const AGG_BTC: &str = r#"{"e":"aggTrade","E":1706607141237,"a":2003610431,"s":"BTCUSDT","p":"43370.00","q":"0.004","f":4542591079,"l":4542591079,"T":1706607141085,"m":true}"#;
const AGG_ETH: &str = r#"{"e":"aggTrade","E":1706607141300,"a":1,"s":"ETHUSDT","p":"2300.00","q":"0.1","f":1,"l":1,"T":1706607141290,"m":false}"#;
const FORCE: &str = r#"{"e":"forceOrder","E":1706607142000,"o":{"s":"BTCUSDT","S":"SELL","o":"LIMIT","f":"IOC","q":"0.014","p":"43300","ap":"43300","X":"FILLED","l":"0.014","z":"0.014","T":1706607142000}}"#;
const MARK: &str = r#"{"e":"markPriceUpdate","E":1706607143000,"s":"BTCUSDT","p":"43371.5","i":"43360.2","P":"43380","r":"0.00010000","T":1706630400000}"#;

fn depth(u: u64, pu: u64) -> String {
    format!(
        r#"{{"e":"depthUpdate","E":1706607144000,"T":1706607144000,"s":"BTCUSDT","U":{},"u":{u},"pu":{pu},"b":[["43370.0","1.0"]],"a":[]}}"#,
        pu + 1
    )
}

fn source() -> VecSource {
    VecSource::new(vec![
        VecSource::binance(
            1.0,
            "BTCUSDT",
            StreamKind::Trades,
            "btcusdt@aggTrade",
            AGG_BTC,
        ),
        VecSource::binance(
            2.0,
            "ETHUSDT",
            StreamKind::Trades,
            "ethusdt@aggTrade",
            AGG_ETH,
        ),
        VecSource::binance(3.0, "*", StreamKind::Liquidations, "!forceOrder@arr", FORCE),
        VecSource::binance(
            4.0,
            "BTCUSDT",
            StreamKind::MarkPrice,
            "btcusdt@markPrice@1s",
            MARK,
        ),
        VecSource::binance(
            5.0,
            "BTCUSDT",
            StreamKind::Depth,
            "btcusdt@depth@100ms",
            &depth(10, 5),
        ),
        VecSource::binance(
            6.0,
            "BTCUSDT",
            StreamKind::Trades,
            "btcusdt@aggTrade",
            AGG_BTC,
        ),
        VecSource::binance(
            7.0,
            "BTCUSDT",
            StreamKind::Depth,
            "btcusdt@depth@100ms",
            &depth(20, 10),
        ),
    ])
}

fn fast(min_subscriptions: usize) -> MockConfig {
    MockConfig {
        speed: f64::INFINITY,
        min_subscriptions,
        ..MockConfig::default()
    }
}

#[tokio::test]
async fn combined_stream_in_the_url_routes_and_wraps() {
    let mock = MockExchange::start(Box::new(source()), fast(3))
        .await
        .unwrap();
    let url = format!(
        "{}/market/stream?streams=btcusdt@aggTrade/!forceOrder@arr/btcusdt@markPrice@1s",
        mock.ws_url(Exchange::Binance)
    );
    let mut ws = connect(&url).await;
    let expected = [
        ("btcusdt@aggTrade", AGG_BTC),
        ("!forceOrder@arr", FORCE),
        ("btcusdt@markPrice@1s", MARK),
        ("btcusdt@aggTrade", AGG_BTC),
    ];
    for (stream, data) in expected {
        let v = json(&next_text(&mut ws).await);
        assert_eq!(v["stream"], stream);
        assert_eq!(v["data"], json(data));
    }
    assert!(
        mock.wait_until(Exchange::Binance, DEADLINE, |c| c.messages_sent == 4)
            .await
    );
    let c = mock.counters(Exchange::Binance);
    assert_eq!((c.connections_accepted, c.subscriptions), (1, 3));
    assert_eq!(c.wrong_path_subscriptions, 0);
    mock.shutdown().await;
}

#[tokio::test]
async fn live_subscribe_on_raw_path_and_wrong_tier_gets_nothing() {
    let mock = MockExchange::start(Box::new(source()), fast(1))
        .await
        .unwrap();
    let mut ws = connect(&format!("{}/public/ws", mock.ws_url(Exchange::Binance))).await;
    // aggTrade is a market-tier stream: acknowledged on /public, never served there.
    send(
        &mut ws,
        r#"{"method":"SUBSCRIBE","params":["btcusdt@aggTrade","btcusdt@depth@100ms"],"id":7}"#,
    )
    .await;
    assert_eq!(
        json(&next_text(&mut ws).await),
        json(r#"{"result":null,"id":7}"#)
    );
    // Raw stream: the bare event, no envelope. The aggTrade frames at t=1 and t=6 are missing:
    // the two depth diffs arrive back to back.
    assert_eq!(json(&next_text(&mut ws).await), json(&depth(10, 5)));
    assert_eq!(json(&next_text(&mut ws).await), json(&depth(20, 10)));
    send(&mut ws, r#"{"method":"LIST_SUBSCRIPTIONS","id":8}"#).await;
    let list = json(&next_text(&mut ws).await);
    assert_eq!(list["id"], 8);
    assert_eq!(list["result"].as_array().map(Vec::len), Some(2));
    let c = mock.counters(Exchange::Binance);
    assert_eq!(c.wrong_path_subscriptions, 1);
    assert_eq!(c.messages_sent, 2);
    mock.shutdown().await;
}

#[tokio::test]
async fn legacy_ws_path_serves_no_market_stream() {
    let mock = MockExchange::start(Box::new(source()), fast(1))
        .await
        .unwrap();
    let mut ws = connect(&format!(
        "{}/ws/btcusdt@markPrice@1s",
        mock.ws_url(Exchange::Binance)
    ))
    .await;
    send(
        &mut ws,
        r#"{"method":"SUBSCRIBE","params":["btcusdt@depth@100ms"],"id":1}"#,
    )
    .await;
    assert_eq!(json(&next_text(&mut ws).await)["id"], 1);
    // The markPrice frame (t=4) precedes the first depth diff (t=5) but never arrives.
    assert_eq!(json(&next_text(&mut ws).await), json(&depth(10, 5)));
    assert_eq!(mock.counters(Exchange::Binance).wrong_path_subscriptions, 1);
    mock.shutdown().await;
}

#[tokio::test]
async fn server_pings_and_pongs_are_counted() {
    let cfg = MockConfig {
        binance_ping_interval: Duration::from_millis(20),
        ..fast(1)
    };
    let mock = MockExchange::start(Box::new(VecSource::default()), cfg)
        .await
        .unwrap();
    let mut ws = connect(&format!("{}/market/ws", mock.ws_url(Exchange::Binance))).await;
    // tungstenite answers a Ping while reading; the next read flushes the Pong.
    let mut pings = 0;
    while pings < 3 {
        if let Ev::Ping = next_ev(&mut ws).await {
            pings += 1;
        }
    }
    assert!(
        mock.wait_until(Exchange::Binance, DEADLINE, |c| c.pongs_received >= 1)
            .await
    );
    assert!(mock.counters(Exchange::Binance).pings_sent >= 3);
    mock.shutdown().await;
}

#[tokio::test]
async fn a_client_that_never_pongs_is_closed() {
    let cfg = MockConfig {
        binance_ping_interval: Duration::from_millis(10),
        binance_pong_timeout: Duration::from_millis(40),
        ..fast(1)
    };
    let mock = MockExchange::start(Box::new(VecSource::default()), cfg)
        .await
        .unwrap();
    // Never read: no Pong is ever sent.
    let _ws = connect(&format!("{}/market/ws", mock.ws_url(Exchange::Binance))).await;
    assert!(
        mock.wait_until(Exchange::Binance, DEADLINE, |c| c.idle_closes == 1
            && c.connections_open == 0)
            .await
    );
    mock.shutdown().await;
}

#[tokio::test]
async fn stream_limit_and_bad_paths() {
    let cfg = MockConfig {
        binance_max_streams: 3,
        ..fast(1)
    };
    let mock = MockExchange::start(Box::new(VecSource::default()), cfg)
        .await
        .unwrap();
    let base = mock.ws_url(Exchange::Binance);
    let too_many =
        format!("{base}/market/stream?streams=a@aggTrade/b@aggTrade/c@aggTrade/d@aggTrade");
    let err = tokio_tungstenite::connect_async(&too_many)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("400"), "{err}");
    let err = tokio_tungstenite::connect_async(format!("{base}/fapi/ws"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("404"), "{err}");
    let mut ws = connect(&format!(
        "{base}/market/stream?streams=a@aggTrade/b@aggTrade"
    ))
    .await;
    send(
        &mut ws,
        r#"{"method":"SUBSCRIBE","params":["c@aggTrade","d@aggTrade"],"id":3}"#,
    )
    .await;
    let e = json(&next_text(&mut ws).await);
    assert_eq!(e["id"], 3);
    assert_eq!(e["error"]["code"], 2);
    send(
        &mut ws,
        r#"{"method":"SUBSCRIBE","params":["c@aggTrade"],"id":4}"#,
    )
    .await;
    assert_eq!(
        json(&next_text(&mut ws).await),
        json(r#"{"result":null,"id":4}"#)
    );
    assert!(
        mock.wait_until(Exchange::Binance, DEADLINE, |c| c.handshakes_rejected == 2)
            .await
    );
    let c = mock.counters(Exchange::Binance);
    assert_eq!((c.subscribe_errors, c.subscriptions), (1, 3));
    mock.shutdown().await;
}

#[tokio::test]
async fn too_many_messages_a_second_close_the_connection() {
    let cfg = MockConfig {
        binance_max_messages_per_sec: 3,
        ..fast(1)
    };
    let mock = MockExchange::start(Box::new(VecSource::default()), cfg)
        .await
        .unwrap();
    let mut ws = connect(&format!("{}/market/ws", mock.ws_url(Exchange::Binance))).await;
    // Four messages sent back to back (microseconds apart, well inside one second).
    for id in 0..4 {
        send(
            &mut ws,
            &format!(r#"{{"method":"LIST_SUBSCRIPTIONS","id":{id}}}"#),
        )
        .await;
    }
    for id in 0..3 {
        assert_eq!(json(&next_text(&mut ws).await)["id"], id);
    }
    assert!(matches!(next_ev(&mut ws).await, Ev::Close));
    assert!(
        mock.wait_until(Exchange::Binance, DEADLINE, |c| c.rate_limit_closes == 1)
            .await
    );
    mock.shutdown().await;
}
