//! The binary bodies of the order-book endpoints (`format=bin`; zones_orderbook.md B10, api.md
//! 5.9): a 64-byte little-endian packed header, then the intensity bytes.
//!
//! | offset | type | field |
//! |---|---|---|
//! | 0 | u8 | version = 1 |
//! | 1 | u8 | encoding = 0 (raw u8) |
//! | 2 | u16 | reserved 0 |
//! | 4 | u64 | `frame_ts_ms` (the frame's, or the first returned frame's) |
//! | 12 | u32 | `interval_ms` = 30000 |
//! | 16 | u16 | rows (1, or the frame count) |
//! | 18 | u16 | cols (`n_prices`, or the grid length) |
//! | 20 | f64 | `price_min` |
//! | 28 | f64 | `price_max` |
//! | 36 | f64 | `step` |
//! | 44 | f64 | `src` (the frame's, or the last returned frame's) |
//! | 52 | u16 ×5 | p50, p90, p95, p99, max in thousands: `min(65535, trunc(x / 1000))` |
//! | 62 | u16 | reserved 0 |
//!
//! Single frame: then `cols` bid bytes and `cols` ask bytes. History: `rows·cols` bid bytes (one
//! row per frame), `rows·cols` ask bytes, then `rows` u64 timestamps in ms.

use std::borrow::Borrow;

use thiserror::Error;

use super::frame::{Frame, SLOT_MS, median};
use super::resample::{ResampleMode, UnifiedGrid, resample_into};

/// Size of the header.
pub const BIN_HEADER_LEN: usize = 64;

/// Why a body cannot be encoded or decoded.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum EncodeError {
    /// More rows or columns than a u16 holds.
    #[error("{what} {value} exceeds 65535")]
    TooLarge {
        /// `rows` or `cols`.
        what: &'static str,
        /// The count.
        value: usize,
    },
    /// A body's length does not match its header.
    #[error("body of {got} bytes, header implies {want}")]
    Length {
        /// Bytes present.
        got: usize,
        /// Bytes the header implies.
        want: usize,
    },
    /// The bid and ask arrays of a frame differ in length.
    #[error("bid and ask cell counts differ")]
    Sides,
}

/// The 64-byte header of a binary body.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BinHeader {
    /// Format version (1).
    pub version: u8,
    /// Cell encoding (0 = raw u8).
    pub encoding: u8,
    /// Slot start of the (first) frame, ms.
    pub frame_ts_ms: u64,
    /// Slot length, ms (30000).
    pub interval_ms: u32,
    /// Frames.
    pub rows: u16,
    /// Grid cells.
    pub cols: u16,
    /// First grid price.
    pub price_min: f64,
    /// Last grid price.
    pub price_max: f64,
    /// Grid step.
    pub step: f64,
    /// Reference mid of the (last) frame.
    pub src: f64,
    /// `q(p50)`, thousands.
    pub p50: u16,
    /// `q(p90)`, thousands.
    pub p90: u16,
    /// `q(p95)`, thousands.
    pub p95: u16,
    /// `q(p99)`, thousands.
    pub p99: u16,
    /// `q(max)`, thousands.
    pub max: u16,
}

/// `min(65535, trunc(x / 1000))`, with negative and NaN values as 0.
pub fn q_thousands(x: f64) -> u16 {
    // Clamped first, so the truncating cast is exact (NaN casts to 0).
    (x / 1000.0).clamp(0.0, 65535.0) as u16
}

impl BinHeader {
    /// The 64 header bytes.
    pub fn to_bytes(&self) -> [u8; BIN_HEADER_LEN] {
        let mut b = [0u8; BIN_HEADER_LEN];
        b[0] = self.version;
        b[1] = self.encoding;
        b[4..12].copy_from_slice(&self.frame_ts_ms.to_le_bytes());
        b[12..16].copy_from_slice(&self.interval_ms.to_le_bytes());
        b[16..18].copy_from_slice(&self.rows.to_le_bytes());
        b[18..20].copy_from_slice(&self.cols.to_le_bytes());
        for (i, v) in [self.price_min, self.price_max, self.step, self.src]
            .iter()
            .enumerate()
        {
            b[20 + 8 * i..28 + 8 * i].copy_from_slice(&v.to_le_bytes());
        }
        for (i, v) in [self.p50, self.p90, self.p95, self.p99, self.max]
            .iter()
            .enumerate()
        {
            b[52 + 2 * i..54 + 2 * i].copy_from_slice(&v.to_le_bytes());
        }
        b
    }

    /// Parses the first 64 bytes of a body.
    pub fn from_bytes(b: &[u8]) -> Result<BinHeader, EncodeError> {
        let Some(h) = b.get(..BIN_HEADER_LEN) else {
            return Err(EncodeError::Length {
                got: b.len(),
                want: BIN_HEADER_LEN,
            });
        };
        // Every range below is inside the 64 bytes of `h`.
        let u16_at = |o: usize| u16::from_le_bytes([h[o], h[o + 1]]);
        let f64_at = |o: usize| {
            let mut a = [0u8; 8];
            a.copy_from_slice(&h[o..o + 8]);
            f64::from_le_bytes(a)
        };
        let mut ts = [0u8; 8];
        ts.copy_from_slice(&h[4..12]);
        Ok(BinHeader {
            version: h[0],
            encoding: h[1],
            frame_ts_ms: u64::from_le_bytes(ts),
            interval_ms: u32::from_le_bytes([h[12], h[13], h[14], h[15]]),
            rows: u16_at(16),
            cols: u16_at(18),
            price_min: f64_at(20),
            price_max: f64_at(28),
            step: f64_at(36),
            src: f64_at(44),
            p50: u16_at(52),
            p90: u16_at(54),
            p95: u16_at(56),
            p99: u16_at(58),
            max: u16_at(60),
        })
    }
}

