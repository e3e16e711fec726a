//! Determinism, liquidation triggers and invariants of the simulator.

mod common;

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use liq_core::event::{EventKind, Exchange, Market, Side};
use liq_core::normalize::StreamKind;
use liq_core::orderbook::recon::{AnyReconstructor, ReconConfig, Reconstructor};
use liq_core::orderbook::stats::SyncState;
use liq_feeds::MarketSource;
use liq_feeds::sim::{SimConfig, Simulator};
use proptest::prelude::*;

fn stream_hash(cfg: SimConfig, secs: u32, chunk: u32) -> (u64, usize) {
    let mut sim = Simulator::new(cfg).unwrap();
    let mut h = DefaultHasher::new();
    let mut n = 0;
    common::run(&mut sim, secs, chunk, |_, msgs, _| {
        for m in msgs {
            m.topic.hash(&mut h);
            m.payload.hash(&mut h);
            m.ts.to_bits().hash(&mut h);
            m.instrument.hash(&mut h);
            n += 1;
        }
    });
    (h.finish(), n)
}

#[test]
fn same_seed_same_stream_whatever_the_chunking_and_other_seeds_differ() {
    let cfg = |seed| SimConfig {
        seed,
        ..SimConfig::demo_history()
    };
    let a = stream_hash(cfg(11), 600, 7);
    let b = stream_hash(cfg(11), 600, 60);
    let c = stream_hash(cfg(12), 600, 7);
    assert!(a.1 > 10_000);
    assert_eq!(a, b);
    assert_ne!(a.0, c.0);
}

#[test]
fn rest_calls_do_not_change_the_stream() {
    let cfg = SimConfig {
        seed: 5,
        ..SimConfig::demo_history()
    };
    let plain = stream_hash(cfg.clone(), 300, 10);
    let mut sim = Simulator::new(cfg).unwrap();
    let mut h = DefaultHasher::new();
    let mut n = 0;
    let polls = common::rest_polls();
    common::run(&mut sim, 300, 10, |sim, msgs, now| {
        for m in msgs {
            m.topic.hash(&mut h);
            m.payload.hash(&mut h);
            m.ts.to_bits().hash(&mut h);
            m.instrument.hash(&mut h);
            n += 1;
        }
        // Ask a little ahead of the stream, as a client with a fast clock would.
        for (ex, path, query, _, _) in &polls {
            sim.rest(*ex, path, query, now + 0.35).unwrap();
        }
        sim.rest(
            Exchange::Binance,
            "/fapi/v1/depth",
            "symbol=BTCUSDT&limit=100",
            now + 0.05,
        )
        .unwrap();
    });
    assert_eq!(plain, (h.finish(), n));
}

#[test]
fn liquidations_fire_only_when_the_mark_crossed_the_liquidation_price() {
    let mut sim = Simulator::new(common::logged(21)).unwrap();
    let mut checked = 0;
    let mut n = common::normalizer();
    let mut batch = liq_core::normalize::Batch::default();
    // Normalized liquidations: (exchange, symbol, exchange time ms, long).
    let mut fed: Vec<(u8, String, i64, bool)> = Vec::new();
    common::run(&mut sim, 3600, 30, |sim, msgs, _| {
        assert_eq!(
            sim.crossed_positions(),
            0,
            "a crossed position survived a step"
        );
        checked += 1;
        for m in msgs.iter().filter(|m| m.stream == StreamKind::Liquidations) {
            common::normalize_ws(&mut n, m, &mut batch);
            for ev in &batch.events {
                if let EventKind::Liquidation(l) = &ev.kind {
                    let ms = (ev.exchange_ts.unwrap() * 1000.0).round() as i64;
                    let sym = ev.symbol.as_deref().unwrap().to_owned();
                    fed.push((ev.exchange as u8, sym, ms, l.side == Side::Long));
                }
            }
        }
    });
    let log = sim.liquidation_log();
    // Every liquidation a feed reports is one the simulator made, with the same side; Bybit
    // reports all of them.
    let names = ["BTC", "ETH", "SOL"];
    let made: std::collections::BTreeSet<(u8, String, i64, bool)> = log
        .iter()
        .map(|r| {
            let p = r.position;
            (p.ex, names[usize::from(p.sym)].to_owned(), r.ts_ms, p.long)
        })
        .collect();
    for f in &fed {
        assert!(made.contains(f), "reported but not made: {f:?}");
    }
    let bybit_fed = fed.iter().filter(|f| f.0 == Exchange::Bybit as u8).count();
    let bybit_made = log
        .iter()
        .filter(|r| r.position.ex == Exchange::Bybit as u8)
        .count();
    assert_eq!(bybit_fed, bybit_made);
    assert!(
        log.len() > 100,
        "only {} liquidations in an hour",
        log.len()
    );
    for r in log {
        let p = r.position;
        if p.long {
            assert!(r.mark <= p.liq, "{r:?}");
            assert!(p.liq < p.entry, "{r:?}");
        } else {
            assert!(r.mark >= p.liq, "{r:?}");
            assert!(p.liq > p.entry, "{r:?}");
        }
        assert!([10, 20, 25, 50, 75, 100, 125].contains(&p.leverage));
    }
    assert!(log.iter().any(|r| r.position.long) && log.iter().any(|r| !r.position.long));
    assert_eq!(checked, 120);
}

