//! JSON Lines log sinks: one file per symbol and log family with the reference's names
//! (`liq_calibrator_{SYM}.jsonl`, `liq_zones_{SYM}.jsonl`, ...), buffered appends, and rotation
//! when a file passes 200 MB or 24 h (renamed `<base>.<YYYYmmdd_HHMM>.jsonl`, UTC, never
//! overwriting). Errors name the path and are returned, never swallowed; the caller logs them
//! and retries at the next minute.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::Serialize;
use thiserror::Error;

/// Rotation size, bytes (the reference's 200 MB).
pub const ROTATE_BYTES: u64 = 200 * 1024 * 1024;
/// Rotation age, seconds (24 h).
pub const ROTATE_SECONDS: f64 = 24.0 * 3600.0;

/// A sink failure, naming the file.
#[derive(Debug, Error)]
pub enum SinkError {
    /// Opening, writing, flushing or rotating failed.
    #[error("{op} {path}: {source}")]
    Io {
        /// What was being done.
        op: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// A record did not serialize.
    #[error("serializing a record for {path}: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: serde_json::Error,
    },
}

/// One JSONL file.
#[derive(Debug)]
pub struct JsonlSink {
    path: PathBuf,
    out: BufWriter<File>,
    bytes: u64,
    opened_at: f64,
    max_bytes: u64,
    max_age: f64,
    line: Vec<u8>,
}

fn io_err<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> SinkError + 'a {
    move |source| SinkError::Io {
        op,
        path: path.to_path_buf(),
        source,
    }
}

/// `base.jsonl` -> `base.<stamp>.jsonl`, with `.1`, `.2`, ... before the extension when taken.
fn rotated_name(path: &Path, now: f64) -> PathBuf {
    let stamp = crate::atomic::minute_stamp(now as i64);
    let stem = path
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    let ext = path
        .extension()
        .map_or_else(String::new, |e| format!(".{}", e.to_string_lossy()));
    let mut n = 0u32;
    loop {
        let suffix = if n == 0 {
            String::new()
        } else {
            format!(".{n}")
        };
        let candidate = path.with_file_name(format!("{stem}.{stamp}{suffix}{ext}"));
        if !candidate.exists() {
            return candidate;
        }
        n += 1;
    }
}

impl JsonlSink {
    /// Opens `path` for appending at `now` (Unix seconds); an existing file already past the
    /// size or age limit (by its modification time) is rotated first.
    pub fn open(path: &Path, now: f64) -> Result<Self, SinkError> {
        Self::open_with(path, now, ROTATE_BYTES, ROTATE_SECONDS)
    }

