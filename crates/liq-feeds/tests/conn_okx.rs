//! The OKX connector against the mock exchange: subscribe, receive, text ping/pong when idle,
//! every injected fault (gap + reconnect), REST open interest and contract values, and no
//! liquidation lost across a reconnect (mock replay + normalizer dedup).

mod feeds_util;

use std::time::Duration;

use feeds_util::*;
use liq_core::event::Exchange;
use liq_core::normalize::StreamKind;
use liq_core::symbols::Contract;
use liq_feeds::clock::system_clock;
use liq_feeds::conn::{ConnState, FeedEvent, GapReason};
use liq_feeds::mock::{DropMode, MockConfig, MockHandle, VecSource};
use liq_feeds::{Feeds, RestAnswer};

const T0: f64 = 1_772_244_000.0;

fn liq(ts: f64, i: usize) -> String {
    let ms = (ts * 1000.0) as i64;
    format!(
        r#"{{"arg":{{"channel":"liquidation-orders","instType":"SWAP"}},"data":[{{"details":[{{"bkLoss":"0","bkPx":"6{i:04}.1","ccy":"","posSide":"long","side":"sell","sz":"{}","ts":"{ms}"}}],"instFamily":"BTC-USDT","instId":"BTC-USDT-SWAP","instType":"SWAP","uly":"BTC-USDT"}}]}}"#,
        1 + i % 7
    )
}

