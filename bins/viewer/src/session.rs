//! What a running engine writes, shared by the replay kinds (and, later, live mode): the
//! latest snapshot bodies per symbol, the weights each adopted calibration saves, state every
//! `--snapshot-every` minutes and at the end, and every log record.

use std::collections::HashMap;

use liq_core::calibrator::PersistedWeights;
use liq_core::engine::{EngineManager, MinuteProducts};

use crate::files::DataDir;

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
}

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
            let saves = self.saves();
            self.out.write_state(&self.engine, &saves, ts);
        }
        self.latest.insert(p.symbol.clone(), p);
    }

    /// Drains the log records after an input.
    pub fn drain(&mut self, ts: f64) {
        let recs = self.engine.take_records();
        self.out.write_records(recs, ts);
    }

    /// Writes the latest snapshots and the state, flushes the logs.
    pub fn finish(&mut self, ts: f64) {
        let mut symbols: Vec<String> = self.latest.keys().cloned().collect();
        symbols.sort();
        for s in symbols {
            if let Some(p) = self.latest.get(&s) {
                self.out.write_snapshots(p);
            }
        }
        let saves = self.saves();
        self.out.write_state(&self.engine, &saves, ts);
        self.out.flush();
    }
}
