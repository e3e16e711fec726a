//! The Bybit connector against the mock exchange: subscribe, receive, ping/pong, every injected
//! fault (gap + reconnect, no panic), REST OI fallback, and no liquidation lost across a
//! reconnect when the mock replays its buffer (de-duplicated by the normalizer).

mod feeds_util;

use std::time::Duration;

use feeds_util::*;
use liq_core::event::Exchange;
use liq_core::normalize::StreamKind;
use liq_feeds::RestAnswer;
use liq_feeds::conn::{ConnState, FeedEvent, GapReason};
use liq_feeds::mock::{DropMode, MockConfig, MockHandle, VecSource};

const T0: f64 = 1_772_244_000.0;

/// `n` liquidations every 0.5 s and book deltas every 0.25 s on BTCUSDT.
fn source(n: usize) -> VecSource {
    let mut v = Vec::new();
    for i in 0..n {
        let ts = T0 + i as f64 * 0.5;
        let ms = (ts * 1000.0) as i64;
        let liq = format!(
            r#"{{"topic":"allLiquidation.BTCUSDT","type":"snapshot","ts":{ms},"data":[{{"T":{ms},"s":"BTCUSDT","S":"Buy","v":"0.0{}","p":"6{:04}.5"}}]}}"#,
            1 + i % 9,
            i
        );
        v.push(VecSource::bybit(
            ts,
            "BTCUSDT",
            StreamKind::Liquidations,
            "allLiquidation.BTCUSDT",
            &liq,
        ));
        for k in 0..2 {
            let ts = ts + 0.25 * k as f64;
            let ms = (ts * 1000.0) as i64;
            let book = format!(
                r#"{{"topic":"orderbook.50.BTCUSDT","type":"delta","ts":{ms},"data":{{"s":"BTCUSDT","b":[["60000.0","1.{k}"]],"a":[],"u":{},"seq":{}}},"cts":{ms}}}"#,
                2 * i + k + 2,
                2 * i + k + 2
            );
            v.push(VecSource::bybit(
                ts,
                "BTCUSDT",
                StreamKind::Depth,
                "orderbook.50.BTCUSDT",
                &book,
            ));
        }
    }
    let tickers = r#"{"retCode":0,"retMsg":"OK","result":{"category":"linear","list":[{"symbol":"BTCUSDT","markPrice":"60000","indexPrice":"60000","openInterest":"50000.5","fundingRate":"0.0001"}]},"retExtInfo":{},"time":1772244000000}"#;
    VecSource::new(v).with_rest(
        Exchange::Bybit,
        "/v5/market/tickers",
        "symbol=",
        0.0,
        RestAnswer {
            status: 200,
            body: tickers.into(),
        },
    )
}

async fn setup(n: usize, cfg: MockConfig) -> (MockHandle, Run) {
    let m = mock(source(n), cfg).await;
    let run = start(&feeds_config(&m, Exchange::Bybit));
    (m, run)
}

