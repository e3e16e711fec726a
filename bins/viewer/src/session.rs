//! What a running engine writes, shared by the replay kinds (and, later, live mode): the
//! latest snapshot bodies per symbol, the weights each adopted calibration saves, state every
//! `--snapshot-every` minutes and at the end, and every log record.

use std::collections::HashMap;

use liq_core::calibrator::PersistedWeights;
use liq_core::engine::{EngineManager, MinuteProducts};
use liq_core::heatmap::history::HistoryFrame;
use liq_core::heatmap::snapshot::GridBody;
use liq_core::orderbook::frame::Frame;
use liq_store::history::{HistoryFile, HistoryKind};
use liq_store::ob_ring::ObRingFile;

use crate::files::DataDir;
use crate::publish::Publisher;

/// The engine with its writers.
pub struct Session {
    /// The engine.
    pub engine: EngineManager,
    /// The data directory.
    pub out: DataDir,
    latest: HashMap<String, MinuteProducts>,
    saves: HashMap<String, PersistedWeights>,
    /// Minute closes so far.
    pub minutes: u64,
    snapshot_every: Option<i64>,
    last_written_minute: Option<i64>,
    history: HashMap<(String, bool), Option<HistoryFile>>,
    frames: HashMap<String, Option<ObRingFile>>,
    /// The embedded API, when it runs.
    pub publisher: Option<Publisher>,
    /// Open interest per symbol and exchange.
    pub oi: crate::oi::OiBoard,
}

/// Frames kept in a symbol's order-book file.
const FRAME_CAPACITY: usize = 1440;

impl Session {
    /// A session; `snapshot_every` (minutes) also writes snapshots and state during the run.
    pub fn new(engine: EngineManager, out: DataDir, snapshot_every: Option<u32>) -> Self {
        Session {
            engine,
            out,
            latest: HashMap::new(),
            saves: HashMap::new(),
            minutes: 0,
            snapshot_every: snapshot_every.filter(|n| *n > 0).map(i64::from),
            last_written_minute: None,
            history: HashMap::new(),
            frames: HashMap::new(),
            publisher: None,
            oi: crate::oi::OiBoard::default(),
        }
    }

    /// Appends one minute's V1 or V2 intensities to its history file (opened on first use; a
    /// file that cannot be opened is reported once and skipped).
    fn append_history(&mut self, symbol: &str, v1: bool, ts: f64, g: &GridBody) {
        let dir = self.out.path().to_path_buf();
        let file = self
            .history
            .entry((symbol.to_string(), v1))
            .or_insert_with(|| {
                let kind = if v1 { HistoryKind::V1 } else { HistoryKind::V2 };
                let path = dir.join(liq_store::history::file_name(kind, symbol));
                HistoryFile::open(&path)
                    .map(|(f, _)| f)
                    .map_err(|e| tracing::warn!(error = %e, "history file not opened"))
                    .ok()
            });
        if let Some(f) = file.as_mut() {
            let frame = HistoryFrame::from_intensities(
                ts,
                g.src,
                g.step,
                g.price_min,
                g.price_max,
                &g.long_intensity,
                &g.short_intensity,
            );
            if let Err(e) = f.append(&frame) {
                self.out.failures += 1;
                tracing::warn!(error = %e, "history append failed");
            }
        }
    }

    /// Appends order-book frames to their symbols' files.
    pub fn append_frames(&mut self, frames: Vec<(String, Frame)>) {
        if let Some(p) = self.publisher.as_mut() {
            p.on_frames(&frames);
        }
        let dir = self.out.path().to_path_buf();
        for (symbol, frame) in frames {
            let file = self.frames.entry(symbol.clone()).or_insert_with(|| {
                let path = dir.join(liq_store::ob_ring::file_name(&symbol));
                ObRingFile::open(&path, FRAME_CAPACITY)
                    .map(|(f, _)| f)
                    .map_err(|e| tracing::warn!(error = %e, "order-book file not opened"))
                    .ok()
            });
            if let Some(f) = file.as_mut()
                && let Err(e) = f.append(&frame)
            {
                self.out.failures += 1;
                tracing::warn!(error = %e, "order-book frame append failed");
            }
        }
    }

    fn saves(&self) -> Vec<PersistedWeights> {
        let mut s: Vec<PersistedWeights> = self.saves.values().cloned().collect();
        s.sort_by(|a, b| a.symbol.cmp(&b.symbol));
        s
    }

    /// One symbol's minute close.
    pub fn on_products(&mut self, p: MinuteProducts, ts: f64) {
        self.minutes += 1;
        self.out.write_plot_feed(&p);
        if let Some(v2) = &p.v2 {
            self.append_history(&p.symbol, false, p.ts, &v2.grid);
        }
        if let Some(v1) = &p.v1 {
            self.append_history(&p.symbol, true, p.ts, &v1.grid);
        }
        if let Some(e) = &p.error {
            tracing::warn!(symbol = %p.symbol, minute = p.minute_key, error = %e, "minute");
        }
        if let Some(save) = p.calibration.as_ref().and_then(|c| c.save.clone()) {
            self.saves.insert(p.symbol.clone(), save);
        }
        if let Some(n) = self.snapshot_every
            && self
                .last_written_minute
                .is_none_or(|m| p.minute_key - m >= n)
        {
            self.last_written_minute = Some(p.minute_key);
            self.out.write_snapshots(&p);
            if let Some(snap) = self.oi.snapshot(&p.symbol, p.ts) {
                self.out.write_oi(&p.symbol, &snap);
            }
            let saves = self.saves();
            self.out.write_state(&self.engine, &saves, ts);
        }
        if let Some(publisher) = &self.publisher {
            publisher.on_products(&p, &self.engine);
        }
        self.latest.insert(p.symbol.clone(), p);
    }

    /// Drains the log records after an input.
    pub fn drain(&mut self, ts: f64) {
        let recs = self.engine.take_records();
        self.out.write_records(recs, ts);
        let frames = self.engine.take_frames();
        if !frames.is_empty() {
            self.append_frames(frames);
        }
    }

    /// Also writes snapshots and state every `n` minutes from now on (live: every minute).
    pub fn set_snapshot_every(&mut self, n: u32) {
        self.snapshot_every = (n > 0).then_some(i64::from(n));
    }

    /// Publishes the latest minute of every symbol (an API started after a replayed history).
    pub fn publish_latest(&self) {
        if let Some(publisher) = &self.publisher {
            for p in self.latest.values() {
                publisher.on_products(p, &self.engine);
            }
        }
    }

    /// After the end of a replay: serves the API until a signal when `keep` (and it runs).
    pub fn linger(&mut self, keep: bool) {
        if let (true, Some(p)) = (keep, self.publisher.as_mut()) {
            p.serve_until_signal();
        }
    }

    /// Writes the latest snapshots and the state, flushes the logs.
    pub fn finish(&mut self, ts: f64) {
        let frames = self.engine.flush_frames();
        self.append_frames(frames);
        let mut symbols: Vec<String> = self.latest.keys().cloned().collect();
        symbols.sort();
        for s in symbols {
            if let Some(p) = self.latest.get(&s) {
                self.out.write_snapshots(p);
                if let Some(snap) = self.oi.snapshot(&s, ts) {
                    self.out.write_oi(&s, &snap);
                }
            }
        }
        let saves = self.saves();
        self.out.write_state(&self.engine, &saves, ts);
        self.out.flush();
    }
}
