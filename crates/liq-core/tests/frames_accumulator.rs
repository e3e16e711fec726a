//! The 30-second accumulator: the B12.3 vector on the real COIN-M case-1 book (zones_orderbook.md
//! B12.2/B12.3, including the SHA-256 of the reference's record), and the behaviour our design
//! adds: exchanges summed, gap marks, the widened step instead of truncation, slot handling.

use indexmap::IndexMap;
use liq_core::event::Exchange;
use liq_core::orderbook::accumulator::{Accumulator, AccumulatorConfig, AccumulatorError};
use liq_core::orderbook::frame::{ExchangeSet, Frame};
use liq_core::orderbook::record::{RecordVersion, STATS_OFFSET, decode_record, encode_record};
use serde_json::Value;

/// SHA-256 (FIPS 180-4), enough for one test vector.
fn sha256(data: &[u8]) -> String {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut msg = data.to_vec();
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&((data.len() as u64) * 8).to_be_bytes());
    for block in msg.chunks_exact(64) {
        let mut w = [0u32; 64];
        for i in 0..16 {
            w[i] = u32::from_be_bytes(block[4 * i..4 * i + 4].try_into().unwrap());
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let mut v = h;
        for i in 0..64 {
            let s1 = v[4].rotate_right(6) ^ v[4].rotate_right(11) ^ v[4].rotate_right(25);
            let ch = (v[4] & v[5]) ^ (!v[4] & v[6]);
            let t1 = v[7]
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(K[i])
                .wrapping_add(w[i]);
            let s0 = v[0].rotate_right(2) ^ v[0].rotate_right(13) ^ v[0].rotate_right(22);
            let maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
            let t2 = s0.wrapping_add(maj);
            v = [
                t1.wrapping_add(t2),
                v[0],
                v[1],
                v[2],
                v[3].wrapping_add(t1),
                v[4],
                v[5],
                v[6],
            ];
        }
        for (a, b) in h.iter_mut().zip(v) {
            *a = a.wrapping_add(b);
        }
    }
    h.iter().map(|x| format!("{x:08x}")).collect()
}

/// One side of a reference book: f64 price bits -> qty, in insertion order.
type Side = IndexMap<u64, f64>;

fn apply(side: &mut Side, levels: &Value) {
    for l in levels.as_array().unwrap() {
        let p: f64 = l[0].as_str().unwrap().parse().unwrap();
        let q: f64 = l[1].as_str().unwrap().parse().unwrap();
        if q == 0.0 {
            side.shift_remove(&p.to_bits());
        } else {
            side.insert(p.to_bits(), q);
        }
    }
}

/// The B12.2 case-1 book: snapshot S (line 189) then D209 applied with the reference's rule.
fn case1_book(test: &str) -> Option<(Side, Side)> {
    let dir = liq_store::shared_fixtures::dir(test)?;
    let text =
        std::fs::read_to_string(dir.join("raw/binance_perp_btcusd_perp_depth.jsonl")).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .skip(1)
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let s = &lines[189]["msg"];
    assert_eq!(s["lastUpdateId"].as_u64(), Some(847263827187));
    let (mut bids, mut asks) = (Side::new(), Side::new());
    apply(&mut bids, &s["bids"]);
    apply(&mut asks, &s["asks"]);
    let d = &lines[209]["msg"];
    assert_eq!(d["u"].as_u64(), Some(847263828982));
    apply(&mut bids, &d["b"]);
    apply(&mut asks, &d["a"]);
    Some((bids, asks))
}

fn levels(side: &Side) -> impl Iterator<Item = (f64, f64)> + '_ {
    side.iter().map(|(p, q)| (f64::from_bits(*p), *q))
}

fn cells(f: &Frame, side: &[u8]) -> Vec<(f64, u8)> {
    f.prices()
        .into_iter()
        .zip(side.iter().copied())
        .filter(|c| c.1 > 0)
        .collect()
}

