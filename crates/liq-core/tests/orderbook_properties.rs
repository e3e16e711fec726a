//! Property tests of the order-book reconstructors.
//!
//! * `valid_sequences_match_a_map_model`: for each exchange's rule, a snapshot plus any valid
//!   diff sequence (Binance: stale diffs first, some diffs buffered before the snapshot; OKX:
//!   irregular `seqId` steps, keep-alives, sequence resets, checksums) gives the same book as
//!   applying the same level changes to a `BTreeMap` keyed by the exact decimal price, level by
//!   level and string by string, with no gap, no resync and every checksum verified. Prices
//!   mix scales (`12.5`, `12.50`, `7`) so the book's key scale grows along the way; Binance runs
//!   with and without pruning (the model prunes beyond the snapshot's deepest levels too).
//! * `arbitrary_messages_never_panic`: random snapshots and diffs (random or missing ids,
//!   extreme ids, zero sizes, prices with up to 28 decimals or 96-bit mantissas, random
//!   checksums) through every reconstructor with random settings never panic, and after every
//!   message the counter identity holds (`messages` equals the sum of `snapshots`,
//!   `updates_applied`, `keepalives`, `stale`, `dropped` and `buffered`; resyncs never exceed
//!   gaps, checksum failures and invalid messages together), a book that is not synced is
//!   empty, sides are strictly ordered and hold no zero size.

mod orderbook_common;

use std::collections::BTreeMap;

use liq_core::checksum::okx_checksum;
use liq_core::event::{Depth, Level};
use liq_core::orderbook::binance::{BinanceReconstructor, BinanceRule};
use liq_core::orderbook::book::OrderBook;
use liq_core::orderbook::bybit::BybitReconstructor;
use liq_core::orderbook::okx::OkxReconstructor;
use liq_core::orderbook::recon::{Outcome, ReconConfig, Reconstructor};
use liq_core::orderbook::stats::SyncState;
use proptest::prelude::*;
use rust_decimal::Decimal;

/// One level change: (is_bid, level).
type Change = (bool, Level);

fn level() -> impl Strategy<Value = Level> {
    // 80 ticks of 0.1 so that changes hit existing levels, written with 0-2 trailing zeros; one
    // level in eight is finer (3 decimals) and grows the book's key scale. Size 0 one time in five.
    let price = prop_oneof![
        7 => (1i64..80, 0u32..3).prop_map(|(k, pad)| Decimal::new(k * 10i64.pow(pad), 1 + pad)),
        1 => (1i64..80, 0i64..100).prop_map(|(k, f)| Decimal::new(k * 100 + f, 3)),
    ];
    let size = prop_oneof![1 => Just(0i64), 4 => 1i64..100_000];
    (price, size, 0u32..4).prop_map(|(price, size, sscale)| Level {
        price,
        size: Decimal::new(size, sscale),
    })
}

fn changes(max: usize) -> impl Strategy<Value = Vec<Change>> {
    prop::collection::vec((any::<bool>(), level()), 0..max)
}

fn split(ch: &[Change]) -> (Vec<Level>, Vec<Level>) {
    let bids = ch.iter().filter(|c| c.0).map(|c| c.1).collect();
    let asks = ch.iter().filter(|c| !c.0).map(|c| c.1).collect();
    (bids, asks)
}

/// The reference model: exact decimal price -> the level as last sent.
#[derive(Default)]
struct Model {
    bids: BTreeMap<Decimal, Level>,
    asks: BTreeMap<Decimal, Level>,
    floors: Option<(Option<Decimal>, Option<Decimal>)>,
}

impl Model {
    fn snapshot(&mut self, ch: &[Change], prune: bool) {
        self.bids.clear();
        self.asks.clear();
        for (bid, l) in ch {
            if !l.size.is_zero() {
                let side = if *bid { &mut self.bids } else { &mut self.asks };
                side.insert(l.price, *l);
            }
        }
        self.floors = prune.then(|| {
            (
                self.bids.keys().next().copied(),
                self.asks.keys().next_back().copied(),
            )
        });
    }