#[tokio::test]
async fn subscribes_receives_and_pings() {
    let (m, mut run) = setup(200, mock_config()).await;
    let i = run.wire_on("allLiquidation.BTCUSDT").await;
    match &run.events[i] {
        FeedEvent::Wire(w) => {
            assert_eq!(w.instrument, "BTCUSDT");
            assert_eq!(w.stream, StreamKind::Liquidations);
            assert!(
                w.payload
                    .starts_with(r#"{"topic":"allLiquidation.BTCUSDT""#)
            );
        }
        e => panic!("{e:?}"),
    }
    run.wire_on("orderbook.50.BTCUSDT").await;
    // Every topic of the three symbols was subscribed, and application pings were answered.
    assert!(
        m.wait_until(Exchange::Bybit, DEADLINE, |c| c.app_pings >= 2)
            .await
    );
    let c = m.counters(Exchange::Bybit);
    assert_eq!(c.subscriptions, 12);
    assert_eq!(c.subscribe_errors, 0);
    // The tickers stream is silent for this source: the REST fallback delivers OI.
    run.until("REST tickers", |e| matches!(e, FeedEvent::Rest(w) if w.stream == StreamKind::Ticker && w.instrument == "BTCUSDT")).await;
    let st = run.feeds.status();
    assert_eq!(st.len(), 1);
    assert_eq!(st[0].exchange, Exchange::Bybit);
    assert_eq!(st[0].state, ConnState::Live);
    let conn = &st[0].connections[0];
    assert!(conn.messages > 0 && conn.bytes > 0 && conn.pings_sent >= 2);
    assert_eq!(conn.parse_errors, 0);
    run.stop().await;
    m.shutdown().await;
}

#[tokio::test]
async fn every_fault_gives_a_gap_and_data_resumes() {
    let (m, mut run) = setup(600, mock_config()).await;
    run.wire_on("allLiquidation.BTCUSDT").await;
    type Fault = fn(&MockHandle) -> usize;
    let faults: [(&str, Fault); 5] = [
        ("drop", |m| {
            m.drop_connections(Exchange::Bybit, DropMode::Close)
        }),
        ("reset", |m| {
            m.drop_connections(Exchange::Bybit, DropMode::Reset)
        }),
        ("garbage", |m| m.send_garbage(Exchange::Bybit)),
        ("truncated", |m| m.send_truncated(Exchange::Bybit)),
        ("stall", |m| {
            m.stall(Exchange::Bybit, Duration::from_secs(4))
        }),
    ];
    for (name, f) in faults {
        assert!(f(&m) >= 1, "{name}: no connection to fault");
        let g = run.gap(Exchange::Bybit).await;
        let reason = match &run.events[g] {
            FeedEvent::Gap(g) => {
                assert!(g.affects_books(), "{name}");
                assert!(g.instruments.contains(&"BTCUSDT".to_string()));
                g.reason.clone()
            }
            _ => unreachable!(),
        };
        match name {
            "garbage" | "truncated" => assert_eq!(reason, GapReason::Malformed, "{name}"),
            "stall" => assert!(
                matches!(reason, GapReason::Stalled(_)),
                "{name}: {reason:?}"
            ),
            _ => assert!(
                matches!(reason, GapReason::Disconnected(_)),
                "{name}: {reason:?}"
            ),
        }
        // Data flows again after the fault.
        run.wire_on("allLiquidation.BTCUSDT").await;
    }
    let snap = &run.feeds.status()[0].connections[0];
    assert_eq!(snap.parse_errors, 2);
    assert!(snap.reconnects >= 3, "{snap:?}");
    assert!(
        m.counters(Exchange::Bybit).subscriptions >= 4 * 12,
        "resubscribed after each reconnect"
    );
    run.stop().await;
    m.shutdown().await;
}

#[tokio::test]
async fn no_liquidation_is_lost_across_a_reconnect() {
    let n = 80;
    let cfg = MockConfig {
        replay_on_subscribe: true,
        // Within the normalizer's de-duplication window (10 s of exchange time).
        replay_secs: 5.0,
        ..mock_config()
    };
    let (m, mut run) = setup(n, cfg).await;
    // Drop twice mid-stream.
    for _ in 0..2 {
        for _ in 0..10 {
            run.wire_on("allLiquidation.BTCUSDT").await;
        }
        assert!(m.drop_connections(Exchange::Bybit, DropMode::Reset) >= 1);
        run.gap(Exchange::Bybit).await;
    }
    let last_ms = ((T0 + (n - 1) as f64 * 0.5) * 1000.0) as i64;
    let needle = format!(r#""T":{last_ms}"#);
    run.until(
        "the last liquidation",
        |e| matches!(e, FeedEvent::Wire(w) if w.payload.contains(&needle)),
    )
    .await;
    assert!(
        m.counters(Exchange::Bybit).replayed > 0,
        "the mock replayed its buffer"
    );
    let events = run.stop().await;
    let (liqs, dups) = liquidations(&events, Exchange::Bybit);
    assert!(
        dups > 0,
        "replayed liquidations were seen twice and dropped"
    );
    let mut sorted = liqs.clone();
    sorted.sort_by(f64::total_cmp);
    sorted.dedup();
    assert_eq!(sorted.len(), liqs.len(), "no duplicate left");
    assert_eq!(liqs.len(), n, "every liquidation exactly once");
    m.shutdown().await;
}