    /// [`JsonlSink::open`] with explicit limits (tests, configuration).
    pub fn open_with(
        path: &Path,
        now: f64,
        max_bytes: u64,
        max_age: f64,
    ) -> Result<Self, SinkError> {
        let mut opened_at = now;
        let mut bytes = 0;
        if let Ok(meta) = fs::metadata(path) {
            let modified = meta
                .modified()
                .ok()
                .and_then(|m| m.duration_since(SystemTime::UNIX_EPOCH).ok())
                .map_or(now, |d| d.as_secs_f64());
            if meta.len() > max_bytes || now - modified > max_age {
                fs::rename(path, rotated_name(path, now)).map_err(io_err("rotating", path))?;
            } else {
                bytes = meta.len();
                opened_at = modified.min(now);
            }
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(io_err("opening", path))?;
        Ok(JsonlSink {
            path: path.to_path_buf(),
            out: BufWriter::with_capacity(64 * 1024, file),
            bytes,
            opened_at,
            max_bytes,
            max_age,
            line: Vec::with_capacity(1024),
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one record as a line (buffered), rotating first when the file is full or old.
    pub fn write<T: Serialize>(&mut self, record: &T, now: f64) -> Result<(), SinkError> {
        if self.bytes >= self.max_bytes || now - self.opened_at >= self.max_age {
            self.rotate(now)?;
        }
        self.line.clear();
        serde_json::to_writer(&mut self.line, record).map_err(|source| SinkError::Json {
            path: self.path.clone(),
            source,
        })?;
        self.line.push(b'\n');
        self.out
            .write_all(&self.line)
            .map_err(io_err("writing", &self.path))?;
        self.bytes += self.line.len() as u64;
        Ok(())
    }

    /// Writes the buffer to the file.
    pub fn flush(&mut self) -> Result<(), SinkError> {
        self.out.flush().map_err(io_err("flushing", &self.path))
    }

    fn rotate(&mut self, now: f64) -> Result<(), SinkError> {
        self.flush()?;
        fs::rename(&self.path, rotated_name(&self.path, now))
            .map_err(io_err("rotating", &self.path))?;
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(io_err("opening", &self.path))?;
        self.out = BufWriter::with_capacity(64 * 1024, file);
        self.bytes = 0;
        self.opened_at = now;
        Ok(())
    }
}

impl Drop for JsonlSink {
    fn drop(&mut self) {
        if let Err(e) = self.flush() {
            tracing::warn!(error = %e, "log sink not flushed at close");
        }
    }
}

/// The log files of a data directory, opened on first use by file name.
#[derive(Debug)]
pub struct LogSinks {
    dir: PathBuf,
    sinks: HashMap<String, JsonlSink>,
}

impl LogSinks {
    /// Sinks under `dir` (which must exist).
    pub fn new(dir: &Path) -> Self {
        LogSinks {
            dir: dir.to_path_buf(),
            sinks: HashMap::new(),
        }
    }

    /// Appends `record` to the file `name` (e.g. `liq_calibrator_BTC.jsonl`).
    pub fn write<T: Serialize>(
        &mut self,
        name: &str,
        record: &T,
        now: f64,
    ) -> Result<(), SinkError> {
        if let Some(s) = self.sinks.get_mut(name) {
            return s.write(record, now);
        }
        let mut sink = JsonlSink::open(&self.dir.join(name), now)?;
        let result = sink.write(record, now);
        self.sinks.insert(name.to_string(), sink);
        result
    }

    /// Flushes every open file; the first failure is returned after trying all.
    pub fn flush(&mut self) -> Result<(), SinkError> {
        let mut first = None;
        for s in self.sinks.values_mut() {
            if let Err(e) = s.flush() {
                tracing::warn!(error = %e, "log flush failed");
                first.get_or_insert(e);
            }
        }
        first.map_or(Ok(()), Err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Rec {
        a: u32,
        b: f64,
    }

    #[test]
    fn appends_lines_and_reopens_in_append_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("liq_calibrator_BTC.jsonl");
        {
            let mut s = JsonlSink::open(&path, 1000.0).unwrap();
            s.write(&Rec { a: 1, b: 0.5 }, 1000.0).unwrap();
        }
        {
            let mut s = JsonlSink::open(&path, 1001.0).unwrap();
            s.write(&Rec { a: 2, b: f64::NAN }, 1001.0).unwrap();
        }
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(text, "{\"a\":1,\"b\":0.5}\n{\"a\":2,\"b\":null}\n");
    }

    #[test]
    fn rotates_by_size_and_age_without_overwriting() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("liq_zones_BTC.jsonl");
        let now = 1_772_242_551.0;
        let mut s = JsonlSink::open_with(&path, now, 40, 3600.0).unwrap();
        // 16-byte lines: the 4th and the 7th write rotate by size in the same minute.
        for i in 0..8 {
            s.write(&Rec { a: i, b: 1.0 }, now).unwrap();
        }
        s.write(&Rec { a: 9, b: 1.0 }, now + 7200.0).unwrap();
        s.flush().unwrap();
        let mut names: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert!(names.contains(&"liq_zones_BTC.jsonl".to_string()));
        assert!(
            names.contains(&"liq_zones_BTC.20260228_0135.jsonl".to_string()),
            "{names:?}"
        );
        assert!(
            names.contains(&"liq_zones_BTC.20260228_0135.1.jsonl".to_string()),
            "{names:?}"
        );
        assert!(
            names
                .iter()
                .any(|n| n.starts_with("liq_zones_BTC.20260228_0335")),
            "{names:?}"
        );
        let all: usize = names
            .iter()
            .map(|n| {
                fs::read_to_string(dir.path().join(n))
                    .unwrap()
                    .lines()
                    .count()
            })
            .sum();
        assert_eq!(all, 9, "no line lost");
    }

    #[test]
    fn log_sinks_open_by_name_and_errors_name_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let mut logs = LogSinks::new(dir.path());
        logs.write("plot_feed.jsonl", &Rec { a: 1, b: 2.0 }, 0.0)
            .unwrap();
        logs.flush().unwrap();
        assert!(dir.path().join("plot_feed.jsonl").exists());
        let mut bad = LogSinks::new(&dir.path().join("missing"));
        let err = bad
            .write("x.jsonl", &Rec { a: 1, b: 2.0 }, 0.0)
            .unwrap_err();
        assert!(err.to_string().contains("missing"), "{err}");
    }
}