    fn diff(&mut self, ch: &[Change]) {
        for (bid, l) in ch {
            let (bid_floor, ask_ceiling) = self.floors.unwrap_or((None, None));
            if (*bid && bid_floor.is_some_and(|f| l.price < f))
                || (!*bid && ask_ceiling.is_some_and(|c| l.price > c))
            {
                continue;
            }
            let side = if *bid { &mut self.bids } else { &mut self.asks };
            if l.size.is_zero() {
                side.remove(&l.price);
            } else {
                side.insert(l.price, *l);
            }
        }
    }

    fn checksum(&self) -> i64 {
        let b: Vec<Level> = self.bids.values().rev().take(25).copied().collect();
        let a: Vec<Level> = self.asks.values().take(25).copied().collect();
        i64::from(okx_checksum(&b, &a))
    }

    fn check(&self, book: &OrderBook) -> Result<(), TestCaseError> {
        let text = |l: &Level| (l.price.to_string(), l.size.to_string());
        let got: Vec<_> = book.bids().map(text).collect();
        let want: Vec<_> = self.bids.values().rev().map(text).collect();
        prop_assert_eq!(got, want, "bids");
        let got: Vec<_> = book.asks().map(text).collect();
        let want: Vec<_> = self.asks.values().map(text).collect();
        prop_assert_eq!(got, want, "asks");
        Ok(())
    }
}

fn depth(ch: &[Change], first: Option<i64>, last: i64, prev: Option<i64>) -> Depth {
    let (bids, asks) = split(ch);
    Depth {
        bids,
        asks,
        first_update_id: first,
        last_update_id: Some(last),
        prev_update_id: prev,
        ..Depth::default()
    }
}

#[derive(Clone, Debug)]
struct Case {
    snap: Vec<Change>,
    diffs: Vec<Vec<Change>>,
    /// Id steps (>= 1) of the diffs; for OKX 0 makes a keep-alive, and a multiple of 7 a reset.
    steps: Vec<i64>,
    stale: usize,
    buffered_before: usize,
    prune: bool,
}

fn case() -> impl Strategy<Value = Case> {
    (
        changes(40),
        prop::collection::vec(changes(12), 0..25),
        prop::collection::vec(0i64..30, 25),
        0usize..3,
        0usize..6,
        any::<bool>(),
    )
        .prop_map(|(snap, diffs, steps, stale, buffered_before, prune)| Case {
            snap,
            diffs,
            steps,
            stale,
            buffered_before,
            prune,
        })
}

fn binance(c: &Case, rule: BinanceRule) -> Result<(), TestCaseError> {
    const L: i64 = 1_000_000;
    let cfg = ReconConfig {
        prune_to_snapshot: c.prune,
        ..ReconConfig::default()
    };
    let mut r = BinanceReconstructor::new(rule, &cfg);
    let mut model = Model::default();
    // Stale diffs end before the snapshot, then the bridging diff contains L (spot: L + 1).
    let mut msgs = Vec::new();
    for i in 0..c.stale as i64 {
        let ch = c.diffs.first().cloned().unwrap_or_default();
        msgs.push((
            depth(
                &ch,
                Some(L - 100 + 10 * i),
                L - 95 + 10 * i,
                Some(L - 101 + 10 * i),
            ),
            false,
        ));
    }
    let mut last = L - 3;
    for (i, ch) in c.diffs.iter().enumerate() {
        let step = c.steps[i].max(1);
        let (first, end) = if i == 0 {
            (L - 2, L + 1 + step)
        } else {
            (last + 1, last + step)
        };
        msgs.push((
            depth(
                ch,
                Some(first),
                end,
                (rule == BinanceRule::Futures).then_some(last),
            ),
            true,
        ));
        last = end;
    }
    let n_before = c.buffered_before.min(msgs.len());
    for (d, _) in &msgs[..n_before] {
        prop_assert_eq!(r.on_diff(d, 0.0), Outcome::Buffered);
    }
    prop_assert_eq!(
        r.on_snapshot(&depth(&c.snap, None, L, None), 0.0),
        Outcome::Snapshot
    );
    model.snapshot(&c.snap, c.prune);
    for (d, applies) in &msgs[..n_before] {
        if *applies {
            model.diff(&changes_of(d));
        }
    }
    model.check(r.book())?;
    for (d, applies) in &msgs[n_before..] {
        let out = r.on_diff(d, 0.0);
        prop_assert_eq!(
            out,
            if *applies {
                Outcome::Applied
            } else {
                Outcome::Stale
            }
        );
        if *applies {
            model.diff(&changes_of(d));
        }
        model.check(r.book())?;
    }
    let s = r.stats();
    prop_assert!(s.is_consistent(), "{:?}", s);
    prop_assert_eq!(
        (s.gaps, s.resyncs, s.stale, s.buffered),
        (0, 0, c.stale as u64, 0)
    );
    prop_assert_eq!(r.state(), SyncState::Synced);
    Ok(())
}