#[test]
fn b12_3_accumulator_vector() {
    let Some((bids, asks)) = case1_book("frames_accumulator_b12_3") else {
        return;
    };
    assert_eq!((bids.len(), asks.len()), (501, 502));
    let mut acc = Accumulator::new(AccumulatorConfig::reference()).unwrap();
    let mid = 43376.850000000006;
    let out = acc.add_book(
        Exchange::Binance,
        levels(&bids),
        levels(&asks),
        mid,
        1706607629.4897304,
        false,
    );
    assert_eq!(out, Ok(None));
    let f = acc.flush().unwrap();
    assert_eq!(
        (f.ts, f.price_min, f.price_max, f.n_prices()),
        (1706607600.0, 39040.0, 47720.0, 435)
    );
    let s = f.stats;
    assert_eq!(
        (s.norm_p50, s.norm_p95),
        (276069198.90000004, 1460521491.3199997)
    );
    assert_eq!(
        (f.total_bid_notional, f.total_ask_notional),
        (8661104276.0, 6934546574.8)
    );
    assert_eq!(
        (s.norm_p90, s.norm_p99, s.norm_max),
        (1127499015.8100004, 2285066835.691001, 2614035780.6)
    );
    let raw = f.raw.as_ref().unwrap();
    assert_eq!(raw.bid.iter().filter(|&&v| v > 0.0).count(), 15);
    assert_eq!(raw.ask.iter().filter(|&&v| v > 0.0).count(), 15);
    let i = f.prices().iter().position(|&p| p == 43380.0).unwrap();
    assert_eq!((raw.bid[i], raw.ask[i]), (230576263.9, 1020743382.6000001));
    let bid_u8 = [
        (43160.0, 14),
        (43220.0, 9),
        (43240.0, 255),
        (43300.0, 117),
        (43320.0, 249),
        (43340.0, 175),
        (43360.0, 155),
    ];
    let ask_u8 = [
        (43380.0, 160),
        (43400.0, 75),
        (43420.0, 159),
        (43440.0, 255),
        (43460.0, 50),
        (43480.0, 55),
        (43520.0, 127),
        (43600.0, 2),
    ];
    assert_eq!(cells(&f, &f.bid_u8), bid_u8);
    assert_eq!(cells(&f, &f.ask_u8), ask_u8);
    // The reference's record is our version 2 without the extension.
    let v1 = encode_record(&f, RecordVersion::V1).unwrap();
    assert_eq!(
        sha256(&v1),
        "721bc4b5c56817a8a1abd7128911c01f07a9d4920612f0cd3b2e51160ea6de27"
    );
    let mut v2 = encode_record(&f, RecordVersion::V2).unwrap();
    assert_eq!(&v2[..STATS_OFFSET], &v1[..STATS_OFFSET]);
    v2[STATS_OFFSET..].fill(0);
    assert_eq!(v2, v1);
    // The frame marks say Binance alone, no gap, the configured step.
    assert_eq!(f.marks.exchanges, ExchangeSet::single(Exchange::Binance));
    assert!(!f.marks.gap && !f.marks.step_widened);
    assert_eq!(f.marks.last_update_ts, 1706607629.4897304);
}

