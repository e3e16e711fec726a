//! Construction from a weights file (calibrator.md 8.2), with the reference's partial load
//! (B8) and missing migration (B9) behind their switches.

use crate::leverage::{EnforceOutcome, enforce_disabled_tiers, legacy_config, migrate_weights};

use super::config::{CalibratorConfig, HIT_BUCKET_TOLERANCE};
use super::persist::{WeightsFile, WeightsFileError};
use super::{Calibrator, CalibratorRecord};

/// What became of the weights file at construction.
#[derive(Clone, Debug, PartialEq)]
pub enum LoadReport {
    /// No file: defaults.
    NoFile,
    /// Loaded as written.
    Loaded,
    /// Loaded and migrated from another ladder onto the configured one (B9 fixed).
    Migrated {
        /// The file's ladder.
        from: Vec<u32>,
    },
    /// Unusable: nothing loaded, defaults kept (the store keeps the file aside).
    Rejected(WeightsFileError),
    /// Reference B8: ladder or weights invalid, but the scalars were loaded.
    Partial(WeightsFileError),
}

impl LoadReport {
    /// Whether the file is bad and should be kept aside.
    pub fn is_bad(&self) -> bool {
        matches!(self, LoadReport::Rejected(_) | LoadReport::Partial(_))
    }
}

impl Calibrator {
    /// A calibrator for `cfg`, loading `file` if given (the parsed weights file). Never fails:
    /// an unusable file is reported and the defaults are kept.
    pub fn new(cfg: CalibratorConfig, file: Option<&WeightsFile>) -> (Self, LoadReport) {
        let mut c = Calibrator::fresh(cfg);
        let report = match file {
            None => LoadReport::NoFile,
            Some(f) => c.load(f),
        };
        match &report {
            LoadReport::NoFile | LoadReport::Loaded => {}
            LoadReport::Migrated { from } => tracing::info!(
                symbol = %c.cfg.symbol, ?from, to = ?c.ladder,
                "calibrator: weights file migrated onto the configured ladder"
            ),
            LoadReport::Rejected(e) | LoadReport::Partial(e) => tracing::warn!(
                symbol = %c.cfg.symbol, error = %e,
                "calibrator: weights file not used, defaults kept"
            ),
        }
        (c, report)
    }

    fn load(&mut self, f: &WeightsFile) -> LoadReport {
        if let Err(e) = f.check_symbol(&self.cfg.symbol) {
            return LoadReport::Rejected(e);
        }
        let reference = self.cfg.compat.b8_partial_load;
        let checked = f.check_ladder();
        if !reference && let Err(e) = checked.clone().and_then(|()| f.check_values()) {
            return LoadReport::Rejected(e);
        }
        self.buffer = f.buffer.unwrap_or(0.002);
        self.tolerance = f.tolerance.unwrap_or(self.tolerance);
        self.calibration_count = f.calibration_count.unwrap_or(0);
        self.long_offset = f.long_offset_usd.unwrap_or(0.0);
        self.short_offset = f.short_offset_usd.unwrap_or(0.0);
        self.bias_long = f.bias_pct_long.unwrap_or(0.0);
        self.bias_short = f.bias_pct_short.unwrap_or(0.0);
        if !reference {
            self.buffer = self.buffer.clamp(self.cfg.min_buffer, self.cfg.max_buffer);
        }
        if let Err(e) = checked {
            return LoadReport::Partial(e);
        }
        let ladder = f.ladder.clone().unwrap_or_default();
        let weights = f.weights.clone().unwrap_or_default();
        let configured = self.cfg.ladder.tiers().to_vec();
        let mut report = LoadReport::Loaded;
        if self.cfg.compat.b9_no_migration || ladder == configured {
            self.ladder = ladder;
            self.weights = weights;
        } else {
            match migrate_weights(&ladder, &weights, &configured) {
                Some(w) => {
                    self.ladder = configured;
                    self.weights = w;
                    report = LoadReport::Migrated { from: ladder };
                }
                None => {
                    return LoadReport::Rejected(WeightsFileError::Ladder(
                        "cannot migrate onto the configured ladder".into(),
                    ));
                }
            }
        }
        self.tolerance = HIT_BUCKET_TOLERANCE;
        self.enforce_disabled();
        report
    }

    /// 6.8 on the current weights, logging the no-enabled-tier case.
    pub(crate) fn enforce_disabled(&mut self) {
        let config = legacy_config(&self.cfg.symbol);
        let outcome = enforce_disabled_tiers(
            &self.ladder,
            &mut self.weights,
            &self.cfg.disabled,
            &config,
            self.cfg.compat.degenerate_fallback(),
        );
        if outcome == EnforceOutcome::NoEnabledTiers {
            tracing::error!(symbol = %self.cfg.symbol, "calibrator: every tier is disabled");
        }
    }

    /// Test and tooling hook: records so far without draining.
    pub fn records(&self) -> &[CalibratorRecord] {
        &self.records
    }
}
