//! The liquidation heatmap history records (`liq_heatmap_v1_{SYM}.bin`,
//! `liq_heatmap_v2_{SYM}.bin`): one frame per minute of a V1 or V2 snapshot's intensities.
//!
//! **Version 2** (DECISIONS heatmap 6), written by this service, little-endian: the file starts
//! with the 8 bytes `LQHIST02`, then variable-length records:
//!
//! | offset | type | field |
//! |---|---|---|
//! | 0 | u32 | `record_len` (the whole record, these 4 bytes included) = `52 + 2·n` |
//! | 4 | f64 | `ts` |
//! | 12 | f64 | `src` |
//! | 20 | f64 | `step` |
//! | 28 | f64 | `price_min` |
//! | 36 | f64 | `price_max` |
//! | 44 | u32 | `n_buckets` |
//! | 48 | `u8[n]` | long intensities |
//! | 48+n | `u8[n]` | short intensities |
//! | 48+2n | u32 | CRC32 (IEEE) of the record's preceding bytes |
//!
//! A record with a bad length or CRC ends the readable part (a torn last write). A record that
//! checks out but has `ts ≤ 0`, no bucket or a non-finite number is skipped.
//!
//! **Reference layout** (api.md 4.2), read only: no file header, fixed 4096-byte records with a
//! 44-byte header `<dddddI>` = `ts, src, price_min, price_max, step, n_buckets`, the long bytes at
//! 44 and the short bytes at 1044 (1000 each), zero padding. A file without the magic is read this
//! way; a short last record ends it; records with `ts ≤ 0`, `n = 0` or `n > 1000` are skipped.

use thiserror::Error;

use crate::grid::{ndigits, py_round};

/// The first 8 bytes of a version-2 file.
pub const MAGIC: [u8; 8] = *b"LQHIST02";
/// Records a file keeps after a rewrite (12 hours of minutes).
pub const KEEP_RECORDS: usize = 720;
/// A file holding more records than this is rewritten with the newest [`KEEP_RECORDS`].
pub const REWRITE_ABOVE: usize = 1440;
/// Bytes of a version-2 record besides its intensities.
pub const V2_OVERHEAD: usize = 52;
/// Largest `n_buckets` a version-2 record may carry (a longer length field is corruption).
pub const MAX_BUCKETS: usize = 1 << 20;
/// Size of a reference record.
pub const REF_RECORD_LEN: usize = 4096;
/// Size of a reference record's header.
pub const REF_HEADER_LEN: usize = 44;
/// Offset of a reference record's short intensities.
pub const REF_SHORT_OFFSET: usize = 1044;
/// Intensity cells of a reference record per side.
pub const REF_CELLS: usize = 1000;

/// One minute of a heatmap's intensities.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryFrame {
    /// The snapshot's `ts`, unix seconds.
    pub ts: f64,
    /// The snapshot's reference price.
    pub src: f64,
    /// Grid step.
    pub step: f64,
    /// First grid price.
    pub price_min: f64,
    /// Last grid price.
    pub price_max: f64,
    /// Long intensities, `trunc(v·255)`.
    pub long: Vec<u8>,
    /// Short intensities, one per long cell.
    pub short: Vec<u8>,
}

/// `min(255, max(0, trunc(v·255)))` (api.md 4.2 step 3: truncation, not rounding; NaN is 0).
pub fn intensity_u8(v: f64) -> u8 {
    // Clamped first, so the truncating cast is exact (NaN casts to 0).
    (v * 255.0).clamp(0.0, 255.0) as u8
}

impl HistoryFrame {
    /// A frame from a snapshot's 0..1 intensities (the shorter side's length wins).
    pub fn from_intensities(
        ts: f64,
        src: f64,
        step: f64,
        price_min: f64,
        price_max: f64,
        long: &[f64],
        short: &[f64],
    ) -> Self {
        let n = long.len().min(short.len());
        HistoryFrame {
            ts,
            src,
            step,
            price_min,
            price_max,
            long: long[..n].iter().map(|&v| intensity_u8(v)).collect(),
            short: short[..n].iter().map(|&v| intensity_u8(v)).collect(),
        }
    }

    /// Number of buckets.
    pub fn n_buckets(&self) -> usize {
        self.long.len()
    }

    /// The wall-clock minute `floor(ts / 60)` the frame counts for.
    pub fn minute(&self) -> i64 {
        // Saturating cast; only valid frames (finite ts > 0) reach a buffer.
        (self.ts / 60.0).floor() as i64
    }

    /// The grid `grid(price_min, price_max, step)` rebuilt by index, `n_buckets` long.
    pub fn prices(&self) -> Vec<f64> {
        let nd = ndigits(self.step);
        let pmin = py_round(self.price_min, nd);
        (0..self.n_buckets())
            .map(|i| py_round(pmin + i as f64 * self.step, nd))
            .collect()
    }

