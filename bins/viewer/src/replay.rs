//! `viewer --replay FILE`: a capture-v1 file through the same engine and writers as live mode,
//! minute closes from the file's own time; the files are written at the end (and every
//! `--snapshot-every` minutes); exit 0 at the end of the file.

use std::path::Path;
use std::time::Instant;

use liq_core::calibrator::CalibratorConfig;
use liq_core::compat::ReferenceCompat;
use liq_core::engine::{EngineManager, SymbolSpec};
use liq_core::heatmap::replay::ReplayRecord;
use liq_core::zones::ZoneManager;
use liq_store::capture::{CaptureError, ReplayReader};

use crate::files::DataDir;
use crate::session::Session;

/// Replay options.
pub struct ReplayOptions<'a> {
    /// The capture file.
    pub file: &'a Path,
    /// The data directory.
    pub data_dir: &'a Path,
    /// Compatibility switches.
    pub compat: ReferenceCompat,
    /// Write snapshots and state every N replayed minutes.
    pub snapshot_every: Option<u32>,
    /// `None`: as fast as possible; `Some(f)`: f times real time.
    pub speed: Option<f64>,
    /// The embedded API (`None`: `--no-api`).
    pub api: Option<crate::publish::ApiOptions<'a>>,
    /// After the end, keep serving the API until SIGINT/SIGTERM.
    pub keep_serving: bool,
}

/// Builds the engine of the default symbols from the data directory's state files.
pub fn build_engine(
    dir: &Path,
    compat: ReferenceCompat,
    now: f64,
) -> anyhow::Result<EngineManager> {
    let mut engine = EngineManager::new(compat);
    for spec in SymbolSpec::defaults() {
        let cfg = CalibratorConfig::runtime(&spec.symbol, spec.step, &compat);
        let loaded = liq_store::weights::load_calibrator(dir, cfg, now as i64);
        if let Some(p) = &loaded.problem {
            tracing::warn!(symbol = %spec.symbol, problem = %p, "weights file");
        }
        let mut zones = ZoneManager::new(&spec.symbol, spec.step, &compat)?;
        let z = liq_store::zones::load_zones(dir, &mut zones, now);
        tracing::info!(symbol = %spec.symbol, weights = ?loaded.report, zones = ?z, "state loaded");
        engine.add_symbol(&spec, loaded.calibrator, zones)?;
        match liq_store::state::load_state(dir, &spec.symbol, now) {
            Ok(Some(st)) => {
                let minute = (now / 60.0).floor() as i64;
                if let Some(e) = engine.symbol_mut(&spec.symbol) {
                    let report = e.restore_state(&st, minute);
                    tracing::info!(symbol = %spec.symbol, ?report, resume_after = st.heatmap.minute_key, "engine state");
                }
            }
            Ok(None) => {}
            Err(problem) => tracing::warn!(symbol = %spec.symbol, %problem, "engine state ignored"),
        }
    }
    Ok(engine)
}

/// The engine of the default symbols with no saved state (the demo starts fresh).
pub fn build_fresh_engine(compat: ReferenceCompat) -> anyhow::Result<EngineManager> {
    let mut engine = EngineManager::new(compat);
    for spec in SymbolSpec::defaults() {
        let cfg = CalibratorConfig::runtime(&spec.symbol, spec.step, &compat);
        let (calibrator, _) = liq_core::calibrator::Calibrator::new(cfg, None);
        let zones = ZoneManager::new(&spec.symbol, spec.step, &compat)?;
        engine.add_symbol(&spec, calibrator, zones)?;
    }
    Ok(engine)
}

/// A progress bar on a terminal for files over a few MB (plain files: by bytes; gzip: minutes).
fn progress(file: &Path) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    let size = std::fs::metadata(file).ok()?.len();
    if !std::io::stderr().is_terminal() || size < 4 << 20 {
        return None;
    }
    let gz = file.extension().is_some_and(|e| e == "gz");
    let bar = if gz {
        indicatif::ProgressBar::new_spinner()
    } else {
        indicatif::ProgressBar::new(size)
    };
    let style = if gz {
        indicatif::ProgressStyle::with_template("{spinner} {elapsed} {msg}")
    } else {
        indicatif::ProgressStyle::with_template("{bar:40} {percent}% {elapsed}<{eta} {msg}")
    };
    if let Ok(st) = style {
        bar.set_style(st);
    }
    Some(bar)
}

fn ts_of(r: &ReplayRecord) -> f64 {
    match r {
        ReplayRecord::Minute(b) => b.ts,
        ReplayRecord::Liquidation(l) => l.ts,
    }
}

/// Runs the replay; returns the number of minute closes. Bad lines are reported (line number,
/// reason) and skipped; a read error (a truncated gzip) ends the replay after the complete lines,
/// the files are written, and the error is returned.
pub fn run(opts: &ReplayOptions<'_>) -> anyhow::Result<u64> {
    let started = Instant::now();
    let mut reader = ReplayReader::open(opts.file)
        .map_err(|e| anyhow::anyhow!("reading {}: {e}", opts.file.display()))?;
    let mut bad_lines = 0u64;
    let mut read_error = None;
    let mut pending = None;
    for item in reader.by_ref() {
        match item {
            Ok(r) => {
                pending = Some(r);
                break;
            }
            Err(e @ CaptureError::BadLine { .. }) => {
                bad_lines += 1;
                tracing::warn!(file = %opts.file.display(), error = %e, "bad line skipped");
            }
            Err(e) => {
                read_error = Some(e);
                break;
            }
        }
    }
    let first_ts = pending.as_ref().map_or(0.0, ts_of);
    let out = DataDir::open(opts.data_dir)?;
    let engine = build_engine(opts.data_dir, opts.compat, first_ts)?;
    let mut session = Session::new(engine, out, opts.snapshot_every);
    session.publisher = crate::publish::start_or_warn(opts.api.as_ref());
    let mut last_ts = first_ts;
    let bar = progress(opts.file);
    loop {
        let rec = match pending.take() {
            Some(r) => r,
            None if read_error.is_some() => break,
            None => match reader.next() {
                None => break,
                Some(Ok(r)) => r,
                Some(Err(e @ CaptureError::BadLine { .. })) => {
                    bad_lines += 1;
                    tracing::warn!(file = %opts.file.display(), error = %e, "bad line skipped");
                    continue;
                }
                Some(Err(e)) => {
                    read_error = Some(e);
                    break;
                }
            },
        };
        let ts = ts_of(&rec);
        if let Some(speed) = opts.speed {
            let due = (ts - first_ts) / speed;
            let wait = due - started.elapsed().as_secs_f64();
            if wait > 0.0 {
                std::thread::sleep(std::time::Duration::from_secs_f64(wait));
            }
        }
        last_ts = ts;
        if let Some(p) = session.engine.apply_replay(&rec) {
            session.on_products(p, ts);
            if let Some(b) = &bar
                && session.minutes.is_multiple_of(64)
            {
                b.set_position(reader.bytes_read());
                b.set_message(format!("{} minute closes", session.minutes));
            }
        }
        session.drain(ts);
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    session.finish(last_ts);
    session.linger(opts.keep_serving);
    let minutes = session.minutes;
    tracing::info!(
        minutes,
        bad_lines,
        seconds = started.elapsed().as_secs_f64(),
        failures = session.out.failures,
        dir = %session.out.path().display(),
        "replay done"
    );
    match read_error {
        Some(e) => Err(anyhow::anyhow!(
            "{e} (the {minutes} minute closes before it were replayed and written)"
        )),
        None => Ok(minutes),
    }
}
