//! The runtime ladder constants, [`Ladder`], [`DisabledTiers`], [`TierWeights`] and the V3
//! zone-intensity tier weights.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::weights::{enabled_entropy, migrate_weights};
use super::{LeverageError, py_sum};

/// Runtime ladder used for every symbol unless configured otherwise.
pub const RUNTIME_LADDER: [u32; 7] = [10, 20, 25, 50, 75, 100, 125];
/// Runtime default weights, aligned to [`RUNTIME_LADDER`] (not renormalized).
pub const RUNTIME_WEIGHTS: [f64; 7] = [0.00, 0.18, 0.27, 0.30, 0.15, 0.08, 0.02];
/// Tiers disabled by default (`DISABLED_TIERS = {10}`).
pub const DEFAULT_DISABLED_TIERS: [u32; 1] = [10];
/// V3 zone-intensity weights per tier (`TIER_WEIGHTS` of `leverage_config.py`).
#[rustfmt::skip]
pub const V3_TIER_WEIGHTS: [(u32, f64); 11] = [(5, 0.2), (10, 0.0), (20, 0.4), (25, 0.5), (50, 0.8),
    (75, 0.9), (100, 1.0), (125, 1.0), (150, 0.9), (200, 0.8), (250, 0.7)];
/// V3 weight of a tier missing from [`V3_TIER_WEIGHTS`].
pub const V3_UNKNOWN_TIER_WEIGHT: f64 = 0.5;
/// Sums at or below this are treated as zero by the disabled-tier enforcement and entropy.
pub const WEIGHT_EPS: f64 = 1e-9;

/// A sorted, duplicate-free, non-empty list of leverage tiers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "Vec<u32>", into = "Vec<u32>")]
pub struct Ladder(pub(super) Vec<u32>);

impl Ladder {
    /// Validates `tiers`: non-empty, no 0, strictly increasing.
    pub fn new(tiers: Vec<u32>) -> Result<Self, LeverageError> {
        if tiers.is_empty() {
            return Err(LeverageError::EmptyLadder);
        }
        if tiers.contains(&0) {
            return Err(LeverageError::ZeroTier);
        }
        if let Some(w) = tiers.windows(2).find(|w| w[0] >= w[1]) {
            return Err(LeverageError::NotIncreasing(w[0], w[1]));
        }
        Ok(Self(tiers))
    }

    /// The runtime ladder `[10, 20, 25, 50, 75, 100, 125]`.
    pub fn runtime_default() -> Self {
        Self(RUNTIME_LADDER.to_vec())
    }

    /// The tiers in ascending order.
    pub fn tiers(&self) -> &[u32] {
        &self.0
    }

    /// Number of tiers.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always false (a ladder is never empty); present for API symmetry.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Position of `tier` in the ladder.
    pub fn index_of(&self, tier: u32) -> Option<usize> {
        self.0.binary_search(&tier).ok()
    }

    /// Whether `tier` is on the ladder.
    pub fn contains(&self, tier: u32) -> bool {
        self.index_of(tier).is_some()
    }
}

impl TryFrom<Vec<u32>> for Ladder {
    type Error = LeverageError;
    fn try_from(tiers: Vec<u32>) -> Result<Self, Self::Error> {
        Self::new(tiers)
    }
}

impl From<Ladder> for Vec<u32> {
    fn from(ladder: Ladder) -> Self {
        ladder.0
    }
}

/// The set of tiers that never project and never learn (default `{10}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DisabledTiers(BTreeSet<u32>);

impl Default for DisabledTiers {
    fn default() -> Self {
        Self::new(DEFAULT_DISABLED_TIERS)
    }
}

impl DisabledTiers {
    /// A set of the given tiers.
    pub fn new(tiers: impl IntoIterator<Item = u32>) -> Self {
        Self(tiers.into_iter().collect())
    }

    /// Whether `tier` is disabled (`is_tier_disabled`).
    pub fn contains(&self, tier: u32) -> bool {
        self.0.contains(&tier)
    }

