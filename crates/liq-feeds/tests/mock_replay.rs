//! Replay buffer of the mock exchange: a reconnecting client gets the recent frames again.

mod mock_util;

use liq_core::event::Exchange;
use liq_core::normalize::StreamKind;
use liq_feeds::mock::{DropMode, MockConfig, MockExchange, VecSource};
use mock_util::*;

fn liq(i: u32) -> String {
    format!(
        r#"{{"topic":"allLiquidation.BTCUSDT","type":"snapshot","ts":{t},"data":[{{"T":{t},"s":"BTCUSDT","S":"Buy","v":"0.00{i}","p":"43500.0"}}]}}"#,
        t = 1_706_607_000_000u64 + u64::from(i) * 1000
    )
}

fn source() -> VecSource {
    VecSource::new(
        (1..=3)
            .map(|i| {
                VecSource::bybit(
                    f64::from(i),
                    "BTCUSDT",
                    StreamKind::Liquidations,
                    "allLiquidation.BTCUSDT",
                    &liq(i),
                )
            })
            .collect(),
    )
}

async fn subscribe(mock: &liq_feeds::mock::MockHandle) -> Ws {
    let mut ws = connect(&format!(
        "{}/v5/public/linear",
        mock.ws_url(Exchange::Bybit)
    ))
    .await;
    send(
        &mut ws,
        r#"{"op":"subscribe","args":["allLiquidation.BTCUSDT"]}"#,
    )
    .await;
    assert_eq!(json(&next_text(&mut ws).await)["success"], true);
    ws
}

#[tokio::test]
async fn replay_on_subscribe_resends_the_buffer_after_a_reconnect() {
    let cfg = MockConfig {
        speed: f64::INFINITY,
        replay_on_subscribe: true,
        replay_secs: 60.0,
        ..MockConfig::default()
    };
    let mock = MockExchange::start(Box::new(source()), cfg).await.unwrap();
    let mut ws = subscribe(&mock).await;
    for i in 1..=3 {
        assert_eq!(next_text(&mut ws).await, liq(i));
    }
    assert!(
        mock.wait_until(Exchange::Bybit, DEADLINE, |_| mock.source_exhausted())
            .await
    );
    mock.drop_connections(Exchange::Bybit, DropMode::Close);
    assert!(matches!(next_ev(&mut ws).await, Ev::Close));
    // The reconnected client gets the same three liquidations from the buffer, in order,
    // after its ack; a de-duplicating connector loses none and counts three duplicates.
    let mut ws = subscribe(&mock).await;
    for i in 1..=3 {
        assert_eq!(next_text(&mut ws).await, liq(i));
    }
    let c = mock.counters(Exchange::Bybit);
    assert_eq!(
        (c.replayed, c.messages_sent, c.connections_accepted),
        (3, 6, 2)
    );
    mock.shutdown().await;
}

#[tokio::test]
async fn without_replay_a_reconnect_gets_nothing_old() {
    let cfg = MockConfig {
        speed: f64::INFINITY,
        replay_on_subscribe: false,
        replay_secs: 60.0,
        ..MockConfig::default()
    };
    let mock = MockExchange::start(Box::new(source()), cfg).await.unwrap();
    let mut ws = subscribe(&mock).await;
    for i in 1..=3 {
        assert_eq!(next_text(&mut ws).await, liq(i));
    }
    drop(ws);
    let mut ws = subscribe(&mock).await;
    send(&mut ws, r#"{"op":"ping"}"#).await;
    // The next frame after the ack is the pong: nothing was re-sent.
    assert_eq!(json(&next_text(&mut ws).await)["ret_msg"], "pong");
    assert_eq!(mock.counters(Exchange::Bybit).replayed, 0);
    mock.shutdown().await;
}

#[tokio::test]
async fn the_buffer_keeps_only_the_last_replay_secs() {
    let cfg = MockConfig {
        speed: f64::INFINITY,
        replay_on_subscribe: true,
        replay_secs: 1.5,
        ..MockConfig::default()
    };
    let mock = MockExchange::start(Box::new(source()), cfg).await.unwrap();
    let mut ws = subscribe(&mock).await;
    for i in 1..=3 {
        assert_eq!(next_text(&mut ws).await, liq(i));
    }
    drop(ws);
    // Newest at t=3: t=2 and t=3 are within 1.5 s, t=1 is not.
    let mut ws = subscribe(&mock).await;
    assert_eq!(next_text(&mut ws).await, liq(2));
    assert_eq!(next_text(&mut ws).await, liq(3));
    mock.shutdown().await;
}
