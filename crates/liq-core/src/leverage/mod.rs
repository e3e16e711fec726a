//! Leverage ladders, tier weights, disabled tiers, the implied liquidation level and the
//! per-symbol ladder registry.
//!
//! The 7-tier runtime ladder is the single source for inference and calibrator (DECISIONS
//! Heatmap 2, Calibrator 4). The 11-tier `leverage_config.py` ladders survive only as
//! [`legacy_config`], for migrating old weights files and the calibrator's degenerate fallback.

mod error;
mod implied;
mod ladder;
mod registry;
mod weights;

#[cfg(test)]
mod tests;

pub use error::LeverageError;
pub use implied::{
    calibrator_reference_offset, calibrator_reference_price, implied_offset, implied_price,
};
pub use ladder::{
    DEFAULT_DISABLED_TIERS, DisabledTiers, Ladder, RUNTIME_LADDER, RUNTIME_WEIGHTS, TierWeights,
    V3_TIER_WEIGHTS, V3_UNKNOWN_TIER_WEIGHT, WEIGHT_EPS, v3_tier_weight,
};
pub use registry::{LadderOverride, LeverageConfig, LeverageRegistry, SymbolLadder};
pub use weights::{
    DegenerateFallback, EnforceOutcome, enabled_entropy, enforce_disabled_tiers, legacy_config,
    migrate_weights,
};

/// Left-to-right sum, like Python's `sum`.
fn py_sum(values: &[f64]) -> f64 {
    values.iter().fold(0.0, |acc, v| acc + v)
}