/// Liquidations every `every` s, books updates every 0.25 s when `books`.
fn source(n: usize, every: f64, books: bool) -> VecSource {
    let mut v = Vec::new();
    for i in 0..n {
        let ts = T0 + i as f64 * every;
        v.push(VecSource::okx(
            ts,
            "*",
            StreamKind::Liquidations,
            "liquidation-orders:SWAP",
            &liq(ts, i),
        ));
        if books {
            for k in 0..2 {
                let ts = ts + 0.25 * k as f64;
                let ms = (ts * 1000.0) as i64;
                let seq = 2 * i + k + 10;
                let b = format!(
                    r#"{{"arg":{{"channel":"books","instId":"BTC-USDT-SWAP"}},"action":"update","data":[{{"asks":[],"bids":[["60000","{k}","0","1"]],"ts":"{ms}","checksum":0,"prevSeqId":{},"seqId":{seq}}}]}}"#,
                    seq - 1
                );
                v.push(VecSource::okx(
                    ts,
                    "BTC-USDT-SWAP",
                    StreamKind::Depth,
                    "books:BTC-USDT-SWAP",
                    &b,
                ));
            }
        }
    }
    let ok = |body: &str| RestAnswer {
        status: 200,
        body: body.into(),
    };
    VecSource::new(v)
        .with_rest(
            Exchange::Okx,
            "/api/v5/public/open-interest",
            "instId=",
            0.0,
            ok(r#"{"code":"0","data":[{"instId":"BTC-USDT-SWAP","instType":"SWAP","oi":"2507996","oiCcy":"25079.96","oiUsd":"1500000000","ts":"1772244000000"}],"msg":""}"#),
        )
        .with_rest(
            Exchange::Okx,
            "/api/v5/public/instruments",
            "instType=SWAP",
            0.0,
            ok(r#"{"code":"0","msg":"","data":[{"instId":"BTC-USDT-SWAP","ctVal":"0.01","ctMult":"1","ctType":"linear","ctValCcy":"BTC"},{"instId":"ETH-USDT-SWAP","ctVal":"0.1","ctMult":"1","ctType":"linear","ctValCcy":"ETH"},{"instId":"BTC-USD-SWAP","ctVal":"100","ctMult":"1","ctType":"inverse","ctValCcy":"USD"}]}"#),
        )
}

async fn setup(src: VecSource, cfg: MockConfig) -> (MockHandle, Run) {
    let m = mock(src, cfg).await;
    let run = start(&feeds_config(&m, Exchange::Okx));
    (m, run)
}

#[tokio::test]
async fn subscribes_receives_and_rest_open_interest() {
    let (m, mut run) = setup(source(400, 0.5, true), mock_config()).await;
    let i = run.wire_on("liquidation-orders:SWAP").await;
    let FeedEvent::Wire(w) = &run.events[i] else {
        unreachable!()
    };
    assert_eq!(
        (w.instrument.as_str(), w.stream),
        ("*", StreamKind::Liquidations)
    );
    let i = run.wire_on("books:BTC-USDT-SWAP").await;
    let FeedEvent::Wire(w) = &run.events[i] else {
        unreachable!()
    };
    assert_eq!(
        (w.instrument.as_str(), w.stream),
        ("BTC-USDT-SWAP", StreamKind::Depth)
    );
    run.until("REST OI", |e| {
        matches!(e, FeedEvent::Rest(w) if w.stream == StreamKind::OpenInterest && w.instrument == "BTC-USDT-SWAP")
    })
    .await;
    let c = m.counters(Exchange::Okx);
    // liquidation-orders + 4 channels x 3 instruments.
    assert_eq!(c.subscriptions, 13);
    assert_eq!(c.subscribe_errors, 0);
    run.stop().await;
    m.shutdown().await;
}

#[tokio::test]
async fn idle_text_pings_keep_a_quiet_connection_alive() {
    // One liquidation every 3 source seconds at 1x: the connection is idle most of the time.
    let cfg = MockConfig {
        speed: 1.0,
        ..mock_config()
    };
    let (m, mut run) = setup(source(20, 3.0, false), cfg).await;
    run.wire_on("liquidation-orders:SWAP").await;
    assert!(
        m.wait_until(Exchange::Okx, DEADLINE, |c| c.app_pings >= 3)
            .await
    );
    let st = &run.feeds.status()[0];
    let conn = &st.connections[0];
    assert!(conn.pings_sent >= 3);
    assert_eq!(conn.reconnects, 0, "pongs kept it alive");
    assert_eq!(conn.state, ConnState::Live);
    assert_eq!(m.counters(Exchange::Okx).idle_closes, 0);
    run.stop().await;
    m.shutdown().await;
}

#[tokio::test]
async fn every_fault_gives_a_gap_and_data_resumes() {
    let (m, mut run) = setup(source(600, 0.5, true), mock_config()).await;
    run.wire_on("books:BTC-USDT-SWAP").await;
    type Fault = fn(&MockHandle) -> usize;
    let faults: [(&str, Fault); 5] = [
        ("drop", |m| {
            m.drop_connections(Exchange::Okx, DropMode::Close)
        }),
        ("reset", |m| {
            m.drop_connections(Exchange::Okx, DropMode::Reset)
        }),
        ("garbage", |m| m.send_garbage(Exchange::Okx)),
        ("truncated", |m| m.send_truncated(Exchange::Okx)),
        ("stall", |m| m.stall(Exchange::Okx, Duration::from_secs(4))),
    ];
    for (name, f) in faults {
        assert_eq!(f(&m), 1, "{name}");
        let g = run.gap(Exchange::Okx).await;
        let FeedEvent::Gap(gap) = &run.events[g] else {
            unreachable!()
        };
        assert!(gap.affects_books());
        match name {
            "garbage" | "truncated" => assert_eq!(gap.reason, GapReason::Malformed, "{name}"),
            "stall" => assert!(
                matches!(gap.reason, GapReason::Stalled(_)),
                "{name}: {gap:?}"
            ),
            _ => assert!(
                matches!(gap.reason, GapReason::Disconnected(_)),
                "{name}: {gap:?}"
            ),
        }
        run.wire_on("books:BTC-USDT-SWAP").await;
    }
    // A book resync request resubscribes the book channel (OKX sends a new snapshot).
    let before = m.counters(Exchange::Okx).subscriptions;
    assert!(
        run.feeds
            .request_book_snapshot(Exchange::Okx, "BTC-USDT-SWAP")
    );
    assert!(
        m.wait_until(Exchange::Okx, DEADLINE, |c| c.subscriptions > before)
            .await
    );
    run.stop().await;
    m.shutdown().await;
}

#[tokio::test]
async fn no_liquidation_is_lost_across_a_reconnect() {
    let n = 80;
    let cfg = MockConfig {
        replay_on_subscribe: true,
        replay_secs: 5.0,
        ..mock_config()
    };
    let (m, mut run) = setup(source(n, 0.5, false), cfg).await;
    for _ in 0..2 {
        for _ in 0..10 {
            run.wire_on("liquidation-orders:SWAP").await;
        }
        assert_eq!(m.drop_connections(Exchange::Okx, DropMode::Reset), 1);
        run.gap(Exchange::Okx).await;
    }
    let last_ms = ((T0 + (n - 1) as f64 * 0.5) * 1000.0) as i64;
    let needle = format!(r#""ts":"{last_ms}""#);
    run.until(
        "the last liquidation",
        |e| matches!(e, FeedEvent::Wire(w) if w.payload.contains(&needle)),
    )
    .await;
    let events = run.stop().await;
    let (liqs, dups) = liquidations(&events, Exchange::Okx);
    assert!(dups > 0);
    assert_eq!(liqs.len(), n, "every liquidation exactly once");
    m.shutdown().await;
}

#[tokio::test]
async fn contract_values_come_from_the_instruments_endpoint() {
    let m = mock(source(10, 1.0, false), mock_config()).await;
    let cfg = feeds_config(&m, Exchange::Okx);
    let c = Feeds::fetch_okx_contracts(&cfg, system_clock())
        .await
        .unwrap();
    assert_eq!(
        c["BTC-USD-SWAP"],
        Contract::Inverse {
            ct_val: 100.0,
            ct_mult: 1.0
        }
    );
    let mut reg = liq_core::symbols::RegistryConfig::default();
    let missing = liq_feeds::rest::apply_okx_contracts(&mut reg, &c);
    assert_eq!(
        missing,
        vec!["SOL-USDT-SWAP".to_string()],
        "kept its configured value"
    );
    m.shutdown().await;
}