#[test]
fn sha256_known_answers() {
    assert_eq!(
        sha256(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(
        sha256(b""),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
}

fn acc(step: f64) -> Accumulator {
    Accumulator::new(AccumulatorConfig::new(step, 0.10)).unwrap()
}

fn raw_at(f: &Frame, price: f64) -> (f64, f64) {
    let i = f.prices().iter().position(|&p| p == price).unwrap();
    let raw = f.raw.as_ref().unwrap();
    (raw.bid[i], raw.ask[i])
}

#[test]
fn exchanges_are_summed_and_each_update_replaces_its_own() {
    let mut a = acc(1.0);
    let (t0, mid) = (3000.0, 100.0);
    a.add_book(
        Exchange::Binance,
        [(99.0, 2.0)],
        [(101.0, 1.0)],
        mid,
        t0,
        false,
    )
    .unwrap();
    a.add_book(
        Exchange::Bybit,
        [(99.0, 3.0), (98.0, 1.0)],
        [(101.0, 1.0)],
        mid,
        t0 + 1.0,
        false,
    )
    .unwrap();
    a.add_book(Exchange::Okx, [(99.2, 1.0)], [], mid, t0 + 2.0, false)
        .unwrap();
    // Binance's second update replaces its first.
    a.add_book(
        Exchange::Binance,
        [(99.0, 4.0)],
        [(101.0, 1.0)],
        mid,
        t0 + 3.0,
        false,
    )
    .unwrap();
    let f = a
        .add_book(Exchange::Binance, [(99.0, 1.0)], [], mid, t0 + 30.0, false)
        .unwrap()
        .unwrap();
    assert_eq!(f.ts, t0);
    assert_eq!(raw_at(&f, 99.0), (4.0 * 99.0 + 3.0 * 99.0 + 99.2, 0.0));
    assert_eq!(raw_at(&f, 98.0), (98.0, 0.0));
    assert_eq!(raw_at(&f, 101.0), (0.0, 2.0 * 101.0));
    assert_eq!(f.marks.exchanges, ExchangeSet::ALL);
    assert_eq!(f.marks.last_update_ts, t0 + 3.0);
    // Only configured exchanges count.
    let mut only = Accumulator::new(AccumulatorConfig {
        exchanges: ExchangeSet::single(Exchange::Okx),
        ..AccumulatorConfig::new(1.0, 0.1)
    })
    .unwrap();
    only.add_book(Exchange::Binance, [(99.0, 1.0)], [], mid, t0, false)
        .unwrap();
    assert_eq!(only.skipped_updates(), 1);
    assert_eq!(only.flush(), None);
}

#[test]
fn gaps_mark_the_next_frame_and_lost_books_leave_it() {
    let mut a = acc(1.0);
    a.add_book(
        Exchange::Binance,
        [(99.0, 1.0)],
        [(101.0, 1.0)],
        100.0,
        60.0,
        false,
    )
    .unwrap();
    a.add_book(
        Exchange::Bybit,
        [(99.0, 1.0)],
        [(101.0, 1.0)],
        100.0,
        61.0,
        false,
    )
    .unwrap();
    // A gap detected in the next slot, with no update of that exchange: the frame of slot 2
    // (60 s) is emitted unmarked, the gap waits for the next frame.
    let f = a.book_lost(Exchange::Bybit, 95.0).unwrap();
    assert!(!f.marks.gap);
    a.add_book(Exchange::Binance, [(99.0, 1.0)], [], 100.0, 96.0, false)
        .unwrap();
    let f = a.tick(120.0).unwrap();
    assert_eq!(f.ts, 90.0);
    assert!(f.marks.gap);
    assert_eq!(f.marks.gap_exchanges, ExchangeSet::single(Exchange::Bybit));
    assert_eq!(f.marks.exchanges, ExchangeSet::single(Exchange::Binance));
    assert_eq!(raw_at(&f, 99.0).0, 99.0);
    // The update that comes back after a resync carries the gap flag itself.
    a.add_book(Exchange::Bybit, [(99.0, 1.0)], [], 100.0, 125.0, true)
        .unwrap();
    let f = a.tick(150.0).unwrap();
    assert!(
        f.marks.gap && f.marks.exchanges == ExchangeSet::of(&[Exchange::Binance, Exchange::Bybit])
    );
    assert_eq!(a.tick(200.0), None, "a silent slot has no frame");
    // A gap survives the round trip through the v2 record.
    let (back, _) = decode_record(&encode_record(&f, RecordVersion::V2).unwrap()).unwrap();
    assert_eq!(back.marks, f.marks);
}

#[test]
fn stale_books_are_left_out() {
    let mut a = acc(1.0);
    a.add_book(Exchange::Okx, [(99.0, 1.0)], [], 100.0, 0.0, false)
        .unwrap();
    a.add_book(Exchange::Binance, [(99.0, 2.0)], [], 100.0, 200.0, false)
        .unwrap();
    let f = a.flush().unwrap();
    assert_eq!(f.marks.exchanges, ExchangeSet::single(Exchange::Binance));
    assert_eq!(raw_at(&f, 99.0).0, 2.0 * 99.0);
}

#[test]
fn a_band_above_1000_cells_widens_the_step() {
    // BTC at 100 000 with step 20: 20 000 / 20 + 1 = 1001 cells -> step 40.
    let mut a = acc(20.0);
    let levels: Vec<(f64, f64)> = (0..2000)
        .map(|i| (90_000.0 + 10.0 * i as f64, 1.0))
        .collect();
    a.add_book(
        Exchange::Binance,
        levels.iter().copied(),
        [],
        100_000.0,
        30.0,
        false,
    )
    .unwrap();
    let f = a.flush().unwrap();
    assert_eq!(f.step, 40.0);
    assert!(f.marks.step_widened);
    assert!(f.n_prices() <= 1000);
    assert_eq!(
        (f.price_min, f.price_max, f.n_prices()),
        (90_000.0, 110_000.0, 501)
    );
    // Nothing is lost: every level in the band is in some cell.
    let in_band: f64 = levels
        .iter()
        .filter(|(p, _)| *p >= 90_000.0 && *p <= 110_000.0)
        .map(|(p, q)| p * q)
        .sum();
    assert!((f.total_bid_notional - in_band).abs() <= 1e-6 * in_band);
    assert!(encode_record(&f, RecordVersion::V2).is_ok());
    // SOL-like steps widen to exact decimals (0.3, not 0.30000000000000004).
    let mut s = Accumulator::new(AccumulatorConfig {
        max_cells: 10,
        ..AccumulatorConfig::new(0.1, 0.10)
    })
    .unwrap();
    s.add_book(Exchange::Binance, [(10.0, 1.0)], [], 10.0, 30.0, false)
        .unwrap();
    let f = s.flush().unwrap();
    assert!(f.n_prices() <= 10);
    assert_eq!(f.step, 0.3);
    assert!(f.prices().iter().all(|p| (p * 10.0).round() / 10.0 == *p));
}

#[test]
fn slots_bad_input_and_forced_emission() {
    let mut a = acc(1.0);
    assert_eq!(a.flush(), None);
    assert!(matches!(
        a.add_book(Exchange::Binance, [], [], f64::NAN, 0.0, false),
        Err(AccumulatorError::Mid(_))
    ));
    assert!(matches!(
        a.add_book(Exchange::Binance, [], [], 0.0, 0.0, false),
        Err(AccumulatorError::Mid(_))
    ));
    assert!(matches!(
        a.add_book(Exchange::Binance, [], [], 100.0, f64::INFINITY, false),
        Err(AccumulatorError::Time(_))
    ));
    assert_eq!(a.current_slot(), None, "a rejected update changes nothing");
    a.add_book(
        Exchange::Binance,
        [(99.0, 1.0), (f64::NAN, 1.0), (99.5, -1.0), (50.0, 1.0)],
        [],
        100.0,
        75.0,
        false,
    )
    .unwrap();
    // An update from an earlier slot counts for the current one (no rewind, no emission).
    assert_eq!(
        a.add_book(Exchange::Binance, [(99.0, 3.0)], [], 100.0, 10.0, false),
        Ok(None)
    );
    assert_eq!(a.current_slot(), Some(2));
    assert_eq!(a.tick(89.0), None);
    let f = a.tick(90.0).unwrap();
    assert_eq!(f.ts, 60.0);
    assert_eq!(raw_at(&f, 99.0).0, 3.0 * 99.0);
    // An update stamped before the tick's time counts for the tick's slot: no second frame
    // with ts 60.
    a.add_book(Exchange::Binance, [(99.0, 1.0)], [], 100.0, 89.9, false)
        .unwrap();
    assert_eq!(a.current_slot(), Some(3));
    assert_eq!(a.flush().unwrap().ts, 90.0);
    assert_eq!(
        f.raw
            .as_ref()
            .unwrap()
            .bid
            .iter()
            .filter(|v| **v > 0.0)
            .count(),
        1
    );
    assert!(Accumulator::new(AccumulatorConfig::new(0.0, 0.1)).is_err());
    assert!(Accumulator::new(AccumulatorConfig::new(1.0, 1.5)).is_err());
    assert!(
        Accumulator::new(AccumulatorConfig {
            max_cells: 1001,
            ..AccumulatorConfig::new(1.0, 0.1)
        })
        .is_err()
    );
}