/// The changes of a depth message, bids then asks (the order the book applies them).
fn changes_of(d: &Depth) -> Vec<Change> {
    let b = d.bids.iter().map(|l| (true, *l));
    b.chain(d.asks.iter().map(|l| (false, *l))).collect()
}

fn bybit(c: &Case) -> Result<(), TestCaseError> {
    let mut r = BybitReconstructor::new(&ReconConfig::default());
    let mut model = Model::default();
    prop_assert_eq!(
        r.on_snapshot(&depth(&c.snap, None, 5000, None), 0.0),
        Outcome::Snapshot
    );
    model.snapshot(&c.snap, false);
    for (i, ch) in c.diffs.iter().enumerate() {
        prop_assert_eq!(
            r.on_diff(&depth(ch, None, 5001 + i as i64, None), 0.0),
            Outcome::Applied
        );
        model.diff(ch);
        model.check(r.book())?;
    }
    let s = r.stats();
    prop_assert!(
        s.is_consistent() && s.gaps == 0 && s.resyncs == 0,
        "{:?}",
        s
    );
    Ok(())
}

fn okx(c: &Case) -> Result<(), TestCaseError> {
    let mut r = OkxReconstructor::new(&ReconConfig::default());
    let mut model = Model::default();
    model.snapshot(&c.snap, false);
    let mut snap = depth(&c.snap, None, 90_000, Some(-1));
    snap.checksum = Some(model.checksum());
    prop_assert_eq!(r.on_snapshot(&snap, 0.0), Outcome::Snapshot);
    let mut last = 90_000;
    for (i, ch) in c.diffs.iter().enumerate() {
        let step = c.steps[i];
        let keepalive = step == 0;
        let seq = match step {
            0 => last,
            s if s % 7 == 0 => last / 2,
            s => last + s,
        };
        let ch: &[Change] = if keepalive { &[] } else { ch };
        model.diff(ch);
        let mut d = depth(ch, None, seq, Some(last));
        d.checksum = Some(model.checksum());
        let want = if keepalive {
            Outcome::KeepAlive
        } else {
            Outcome::Applied
        };
        prop_assert_eq!(r.on_diff(&d, 0.0), want);
        model.check(r.book())?;
        last = seq;
    }
    let s = r.stats();
    prop_assert!(s.is_consistent(), "{:?}", s);
    prop_assert_eq!((s.gaps, s.resyncs, s.checksum_failed), (0, 0, 0));
    prop_assert_eq!(s.checksum_ok, 1 + c.diffs.len() as u64);
    Ok(())
}

proptest! {
    #[test]
    fn valid_sequences_match_a_map_model(c in case()) {
        binance(&c, BinanceRule::Futures)?;
        binance(&c, BinanceRule::Spot)?;
        bybit(&c)?;
        okx(&c)?;
    }
}

