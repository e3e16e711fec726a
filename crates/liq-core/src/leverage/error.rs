//! The error type of ladder, weight and ladder-configuration validation.

use thiserror::Error;

/// Why a ladder, weight vector or ladder configuration was rejected.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum LeverageError {
    /// A ladder must have at least one tier.
    #[error("ladder is empty")]
    EmptyLadder,
    /// Leverage 0 is not a tier.
    #[error("ladder contains tier 0")]
    ZeroTier,
    /// Tiers must be strictly increasing (sorted, no duplicates): `(earlier, later)`.
    #[error("ladder not strictly increasing: {0} then {1}")]
    NotIncreasing(u32, u32),
    /// Weights must align one-to-one with the ladder: `(ladder length, weight count)`.
    #[error("{1} weights for a ladder of {0} tiers")]
    LengthMismatch(usize, usize),
    /// Weights must be finite and non-negative: `(tier, weight)`.
    #[error("invalid weight {1} for tier {0}")]
    InvalidWeight(u32, f64),
    /// A ladder override that changes the tiers must give their weights.
    #[error("a ladder override needs weights")]
    MissingWeights,
    /// Two config entries name the same symbol (keys are case-insensitive).
    #[error("duplicate leverage config for {0}")]
    DuplicateSymbol(String),
    /// The ladder configuration of a symbol (or `default`) is invalid.
    #[error("leverage config for {0}: {1}")]
    Symbol(String, #[source] Box<LeverageError>),
}