/// Converts a count into the header's u16.
fn to_u16(what: &'static str, value: usize) -> Result<u16, EncodeError> {
    u16::try_from(value).map_err(|_| EncodeError::TooLarge { what, value })
}

/// The single-frame body of the latest-frame endpoint (`64 + 2·n_prices` bytes, the frame's own
/// grid).
pub fn encode_frame_bin(frame: &Frame) -> Result<Vec<u8>, EncodeError> {
    let n = frame.bid_u8.len();
    if frame.ask_u8.len() != n {
        return Err(EncodeError::Sides);
    }
    let s = &frame.stats;
    let header = BinHeader {
        version: 1,
        encoding: 0,
        frame_ts_ms: frame.ts_ms(),
        interval_ms: SLOT_MS,
        rows: 1,
        cols: to_u16("cols", n)?,
        price_min: frame.price_min,
        price_max: frame.price_max,
        step: frame.step,
        src: frame.src,
        p50: q_thousands(s.norm_p50),
        p90: q_thousands(s.norm_p90),
        p95: q_thousands(s.norm_p95),
        p99: q_thousands(s.norm_p99),
        max: q_thousands(s.norm_max),
    };
    let mut out = Vec::with_capacity(BIN_HEADER_LEN + 2 * n);
    out.extend_from_slice(&header.to_bytes());
    out.extend_from_slice(&frame.bid_u8);
    out.extend_from_slice(&frame.ask_u8);
    Ok(out)
}

/// The history body (`64 + 2·rows·cols + 8·rows` bytes): each frame resampled onto `grid`;
/// header statistics are the medians of the frames' p50/p90/p95/p99 and the maximum `norm_max`.
pub fn encode_history_bin<F: Borrow<Frame>>(
    frames: &[F],
    grid: &UnifiedGrid,
    mode: ResampleMode,
) -> Result<Vec<u8>, EncodeError> {
    let rows = to_u16("rows", frames.len())?;
    let cols = to_u16("cols", grid.len())?;
    let (p, c) = (frames.len(), grid.len());
    let stat = |f: fn(&Frame) -> f64| frames.iter().map(|x| f(x.borrow())).collect::<Vec<_>>();
    let header = BinHeader {
        version: 1,
        encoding: 0,
        frame_ts_ms: frames.first().map_or(0, |f| f.borrow().ts_ms()),
        interval_ms: SLOT_MS,
        rows,
        cols,
        price_min: grid.prices.first().copied().unwrap_or(0.0),
        price_max: grid.prices.last().copied().unwrap_or(0.0),
        step: grid.step,
        src: frames.last().map_or(0.0, |f| f.borrow().src),
        p50: q_thousands(median(&stat(|f| f.stats.norm_p50))),
        p90: q_thousands(median(&stat(|f| f.stats.norm_p90))),
        p95: q_thousands(median(&stat(|f| f.stats.norm_p95))),
        p99: q_thousands(median(&stat(|f| f.stats.norm_p99))),
        max: q_thousands(stat(|f| f.stats.norm_max).into_iter().fold(0.0, f64::max)),
    };
    let mut out = vec![0u8; BIN_HEADER_LEN + 2 * p * c + 8 * p];
    out[..BIN_HEADER_LEN].copy_from_slice(&header.to_bytes());
    let (bids, rest) = out[BIN_HEADER_LEN..].split_at_mut(p * c);
    let (asks, times) = rest.split_at_mut(p * c);
    for (r, f) in frames.iter().enumerate() {
        let f = f.borrow();
        let span = r * c..(r + 1) * c;
        resample_into(f, grid, mode, &mut bids[span.clone()], &mut asks[span]);
        times[8 * r..8 * r + 8].copy_from_slice(&f.ts_ms().to_le_bytes());
    }
    Ok(out)
}

/// A decoded history body: header, row-major bid and ask matrices, timestamps.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryBin {
    /// The header.
    pub header: BinHeader,
    /// `rows·cols` bid bytes, row-major.
    pub bid: Vec<u8>,
    /// `rows·cols` ask bytes, row-major.
    pub ask: Vec<u8>,
    /// `rows` slot starts, ms.
    pub ts_ms: Vec<u64>,
}

/// Parses a history body (or a single-frame body, which has no timestamps when `rows` is 1 and
/// `with_times` is false).
pub fn decode_history_bin(b: &[u8], with_times: bool) -> Result<HistoryBin, EncodeError> {
    let header = BinHeader::from_bytes(b)?;
    let (r, c) = (usize::from(header.rows), usize::from(header.cols));
    let want = BIN_HEADER_LEN + 2 * r * c + if with_times { 8 * r } else { 0 };
    if b.len() != want {
        return Err(EncodeError::Length { got: b.len(), want });
    }
    let body = &b[BIN_HEADER_LEN..];
    let ts_ms = if with_times {
        body[2 * r * c..]
            .chunks_exact(8)
            .map(|x| {
                let mut a = [0u8; 8];
                a.copy_from_slice(x);
                u64::from_le_bytes(a)
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(HistoryBin {
        header,
        bid: body[..r * c].to_vec(),
        ask: body[r * c..2 * r * c].to_vec(),
        ts_ms,
    })
}
