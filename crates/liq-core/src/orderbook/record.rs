//! The 4096-byte binary record of a frame (zones_orderbook.md B9; DECISIONS zones 7 and 8).
//!
//! Little-endian, packed, no file header. Version 1 is the reference's layout:
//!
//! | offset | type | field |
//! |---|---|---|
//! | 0 | f64 | `ts` (slot start) |
//! | 8 | f64 | `src` |
//! | 16 | f64 | `step` |
//! | 24 | f64 | `price_min` |
//! | 32 | f64 | `price_max` |
//! | 40 | u32 | `n_prices` (1..=1000) |
//! | 44 | f64 | `norm_p50` |
//! | 52 | f64 | `norm_p95` |
//! | 60 | f64 | `total_bid_notional` |
//! | 68 | f64 | `total_ask_notional` |
//! | 76 | `u8[1000]` | bid intensities, zero after `n_prices` |
//! | 1076 | `u8[1000]` | ask intensities, zero after `n_prices` |
//! | 2076 | | zero padding to 4096 |
//!
//! Version 2 keeps every byte of version 1 and uses the padding:
//!
//! | offset | type | field |
//! |---|---|---|
//! | 2076 | `f64[9]` | `norm_p90, norm_p99, norm_max, bid_p50, bid_p95, bid_max, ask_p50, ask_p95, ask_max` |
//! | 2148 | u32 | marker `0x3253424F` (the bytes `OBS2`) |
//! | 2152 | u8 | flags: bit 0 = gap (the frame spans a detected gap), bit 1 = step widened (cap) |
//! | 2153 | u8 | exchanges with a gap (Binance 1, Bybit 2, OKX 4) |
//! | 2154 | u8 | exchanges summed into the frame (same bits) |
//! | 2155 | u8 | reserved, 0 |
//! | 2156 | f64 | wall clock of the slot's last book update (0 = unknown) |
//! | 2164 | | zero padding to 4096 |
//!
//! A record without the marker is version 1: its extra statistics read as 0.0 and its marks as
//! unknown (no gap, no exchanges), as the reference reads them.

use thiserror::Error;

use super::frame::{ExchangeSet, Frame, FrameMarks, FrameStats, MAX_CELLS};

/// Size of one record.
pub const RECORD_LEN: usize = 4096;
/// Size of the packed header (`<dddddIdddd`).
pub const HEADER_LEN: usize = 76;
/// Offset of the bid intensities.
pub const BID_OFFSET: usize = 76;
/// Offset of the ask intensities.
pub const ASK_OFFSET: usize = 1076;
/// Offset of the nine version-2 statistics.
pub const STATS_OFFSET: usize = 2076;
/// Offset of the version-2 marker.
pub const MARKER_OFFSET: usize = 2148;
/// The version-2 marker (`OBS2` as little-endian bytes).
pub const MARKER: u32 = 0x3253_424F;
/// Offset of the version-2 flags byte (then the gap mask, the exchange mask, a reserved byte).
pub const MARKS_OFFSET: usize = 2152;
/// Offset of the version-2 last-update wall clock.
pub const LAST_UPDATE_OFFSET: usize = 2156;
/// Flag bit: the frame spans a detected gap.
pub const FLAG_GAP: u8 = 1;
/// Flag bit: the step is a multiple of the configured step (1000-cell cap).
pub const FLAG_STEP_WIDENED: u8 = 2;

/// The layout version of a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordVersion {
    /// The reference's layout (statistics p90/p99/max and per-side not stored).
    V1,
    /// Version 1 plus the statistics and marks in the padding, with the marker.
    V2,
}

/// Why a record cannot be written or read.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum RecordError {
    /// The input is not exactly one record long.
    #[error("record must be {RECORD_LEN} bytes, got {0}")]
    Length(usize),
    /// `n_prices` is 0 or above 1000.
    #[error("n_prices {0} outside 1..=1000")]
    Cells(usize),
    /// The bid and ask arrays differ in length.
    #[error("bid ({bid}) and ask ({ask}) cell counts differ")]
    Sides {
        /// Bid cells.
        bid: usize,
        /// Ask cells.
        ask: usize,
    },
    /// A header number is not finite, or `ts`/`step` is not positive.
    #[error("field {field} has a bad value {value}")]
    Field {
        /// The field name.
        field: &'static str,
        /// Its value.
        value: f64,
    },
}

