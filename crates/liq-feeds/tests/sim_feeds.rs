//! The simulator's messages are what the exchanges send: every message of 30 simulated minutes
//! normalizes without error, and every book rebuilds with liq_core's reconstructors.

mod common;

use std::collections::BTreeMap;

use liq_core::event::{EventKind, Exchange, Market};
use liq_core::normalize::{Batch, StreamKind};
use liq_core::orderbook::recon::{AnyReconstructor, ReconConfig, Reconstructor};
use liq_core::orderbook::stats::SyncState;
use liq_feeds::MarketSource;
use liq_feeds::sim::{SimConfig, Simulator};

#[test]
fn thirty_minutes_normalize_without_errors() {
    let mut sim = Simulator::new(SimConfig::default()).unwrap();
    let mut n = common::normalizer();
    let mut batch = Batch::default();
    // (exchange, event type) -> count
    let mut counts: BTreeMap<(&'static str, &'static str), u64> = BTreeMap::new();
    let mut errors = Vec::new();
    let mut messages = 0u64;
    let polls = common::rest_polls();
    let mut sampled = std::collections::BTreeSet::new();
    common::run(&mut sim, 30 * 60, 5, |sim, msgs, now| {
        for m in msgs {
            messages += 1;
            common::normalize_ws(&mut n, m, &mut batch);
            if !batch.errors.is_empty() {
                errors.push((
                    m.topic.clone(),
                    m.payload.chars().take(300).collect::<String>(),
                    batch.errors.clone(),
                ));
            }
            assert!(
                !batch.control,
                "control frame from the simulator: {}",
                m.payload
            );
            for ev in &batch.events {
                assert!(ev.symbol.is_some(), "unknown instrument in {}", m.payload);
                if let EventKind::Liquidation(_) = ev.kind {
                    // The feeds' sampling: Binance and OKX at most one per instrument and
                    // second (pushed at the second's end), Bybit in 500 ms batches.
                    let ms = (m.ts * 1000.0).round() as i64;
                    let window = if m.exchange == Exchange::Bybit {
                        500
                    } else {
                        1000
                    };
                    assert_eq!(ms % window, 0, "{}", m.payload);
                    if m.exchange != Exchange::Bybit {
                        let key = (m.exchange as u8, ev.instrument.to_string(), ms);
                        assert!(sampled.insert(key), "two in one second: {}", m.payload);
                    }
                }
                *counts
                    .entry((m.exchange.as_str(), ev.kind.type_name()))
                    .or_default() += 1;
            }
        }
        if (now as i64) % 15 == 0 {
            for (ex, path, query, stream, inst) in &polls {
                let a = sim.rest(*ex, path, query, now).expect("path served");
                assert_eq!(a.status, 200, "{path}?{query}: {}", a.body);
                common::normalize_rest(&mut n, *ex, *stream, inst, &a.body, now, &mut batch);
                if !batch.errors.is_empty() || batch.events.is_empty() {
                    errors.push((
                        path.to_string(),
                        a.body.chars().take(300).collect(),
                        batch.errors.clone(),
                    ));
                }
                for ev in &batch.events {
                    *counts
                        .entry((ex.as_str(), ev.kind.type_name()))
                        .or_default() += 1;
                }
            }
        }
    });
    assert!(
        errors.is_empty(),
        "{} errors, first: {:?}",
        errors.len(),
        errors.first()
    );
    for ((ex, stream), st) in n.stats() {
        assert_eq!(st.duplicates, 0, "{ex} {stream}: {st:?}");
        assert_eq!(st.unknown_instrument, 0, "{ex} {stream}: {st:?}");
        assert_eq!(st.time_fallback, 0, "{ex} {stream}: {st:?}");
    }
    eprintln!(
        "{messages} messages; events: {counts:?}; stats: {:?}",
        sim.stats()
    );
    for ex in ["binance", "bybit", "okx"] {
        for kind in [
            "liquidation",
            "trade",
            "depth_diff",
            "mark_price",
            "open_interest",
        ] {
            assert!(
                counts.get(&(ex, kind)).copied().unwrap_or(0) > 0,
                "no {kind} on {ex}"
            );
        }
    }
    assert!(counts[&("bybit", "depth_snapshot")] >= 3);
    assert!(counts[&("okx", "depth_snapshot")] >= 3);
    assert!(counts[&("binance", "trader_ratio")] > 0);
    // Binance's sampling pushes at most one liquidation per symbol and second.
    let s = sim.stats();
    assert!(s.liquidations_pushed[0] <= s.liquidations[0]);
    assert!(s.liquidations_pushed[0] as f64 <= 3.0 * 1800.0);
    assert_eq!(s.liquidations_pushed[1], s.liquidations[1]);
}

