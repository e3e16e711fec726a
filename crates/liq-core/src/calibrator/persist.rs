//! The weights file `liq_calibrator_weights_{SYM}.json` (calibrator.md section 8): schema
//! version 2, read with the version 1 defaults, written byte for byte as the reference's
//! `json.dump(indent=2)` does. Pure: the store reads and writes the bytes.

use serde::Deserialize;
use thiserror::Error;

use crate::grid::py_round;
use crate::pyfmt::{PyJsonWriter, iso_utc};

use super::config::WEIGHTS_SCHEMA_VERSION;

/// The file's content. Every field is optional on read (version 1 files lack several);
/// `saved_at` and `weights_by_leverage` are ignored on load.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct WeightsFile {
    /// 2 for files written by this version; absent (1) in old files.
    pub schema_version: Option<u32>,
    /// Symbol the file belongs to.
    pub symbol: Option<String>,
    /// Ladder.
    pub ladder: Option<Vec<u32>>,
    /// Weights aligned with the ladder.
    pub weights: Option<Vec<f64>>,
    /// Buffer.
    pub buffer: Option<f64>,
    /// Hit tolerance in buckets.
    pub tolerance: Option<i64>,
    /// Legacy long offset, USD.
    pub long_offset_usd: Option<f64>,
    /// Legacy short offset, USD.
    pub short_offset_usd: Option<f64>,
    /// Long bias.
    pub bias_pct_long: Option<f64>,
    /// Short bias.
    pub bias_pct_short: Option<f64>,
    /// Calibrations run so far.
    pub calibration_count: Option<u64>,
}

/// Why a weights file cannot be used.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum WeightsFileError {
    /// Not JSON of the expected shape.
    #[error("weights file is not valid: {0}")]
    Parse(String),
    /// Another symbol's file.
    #[error("weights file is for {found:?}, expected {expected}")]
    Symbol {
        /// Calibrator symbol.
        expected: String,
        /// Symbol in the file.
        found: Option<String>,
    },
    /// Ladder and weights are empty, of different lengths or not valid weights.
    #[error("weights file has an invalid ladder or weights: {0}")]
    Ladder(String),
    /// A scalar is out of its domain.
    #[error("weights file has an invalid {field}: {value}")]
    Value {
        /// Field name.
        field: &'static str,
        /// The value.
        value: f64,
    },
}

impl WeightsFile {
    /// Parses the bytes of a file (JSON only; see [`WeightsFile::check_ladder`] and the other checks for content).
    pub fn parse(bytes: &[u8]) -> Result<Self, WeightsFileError> {
        serde_json::from_slice(bytes).map_err(|e| WeightsFileError::Parse(e.to_string()))
    }

    /// Whether the file belongs to `symbol`.
    pub fn check_symbol(&self, symbol: &str) -> Result<(), WeightsFileError> {
        if self.symbol.as_deref() == Some(symbol) {
            Ok(())
        } else {
            Err(WeightsFileError::Symbol {
                expected: symbol.to_string(),
                found: self.symbol.clone(),
            })
        }
    }

    /// Whether ladder and weights can be used: non-empty, same length, tiers > 0, weights
    /// finite and non-negative with a positive sum.
    pub fn check_ladder(&self) -> Result<(), WeightsFileError> {
        let ladder = self.ladder.as_deref().unwrap_or_default();
        let weights = self.weights.as_deref().unwrap_or_default();
        let bad = |m: &str| Err(WeightsFileError::Ladder(m.to_string()));
        if ladder.is_empty() || weights.is_empty() {
            return bad("empty");
        }
        if ladder.len() != weights.len() {
            return bad(&format!(
                "{} tiers, {} weights",
                ladder.len(),
                weights.len()
            ));
        }
        if ladder.contains(&0) {
            return bad("tier 0");
        }
        if weights.iter().any(|w| !w.is_finite() || *w < 0.0) {
            return bad("negative or non-finite weight");
        }
        if weights.iter().sum::<f64>() <= 0.0 {
            return bad("zero sum");
        }
        Ok(())
    }