/// Writes `frame` as one record of `version` (version 1 drops the statistics and marks).
pub fn encode_record(
    frame: &Frame,
    version: RecordVersion,
) -> Result<[u8; RECORD_LEN], RecordError> {
    let n = frame.bid_u8.len();
    if frame.ask_u8.len() != n {
        return Err(RecordError::Sides {
            bid: n,
            ask: frame.ask_u8.len(),
        });
    }
    if n == 0 || n > MAX_CELLS {
        return Err(RecordError::Cells(n));
    }
    check_header(frame)?;
    let mut b = [0u8; RECORD_LEN];
    let s = &frame.stats;
    let head = [
        frame.ts,
        frame.src,
        frame.step,
        frame.price_min,
        frame.price_max,
    ];
    for (i, v) in head.iter().enumerate() {
        put_f64(&mut b, i * 8, *v);
    }
    // n <= 1000, so the cast is exact.
    b[40..44].copy_from_slice(&(n as u32).to_le_bytes());
    let tail = [
        s.norm_p50,
        s.norm_p95,
        frame.total_bid_notional,
        frame.total_ask_notional,
    ];
    for (i, v) in tail.iter().enumerate() {
        put_f64(&mut b, 44 + i * 8, *v);
    }
    b[BID_OFFSET..BID_OFFSET + n].copy_from_slice(&frame.bid_u8);
    b[ASK_OFFSET..ASK_OFFSET + n].copy_from_slice(&frame.ask_u8);
    if version == RecordVersion::V2 {
        let extra = [
            s.norm_p90, s.norm_p99, s.norm_max, s.bid_p50, s.bid_p95, s.bid_max, s.ask_p50,
            s.ask_p95, s.ask_max,
        ];
        for (i, v) in extra.iter().enumerate() {
            put_f64(&mut b, STATS_OFFSET + i * 8, *v);
        }
        b[MARKER_OFFSET..MARKER_OFFSET + 4].copy_from_slice(&MARKER.to_le_bytes());
        let m = &frame.marks;
        let flags = (u8::from(m.gap) * FLAG_GAP) | (u8::from(m.step_widened) * FLAG_STEP_WIDENED);
        b[MARKS_OFFSET] = flags;
        b[MARKS_OFFSET + 1] = m.gap_exchanges.bits();
        b[MARKS_OFFSET + 2] = m.exchanges.bits();
        put_f64(&mut b, LAST_UPDATE_OFFSET, m.last_update_ts);
    }
    Ok(b)
}

/// The layout version of a record: version 2 when the marker is present.
pub fn record_version(bytes: &[u8]) -> RecordVersion {
    match bytes.get(MARKER_OFFSET..MARKER_OFFSET + 4) {
        Some(m) if m == MARKER.to_le_bytes() => RecordVersion::V2,
        _ => RecordVersion::V1,
    }
}

/// The `ts` of a record without decoding the rest (`None` if shorter than 8 bytes).
pub fn record_ts(bytes: &[u8]) -> Option<f64> {
    get_f64(bytes, 0)
}

