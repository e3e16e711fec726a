//! The three exchanges at once through `Feeds::start` against the mock exchange (the demo's
//! path), with the recorder: status, normalized events from every exchange, a capture file
//! that the capture reader and the normalizer read back.

mod feeds_util;

use std::collections::HashSet;
use std::sync::Arc;

use feeds_util::*;
use liq_core::event::{EventKind, Exchange};
use liq_core::normalize::{Batch, Frame, Normalizer, StreamKind};
use liq_core::symbols::SymbolRegistry;
use liq_feeds::conn::{ConnState, FeedEvent};
use liq_feeds::mock::VecSource;
use liq_feeds::record::spawn_recorder;
use liq_store::capture::{LineReader, parse_line};

const T0: f64 = 1_772_244_000.0;

fn source() -> VecSource {
    let mut v = Vec::new();
    for i in 0..400 {
        let ts = T0 + i as f64 * 0.25;
        let ms = (ts * 1000.0) as i64;
        v.push(VecSource::binance(
            ts,
            "*",
            StreamKind::Liquidations,
            "!forceOrder@arr",
            &format!(r#"{{"e":"forceOrder","E":{ms},"o":{{"s":"ETHUSDT","S":"BUY","q":"1.5","p":"2000","ap":"2000","X":"FILLED","z":"1.5","T":{ms}}}}}"#),
        ));
        // Depth keeps the Binance public connection busy (LIVE, not STALE).
        v.push(VecSource::binance(
            ts,
            "BTCUSDT",
            StreamKind::Depth,
            "btcusdt@depth@100ms",
            &format!(r#"{{"e":"depthUpdate","E":{ms},"T":{ms},"s":"BTCUSDT","U":{i},"u":{i},"pu":{},"b":[],"a":[]}}"#, i.max(1) - 1),
        ));
        v.push(VecSource::bybit(
            ts,
            "SOLUSDT",
            StreamKind::Liquidations,
            "allLiquidation.SOLUSDT",
            &format!(r#"{{"topic":"allLiquidation.SOLUSDT","type":"snapshot","ts":{ms},"data":[{{"T":{ms},"s":"SOLUSDT","S":"Sell","v":"3","p":"81.5"}}]}}"#),
        ));
        v.push(VecSource::okx(
            ts,
            "*",
            StreamKind::Liquidations,
            "liquidation-orders:SWAP",
            &format!(r#"{{"arg":{{"channel":"liquidation-orders","instType":"SWAP"}},"data":[{{"details":[{{"bkPx":"60000","posSide":"long","side":"sell","sz":"4","ts":"{ms}"}}],"instId":"BTC-USDT-SWAP","instType":"SWAP"}}]}}"#),
        ));
    }
    VecSource::new(v)
}

#[tokio::test]
async fn three_exchanges_live_and_recorded() {
    let m = mock(source(), mock_config()).await;
    let mut cfg = feeds_config(&m, Exchange::Binance);
    cfg.bybit.enabled = true;
    cfg.okx.enabled = true;
    let mut run = start(&cfg);
    let tmp = tempfile::tempdir().unwrap();
    let (rec_tx, rec_task) = spawn_recorder(tmp.path(), 4096).unwrap();
    let mut seen: HashSet<Exchange> = HashSet::new();
    let mut n = Normalizer::new(Arc::new(SymbolRegistry::default_registry()));
    let mut b = Batch::default();
    let mut liqs = 0;
    while seen.len() < 3 || liqs < 30 {
        let i = run
            .until(
                "a liquidation frame",
                |e| matches!(e, FeedEvent::Wire(w) if w.stream == StreamKind::Liquidations),
            )
            .await;
        let ev = run.events[i].clone();
        rec_tx.try_send(ev.clone()).unwrap();
        let FeedEvent::Wire(w) = &ev else {
            unreachable!()
        };
        n.normalize(&liq_feeds::frame_of(w), &mut b);
        for e in &b.events {
            if let EventKind::Liquidation(_) = e.kind {
                seen.insert(e.exchange);
                liqs += 1;
            }
        }
    }
    let st = run.feeds.status();
    assert_eq!(st.len(), 3);
    for s in &st {
        assert_eq!(s.state, ConnState::Live, "{s:?}");
    }
    drop(rec_tx);
    let stats = rec_task.await.unwrap().unwrap();
    assert_eq!(stats.lines, liqs as u64);
    run.stop().await;
    m.shutdown().await;

    // Read the capture back and normalize it as a replay would.
    let files: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1);
    let mut lines = LineReader::open(&files[0]).unwrap();
    let mut n2 = Normalizer::new(Arc::new(SymbolRegistry::default_registry()));
    let mut replayed = 0;
    let mut first = true;
    while let Some((no, line)) = lines.next_line().unwrap() {
        let l = parse_line(line, no).unwrap();
        if first {
            assert_eq!(l.kind, "meta");
            first = false;
            continue;
        }
        let exchange = match l.exchange.as_deref() {
            Some("binance") => Exchange::Binance,
            Some("bybit") => Exchange::Bybit,
            Some("okx") => Exchange::Okx,
            other => panic!("{other:?}"),
        };
        let f = Frame {
            exchange,
            market: liq_core::event::Market::Perp,
            stream: l.stream.as_deref().and_then(|s| s.parse().ok()),
            instrument: l.symbol.as_deref().filter(|s| *s != "*"),
            payload: l.msg.unwrap().get(),
            receive_ts: l.ts,
        };
        n2.normalize(&f, &mut b);
        replayed += b
            .events
            .iter()
            .filter(|e| matches!(e.kind, EventKind::Liquidation(_)))
            .count();
    }
    assert_eq!(replayed, liqs);
}
