//! `audit forecast-fit FILE...`: fits the forecast's own parameters (liq_core::forecast) on
//! capture-v1 replays and measures them honestly, leaving one file out (issue 11): for each
//! file, the parameters that maximise the pooled protocol v2 skill on the other files score
//! the left-out file; the left-out results are pooled by summing their sums, with the
//! day-block CI of spec/prediction_eval_v2.md 2.4. The reach prior stays frozen.
//!
//! The engine runs once per file (the same path as `audit backtest`); the search is cheap
//! because the forecast's normaliser is linear in the layer coefficients:
//! `Σ r m = Σ r + a Σ r P + z Σ r Z + t Σ r T`, so a coefficient set costs one pass over the
//! cells where liquidations fell.

pub mod data;
pub mod report;
pub mod search;

use std::path::{Path, PathBuf};

pub use report::{FitReport, write_markdown};

use crate::backtest::BacktestError;

/// What to fit.
#[derive(Clone, Debug)]
pub struct FitOptions {
    /// The replays (at least two for leave-one-file-out).
    pub files: Vec<PathBuf>,
    /// Which skill the search maximises.
    pub objective: Objective,
    /// Show progress on stderr.
    pub progress: bool,
}

/// The quantity the search maximises on the training files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Objective {
    /// The notional-weighted skill (nats per dollar), as the study fitted.
    Usd,
    /// The sum of the notional- and count-weighted skills.
    UsdEvent,
    /// The mean over the training files of each file's skill per dollar plus per event
    /// (every file, i.e. every market episode, counts the same).
    FileMean,
}

/// Why a fit failed.
#[derive(Debug, thiserror::Error)]
pub enum FitError {
    /// Fewer than two files.
    #[error("leave-one-file-out needs at least two replays, got {0}")]
    TooFewFiles(usize),
    /// A replay failed.
    #[error("{path}: {source}")]
    Replay {
        /// The replay.
        path: String,
        /// Why.
        #[source]
        source: BacktestError,
    },
}

impl FitError {
    /// The process exit code (2 for unusable input, 1 otherwise).
    pub fn exit_code(&self) -> u8 {
        match self {
            FitError::TooFewFiles(_) => crate::EXIT_USAGE,
            FitError::Replay { source, .. } => source.exit_code(),
        }
    }
}

/// Runs the fit.
pub fn run(opts: &FitOptions) -> Result<FitReport, FitError> {
    if opts.files.len() < 2 {
        return Err(FitError::TooFewFiles(opts.files.len()));
    }
    let mut files = Vec::with_capacity(opts.files.len());
    for (i, f) in opts.files.iter().enumerate() {
        if opts.progress {
            eprintln!(
                "forecast-fit: replaying {} ({}/{})",
                f.display(),
                i + 1,
                opts.files.len()
            );
        }
        let d = data::load(f).map_err(|source| FitError::Replay {
            path: f.display().to_string(),
            source,
        })?;
        files.push(d);
    }
    if opts.progress {
        eprintln!("forecast-fit: searching");
    }
    Ok(search::fit(&files, opts.objective))
}

/// The file name of a path, for the report.
pub fn short_name(p: &Path) -> String {
    p.file_name().map_or_else(
        || p.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}