    /// Why the frame cannot be kept, if it cannot: no bucket, sides of different lengths, a
    /// non-finite number, `ts ≤ 0` or `step ≤ 0`.
    pub fn validate(&self) -> Result<(), HistoryError> {
        if self.long.is_empty() || self.long.len() != self.short.len() {
            return Err(HistoryError::Cells {
                long: self.long.len(),
                short: self.short.len(),
            });
        }
        let fields = [
            ("ts", self.ts),
            ("src", self.src),
            ("step", self.step),
            ("price_min", self.price_min),
            ("price_max", self.price_max),
        ];
        for (field, value) in fields {
            let positive = !matches!(field, "ts" | "step") || value > 0.0;
            if !value.is_finite() || !positive {
                return Err(HistoryError::Field { field, value });
            }
        }
        Ok(())
    }
}

/// Why a history frame cannot be encoded or decoded.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum HistoryError {
    /// No bucket, or the two sides differ in length.
    #[error("bad cell counts: long {long}, short {short}")]
    Cells {
        /// Long cells.
        long: usize,
        /// Short cells.
        short: usize,
    },
    /// More buckets than the layout holds.
    #[error("{n} buckets exceed the layout's {max}")]
    TooMany {
        /// Buckets.
        n: usize,
        /// The layout's maximum.
        max: usize,
    },
    /// A number is not finite, or `ts`/`step` is not positive.
    #[error("field {field} has a bad value {value}")]
    Field {
        /// The field.
        field: &'static str,
        /// Its value.
        value: f64,
    },
    /// The input is not one reference record long.
    #[error("reference record must be {REF_RECORD_LEN} bytes, got {0}")]
    Length(usize),
}

/// The layout a file was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `LQHIST02` and variable records with CRC (also an empty file).
    V2,
    /// The reference's fixed 4096-byte records.
    Reference,
}

/// Where and why the readable part of a file ends early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The file is shorter than its magic (a torn first write).
    TornMagic,
    /// A record's length field is impossible (or its bucket count disagrees with it).
    BadLength {
        /// Byte offset of the record.
        offset: usize,
    },
    /// The last record is cut short.
    Torn {
        /// Byte offset of the record.
        offset: usize,
    },
    /// A record's CRC does not match.
    BadCrc {
        /// Byte offset of the record.
        offset: usize,
    },
}

/// The readable content of a history file.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedFile {
    /// The layout found.
    pub layout: Layout,
    /// The valid frames, in file order.
    pub frames: Vec<HistoryFrame>,
    /// Records that were intact but invalid (skipped).
    pub skipped: usize,
    /// Bytes up to the end of the last intact record (the magic included).
    pub readable_len: usize,
    /// Why reading stopped before the end of the file, if it did.
    pub stop: Option<Stop>,
}

/// Appends one version-2 record of `frame` to `out`.
pub fn encode_record(frame: &HistoryFrame, out: &mut Vec<u8>) -> Result<(), HistoryError> {
    frame.validate()?;
    let n = frame.n_buckets();
    if n > MAX_BUCKETS {
        return Err(HistoryError::TooMany {
            n,
            max: MAX_BUCKETS,
        });
    }
    let start = out.len();
    // n <= MAX_BUCKETS, so the length fits a u32.
    out.extend_from_slice(&((V2_OVERHEAD + 2 * n) as u32).to_le_bytes());
    for v in [
        frame.ts,
        frame.src,
        frame.step,
        frame.price_min,
        frame.price_max,
    ] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&(n as u32).to_le_bytes());
    out.extend_from_slice(&frame.long);
    out.extend_from_slice(&frame.short);
    let crc = crc32fast::hash(&out[start..]);
    out.extend_from_slice(&crc.to_le_bytes());
    Ok(())
}

/// A whole version-2 file: the magic, then one record per frame.
pub fn encode_file<'a>(
    frames: impl IntoIterator<Item = &'a HistoryFrame>,
) -> Result<Vec<u8>, HistoryError> {
    let mut out = MAGIC.to_vec();
    for f in frames {
        encode_record(f, &mut out)?;
    }
    Ok(out)
}

/// Little-endian `u32` at `off`, `None` past the end.
fn u32_at(b: &[u8], off: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(off..off + 4)?.try_into().ok()?))
}

/// Little-endian `f64` at `off`, `None` past the end.
fn f64_at(b: &[u8], off: usize) -> Option<f64> {
    Some(f64::from_le_bytes(b.get(off..off + 8)?.try_into().ok()?))
}

/// Reads a whole file of either layout. Never fails: what cannot be read ends the readable part.
pub fn decode_file(bytes: &[u8]) -> DecodedFile {
    if bytes.len() < MAGIC.len() && MAGIC.starts_with(bytes) {
        let stop = (!bytes.is_empty()).then_some(Stop::TornMagic);
        return DecodedFile {
            layout: Layout::V2,
            frames: Vec::new(),
            skipped: 0,
            readable_len: 0,
            stop,
        };
    }
    if bytes.starts_with(&MAGIC) {
        decode_v2(bytes)
    } else {
        decode_reference(bytes)
    }
}