fn wild_decimal() -> impl Strategy<Value = Decimal> {
    prop_oneof![
        (any::<i64>(), 0u32..=28).prop_map(|(m, s)| Decimal::new(m, s)),
        (any::<i128>(), 0u32..=28).prop_map(|(m, s)| {
            Decimal::try_from_i128_with_scale(m % (1i128 << 95), s).unwrap_or(Decimal::MAX)
        }),
        (1i64..500, 0u32..3).prop_map(|(m, s)| Decimal::new(m, s)),
        Just(Decimal::ZERO),
    ]
}

fn wild_id() -> impl Strategy<Value = Option<i64>> {
    prop_oneof![
        1 => Just(None),
        1 => Just(Some(i64::MAX)),
        1 => Just(Some(i64::MIN)),
        1 => Just(Some(-1)),
        1 => Just(Some(1)),
        6 => (0i64..40).prop_map(Some),
    ]
}

fn wild_depth() -> impl Strategy<Value = (bool, Depth)> {
    fn lv() -> impl Strategy<Value = Level> {
        (wild_decimal(), wild_decimal()).prop_map(|(price, size)| Level {
            price,
            size: size.abs(),
        })
    }
    (
        any::<bool>(),
        prop::collection::vec(lv(), 0..8),
        prop::collection::vec(lv(), 0..8),
        (wild_id(), wild_id(), wild_id()),
        prop_oneof![Just(None), any::<i32>().prop_map(|c| Some(i64::from(c)))],
    )
        .prop_map(|(snap, bids, asks, (first, last, prev), checksum)| {
            let d = Depth {
                bids,
                asks,
                first_update_id: first,
                last_update_id: last,
                prev_update_id: prev,
                checksum,
                ..Depth::default()
            };
            (snap, d)
        })
}

fn invariants(r: &dyn Reconstructor) -> Result<(), TestCaseError> {
    let s = r.stats();
    prop_assert!(s.is_consistent(), "{:?}", s);
    let b = r.book();
    if r.state() != SyncState::Synced {
        prop_assert!(b.is_empty());
    }
    let bids: Vec<&Level> = b.bids().collect();
    let asks: Vec<&Level> = b.asks().collect();
    prop_assert!(bids.windows(2).all(|w| w[0].price > w[1].price));
    prop_assert!(asks.windows(2).all(|w| w[0].price < w[1].price));
    prop_assert!(bids.iter().chain(&asks).all(|l| !l.size.is_zero()));
    prop_assert_eq!((b.bid_levels(), b.ask_levels()), (bids.len(), asks.len()));
    Ok(())
}

proptest! {
    #[test]
    fn arbitrary_messages_never_panic(
        msgs in prop::collection::vec(wild_depth(), 0..40),
        tolerance in prop_oneof![Just(0u64), 1u64..50, Just(u64::MAX)],
        prune in any::<bool>(),
        capacity in 0usize..4,
        scale in 0u32..30,
    ) {
        let cfg = ReconConfig { gap_tolerance: tolerance, prune_to_snapshot: prune, buffer_capacity: capacity, price_scale: scale };
        let mut all: Vec<Box<dyn Reconstructor>> = vec![
            Box::new(BinanceReconstructor::new(BinanceRule::Futures, &cfg)),
            Box::new(BinanceReconstructor::new(BinanceRule::Spot, &cfg)),
            Box::new(BybitReconstructor::new(&cfg)),
            Box::new(OkxReconstructor::new(&cfg)),
        ];
        for r in &mut all {
            for (snap, d) in &msgs {
                if *snap { r.on_snapshot(d, 0.0); } else { r.on_diff(d, 0.0); }
                invariants(r.as_ref())?;
                let _ = (r.book().best_bid().is_some(), r.book().is_crossed());
                let _ = r.take_gap_flag();
            }
            prop_assert_eq!(r.stats().messages, msgs.len() as u64);
        }
    }
}
