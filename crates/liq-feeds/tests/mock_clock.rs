//! The mock exchange's clock: fast-forward, a frozen clock, speed changes, a finite speed.

mod mock_util;

use liq_core::event::Exchange;
use liq_core::normalize::StreamKind;
use liq_feeds::mock::{MockConfig, MockExchange, VecSource};
use mock_util::*;

fn trade(ts: f64) -> liq_feeds::WireMsg {
    let payload = format!(
        r#"{{"arg":{{"channel":"trades","instId":"BTC-USDT-SWAP"}},"data":[{{"instId":"BTC-USDT-SWAP","tradeId":"{}","px":"43390.7","sz":"3","side":"sell","ts":"{}"}}]}}"#,
        (ts * 100.0).round() as u64,
        (ts * 1000.0) as u64
    );
    VecSource::okx(
        ts,
        "BTC-USDT-SWAP",
        StreamKind::Trades,
        "trades:BTC-USDT-SWAP",
        &payload,
    )
}

async fn subscribe(mock: &liq_feeds::mock::MockHandle) -> Ws {
    let mut ws = connect(&format!("{}/ws/v5/public", mock.ws_url(Exchange::Okx))).await;
    send(
        &mut ws,
        r#"{"op":"subscribe","args":[{"channel":"trades","instId":"BTC-USDT-SWAP"}]}"#,
    )
    .await;
    assert_eq!(json(&next_text(&mut ws).await)["event"], "subscribe");
    ws
}

fn trade_id(text: &str) -> String {
    json(text)["data"][0]["tradeId"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn fast_forward_then_frozen_then_resumed() {
    let src = VecSource::new(vec![trade(1.0), trade(2.0), trade(5.0), trade(50.0)]);
    let cfg = MockConfig {
        speed: 0.0,
        fast_forward_until: Some(10.0),
        ..MockConfig::default()
    };
    let mock = MockExchange::start(Box::new(src), cfg).await.unwrap();
    let mut ws = subscribe(&mock).await;
    for id in ["100", "200", "500"] {
        assert_eq!(trade_id(&next_text(&mut ws).await), id);
    }
    // Fast-forward stops exactly at its end; at speed 0 the clock then stands still.
    assert!(
        mock.wait_until(Exchange::Okx, DEADLINE, |_| mock.source_time() == 10.0)
            .await
    );
    assert!(!mock.source_exhausted());
    mock.set_speed(f64::INFINITY);
    assert_eq!(trade_id(&next_text(&mut ws).await), "5000");
    assert!(
        mock.wait_until(Exchange::Okx, DEADLINE, |_| mock.source_exhausted())
            .await
    );
    mock.shutdown().await;
}

#[tokio::test]
async fn a_finite_speed_delivers_in_order() {
    // 0.2 source seconds at 10x: about 20 ms of wall time.
    let src = VecSource::new((0..5).map(|i| trade(100.0 + f64::from(i) * 0.05)).collect());
    let cfg = MockConfig {
        speed: 10.0,
        ..MockConfig::default()
    };
    let mock = MockExchange::start(Box::new(src), cfg).await.unwrap();
    let mut ws = subscribe(&mock).await;
    for id in ["10000", "10005", "10010", "10015", "10020"] {
        assert_eq!(trade_id(&next_text(&mut ws).await), id);
    }
    assert!(
        mock.wait_until(Exchange::Okx, DEADLINE, |_| mock.source_exhausted())
            .await
    );
    assert!(mock.source_time() >= 100.2);
    mock.shutdown().await;
}
