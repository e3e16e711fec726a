//! The recorder: every exchange message ([`FeedEvent::Wire`] and [`FeedEvent::Rest`]) as a
//! capture-v1 `raw` line (fixtures README section 1) with its receive time, one gzip file per
//! UTC day (`capture-YYYY-MM-DD.jsonl.gz`, a numbered name when the day's file exists), a `meta`
//! first line, flushed every few seconds and finished on shutdown. Replaying such a file is
//! reading it back with `liq_store::capture`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use liq_store::capture_write::{CaptureWriteError, CaptureWriter};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tracing::{info, warn};

use crate::conn::FeedEvent;
use crate::wire::{Via, WireMsg};

/// A recorder failure.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// Creating the directory failed.
    #[error("creating {path}: {source}")]
    Dir {
        /// The directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Writing a file failed.
    #[error(transparent)]
    Write(#[from] CaptureWriteError),
}

/// Counters of a recorder.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RecordStats {
    /// Raw lines written.
    pub lines: u64,
    /// Messages skipped (payload not JSON).
    pub skipped: u64,
    /// Files opened.
    pub files: u64,
}

/// (year, month, day) of a day count since 1970-01-01 (H. Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// The UTC date of a Unix time as `YYYY-MM-DD`.
pub fn utc_date(ts: f64) -> String {
    let (y, m, d) = civil_from_days((ts / 86_400.0).floor() as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Writes capture-v1 files into a directory.
pub struct Recorder {
    dir: PathBuf,
    current: Option<(i64, CaptureWriter, PathBuf)>,
    flush_every: Duration,
    last_flush: Instant,
    stats: RecordStats,
    files: Vec<PathBuf>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("dir", &self.dir)
            .field("stats", &self.stats)
            .finish()
    }
}

impl Recorder {
    /// A recorder writing into `dir` (created if missing).
    pub fn new(dir: &Path, flush_every: Duration) -> Result<Self, RecordError> {
        std::fs::create_dir_all(dir).map_err(|source| RecordError::Dir {
            path: dir.to_path_buf(),
            source,
        })?;
        Ok(Recorder {
            dir: dir.to_path_buf(),
            current: None,
            flush_every,
            last_flush: Instant::now(),
            stats: RecordStats::default(),
            files: Vec::new(),
        })
    }

    /// Counters.
    pub fn stats(&self) -> RecordStats {
        self.stats
    }

    /// The files opened so far.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    fn file_for(&self, date: &str) -> PathBuf {
        let mut p = self.dir.join(format!("capture-{date}.jsonl.gz"));
        let mut n = 1;
        while p.exists() {
            p = self.dir.join(format!("capture-{date}.{n}.jsonl.gz"));
            n += 1;
        }
        p
    }

    /// Records one feed event (only exchange messages are recorded).
    pub fn record(&mut self, ev: &FeedEvent) -> Result<(), RecordError> {
        match ev.wire() {
            Some((m, via)) => self.write(m, via),
            None => Ok(()),
        }
    }

    /// Writes one message.
    pub fn write(&mut self, m: &WireMsg, via: Via) -> Result<(), RecordError> {
        let day = (m.ts / 86_400.0).floor() as i64;
        if self.current.as_ref().is_none_or(|(d, _, _)| *d != day) {
            if let Some((_, w, path)) = self.current.take() {
                w.finish()?;
                info!(file = %path.display(), "capture file finished");
            }
            let path = self.file_for(&utc_date(m.ts));
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let w = CaptureWriter::create(&path, &name, m.ts)?;
            info!(file = %path.display(), "recording");
            self.files.push(path.clone());
            self.stats.files += 1;
            self.current = Some((day, w, path));
        }
        let Some((_, w, _)) = self.current.as_mut() else {
            return Ok(());
        };
        let r = w.raw(
            m.ts,
            m.exchange.as_str(),
            m.market.as_str(),
            &m.instrument,
            m.stream.as_str(),
            via.as_str(),
            &m.payload,
        );
        match r {
            Ok(()) => self.stats.lines += 1,
            Err(CaptureWriteError::Json { .. }) => {
                self.stats.skipped += 1;
                if self.stats.skipped <= 10 {
                    warn!(exchange = %m.exchange, topic = %m.topic, "not JSON: not recorded");
                }
            }
            Err(e) => return Err(e.into()),
        }
        if self.last_flush.elapsed() >= self.flush_every {
            self.flush()?;
        }
        Ok(())
    }

    /// Flushes the current file.
    pub fn flush(&mut self) -> Result<(), RecordError> {
        self.last_flush = Instant::now();
        if let Some((_, w, _)) = self.current.as_mut() {
            w.flush()?;
        }
        Ok(())
    }

    /// Finishes the current file (ends the gzip stream).
    pub fn finish(mut self) -> Result<RecordStats, RecordError> {
        if let Some((_, w, _)) = self.current.take() {
            w.finish()?;
        }
        Ok(self.stats)
    }
}

