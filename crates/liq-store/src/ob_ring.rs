//! The order-book frame file of one symbol (zones_orderbook.md B8-B9, DECISIONS zones 1):
//! `ob_heatmap_30s.bin` for BTC, `ob_heatmap_30s_{SYM}.bin` for every other symbol.
//!
//! A sequence of 4096-byte records (see `liq_core::orderbook::record`), appended one per frame
//! without fsync. Loading keeps every complete record (a torn tail is ignored, a record that does
//! not decode is skipped and reported). At start-up a torn tail or a file above capacity is
//! rewritten atomically with its newest complete records, so later appends stay aligned; every
//! 100 appends a file above capacity is compacted the same way (temp file and rename, never in
//! place).

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use liq_core::orderbook::frame::Frame;
use liq_core::orderbook::record::{
    RECORD_LEN, RecordError, RecordVersion, decode_record, encode_record, record_ts,
};
use liq_core::orderbook::ring::FrameRing;

use crate::atomic::{AtomicError, write_atomic};

/// Appends between two capacity checks.
pub const COMPACT_EVERY: u32 = 100;

/// The file name of a symbol's frames: BTC keeps the reference's name.
pub fn file_name(symbol: &str) -> String {
    if symbol == "BTC" {
        "ob_heatmap_30s.bin".to_owned()
    } else {
        format!("ob_heatmap_30s_{symbol}.bin")
    }
}

