//! The liquidation heatmap history files `liq_heatmap_v1_{SYM}.bin` and
//! `liq_heatmap_v2_{SYM}.bin` (api.md 4.2, DECISIONS heatmap 6).
//!
//! Written in the version-2 layout of `liq_core::heatmap::history` (magic `LQHIST02`, records
//! with CRC); a file in the reference's fixed 4096-byte layout is read too. One record per
//! wall-clock minute (the first frame of a minute wins). At open the file is rewritten atomically
//! with its newest 720 valid records unless it already is exactly that (so a reference file, a
//! torn tail or an overlong file are normalized); when appends take it past 1440 records it is
//! rewritten the same way. A record with a bad length or CRC ends the readable part.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use liq_core::heatmap::history::{
    DecodedFile, HistoryError, HistoryFrame, KEEP_RECORDS, Layout, MAGIC, REWRITE_ABOVE, Stop,
    decode_file, encode_file, encode_record,
};
use liq_core::heatmap::history_buffer::{AddOutcome, admit};

use crate::atomic::{AtomicError, quarantine, write_atomic};

/// Which snapshot a history file records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryKind {
    /// The V1 snapshot (±8 % grid).
    V1,
    /// The V2 snapshot (±10 % grid).
    V2,
}

/// The file name of a symbol's history of `kind`.
pub fn file_name(kind: HistoryKind, symbol: &str) -> String {
    let v = match kind {
        HistoryKind::V1 => 1,
        HistoryKind::V2 => 2,
    };
    format!("liq_heatmap_v{v}_{symbol}.bin")
}

