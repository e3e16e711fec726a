//! `OrderBook` on its own: exact keys and the growing scale, rejected prices, deletes and
//! snapshots, floors, the OKX checksum text.

use std::str::FromStr;

use liq_core::event::Level;
use liq_core::orderbook::book::{BookSide, OrderBook};
use rust_decimal::Decimal;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn lv(p: &str, s: &str) -> Level {
    Level {
        price: d(p),
        size: d(s),
    }
}

#[test]
fn keys_are_exact_and_the_scale_only_grows() {
    let mut b = OrderBook::new();
    assert_eq!(b.key(d("43394")), Ok(43394));
    assert_eq!(b.key(d("43390.78")), Ok(4339078));
    assert_eq!(b.scale(), 2);
    // Trailing zeros need no finer scale.
    assert_eq!(b.key(d("43390.780")), Ok(4339078));
    assert_eq!(b.scale(), 2);
    // A finer price grows the scale to its own decimals, zeros included.
    assert_eq!(b.key(d("1.2340")), Ok(12340));
    assert_eq!(b.scale(), 4);
    b.clear();
    assert_eq!(b.scale(), 0);
    b.apply_levels(&[lv("100", "1"), lv("99.5", "2")], &[lv("100.25", "3")]);
    assert_eq!(b.scale(), 2);
    b.apply_levels(&[lv("99.125", "4")], &[]);
    assert_eq!(b.scale(), 3);
    // A price that only fits without its trailing zeros keeps the book's scale.
    let mut big = OrderBook::new();
    big.apply_levels(&[lv("9000000000", "1")], &[]);
    assert_eq!(big.key(d("9000000000.0000000000")), Ok(9_000_000_000));
    assert_eq!(big.scale(), 0);
    let bids: Vec<_> = b.bids().map(|l| l.price.to_string()).collect();
    assert_eq!(bids, ["100", "99.5", "99.125"]);
    assert_eq!(b.best_ask().map(|l| l.price), Some(d("100.25")));
    assert_eq!(
        b.get(BookSide::Bid, d("99.50")).map(|l| l.size),
        Some(d("2"))
    );
}

#[test]
fn bad_prices_are_counted_not_stored() {
    let mut b = OrderBook::new();
    let huge = Decimal::from_i128_with_scale(79_228_162_514_264_337_593_543_950_335, 0);
    let fine = Decimal::from_i128_with_scale(1, 28);
    let n = b.apply_levels(
        &[
            lv("-1", "1"),
            lv("0", "1"),
            Level {
                price: huge,
                size: d("1"),
            },
        ],
        &[],
    );
    assert_eq!((n, b.levels_rejected(), b.bid_levels()), (3, 3, 0));
    b.apply_levels(&[lv("5", "1")], &[]);
    // 5 at scale 28 does not fit an i64: the fine price is rejected, the book unchanged.
    assert_eq!(
        b.apply_levels(
            &[Level {
                price: fine,
                size: d("1")
            }],
            &[]
        ),
        1
    );
    assert_eq!((b.scale(), b.bid_levels()), (0, 1));
}

#[test]
fn zero_deletes_and_snapshot_replaces() {
    let mut b = OrderBook::new();
    b.apply_snapshot(
        &[lv("10", "1"), lv("9", "0"), lv("8", "2")],
        &[lv("11", "1"), lv("11", "5")],
    );
    assert_eq!((b.bid_levels(), b.ask_levels()), (2, 1));
    assert_eq!(b.best_ask().map(|l| l.size), Some(d("5")));
    b.apply_levels(&[lv("10", "0"), lv("7", "0")], &[lv("10.5", "1")]);
    assert_eq!(b.best_bid().map(|l| l.price), Some(d("8")));
    assert!(!b.is_crossed());
    b.apply_levels(&[lv("10.5", "1")], &[]);
    assert!(b.is_crossed());
    b.apply_snapshot(&[], &[]);
    assert!(b.is_empty());
}

#[test]
fn floors_prune_beyond_the_snapshot() {
    let mut b = OrderBook::new();
    b.apply_snapshot(
        &[lv("10", "1"), lv("9", "1")],
        &[lv("11", "1"), lv("12", "1")],
    );
    b.set_floors_at_deepest();
    assert_eq!(b.floors(), (Some(d("9")), Some(d("12"))));
    b.apply_levels(
        &[lv("8.5", "1"), lv("9.5", "1")],
        &[lv("12.5", "1"), lv("13", "0")],
    );
    // The deletion beyond the ceiling is not counted as pruned.
    assert_eq!(
        (b.bid_levels(), b.ask_levels(), b.levels_pruned()),
        (3, 2, 2)
    );
    // The floor survives a rescale.
    b.apply_levels(&[lv("9.25", "1")], &[]);
    assert_eq!(b.floors(), (Some(d("9")), Some(d("12"))));
}

#[test]
fn okx_checksum_uses_the_strings_as_sent() {
    let mut b = OrderBook::new();
    b.apply_snapshot(
        &[lv("3366.1", "7"), lv("3366", "6")],
        &[lv("3366.8", "9"), lv("3368", "8")],
    );
    let (mut x, mut y) = (Vec::new(), Vec::new());
    let expect = crc32fast::hash(b"3366.1:7:3366.8:9:3366:6:3368:8") as i32;
    assert_eq!(b.okx_checksum(&mut x, &mut y), expect);
}
