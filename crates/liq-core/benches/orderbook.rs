//! Order-book level updates per second through each reconstructor, on recorded deltas.
//!
//! Run: `cargo bench -p liq-core --bench orderbook`. Results go in docs/PERFORMANCE.md.
//!
//! Each iteration replays one recorded session's diffs (normalized once, outside the timing)
//! onto a copy of the reconstructor synced on the session's snapshot (the copy is made by
//! criterion's batched setup, outside the timing). Throughput is in level updates (one price
//! level of a diff). Sessions:
//!
//! * `bybit/BTCPERP`: the snapshot and the 68 contiguous deltas of
//!   `bybit_perp_btcperp_depth.jsonl` (2187 level updates);
//! * `bybit/BTCUSDC`: the first stream snapshot and its 217 contiguous deltas of
//!   `bybit_spot_btcusdc_depth.jsonl` (4332 level updates);
//! * `okx/BTC-USD-SWAP`: the first snapshot and all 603 updates (23073 level updates) of
//!   `okx_perp_btc-usd-swap_depth.jsonl`; the recording does not chain, so the `prevSeqId`s
//!   are rewritten into a chain and each checksum replaced by the one of the book the updates
//!   build (computed once beforehand), so every message is verified and passes.
//!   `okx_no_checksum` is the same without checksums (the CRC's share of the cost);
//! * `binance/BTCUSD_PERP`: the first COIN-M snapshot and the 188 diffs up to the next snapshot
//!   (20157 level updates) rewritten into a `pu` chain (default configuration: levels beyond the
//!   snapshot's 500 per side are pruned, which is cheap);
//! * `book/BTCPERP` and `btreemap/BTCPERP`: the Bybit deltas straight into an [`OrderBook`] and
//!   into a `BTreeMap<i64, Level>` with the same integer keys, for comparison.
//!
//! `query/*` measures best bid/ask (plus the crossed test) and the OKX top-25 checksum on the
//! final OKX book. Without the shared fixtures every group is skipped with a message.

#![allow(missing_docs)] // criterion_group! generates undocumented items

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use liq_core::event::{Depth, EventKind, Level, Market};
use liq_core::normalize::{Batch, Frame, Normalizer};
use liq_core::orderbook::binance::{BinanceReconstructor, BinanceRule};
use liq_core::orderbook::book::OrderBook;
use liq_core::orderbook::bybit::BybitReconstructor;
use liq_core::orderbook::okx::OkxReconstructor;
use liq_core::orderbook::recon::{Outcome, ReconConfig, Reconstructor};
use liq_core::symbols::SymbolRegistry;
use liq_store::capture::{LineReader, parse_line};

/// `(is_snapshot, depth)` of every depth message of a raw recording.
fn depths(path: &Path) -> Vec<(bool, Depth)> {
    let mut norm = Normalizer::new(Arc::new(SymbolRegistry::default_registry()));
    let mut batch = Batch::default();
    let mut out = Vec::new();
    let mut reader = LineReader::open(path).expect("readable recording");
    while let Some((n, line)) = reader.next_line().expect("readable recording") {
        let rec = parse_line(line, n).expect("capture line");
        let Some(msg) = rec.msg else { continue };
        let frame = Frame {
            exchange: rec
                .exchange
                .as_deref()
                .and_then(|e| e.parse().ok())
                .expect("exchange"),
            market: rec
                .market
                .as_deref()
                .and_then(|m| m.parse().ok())
                .unwrap_or(Market::Perp),
            stream: None,
            instrument: rec.symbol.as_deref(),
            payload: msg.get(),
            receive_ts: rec.ts,
        };
        batch.clear();
        norm.normalize(&frame, &mut batch);
        for ev in batch.events.drain(..) {
            match ev.kind {
                EventKind::DepthSnapshot(d) => out.push((true, d)),
                EventKind::DepthDiff(d) => out.push((false, d)),
                _ => {}
            }
        }
    }
    out
}

/// The first WS snapshot and the diffs that follow it, up to the next snapshot.
fn session(all: &[(bool, Depth)], skip_rest: usize) -> (Depth, Vec<Depth>) {
    let start = all
        .iter()
        .enumerate()
        .filter(|(_, (snap, _))| *snap)
        .nth(skip_rest)
        .map(|(i, _)| i)
        .expect("a snapshot");
    let diffs = all[start + 1..]
        .iter()
        .take_while(|(snap, _)| !snap)
        .map(|(_, d)| d.clone())
        .collect();
    (all[start].1.clone(), diffs)
}

fn level_count(diffs: &[Depth]) -> u64 {
    diffs
        .iter()
        .map(|d| (d.bids.len() + d.asks.len()) as u64)
        .sum()
}

