//! Helpers shared by the order-book tests: hand-made depth messages.

#![allow(dead_code)]

use std::str::FromStr;

use liq_core::event::{Depth, Level};
use liq_core::orderbook::book::OrderBook;
use rust_decimal::Decimal;

/// A decimal from text.
pub fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).expect("decimal literal")
}

/// Levels from `(price, size)` text pairs.
pub fn levels(v: &[(&str, &str)]) -> Vec<Level> {
    v.iter()
        .map(|(p, s)| Level {
            price: dec(p),
            size: dec(s),
        })
        .collect()
}

/// A snapshot with `lastUpdateId`/`u`/`seqId` = `id`.
pub fn snapshot(id: i64, bids: &[(&str, &str)], asks: &[(&str, &str)]) -> Depth {
    Depth {
        bids: levels(bids),
        asks: levels(asks),
        last_update_id: Some(id),
        ..Depth::default()
    }
}

/// A Binance futures diff `U`, `u`, `pu`.
pub fn fdiff(
    first: i64,
    last: i64,
    prev: i64,
    bids: &[(&str, &str)],
    asks: &[(&str, &str)],
) -> Depth {
    Depth {
        bids: levels(bids),
        asks: levels(asks),
        first_update_id: Some(first),
        last_update_id: Some(last),
        prev_update_id: Some(prev),
        ..Depth::default()
    }
}

/// A Binance spot diff `U`, `u` (no `pu`).
pub fn sdiff(first: i64, last: i64, bids: &[(&str, &str)], asks: &[(&str, &str)]) -> Depth {
    Depth {
        prev_update_id: None,
        ..fdiff(first, last, 0, bids, asks)
    }
}

/// A Bybit delta with update id `u`.
pub fn bdelta(u: i64, bids: &[(&str, &str)], asks: &[(&str, &str)]) -> Depth {
    snapshot(u, bids, asks)
}

/// An OKX update `seqId`, `prevSeqId` with a checksum.
pub fn oupdate(
    seq: i64,
    prev: i64,
    bids: &[(&str, &str)],
    asks: &[(&str, &str)],
    checksum: Option<i64>,
) -> Depth {
    Depth {
        bids: levels(bids),
        asks: levels(asks),
        last_update_id: Some(seq),
        prev_update_id: Some(prev),
        checksum,
        ..Depth::default()
    }
}

/// `(price, size)` text pairs of one side, best first.
pub type SideText = Vec<(String, String)>;

/// A book's sides as `(price, size)` text, best first.
pub fn sides(b: &OrderBook) -> (SideText, SideText) {
    let f = |l: &Level| (l.price.to_string(), l.size.to_string());
    (b.bids().map(f).collect(), b.asks().map(f).collect())
}

/// `(price, size)` text pairs as owned strings.
pub fn owned(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(p, s)| ((*p).to_owned(), (*s).to_owned()))
        .collect()
}