/// Errors of the frame file.
#[derive(Debug, thiserror::Error)]
pub enum ObRingError {
    /// Reading the file failed.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// Appending a record failed (the file was cut back to its previous length if possible).
    #[error("cannot append to {}: {source}", path.display())]
    Append {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The frame cannot be written as a record.
    #[error("frame not writable: {0}")]
    Record(#[from] RecordError),
    /// An atomic rewrite failed (after an append, the frame itself is on disk; the compaction is
    /// retried at the next append).
    #[error("rewrite failed: {0}")]
    Rewrite(#[from] AtomicError),
}

/// What a load found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoadReport {
    /// The newest decodable records, at most the capacity, in file order.
    pub frames: Vec<Frame>,
    /// Complete records in the file.
    pub records_on_disk: usize,
    /// Bytes of an incomplete last record (a torn write).
    pub torn_bytes: usize,
    /// Records among the newest that did not decode: (index in the file, why).
    pub bad_records: Vec<(usize, RecordError)>,
    /// Loaded frames read from version-1 records (statistics p90/p99/max and per-side 0.0).
    pub v1_frames: usize,
    /// Whether the file was rewritten at open (torn tail or above capacity).
    pub rewritten: bool,
}

impl LoadReport {
    /// A ring of the loaded frames; frames whose `ts` is not after the previous one's are left
    /// out (their count is returned).
    pub fn ring(&self, capacity: usize) -> (FrameRing, usize) {
        let mut ring = FrameRing::new(capacity);
        let rejected = self
            .frames
            .iter()
            .filter(|f| ring.push((*f).clone()).is_err())
            .count();
        (ring, rejected)
    }
}

/// Decodes the newest `keep` complete records of a file's bytes.
pub fn load_bytes(bytes: &[u8], keep: usize) -> LoadReport {
    let count = bytes.len() / RECORD_LEN;
    let first = count.saturating_sub(keep);
    let mut report = LoadReport {
        records_on_disk: count,
        torn_bytes: bytes.len() % RECORD_LEN,
        ..LoadReport::default()
    };
    for (i, rec) in bytes.chunks_exact(RECORD_LEN).enumerate().skip(first) {
        match decode_record(rec) {
            Ok((frame, version)) => {
                report.v1_frames += usize::from(version == RecordVersion::V1);
                report.frames.push(frame);
            }
            Err(e) => report.bad_records.push((i, e)),
        }
    }
    report
}

/// Reads a file's bytes; a missing file is empty.
fn read_file(path: &Path) -> Result<Vec<u8>, ObRingError> {
    match fs::read(path) {
        Ok(b) => Ok(b),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(source) => Err(ObRingError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Loads a file without changing it (for a reader such as `api-only`).
pub fn load(path: &Path, keep: usize) -> Result<LoadReport, ObRingError> {
    Ok(load_bytes(&read_file(path)?, keep))
}

/// The frames of a file with `ts > newest_ts`, oldest first: records are read from the end
/// backwards until one is not newer (the reference's tail for a separate API process).
pub fn tail_since(path: &Path, newest_ts: f64) -> Result<Vec<Frame>, ObRingError> {
    let bytes = read_file(path)?;
    let mut out: Vec<Frame> = bytes
        .chunks_exact(RECORD_LEN)
        .rev()
        .take_while(|rec| record_ts(rec).is_some_and(|ts| ts > newest_ts))
        .filter_map(|rec| decode_record(rec).ok().map(|(f, _)| f))
        .collect();
    out.reverse();
    Ok(out)
}

/// Write timings and counters (the API's buffer stats).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct WriteStats {
    /// Frames appended since start.
    pub frames_written_total: u64,
    /// Wall clock of the last append, unix ms (0 if none).
    pub last_write_unix_ms: u64,
    /// Duration of the last append, ms.
    pub last_write_ms: f64,
    /// EMA of the append durations (`0.9·avg + 0.1·last`, first value as is), ms.
    pub avg_write_ms: f64,
}

/// The open frame file of one symbol.
#[derive(Debug)]
pub struct ObRingFile {
    path: PathBuf,
    capacity: usize,
    records: usize,
    len: u64,
    appends_since_check: u32,
    stats: WriteStats,
}

impl ObRingFile {
    /// Opens (or prepares to create) the file at `path`, keeping at most `capacity` records
    /// (`liq_core::orderbook::ring::RING_CAPACITY`, 1440, in the service); returns the loaded frames.
    pub fn open(path: &Path, capacity: usize) -> Result<(Self, LoadReport), ObRingError> {
        let capacity = capacity.max(1);
        let bytes = read_file(path)?;
        let mut report = load_bytes(&bytes, capacity);
        let kept = report.records_on_disk.min(capacity);
        if report.torn_bytes > 0 || report.records_on_disk > capacity {
            let whole = report.records_on_disk * RECORD_LEN;
            write_atomic(path, &bytes[whole - kept * RECORD_LEN..whole])?;
            report.rewritten = true;
            tracing::info!(path = %path.display(), kept, torn = report.torn_bytes, "frame file rewritten");
        }
        for (i, e) in &report.bad_records {
            tracing::warn!(path = %path.display(), record = i, error = %e, "frame record skipped");
        }
        let file = ObRingFile {
            path: path.to_path_buf(),
            capacity,
            records: kept,
            len: (kept * RECORD_LEN) as u64,
            appends_since_check: 0,
            stats: WriteStats::default(),
        };
        Ok((file, report))
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Complete records in the file.
    pub fn records_on_disk(&self) -> usize {
        self.records
    }

    /// The file's size in bytes.
    pub fn file_size(&self) -> u64 {
        self.len
    }

    /// Write counters and timings.
    pub fn stats(&self) -> WriteStats {
        self.stats
    }

    /// Appends one frame as a version-2 record; every 100 appends a file above capacity is
    /// compacted. A failed append cuts the file back to its previous length.
    pub fn append(&mut self, frame: &Frame) -> Result<(), ObRingError> {
        let rec = encode_record(frame, RecordVersion::V2)?;
        let started = Instant::now();
        if let Err(source) = self.append_bytes(&rec) {
            let cut = OpenOptions::new()
                .write(true)
                .open(&self.path)
                .and_then(|f| f.set_len(self.len));
            if let Err(e) = cut {
                tracing::warn!(path = %self.path.display(), error = %e, "cannot cut back a failed append");
            }
            return Err(ObRingError::Append {
                path: self.path.clone(),
                source,
            });
        }
        self.records += 1;
        self.len += RECORD_LEN as u64;
        self.appends_since_check += 1;
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        let s = &mut self.stats;
        s.avg_write_ms = if s.frames_written_total == 0 {
            ms
        } else {
            0.9 * s.avg_write_ms + 0.1 * ms
        };
        s.frames_written_total += 1;
        s.last_write_ms = ms;
        s.last_write_unix_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        if self.appends_since_check >= COMPACT_EVERY && self.records > self.capacity {
            self.compact()?;
        }
        if self.appends_since_check >= COMPACT_EVERY {
            self.appends_since_check = 0;
        }
        Ok(())
    }

    /// Writes `rec` at the end of the file (created if missing).
    fn append_bytes(&self, rec: &[u8]) -> io::Result<()> {
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        f.write_all(rec)?;
        f.flush()
    }

    /// Rewrites the file atomically with its newest `capacity` complete records.
    pub fn compact(&mut self) -> Result<(), ObRingError> {
        let bytes = read_file(&self.path)?;
        let count = bytes.len() / RECORD_LEN;
        let kept = count.min(self.capacity);
        let whole = count * RECORD_LEN;
        write_atomic(&self.path, &bytes[whole - kept * RECORD_LEN..whole])?;
        self.records = kept;
        self.len = (kept * RECORD_LEN) as u64;
        self.appends_since_check = 0;
        Ok(())
    }
}