#[test]
fn books_rebuild_without_gaps_and_okx_checksums_verify() {
    // Starts at the demo-history rate and switches to the live rate, as the demo does.
    let cfg = SimConfig {
        snapshot_interval_ms: 120_000,
        ..SimConfig::demo_history()
    };
    let mut sim = Simulator::new(cfg).unwrap();
    let mut switched = false;
    let mut n = common::normalizer();
    let mut batch = Batch::default();
    let mut recon: BTreeMap<(u8, String), AnyReconstructor> = BTreeMap::new();
    let rc = ReconConfig::default();
    let mut binance_synced = false;
    common::run(&mut sim, 20 * 60, 1, |sim, msgs, now| {
        for m in msgs.iter().filter(|m| m.stream == StreamKind::Depth) {
            common::normalize_ws(&mut n, m, &mut batch);
            assert!(batch.errors.is_empty(), "{:?}", batch.errors);
            for ev in &batch.events {
                let r = recon
                    .entry((ev.exchange as u8, ev.instrument.to_string()))
                    .or_insert_with(|| AnyReconstructor::new(ev.exchange, Market::Perp, &rc));
                r.on_event(ev);
            }
        }
        if !switched && now - sim.start_ts() >= 120.0 {
            switched = true;
            sim.set_depth_interval_ms(100);
        }
        // The Binance books sync from the REST snapshot a few seconds in.
        if !binance_synced && now - sim.start_ts() >= 3.0 {
            binance_synced = true;
            for sym in ["BTCUSDT", "ETHUSDT", "SOLUSDT"] {
                let a = sim
                    .rest(
                        Exchange::Binance,
                        "/fapi/v1/depth",
                        &format!("symbol={sym}&limit=1000"),
                        now,
                    )
                    .unwrap();
                common::normalize_rest(
                    &mut n,
                    Exchange::Binance,
                    StreamKind::Depth,
                    sym,
                    &a.body,
                    now,
                    &mut batch,
                );
                let ev = &batch.events[0];
                assert!(matches!(ev.kind, EventKind::DepthSnapshot(_)));
                let r = recon
                    .get_mut(&(Exchange::Binance as u8, sym.to_string()))
                    .unwrap();
                r.on_event(ev);
                assert_eq!(r.state(), SyncState::Synced);
            }
        }
    });
    assert_eq!(recon.len(), 9);
    for ((ex, id), r) in &recon {
        let st = r.stats();
        assert_eq!(r.state(), SyncState::Synced, "{ex} {id}: {st:?}");
        assert_eq!(st.gaps, 0, "{ex} {id}: {st:?}");
        assert_eq!(st.resyncs, 0, "{ex} {id}: {st:?}");
        assert_eq!(st.crossed, 0, "{ex} {id}: {st:?}");
        assert_eq!(st.checksum_failed, 0, "{ex} {id}: {st:?}");
        assert!(st.updates_applied > 1000, "{ex} {id}: {st:?}");
        if *ex == Exchange::Okx as u8 {
            assert_eq!(
                st.checksum_ok, st.messages,
                "{id}: every OKX message verified: {st:?}"
            );
        }
        let book = r.book();
        let (b, a) = (book.best_bid().unwrap(), book.best_ask().unwrap());
        assert!(b.price < a.price);
    }
}