/// Errors of a history file.
#[derive(Debug, thiserror::Error)]
pub enum HistoryFileError {
    /// Reading the file failed.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// Appending failed (the file was cut back to its previous length if possible).
    #[error("cannot append to {}: {source}", path.display())]
    Append {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The frame cannot be encoded.
    #[error("frame not writable: {0}")]
    Encode(#[from] HistoryError),
    /// An atomic rewrite failed (after an append, the record itself is on disk).
    #[error("rewrite failed: {0}")]
    Rewrite(#[from] AtomicError),
}

/// What a load found.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryLoad {
    /// The newest valid frames (at most 720), one per minute, oldest first.
    pub frames: Vec<HistoryFrame>,
    /// The layout the file was in.
    pub layout: Layout,
    /// Intact records in the file (valid or skipped).
    pub records_in_file: usize,
    /// Intact records skipped as invalid or out of minute order.
    pub skipped: usize,
    /// Why reading stopped early (torn or corrupt tail), if it did.
    pub stop: Option<Stop>,
    /// Whether the open rewrote the file (or moved a foreign file aside).
    pub rewritten: bool,
}

/// Reads a file's bytes; a missing file is empty.
fn read_file(path: &Path) -> Result<Vec<u8>, HistoryFileError> {
    match fs::read(path) {
        Ok(b) => Ok(b),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(source) => Err(HistoryFileError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// The newest `keep` frames of a decoded file that pass the one-per-minute rule in order.
fn newest_admitted(decoded: DecodedFile, keep: usize) -> (Vec<HistoryFrame>, usize) {
    let total = decoded.frames.len();
    let mut last = None;
    let mut frames = Vec::with_capacity(total);
    for f in decoded.frames {
        if admit(last, &f) == AddOutcome::Added {
            last = Some(f.minute());
            frames.push(f);
        }
    }
    let dropped = total - frames.len();
    let cut = frames.len().saturating_sub(keep);
    frames.drain(..cut);
    (frames, dropped)
}

/// Loads a history file without changing it.
pub fn load(path: &Path) -> Result<HistoryLoad, HistoryFileError> {
    let bytes = read_file(path)?;
    Ok(load_bytes(&bytes))
}

/// Decodes a file's bytes (the newest 720 valid frames).
pub fn load_bytes(bytes: &[u8]) -> HistoryLoad {
    let decoded = decode_file(bytes);
    let (layout, stop, skipped) = (decoded.layout, decoded.stop, decoded.skipped);
    let records_in_file = decoded.frames.len() + skipped;
    let (frames, dropped) = newest_admitted(decoded, KEEP_RECORDS);
    HistoryLoad {
        frames,
        layout,
        records_in_file,
        skipped: skipped + dropped,
        stop,
        rewritten: false,
    }
}

/// An open history file.
#[derive(Debug)]
pub struct HistoryFile {
    path: PathBuf,
    records: usize,
    len: u64,
    last_minute: Option<i64>,
    /// The append handle, opened at the first append and dropped by a rewrite.
    handle: Option<File>,
}

impl HistoryFile {
    /// Opens the file at `path` (a missing file is created at the first append), normalizing it
    /// to version 2 with its newest 720 records; returns those frames. A file without the magic
    /// in which no record is valid is not a history file: it is quarantined, not overwritten.
    pub fn open(path: &Path) -> Result<(Self, HistoryLoad), HistoryFileError> {
        let bytes = read_file(path)?;
        let mut load = load_bytes(&bytes);
        let mut len = bytes.len() as u64;
        let foreign =
            load.layout == Layout::Reference && load.records_in_file > 0 && load.frames.is_empty();
        if foreign {
            // Not one valid record and no magic: not ours to overwrite.
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64);
            quarantine(path, "history", now)?;
            len = 0;
            load.rewritten = true;
        } else if !bytes.is_empty() {
            let normal = encode_file(&load.frames)?;
            if normal != bytes {
                write_atomic(path, &normal)?;
                load.rewritten = true;
                len = normal.len() as u64;
                tracing::info!(
                    path = %path.display(),
                    layout = ?load.layout,
                    kept = load.frames.len(),
                    stop = ?load.stop,
                    "history file rewritten"
                );
            }
        }
        let file = HistoryFile {
            path: path.to_path_buf(),
            records: load.frames.len(),
            len,
            last_minute: load.frames.last().map(HistoryFrame::minute),
            handle: None,
        };
        Ok((file, load))
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records in the file.
    pub fn records(&self) -> usize {
        self.records
    }

    /// The file's size in bytes.
    pub fn file_size(&self) -> u64 {
        self.len
    }

    /// Appends `frame` unless its minute is not after the newest record's (or it is invalid);
    /// past 1440 records the file is rewritten with the newest 720.
    pub fn append(&mut self, frame: &HistoryFrame) -> Result<AddOutcome, HistoryFileError> {
        let outcome = admit(self.last_minute, frame);
        if outcome != AddOutcome::Added {
            return Ok(outcome);
        }
        let mut bytes = if self.len == 0 {
            MAGIC.to_vec()
        } else {
            Vec::new()
        };
        encode_record(frame, &mut bytes)?;
        if let Err(source) = self.append_bytes(&bytes) {
            let cut = OpenOptions::new()
                .write(true)
                .open(&self.path)
                .and_then(|f| f.set_len(self.len));
            if let Err(e) = cut {
                tracing::warn!(path = %self.path.display(), error = %e, "cannot cut back a failed append");
            }
            return Err(HistoryFileError::Append {
                path: self.path.clone(),
                source,
            });
        }
        self.len += bytes.len() as u64;
        self.records += 1;
        self.last_minute = Some(frame.minute());
        if self.records > REWRITE_ABOVE {
            self.rewrite()?;
        }
        Ok(AddOutcome::Added)
    }

    /// Writes `bytes` at the end of the file (created if missing).
    fn append_bytes(&mut self, bytes: &[u8]) -> io::Result<()> {
        if self.handle.is_none() {
            self.handle = Some(
                OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&self.path)?,
            );
        }
        let result = match self.handle.as_mut() {
            Some(f) => f.write_all(bytes).and_then(|()| f.flush()),
            None => Ok(()),
        };
        if result.is_err() {
            self.handle = None;
        }
        result
    }

    /// Rewrites the file atomically with its newest 720 valid records.
    pub fn rewrite(&mut self) -> Result<(), HistoryFileError> {
        let load = load_bytes(&read_file(&self.path)?);
        let bytes = encode_file(&load.frames)?;
        // The rename replaces the file: appends must go to the new one.
        self.handle = None;
        write_atomic(&self.path, &bytes)?;
        self.records = load.frames.len();
        self.len = bytes.len() as u64;
        self.last_minute = load.frames.last().map(HistoryFrame::minute);
        Ok(())
    }
}
