//! Everything the service writes into the data directory: JSONL logs (one file per symbol and
//! family), snapshot bodies, weights and zone state. Write failures are logged with the path
//! and retried at the next opportunity, never fatal and never silent.

use std::path::{Path, PathBuf};

use liq_core::engine::{EngineManager, MinuteProducts, Records};
use liq_core::heatmap::records::LogFile;
use liq_store::jsonl::LogSinks;
use liq_store::plot::{PLOT_FEED, PlotLine};

/// The data directory's writers.
pub struct DataDir {
    dir: PathBuf,
    logs: LogSinks,
    /// Write failures so far (reported at the end).
    pub failures: u64,
}

fn family(f: LogFile) -> &'static str {
    match f {
        LogFile::Tape => "tape",
        LogFile::Sweeps => "sweeps",
        LogFile::Debug => "debug",
        LogFile::Inference => "inference",
        LogFile::Cycles => "cycles",
    }
}

impl DataDir {
    /// Writers under `dir` (created if missing).
    pub fn open(dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("creating the data directory {}: {e}", dir.display()))?;
        liq_store::atomic::remove_stale_temps(dir);
        Ok(DataDir {
            dir: dir.to_path_buf(),
            logs: LogSinks::new(dir),
            failures: 0,
        })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    fn failed(&mut self, what: &str, e: &dyn std::fmt::Display) {
        self.failures += 1;
        tracing::warn!(%what, error = %e, "write failed; retried at the next opportunity");
    }

    /// Appends every drained record to its log file.
    pub fn write_records(&mut self, batches: Vec<(String, Records)>, now: f64) {
        for (sym, r) in batches {
            if r.heatmap.is_empty() && r.calibrator.is_empty() && r.zones.is_empty() {
                continue;
            }
            let names = [
                LogFile::Tape,
                LogFile::Sweeps,
                LogFile::Debug,
                LogFile::Inference,
                LogFile::Cycles,
            ]
            .map(|f| format!("liq_{}_{sym}.jsonl", family(f)));
            for rec in &r.heatmap {
                let name = &names[rec.file() as usize];
                if let Err(e) = self.logs.write(name, rec, now) {
                    self.failed(name, &e);
                }
            }
            let name = format!("liq_calibrator_{sym}.jsonl");
            for rec in &r.calibrator {
                if let Err(e) = self.logs.write(&name, rec, now) {
                    self.failed(&name, &e);
                }
            }
            let name = format!("liq_zones_{sym}.jsonl");
            for rec in &r.zones {
                if let Err(e) = self.logs.write(&name, rec, now) {
                    self.failed(&name, &e);
                }
            }
        }
    }

    /// Appends the minute's `plot_feed.jsonl` line (feeds_and_service.md 4.5): the finished
    /// minute's bar (2 decimals for BTC, 4 otherwise) and the V1 top zones.
    pub fn write_plot_feed(&mut self, p: &MinuteProducts) {
        let nd = if p.symbol == "BTC" { 2 } else { 4 };
        let r = |x: f64| liq_core::grid::py_round(x, nd);
        let (o, h, l, c) = p.bar;
        let zones = |side: &[liq_core::heatmap::snapshot::TopZone]| -> Vec<(f64, f64, i64)> {
            side.iter()
                .map(|z| (z.price, z.strength, z.age_min))
                .collect()
        };
        let (long, short) = p.v1.as_ref().map_or((Vec::new(), Vec::new()), |v| {
            (zones(&v.top_long_zones), zones(&v.top_short_zones))
        });
        let line = PlotLine {
            symbol: &p.symbol,
            ts: p.ts,
            minute: p.minute_key,
            o: o.map(r),
            h: r(h),
            l: r(l),
            c: c.map(r),
            long_zones: long,
            short_zones: short,
        };
        if let Err(e) = self.logs.write(PLOT_FEED, &line, p.ts) {
            self.failed(PLOT_FEED, &e);
        }
    }

    /// Writes a symbol's snapshot bodies and its forecast file.
    pub fn write_snapshots(&mut self, p: &MinuteProducts) {
        self.write_forecast(p);
        if let Some(v2) = &p.v2
            && let Err(e) = liq_store::snapshots::write_v2(&self.dir, &p.symbol, v2)
        {
            self.failed("V2 snapshot", &e);
        }
        if let Some(v1) = &p.v1
            && let Err(e) = liq_store::snapshots::write_v1(&self.dir, &p.symbol, v1)
        {
            self.failed("V1 snapshot", &e);
        }
    }

    /// Writes a symbol's liquidation forecast for readers (`liq_forecast_{SYM}.json`, every
    /// horizon; `api-only` serves `/liq_forecast` from it).
    pub fn write_forecast(&mut self, p: &MinuteProducts) {
        let Some(f) = &p.forecast else {
            return;
        };
        let path = self.dir.join(liq_api::forecast_file_name(&p.symbol));
        let snap = liq_api::ForecastSnapshot {
            forecast: std::sync::Arc::clone(f),
            ts: Some(p.ts),
        };
        let mut body = liq_api::encode_forecast_file(&p.symbol, &snap);
        body.push(b'\n');
        if let Err(e) = liq_store::atomic::write_atomic(&path, &body) {
            self.failed("forecast file", &e);
        }
    }

    /// Writes a symbol's `/oi` body for readers (`oi_snapshot_{SYM}.json`).
    pub fn write_oi(&mut self, symbol: &str, snap: &liq_api::OiSnapshot) {
        let path = self.dir.join(liq_api::oi_file_name(symbol));
        let mut body = liq_api::encode_oi(symbol, snap);
        body.push(b'\n');
        if let Err(e) = liq_store::atomic::write_atomic(&path, &body) {
            self.failed("OI snapshot", &e);
        }
    }

    /// Writes every symbol's state: weights (the last adopted save) and zones.
    pub fn write_state(
        &mut self,
        engine: &EngineManager,
        saves: &[liq_core::calibrator::PersistedWeights],
        now: f64,
    ) {
        for w in saves {
            if let Err(e) = liq_store::weights::save_weights(&self.dir, w) {
                self.failed("weights file", &e);
            }
        }
        for (sym, e) in engine.symbols() {
            if let Some(z) = e.zones()
                && let Err(err) = liq_store::zones::save_zones(&self.dir, z, now)
            {
                self.failed("zone file", &err);
            }
            if let Some(st) = e.export_state(now)
                && let Err(err) = liq_store::state::save_state(&self.dir, sym, &st)
            {
                self.failed("engine state", &err);
            }
        }
    }

    /// Flushes the logs.
    pub fn flush(&mut self) {
        if let Err(e) = self.logs.flush() {
            self.failed("log flush", &e);
        }
    }
}
