//! A symbol's order-book frames as the API serves them (api.md 4.3, DECISIONS HTTP API 4): the
//! ring of the last 1440 frames loaded from the symbol's frame file at start-up and tailed on the
//! 5-second reload, plus where its files live (for the buffer statistics of 5.10).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use liq_core::orderbook::record::RECORD_LEN;
use liq_core::orderbook::ring::{FrameRing, RING_CAPACITY};
use liq_store::ob_ring::{file_name, load, tail_since};
use serde::Serialize;

/// One symbol's order-book buffer: an immutable ring (a reload publishes a new one).
#[derive(Debug, Clone)]
pub struct ObBook {
    /// The frames, oldest first.
    pub ring: Arc<FrameRing>,
    /// The frame file (`ob_heatmap_30s.bin` for BTC, `ob_heatmap_30s_{SYM}.bin` otherwise).
    pub file: PathBuf,
    /// The reconstructor status file (`ob_recon_stats.json` for BTC, `ob_recon_stats_{SYM}.json`
    /// otherwise).
    pub recon: PathBuf,
}

/// The reconstructor status file name of a symbol (BTC keeps the reference's name).
pub fn recon_file_name(symbol: &str) -> String {
    if symbol == "BTC" {
        "ob_recon_stats.json".to_owned()
    } else {
        format!("ob_recon_stats_{symbol}.json")
    }
}

/// A float that is the integer `0` when absent (Python's `or 0` on an empty buffer).
#[derive(Debug, Clone, Copy)]
pub struct FloatOrZero(pub Option<f64>);

impl Serialize for FloatOrZero {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Some(x) => s.serialize_f64(x),
            None => s.serialize_u8(0),
        }
    }
}

/// The buffer statistics of api.md 4.3 (`get_stats()`, key order kept). A reader writes no
/// frame, so the write counters are zero.
#[derive(Debug, Clone, Serialize)]
pub struct BufferStats {
    /// Frames in the ring.
    pub frames_in_memory: usize,
    /// Complete records in the file.
    pub frames_on_disk: u64,
    /// Newest frame's `ts` (integer 0 when empty).
    pub last_ts: FloatOrZero,
    /// Oldest frame's `ts` (integer 0 when empty).
    pub oldest_ts: FloatOrZero,
    /// Size of the frame file.
    pub file_size_bytes: u64,
    /// Frames appended by this process.
    pub frames_written_total: u64,
    /// Wall clock of the last append, ms (0 if none).
    pub last_frame_write_ts_ms: u64,
    /// Duration of the last append, ms.
    pub last_frame_write_duration_ms: f64,
    /// Moving average of the append durations, ms.
    pub avg_frame_write_duration_ms: f64,
}

impl ObBook {
    /// The book of `symbol` in `dir`: the newest 1440 records of its frame file (none when the
    /// file is missing or unreadable).
    pub fn load(dir: &Path, symbol: &str) -> ObBook {
        let file = dir.join(file_name(symbol));
        let ring = match load(&file, RING_CAPACITY) {
            Ok(report) => {
                if !report.bad_records.is_empty() {
                    tracing::warn!(path = %file.display(), bad = report.bad_records.len(), "frame records skipped");
                }
                report.ring(RING_CAPACITY).0
            }
            Err(e) => {
                tracing::warn!(error = %e, "frame file not loaded");
                FrameRing::default()
            }
        };
        ObBook {
            ring: Arc::new(ring),
            file,
            recon: dir.join(recon_file_name(symbol)),
        }
    }

    /// The book with the frames appended to the file since the newest one held, or `None` when
    /// there is none (api.md 4.3: the reader tails the writer's file).
    pub fn tailed(&self) -> Option<ObBook> {
        let newest = self.ring.latest().map_or(f64::NEG_INFINITY, |f| f.ts);
        let fresh = match tail_since(&self.file, newest) {
            Ok(f) => f,
            Err(e) => {
                tracing::warn!(error = %e, "frame file not tailed");
                return None;
            }
        };
        if fresh.is_empty() {
            return None;
        }
        let mut ring = (*self.ring).clone();
        let added = fresh
            .into_iter()
            .filter(|f| ring.push(f.clone()).is_ok())
            .count();
        (added > 0).then(|| ObBook {
            ring: Arc::new(ring),
            ..self.clone()
        })
    }

    /// The statistics of api.md 4.3.
    pub fn stats(&self) -> BufferStats {
        let size = std::fs::metadata(&self.file).map_or(0, |m| m.len());
        BufferStats {
            frames_in_memory: self.ring.len(),
            frames_on_disk: size / RECORD_LEN as u64,
            last_ts: FloatOrZero(self.ring.latest().map(|f| f.ts)),
            oldest_ts: FloatOrZero(self.ring.oldest().map(|f| f.ts)),
            file_size_bytes: size,
            frames_written_total: 0,
            last_frame_write_ts_ms: 0,
            last_frame_write_duration_ms: 0.0,
            avg_frame_write_duration_ms: 0.0,
        }
    }
}