/// The records after the magic.
fn decode_v2(bytes: &[u8]) -> DecodedFile {
    let mut out = DecodedFile {
        layout: Layout::V2,
        frames: Vec::new(),
        skipped: 0,
        readable_len: MAGIC.len(),
        stop: None,
    };
    let mut off = MAGIC.len();
    while off < bytes.len() {
        let Some(len) = u32_at(bytes, off) else {
            out.stop = Some(Stop::Torn { offset: off });
            break;
        };
        let len = len as usize;
        if !(V2_OVERHEAD..=V2_OVERHEAD + 2 * MAX_BUCKETS).contains(&len) || !len.is_multiple_of(2) {
            out.stop = Some(Stop::BadLength { offset: off });
            break;
        }
        let Some(rec) = bytes.get(off..off + len) else {
            out.stop = Some(Stop::Torn { offset: off });
            break;
        };
        // `rec` is at least V2_OVERHEAD bytes, so every fixed offset below is inside it.
        let n = u32_at(rec, 44).unwrap_or(u32::MAX) as usize;
        if n.checked_mul(2).and_then(|x| x.checked_add(V2_OVERHEAD)) != Some(len) {
            out.stop = Some(Stop::BadLength { offset: off });
            break;
        }
        if u32_at(rec, len - 4) != Some(crc32fast::hash(&rec[..len - 4])) {
            out.stop = Some(Stop::BadCrc { offset: off });
            break;
        }
        let f = |o| f64_at(rec, o).unwrap_or(f64::NAN);
        let frame = HistoryFrame {
            ts: f(4),
            src: f(12),
            step: f(20),
            price_min: f(28),
            price_max: f(36),
            long: rec[48..48 + n].to_vec(),
            short: rec[48 + n..48 + 2 * n].to_vec(),
        };
        match frame.validate() {
            Ok(()) => out.frames.push(frame),
            Err(_) => out.skipped += 1,
        }
        off += len;
        out.readable_len = off;
    }
    out
}

/// Fixed 4096-byte records; a short tail ends the file.
fn decode_reference(bytes: &[u8]) -> DecodedFile {
    let mut out = DecodedFile {
        layout: Layout::Reference,
        frames: Vec::new(),
        skipped: 0,
        readable_len: 0,
        stop: None,
    };
    for (i, rec) in bytes.chunks(REF_RECORD_LEN).enumerate() {
        if rec.len() < REF_RECORD_LEN {
            out.stop = Some(Stop::Torn {
                offset: i * REF_RECORD_LEN,
            });
            break;
        }
        match decode_reference_record(rec) {
            Ok(f) => out.frames.push(f),
            Err(_) => out.skipped += 1,
        }
        out.readable_len = (i + 1) * REF_RECORD_LEN;
    }
    out
}

/// Reads one reference record (api.md 4.2); rejects `n = 0`, `n > 1000` and invalid numbers.
pub fn decode_reference_record(rec: &[u8]) -> Result<HistoryFrame, HistoryError> {
    if rec.len() != REF_RECORD_LEN {
        return Err(HistoryError::Length(rec.len()));
    }
    let f = |o| f64_at(rec, o).unwrap_or(f64::NAN);
    let n = u32_at(rec, 40).unwrap_or(0) as usize;
    if n > REF_CELLS {
        return Err(HistoryError::TooMany { n, max: REF_CELLS });
    }
    let frame = HistoryFrame {
        ts: f(0),
        src: f(8),
        price_min: f(16),
        price_max: f(24),
        step: f(32),
        long: rec[REF_HEADER_LEN..REF_HEADER_LEN + n].to_vec(),
        short: rec[REF_SHORT_OFFSET..REF_SHORT_OFFSET + n].to_vec(),
    };
    frame.validate()?;
    Ok(frame)
}

/// Writes one reference record (for compatibility tools and tests; the service writes version
/// 2). Frames of more than 1000 buckets are refused, never truncated.
pub fn encode_reference_record(frame: &HistoryFrame) -> Result<[u8; REF_RECORD_LEN], HistoryError> {
    frame.validate()?;
    let n = frame.n_buckets();
    if n > REF_CELLS {
        return Err(HistoryError::TooMany { n, max: REF_CELLS });
    }
    let mut b = [0u8; REF_RECORD_LEN];
    for (i, v) in [
        frame.ts,
        frame.src,
        frame.price_min,
        frame.price_max,
        frame.step,
    ]
    .iter()
    .enumerate()
    {
        b[8 * i..8 * i + 8].copy_from_slice(&v.to_le_bytes());
    }
    b[40..44].copy_from_slice(&(n as u32).to_le_bytes());
    b[REF_HEADER_LEN..REF_HEADER_LEN + n].copy_from_slice(&frame.long);
    b[REF_SHORT_OFFSET..REF_SHORT_OFFSET + n].copy_from_slice(&frame.short);
    Ok(b)
}