    /// Whether the scalars are usable: a finite non-negative buffer, finite offsets and
    /// biases, a non-negative tolerance.
    pub fn check_values(&self) -> Result<(), WeightsFileError> {
        let scalars = [
            ("buffer", self.buffer),
            ("long_offset_usd", self.long_offset_usd),
            ("short_offset_usd", self.short_offset_usd),
            ("bias_pct_long", self.bias_pct_long),
            ("bias_pct_short", self.bias_pct_short),
        ];
        for (field, v) in scalars {
            if let Some(v) = v.filter(|v| !v.is_finite()) {
                return Err(WeightsFileError::Value { field, value: v });
            }
        }
        if let Some(b) = self.buffer.filter(|b| *b < 0.0) {
            return Err(WeightsFileError::Value {
                field: "buffer",
                value: b,
            });
        }
        if let Some(t) = self.tolerance.filter(|t| *t < 0) {
            return Err(WeightsFileError::Value {
                field: "tolerance",
                value: t as f64,
            });
        }
        Ok(())
    }
}

/// The calibrator state a save writes (8.1).
#[derive(Clone, Debug, PartialEq)]
pub struct PersistedWeights {
    /// Symbol.
    pub symbol: String,
    /// Ladder.
    pub ladder: Vec<u32>,
    /// Weights (disabled tiers enforced).
    pub weights: Vec<f64>,
    /// Buffer.
    pub buffer: f64,
    /// Tolerance.
    pub tolerance: i64,
    /// Legacy long offset.
    pub long_offset_usd: f64,
    /// Legacy short offset.
    pub short_offset_usd: f64,
    /// Long bias.
    pub bias_pct_long: f64,
    /// Short bias.
    pub bias_pct_short: f64,
    /// Calibrations run (post-increment).
    pub calibration_count: u64,
    /// Save time, Unix seconds (written as UTC, calibrator B25).
    pub saved_at: f64,
}

impl PersistedWeights {
    /// The file's bytes, as the reference's `json.dump(..., indent=2)` writes them.
    pub fn render(&self) -> String {
        let mut w = PyJsonWriter::new();
        w.begin_object();
        w.key("schema_version");
        w.int(i64::from(WEIGHTS_SCHEMA_VERSION));
        w.key("symbol");
        w.string(&self.symbol);
        w.key("ladder");
        w.begin_array();
        for t in &self.ladder {
            w.int(i64::from(*t));
        }
        w.end_array();
        w.key("weights");
        w.begin_array();
        for x in &self.weights {
            w.float(py_round(*x, 6));
        }
        w.end_array();
        w.key("buffer");
        w.float(self.buffer);
        w.key("tolerance");
        w.int(self.tolerance);
        for (k, v, n) in [
            ("long_offset_usd", self.long_offset_usd, 2),
            ("short_offset_usd", self.short_offset_usd, 2),
            ("bias_pct_long", self.bias_pct_long, 6),
            ("bias_pct_short", self.bias_pct_short, 6),
        ] {
            w.key(k);
            w.float(py_round(v, n));
        }
        w.key("calibration_count");
        w.int(i64::try_from(self.calibration_count).unwrap_or(i64::MAX));
        w.key("saved_at");
        w.string(&iso_utc(self.saved_at));
        w.key("weights_by_leverage");
        w.begin_object();
        for (t, x) in self.ladder.iter().zip(&self.weights) {
            w.key(&t.to_string());
            w.float(py_round(*x, 6));
        }
        w.end_object();
        w.end_object();
        w.finish()
    }

    /// The file form, as read back.
    pub fn to_file(&self) -> WeightsFile {
        WeightsFile {
            schema_version: Some(WEIGHTS_SCHEMA_VERSION),
            symbol: Some(self.symbol.clone()),
            ladder: Some(self.ladder.clone()),
            weights: Some(self.weights.iter().map(|w| py_round(*w, 6)).collect()),
            buffer: Some(self.buffer),
            tolerance: Some(self.tolerance),
            long_offset_usd: Some(py_round(self.long_offset_usd, 2)),
            short_offset_usd: Some(py_round(self.short_offset_usd, 2)),
            bias_pct_long: Some(py_round(self.bias_pct_long, 6)),
            bias_pct_short: Some(py_round(self.bias_pct_short, 6)),
            calibration_count: Some(self.calibration_count),
        }
    }
}