fn bench_recon<R: Reconstructor + Clone>(
    c: &mut Criterion,
    name: &str,
    synced: R,
    diffs: &[Depth],
) {
    // Check once that every diff applies: the bench measures the success path.
    let mut check = synced.clone();
    for d in diffs {
        let out = check.on_diff(d, 0.0);
        assert!(
            matches!(out, Outcome::Applied | Outcome::KeepAlive),
            "{name}: {out:?}"
        );
    }
    assert_eq!(
        check.stats().gaps + check.stats().checksum_failed,
        0,
        "{name}"
    );
    let mut g = c.benchmark_group("orderbook/recon");
    g.throughput(Throughput::Elements(level_count(diffs)));
    g.bench_function(name, |b| {
        b.iter_batched(
            || synced.clone(),
            |mut r| {
                for d in diffs {
                    black_box(r.on_diff(black_box(d), 0.0));
                }
                r
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

/// Rewrites OKX updates into a `prevSeqId` chain with the checksums of the book they build.
fn okx_chain(snap: &Depth, diffs: &[Depth]) -> Vec<Depth> {
    let mut book = OrderBook::new();
    book.apply_snapshot(&snap.bids, &snap.asks);
    let (mut b, mut a) = (Vec::new(), Vec::new());
    let mut last = snap.last_update_id.unwrap_or(0);
    diffs
        .iter()
        .map(|d| {
            book.apply_levels(&d.bids, &d.asks);
            let mut d = d.clone();
            d.prev_update_id = Some(last);
            last += 10;
            d.last_update_id = Some(last);
            d.checksum = Some(i64::from(book.okx_checksum(&mut b, &mut a)));
            d
        })
        .collect()
}

/// Rewrites Binance diffs into a `pu` chain starting at the snapshot.
fn binance_chain(snap: &Depth, diffs: &[Depth]) -> Vec<Depth> {
    let mut last = snap.last_update_id.unwrap_or(0);
    diffs
        .iter()
        .map(|d| {
            let mut d = d.clone();
            d.first_update_id = Some(last);
            d.prev_update_id = Some(last);
            last += 1000;
            d.last_update_id = Some(last);
            d
        })
        .collect()
}

fn key2(l: &Level) -> i64 {
    // BTCPERP prices have at most 2 decimals.
    let (m, s) = (l.price.mantissa(), l.price.scale());
    (m * 10i128.pow(2 - s.min(2))) as i64
}

fn bench(c: &mut Criterion) {
    let Some(dir) = liq_store::shared_fixtures::dir("bench_orderbook") else {
        eprintln!("orderbook benches skipped: no shared fixtures");
        return;
    };
    let raw = dir.join("raw");
    let cfg = ReconConfig::default();

    let (snap, perp) = session(&depths(&raw.join("bybit_perp_btcperp_depth.jsonl")), 0);
    let mut r = BybitReconstructor::new(&cfg);
    r.on_snapshot(&snap, 0.0);
    bench_recon(c, "bybit/BTCPERP", r, &perp);

    // The BTCUSDC file starts with a REST snapshot; the stream's own snapshot is the second.
    let (snap, usdc) = session(&depths(&raw.join("bybit_spot_btcusdc_depth.jsonl")), 1);
    let mut r = BybitReconstructor::new(&cfg);
    r.on_snapshot(&snap, 0.0);
    bench_recon(c, "bybit/BTCUSDC", r, &usdc);

    let okx_all = depths(&raw.join("okx_perp_btc-usd-swap_depth.jsonl"));
    let snap = okx_all[0].1.clone();
    let updates: Vec<Depth> = okx_all
        .iter()
        .filter(|(s, _)| !s)
        .map(|(_, d)| d.clone())
        .collect();
    let chained = okx_chain(&snap, &updates);
    let mut okx = OkxReconstructor::new(&cfg);
    okx.on_snapshot(&snap, 0.0);
    bench_recon(c, "okx/BTC-USD-SWAP", okx.clone(), &chained);
    let unchecked: Vec<Depth> = chained
        .iter()
        .map(|d| Depth {
            checksum: None,
            ..d.clone()
        })
        .collect();
    bench_recon(c, "okx_no_checksum/BTC-USD-SWAP", okx.clone(), &unchecked);

    let (snap, coinm) = session(
        &depths(&raw.join("binance_perp_btcusd_perp_depth.jsonl")),
        0,
    );
    let coinm = binance_chain(&snap, &coinm);
    let mut r = BinanceReconstructor::new(BinanceRule::Futures, &cfg);
    r.on_snapshot(&snap, 0.0);
    bench_recon(c, "binance/BTCUSD_PERP", r, &coinm);

    let (snap, _) = session(&depths(&raw.join("bybit_perp_btcperp_depth.jsonl")), 0);
    let mut g = c.benchmark_group("orderbook/structure");
    g.throughput(Throughput::Elements(level_count(&perp)));
    let mut book = OrderBook::new();
    book.apply_snapshot(&snap.bids, &snap.asks);
    g.bench_function("book/BTCPERP", |b| {
        b.iter_batched(
            || book.clone(),
            |mut bk| {
                for d in &perp {
                    bk.apply_levels(black_box(&d.bids), black_box(&d.asks));
                }
                bk
            },
            BatchSize::SmallInput,
        )
    });
    let mut tree: [BTreeMap<i64, Level>; 2] = [BTreeMap::new(), BTreeMap::new()];
    for (side, levels) in [(0, &snap.bids), (1, &snap.asks)] {
        for l in levels {
            tree[side].insert(key2(l), *l);
        }
    }
    g.bench_function("btreemap/BTCPERP", |b| {
        b.iter_batched(
            || tree.clone(),
            |mut t| {
                for d in &perp {
                    for (side, levels) in [(0, &d.bids), (1, &d.asks)] {
                        for l in black_box(levels) {
                            if l.size.is_zero() {
                                t[side].remove(&key2(l));
                            } else {
                                t[side].insert(key2(l), *l);
                            }
                        }
                    }
                }
                t
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();

    let mut g = c.benchmark_group("orderbook/query");
    for d in &chained {
        okx.on_diff(d, 0.0);
    }
    let final_book = okx.book().clone();
    g.bench_function("best_bid_ask", |b| {
        b.iter(|| {
            let bk = black_box(&final_book);
            black_box((bk.best_bid(), bk.best_ask(), bk.is_crossed()))
        })
    });
    let (mut bb, mut aa) = (Vec::new(), Vec::new());
    g.bench_function("okx_checksum_top25", |b| {
        b.iter(|| black_box(black_box(&final_book).okx_checksum(&mut bb, &mut aa)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