/// Reads one record of either version. Rejects `n_prices` of 0 or above 1000, non-finite
/// header numbers, and a `ts` or `step` that is not positive.
pub fn decode_record(bytes: &[u8]) -> Result<(Frame, RecordVersion), RecordError> {
    if bytes.len() != RECORD_LEN {
        return Err(RecordError::Length(bytes.len()));
    }
    // Every offset below is inside the 4096 bytes just checked.
    let f = |off| get_f64(bytes, off).unwrap_or(f64::NAN);
    let n = u32::from_le_bytes([bytes[40], bytes[41], bytes[42], bytes[43]]) as usize;
    if n == 0 || n > MAX_CELLS {
        return Err(RecordError::Cells(n));
    }
    let version = record_version(bytes);
    let mut stats = FrameStats {
        norm_p50: f(44),
        norm_p95: f(52),
        ..FrameStats::default()
    };
    let mut marks = FrameMarks::default();
    if version == RecordVersion::V2 {
        let x = |i: usize| f(STATS_OFFSET + 8 * i);
        stats.norm_p90 = x(0);
        stats.norm_p99 = x(1);
        stats.norm_max = x(2);
        stats.bid_p50 = x(3);
        stats.bid_p95 = x(4);
        stats.bid_max = x(5);
        stats.ask_p50 = x(6);
        stats.ask_p95 = x(7);
        stats.ask_max = x(8);
        let flags = bytes[MARKS_OFFSET];
        marks = FrameMarks {
            gap: flags & FLAG_GAP != 0,
            gap_exchanges: ExchangeSet::from_bits(bytes[MARKS_OFFSET + 1]),
            exchanges: ExchangeSet::from_bits(bytes[MARKS_OFFSET + 2]),
            step_widened: flags & FLAG_STEP_WIDENED != 0,
            last_update_ts: f(LAST_UPDATE_OFFSET),
        };
    }
    let frame = Frame {
        ts: f(0),
        src: f(8),
        step: f(16),
        price_min: f(24),
        price_max: f(32),
        bid_u8: bytes[BID_OFFSET..BID_OFFSET + n].to_vec(),
        ask_u8: bytes[ASK_OFFSET..ASK_OFFSET + n].to_vec(),
        total_bid_notional: f(60),
        total_ask_notional: f(68),
        stats,
        marks,
        raw: None,
    };
    check_header(&frame)?;
    let s = &frame.stats;
    let extra = [
        ("norm_p90", s.norm_p90),
        ("norm_p99", s.norm_p99),
        ("norm_max", s.norm_max),
        ("bid_p50", s.bid_p50),
        ("bid_p95", s.bid_p95),
        ("bid_max", s.bid_max),
        ("ask_p50", s.ask_p50),
        ("ask_p95", s.ask_p95),
        ("ask_max", s.ask_max),
        ("last_update_ts", frame.marks.last_update_ts),
    ];
    check_finite(&extra)?;
    Ok((frame, version))
}

/// Checks the header numbers of a frame: finite, `ts > 0`, `step > 0`.
fn check_header(frame: &Frame) -> Result<(), RecordError> {
    for (field, value) in [("ts", frame.ts), ("step", frame.step)] {
        if !(value.is_finite() && value > 0.0) {
            return Err(RecordError::Field { field, value });
        }
    }
    check_finite(&[
        ("src", frame.src),
        ("price_min", frame.price_min),
        ("price_max", frame.price_max),
        ("norm_p50", frame.stats.norm_p50),
        ("norm_p95", frame.stats.norm_p95),
        ("total_bid_notional", frame.total_bid_notional),
        ("total_ask_notional", frame.total_ask_notional),
    ])
}

/// The first non-finite `(field, value)` as an error.
fn check_finite(fields: &[(&'static str, f64)]) -> Result<(), RecordError> {
    match fields.iter().find(|(_, v)| !v.is_finite()) {
        Some(&(field, value)) => Err(RecordError::Field { field, value }),
        None => Ok(()),
    }
}

/// Writes `v` little-endian at `off` (the caller keeps `off + 8` inside `b`).
fn put_f64(b: &mut [u8; RECORD_LEN], off: usize, v: f64) {
    b[off..off + 8].copy_from_slice(&v.to_le_bytes());
}

/// Reads a little-endian `f64` at `off`, `None` past the end.
fn get_f64(bytes: &[u8], off: usize) -> Option<f64> {
    let raw: [u8; 8] = bytes.get(off..off + 8)?.try_into().ok()?;
    Some(f64::from_le_bytes(raw))
}