    /// The disabled tiers in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.0.iter().copied()
    }

    /// The ladder's tiers that are not disabled (`get_enabled_tiers`).
    pub fn enabled(&self, ladder: &[u32]) -> Vec<u32> {
        ladder
            .iter()
            .copied()
            .filter(|t| !self.contains(*t))
            .collect()
    }
}

/// V3 zone-intensity weight: 0.0 if disabled, else the table value, else 0.5.
pub fn v3_tier_weight(tier: u32, disabled: &DisabledTiers) -> f64 {
    if disabled.contains(tier) {
        return 0.0;
    }
    V3_TIER_WEIGHTS
        .iter()
        .find(|(t, _)| *t == tier)
        .map_or(V3_UNKNOWN_TIER_WEIGHT, |(_, w)| *w)
}

/// Weights aligned one-to-one with a [`Ladder`] (finite, non-negative; not necessarily summing to 1).
#[derive(Debug, Clone, PartialEq)]
pub struct TierWeights {
    pub(super) ladder: Ladder,
    pub(super) weights: Vec<f64>,
}

impl TierWeights {
    /// Pairs `weights` with `ladder`; lengths must match and weights be finite and >= 0.
    pub fn new(ladder: Ladder, weights: Vec<f64>) -> Result<Self, LeverageError> {
        if weights.len() != ladder.len() {
            return Err(LeverageError::LengthMismatch(ladder.len(), weights.len()));
        }
        if let Some((tier, weight)) = ladder
            .tiers()
            .iter()
            .zip(&weights)
            .find(|(_, w)| !w.is_finite() || **w < 0.0)
        {
            return Err(LeverageError::InvalidWeight(*tier, *weight));
        }
        Ok(Self { ladder, weights })
    }

    /// The runtime default `{10: 0.00, 20: 0.18, 25: 0.27, 50: 0.30, 75: 0.15, 100: 0.08, 125: 0.02}`.
    pub fn runtime_default() -> Self {
        Self {
            ladder: Ladder::runtime_default(),
            weights: RUNTIME_WEIGHTS.to_vec(),
        }
    }

    /// The ladder.
    pub fn ladder(&self) -> &Ladder {
        &self.ladder
    }

    /// The weights in ladder order.
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// Weight of `tier`, if it is on the ladder.
    pub fn get(&self, tier: u32) -> Option<f64> {
        self.ladder.index_of(tier).map(|i| self.weights[i])
    }

    /// `(tier, weight)` pairs in ladder order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, f64)> + '_ {
        self.ladder
            .tiers()
            .iter()
            .copied()
            .zip(self.weights.iter().copied())
    }

    /// Left-to-right sum of the weights.
    pub fn sum(&self) -> f64 {
        py_sum(&self.weights)
    }

    /// Divided by their sum if it is > 0, else unchanged (`update_leverage_weights`).
    pub fn normalized(&self) -> Self {
        let s = self.sum();
        let weights = if s > 0.0 {
            self.weights.iter().map(|w| w / s).collect()
        } else {
            self.weights.clone()
        };
        Self {
            ladder: self.ladder.clone(),
            weights,
        }
    }

    /// The same ladder with new weights applied by position (`on_weights_updated`).
    pub fn with_weights(&self, weights: Vec<f64>) -> Result<Self, LeverageError> {
        Self::new(self.ladder.clone(), weights)
    }

    /// Migrated onto `new_ladder` by [`migrate_weights`]; `None` if the result sums to 0.
    pub fn migrate_to(&self, new_ladder: &Ladder) -> Option<Self> {
        let weights = migrate_weights(self.ladder.tiers(), &self.weights, new_ladder.tiers())?;
        Some(Self {
            ladder: new_ladder.clone(),
            weights,
        })
    }

    /// Shannon entropy over the enabled tiers, renormalized (see [`enabled_entropy`]).
    pub fn enabled_entropy(&self, disabled: &DisabledTiers) -> f64 {
        enabled_entropy(self.ladder.tiers(), &self.weights, disabled)
    }
}