/// The sender feeding a recorder task and the task (its result is the final counters).
pub type RecorderTask = (
    mpsc::Sender<FeedEvent>,
    JoinHandle<Result<RecordStats, RecordError>>,
);

/// Runs a recorder on a blocking thread fed by a channel; it finishes its file when every
/// sender is dropped. Send it clones of the feed events (`try_send`, so a slow disk never
/// stalls the engine).
pub fn spawn_recorder(dir: &Path, capacity: usize) -> Result<RecorderTask, RecordError> {
    let mut rec = Recorder::new(dir, Duration::from_secs(5))?;
    let (tx, mut rx) = mpsc::channel::<FeedEvent>(capacity.max(1));
    let task = tokio::task::spawn_blocking(move || {
        let mut failures = 0u64;
        while let Some(ev) = rx.blocking_recv() {
            if let Err(e) = rec.record(&ev) {
                failures += 1;
                if failures <= 10 || failures.is_multiple_of(1000) {
                    warn!(failures, "recorder write failed: {e}");
                }
            }
        }
        rec.finish()
    });
    Ok((tx, task))
}

#[cfg(test)]
mod tests {
    use super::*;
    use liq_core::event::{Exchange, Market};
    use liq_core::normalize::StreamKind;
    use liq_store::capture::{LineReader, is_capture_meta, parse_line};

    fn msg(ts: f64, payload: &str) -> WireMsg {
        WireMsg {
            ts,
            exchange: Exchange::Bybit,
            market: Market::Perp,
            instrument: "BTCUSDT".into(),
            stream: StreamKind::Liquidations,
            topic: "allLiquidation.BTCUSDT".into(),
            payload: payload.into(),
        }
    }

    #[test]
    fn dates() {
        assert_eq!(utc_date(0.0), "1970-01-01");
        assert_eq!(utc_date(1_772_244_490.0), "2026-02-28");
        assert_eq!(utc_date(951_782_400.0), "2000-02-29");
    }

    #[test]
    fn writes_one_file_per_utc_day_readable_by_the_capture_reader() {
        let tmp = tempfile::tempdir().unwrap();
        let mut r = Recorder::new(tmp.path(), Duration::from_secs(3600)).unwrap();
        let day1 = 1_772_236_800.0; // 2026-02-28 00:00 UTC
        let p1 = r#"{"topic":"allLiquidation.BTCUSDT","data":[{"p":"1"}]}"#;
        r.write(&msg(day1 + 10.5, p1), Via::Ws).unwrap();
        r.write(&msg(day1 + 11.0, "not json"), Via::Ws).unwrap();
        let mut rest = msg(day1 + 12.0, r#"{"retCode":0,"result":{}}"#);
        rest.stream = StreamKind::Ticker;
        r.record(&FeedEvent::Rest(rest)).unwrap();
        r.flush().unwrap();
        r.write(&msg(day1 + 86_400.0 + 1.0, p1), Via::Ws).unwrap();
        let files = r.files().to_vec();
        let stats = r.finish().unwrap();
        assert_eq!(
            stats,
            RecordStats {
                lines: 3,
                skipped: 1,
                files: 2
            }
        );
        assert!(files[0].ends_with("capture-2026-02-28.jsonl.gz"));
        assert!(files[1].ends_with("capture-2026-03-01.jsonl.gz"));
        let mut lines = LineReader::open(&files[0]).unwrap();
        let (_, first) = lines.next_line().unwrap().unwrap();
        assert!(is_capture_meta(first));
        let (_, l) = lines.next_line().unwrap().unwrap();
        let l = l.to_owned();
        let raw = parse_line(&l, 2).unwrap();
        assert_eq!(raw.kind, "raw");
        assert_eq!(raw.ts, day1 + 10.5);
        assert_eq!(raw.exchange.as_deref(), Some("bybit"));
        assert_eq!(raw.symbol.as_deref(), Some("BTCUSDT"));
        assert_eq!(raw.stream.as_deref(), Some("liquidations"));
        assert_eq!(raw.via.as_deref(), Some("ws"));
        assert_eq!(raw.msg.unwrap().get(), p1);
        let (_, l) = lines.next_line().unwrap().unwrap();
        let l = l.to_owned();
        let raw = parse_line(&l, 3).unwrap();
        assert_eq!(raw.via.as_deref(), Some("rest"));
        assert_eq!(raw.stream.as_deref(), Some("ticker"));
        assert!(lines.next_line().unwrap().is_none());
        // A second recorder the same day does not overwrite the first file.
        let mut r2 = Recorder::new(tmp.path(), Duration::from_secs(1)).unwrap();
        r2.write(&msg(day1 + 20.0, p1), Via::Ws).unwrap();
        assert!(r2.files()[0].ends_with("capture-2026-02-28.1.jsonl.gz"));
        r2.finish().unwrap();
    }
}
