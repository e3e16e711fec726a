//! `audit backtest FILE`: replays a capture-v1 file through the engine and scores the served
//! heatmap's predictions against the liquidations that followed, per
//! spec/prediction_eval.md (`prediction-eval-v1`).
//!
//! [`predict`] produces the predictions (the engine half), [`score`] and [`metrics`] score
//! them (the scorer half, independent of the engine), [`report`] prints the table or the JSON
//! of DESIGN.md; [`v2`] scores the same predictions by protocol v2
//! (spec/prediction_eval_v2.md) into the JSON's `rows_v2`. Read-only: the only file written is the `--emit-predictions` file.

pub mod metrics;
pub mod predict;
pub mod report;
pub mod score;
pub mod v2;

#[cfg(test)]
mod tests;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use liq_core::compat::ReferenceCompat;
use liq_store::capture::CaptureError;

pub use report::{PROTOCOL, Report, Row, write_json, write_table};

use predict::EngineSetup;
use score::BinnedMinute;

/// Why a backtest failed.
#[derive(Debug, thiserror::Error)]
pub enum BacktestError {
    /// The replay cannot be opened or read at all.
    #[error("{path}: {source}")]
    Unreadable {
        /// The replay.
        path: String,
        /// Why.
        #[source]
        source: CaptureError,
    },
    /// Not one minute or liquidation line could be read (an empty file, or another format).
    #[error("{path}: no capture-v1 minute or liquidation line ({bad_lines} bad lines)")]
    NoReplayLines {
        /// The replay.
        path: String,
        /// Lines that did not parse.
        bad_lines: u64,
    },
    /// Reading failed after part of the file was replayed.
    #[error("reading the replay: {0}")]
    Read(CaptureError),
    /// The engine could not be built.
    #[error("engine: {0}")]
    Engine(String),
    /// The predictions file cannot be written.
    #[error("writing {path}: {source}")]
    Emit {
        /// The predictions file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A `--switch` that names no reference-compatibility switch.
    #[error("unknown switch {0:?} (the field names of ReferenceCompat, e.g. heatmap_b1)")]
    UnknownSwitch(String),
    /// The engine produced a value the protocol refuses.
    #[error("invalid prediction: {0}")]
    Invalid(#[from] score::InvalidValue),
    /// The replay cannot be scored by protocol v2.
    #[error("protocol v2: {0}")]
    V2(#[from] v2::V2Error),
}

impl BacktestError {
    /// The process exit code (DESIGN.md: 2 for unreadable input, 1 otherwise).
    pub fn exit_code(&self) -> u8 {
        match self {
            BacktestError::Unreadable { .. }
            | BacktestError::NoReplayLines { .. }
            | BacktestError::UnknownSwitch(_) => crate::EXIT_USAGE,
            _ => crate::EXIT_FAILURE,
        }
    }
}

/// Options of one backtest.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Score the reference preset (`--reference-compat`) instead of our defaults.
    pub reference_compat: bool,
    /// Reference-compatibility switches turned on over the preset (`--switch NAME`), to
    /// measure one fix switched back.
    pub switches: Vec<String>,
    /// Detach the calibrator (`--no-calibrator`): no calibration reaches the engine.
    pub calibrator_off: bool,
    /// Write the predictions to this file (`--emit-predictions`).
    pub emit_predictions: Option<PathBuf>,
    /// Show a progress bar on stderr (hidden when stderr is not a terminal).
    pub progress: bool,
}

impl Options {
    /// The preset's name in the report.
    pub fn preset(&self) -> &'static str {
        if self.reference_compat {
            "reference"
        } else {
            "default"
        }
    }

    /// The variant's name in the report: the switches turned on and `calibrator-off`
    /// (`None` for the plain preset).
    pub fn variant(&self) -> Option<String> {
        let mut parts = self.switches.clone();
        if self.calibrator_off {
            parts.push("calibrator-off".to_owned());
        }
        (!parts.is_empty()).then(|| parts.join("+"))
    }

    /// The preset with the extra switches on.
    pub fn compat(&self) -> Result<ReferenceCompat, BacktestError> {
        let base = if self.reference_compat {
            ReferenceCompat::reference()
        } else {
            ReferenceCompat::fixed()
        };
        if self.switches.is_empty() {
            return Ok(base);
        }
        let unknown = |s: &str| BacktestError::UnknownSwitch(s.to_owned());
        let mut v = serde_json::to_value(base).map_err(|_| unknown(""))?;
        for s in &self.switches {
            match v.get_mut(s.as_str()) {
                Some(slot) => *slot = serde_json::Value::Bool(true),
                None => return Err(unknown(s)),
            }
        }
        serde_json::from_value(v).map_err(|_| unknown(""))
    }
}

/// Runs the backtest of `file`: replay, predictions (emitted if asked), scores.
pub fn run(file: &Path, opts: &Options) -> Result<Report, BacktestError> {
    let setup = EngineSetup {
        compat: opts.compat()?,
        calibrator: !opts.calibrator_off,
    };
    let mut engine = predict::build_engine(&setup)?;
    let emit_err = |path: &Path| {
        let path = path.display().to_string();
        move |source| BacktestError::Emit { path, source }
    };
    let mut emit: Option<(BufWriter<File>, &Path)> = match &opts.emit_predictions {
        Some(p) => {
            let f = File::create(p).map_err(emit_err(p))?;
            let mut w = BufWriter::new(f);
            predict::write_meta(&mut w, file, opts.preset(), !opts.calibrator_off)
                .map_err(emit_err(p))?;
            Some((w, p.as_path()))
        }
        None => None,
    };
    let bar = if opts.progress {
        crate::progress::progress_bar(file, "backtest")
    } else {
        None
    };
    let mut binned: Vec<BinnedMinute> = Vec::new();
    let mut sink = |p: predict::Prediction| -> Result<(), BacktestError> {
        if let Some((w, path)) = emit.as_mut() {
            predict::write_prediction(w, &p).map_err(emit_err(path))?;
        }
        binned.push(BinnedMinute::from_prediction(&p)?);
        Ok(())
    };
    let replayed = predict::replay(file, &mut engine, bar.as_ref(), &mut sink);
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let replayed = replayed?;
    if let Some((mut w, path)) = emit {
        w.flush().map_err(emit_err(path))?;
    }
    if replayed.records == 0 {
        return Err(BacktestError::NoReplayLines {
            path: file.display().to_string(),
            bad_lines: replayed.bad_lines,
        });
    }
    tracing::info!(
        minute_closes = replayed.minute_closes,
        predictions = binned.len(),
        "replay done"
    );
    let scores = score::score(&replayed.truth, &binned);
    let scores_v2 = v2::score(&replayed.truth, &binned)?;
    Ok(Report {
        protocol: PROTOCOL,
        file: file.display().to_string(),
        preset: opts.preset().to_owned(),
        variant: opts.variant(),
        bad_lines: replayed.bad_lines,
        rows: report::rows(&scores),
        rows_v2: v2::rows_v2(&scores_v2),
        scores,
        scores_v2,
    })
}