#[test]
fn open_interest_moves_both_ways() {
    let mut sim = Simulator::new(SimConfig::demo_history()).unwrap();
    let mut series = Vec::new();
    common::run(&mut sim, 3600, 60, |sim, _, _| {
        series.push(sim.open_interest(0, Exchange::Binance).unwrap());
    });
    let ups = series.windows(2).filter(|w| w[1] > w[0]).count();
    let downs = series.windows(2).filter(|w| w[1] < w[0]).count();
    assert!(ups > 5 && downs > 5, "ups {ups} downs {downs}");
    assert!(series.iter().all(|v| v.is_finite() && *v > 0.0));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    #[test]
    fn prices_stay_positive_and_books_never_cross(seed in any::<u64>()) {
        let cfg = SimConfig { seed, ..SimConfig::demo_history() };
        let mut sim = Simulator::new(cfg).unwrap();
        let start = sim.start_ts();
        let mut out = Vec::new();
        for k in 1..=30 {
            out.clear();
            sim.advance(start + 60.0 * f64::from(k), &mut out);
            for (_, p) in sim.index_prices() {
                prop_assert!(p.is_finite() && p > 0.0);
            }
            for s in 0..3 {
                for ex in Exchange::ALL {
                    let m = sim.mark_price(s, ex).unwrap();
                    prop_assert!(m.is_finite() && m > 0.0);
                }
            }
            for sym in ["BTCUSDT", "ETHUSDT", "SOLUSDT"] {
                let a = sim.rest(Exchange::Binance, "/fapi/v1/depth", &format!("symbol={sym}&limit=5"), start + 60.0 * f64::from(k)).unwrap();
                let v: serde_json::Value = serde_json::from_str(&a.body).unwrap();
                let bid: f64 = v["bids"][0][0].as_str().unwrap().parse().unwrap();
                let ask: f64 = v["asks"][0][0].as_str().unwrap().parse().unwrap();
                prop_assert!(bid > 0.0 && bid < ask, "{sym}: {bid} >= {ask}");
            }
        }
    }
}

#[test]
fn rest_answers_errors_like_the_exchanges_and_lists_its_topics() {
    let mut sim = Simulator::new(SimConfig::demo_history()).unwrap();
    let now = sim.start_ts() + 10.0;
    let a = sim
        .rest(Exchange::Binance, "/fapi/v1/depth", "symbol=DOGEUSDT", now)
        .unwrap();
    assert_eq!(a.status, 400);
    assert!(a.body.contains("-1121"));
    let a = sim
        .rest(
            Exchange::Binance,
            "/fapi/v1/depth",
            "symbol=BTCUSDT&limit=7",
            now,
        )
        .unwrap();
    assert_eq!(a.status, 400);
    let a = sim
        .rest(
            Exchange::Bybit,
            "/v5/market/open-interest",
            "category=linear&symbol=BTCUSDT",
            now,
        )
        .unwrap();
    assert!(a.body.contains("\"retCode\":10001"), "{}", a.body);
    let a = sim
        .rest(
            Exchange::Okx,
            "/api/v5/public/open-interest",
            "instType=SWAP&instId=X-USDT-SWAP",
            now,
        )
        .unwrap();
    assert!(a.body.contains("\"code\":\"51001\""), "{}", a.body);
    assert!(
        sim.rest(Exchange::Okx, "/api/v5/market/books", "", now)
            .is_none()
    );
    let a = sim
        .rest(
            Exchange::Okx,
            "/api/v5/public/instruments",
            "instType=SWAP",
            now,
        )
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&a.body).unwrap();
    let ct: Vec<&str> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["ctVal"].as_str().unwrap())
        .collect();
    assert_eq!(ct, ["0.01", "0.1", "1"]);
    let topics = sim.topics();
    assert_eq!(topics.len(), (3 * 3 + 1) + 3 * 4 + (3 * 4 + 1));
    for t in [
        "btcusdt@depth@100ms",
        "!forceOrder@arr",
        "orderbook.50.SOLUSDT",
        "allLiquidation.ETHUSDT",
        "books:BTC-USDT-SWAP",
        "liquidation-orders:SWAP",
    ] {
        assert!(topics.iter().any(|(_, x)| x == t), "{t}");
    }
    // A snapshot on demand (a client subscribing mid-stream) chains with the stream after it,
    // even when the simulation already ran ahead of the messages handed out.
    let mut out = Vec::new();
    sim.advance(now + 3.05, &mut out);
    sim.rest(
        Exchange::Binance,
        "/fapi/v1/openInterest",
        "symbol=BTCUSDT",
        now + 3.75,
    );
    let topics = [
        (Exchange::Okx, "books:BTC-USDT-SWAP"),
        (Exchange::Bybit, "orderbook.50.ETHUSDT"),
    ];
    for (ex, topic) in topics {
        assert!(sim.request_snapshot(ex, topic));
    }
    assert!(!sim.request_snapshot(Exchange::Binance, "btcusdt@depth@100ms"));
    let mut later = Vec::new();
    sim.advance(now + 60.0, &mut later);
    let mut n = common::normalizer();
    let mut batch = liq_core::normalize::Batch::default();
    for (ex, topic) in topics {
        let mut r = AnyReconstructor::new(ex, Market::Perp, &ReconConfig::default());
        let from = later
            .iter()
            .position(|m| m.topic == topic && m.ts <= now + 3.8 && m.payload.contains("snapshot"))
            .unwrap();
        for m in later[from..].iter().filter(|m| m.topic == topic) {
            common::normalize_ws(&mut n, m, &mut batch);
            r.on_event(&batch.events[0]);
        }
        let st = r.stats();
        assert_eq!(r.state(), SyncState::Synced, "{topic}: {st:?}");
        assert!(st.snapshots >= 1, "{topic}: {st:?}");
        assert!(
            st.updates_applied > 30 && st.gaps == 0 && st.checksum_failed == 0,
            "{topic}: {st:?}"
        );
    }
}
