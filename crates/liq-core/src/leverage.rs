//! Leverage ladders, tier weights, disabled tiers, the implied liquidation level and the
//! per-symbol ladder registry.
//!
//! The 7-tier runtime ladder is the single source for inference and calibrator (DECISIONS
//! Heatmap 2, Calibrator 4). The 11-tier `leverage_config.py` ladders survive only as
//! [`legacy_config`], for migrating old weights files and the calibrator's degenerate fallback.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use thiserror::Error;

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

/// `leverage_config.py` ladders and raw weights: BTC, ETH, SOL, then every other symbol.
#[rustfmt::skip]
const LEGACY: [(&str, &[u32], &[f64]); 4] = [
    ("BTC", &[5, 10, 20, 25, 50, 75, 100, 125, 150, 200, 250],
        &[1.0, 1.0, 0.9, 0.7, 0.35, 0.14, 0.08, 0.05, 0.03, 0.015, 0.008]),
    ("ETH", &[5, 10, 20, 25, 50, 75, 100, 125], &[1.0, 1.0, 0.9, 0.7, 0.35, 0.18, 0.10, 0.07]),
    ("SOL", &[5, 10, 20, 25, 50, 75], &[1.0, 1.0, 0.9, 0.7, 0.35, 0.18]),
    ("", &[5, 10, 20, 50, 75, 100], &[1.0, 1.0, 0.9, 0.5, 0.25, 0.10]),
];

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

/// Left-to-right sum, like Python's `sum`.
fn py_sum(values: &[f64]) -> f64 {
    values.iter().fold(0.0, |acc, v| acc + v)
}

/// A sorted, duplicate-free, non-empty list of leverage tiers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "Vec<u32>", into = "Vec<u32>")]
pub struct Ladder(Vec<u32>);

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
    ladder: Ladder,
    weights: Vec<f64>,
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

/// The `leverage_config.py` ladder of `symbol` (BTC, ETH, SOL, else the default one), normalized
/// by the raw sum including disabled tiers. For migrations and the degenerate fallback only.
pub fn legacy_config(symbol: &str) -> TierWeights {
    let sym = symbol.to_ascii_uppercase();
    let (_, tiers, raw) = LEGACY
        .iter()
        .find(|(s, _, _)| *s == sym)
        .unwrap_or(&LEGACY[3]);
    TierWeights {
        ladder: Ladder(tiers.to_vec()),
        weights: raw.to_vec(),
    }
    .normalized()
}

/// Which weights the degenerate fallback of [`enforce_disabled_tiers`] gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DegenerateFallback {
    /// Calibrator B10 fixed: if an enabled tier is missing from the legacy config, use the
    /// uniform fallback instead of mixing config weights with 1.0.
    #[default]
    Fixed,
    /// Reference behaviour: tiers absent from the legacy config get a raw weight of 1.0.
    Reference,
}

/// What [`enforce_disabled_tiers`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnforceOutcome {
    /// Empty input or length mismatch: nothing changed.
    Skipped,
    /// Disabled tiers zeroed and the rest renormalized.
    Normalized,
    /// All enabled weights were zero: the legacy config weights were used.
    ConfigFallback,
    /// All enabled weights were zero: uniform over enabled tiers.
    Uniform,
    /// Every tier is disabled: weights left as they are (all zero); the caller logs an error.
    NoEnabledTiers,
}

/// Calibrator 6.8: zero disabled tiers and renormalize; if nothing is left, fall back to the
/// legacy `config` weights, then to uniform over enabled tiers. Mutates `weights` in place.
pub fn enforce_disabled_tiers(
    ladder: &[u32],
    weights: &mut [f64],
    disabled: &DisabledTiers,
    config: &TierWeights,
    fallback: DegenerateFallback,
) -> EnforceOutcome {
    if ladder.is_empty() || weights.is_empty() || ladder.len() != weights.len() {
        return EnforceOutcome::Skipped;
    }
    for (t, w) in ladder.iter().zip(weights.iter_mut()) {
        if disabled.contains(*t) {
            *w = 0.0;
        }
    }
    let s = py_sum(weights);
    if s > WEIGHT_EPS {
        weights.iter_mut().for_each(|w| *w /= s);
        return EnforceOutcome::Normalized;
    }
    let missing = ladder
        .iter()
        .any(|t| !disabled.contains(*t) && config.get(*t).is_none());
    if !(missing && fallback == DegenerateFallback::Fixed) {
        let candidate: Vec<f64> = ladder
            .iter()
            .map(|t| {
                if disabled.contains(*t) {
                    0.0
                } else {
                    config.get(*t).unwrap_or(1.0)
                }
            })
            .collect();
        let cs = py_sum(&candidate);
        if cs > WEIGHT_EPS {
            for (w, c) in weights.iter_mut().zip(candidate) {
                *w = c / cs;
            }
            return EnforceOutcome::ConfigFallback;
        }
    }
    let n_enabled = ladder.iter().filter(|t| !disabled.contains(**t)).count();
    if n_enabled == 0 {
        return EnforceOutcome::NoEnabledTiers;
    }
    let u = 1.0 / n_enabled as f64;
    for (t, w) in ladder.iter().zip(weights.iter_mut()) {
        *w = if disabled.contains(*t) { 0.0 } else { u };
    }
    EnforceOutcome::Uniform
}

/// Calibrator 6.11: interpolate old weights onto `new_ladder` linearly in `x = 1/L` (clamped to
/// the end points, interpolations floored at 0) and normalize. `None` for invalid input
/// (empty, length mismatch, tier 0, non-finite or negative weight) or a non-positive sum.
pub fn migrate_weights(
    old_ladder: &[u32],
    old_weights: &[f64],
    new_ladder: &[u32],
) -> Option<Vec<f64>> {
    let valid = !old_ladder.is_empty()
        && !new_ladder.is_empty()
        && old_ladder.len() == old_weights.len()
        && !old_ladder.contains(&0)
        && !new_ladder.contains(&0)
        && old_weights.iter().all(|w| w.is_finite() && *w >= 0.0);
    if !valid {
        return None;
    }
    let mut pts: Vec<(f64, f64)> = old_ladder
        .iter()
        .zip(old_weights)
        .map(|(l, w)| (1.0 / f64::from(*l), *w))
        .collect();
    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (first, last) = (*pts.first()?, *pts.last()?);
    let raw: Vec<f64> = new_ladder
        .iter()
        .map(|l| {
            let x = 1.0 / f64::from(*l);
            if x <= first.0 {
                return first.1;
            }
            if x >= last.0 {
                return last.1;
            }
            pts.windows(2)
                .find(|p| p[0].0 <= x && x <= p[1].0)
                .map_or(0.0, |p| {
                    let ((x0, w0), (x1, w1)) = (p[0], p[1]);
                    let t = (x - x0) / (x1 - x0);
                    (w0 + t * (w1 - w0)).max(0.0)
                })
        })
        .collect();
    let s = py_sum(&raw);
    (s > 0.0).then(|| raw.iter().map(|w| w / s).collect())
}

/// Entropy `-Σ p ln p` of the enabled tiers' weights renormalized to sum 1 (terms with
/// `p <= 1e-9` skipped); 0 if the enabled mass is `<= 1e-9` or lengths differ.
pub fn enabled_entropy(ladder: &[u32], weights: &[f64], disabled: &DisabledTiers) -> f64 {
    if ladder.len() != weights.len() {
        return 0.0;
    }
    let e: Vec<f64> = ladder
        .iter()
        .zip(weights)
        .filter(|(t, _)| !disabled.contains(**t))
        .map(|(_, w)| *w)
        .collect();
    let total = py_sum(&e);
    if total <= WEIGHT_EPS {
        return 0.0;
    }
    -e.iter()
        .map(|w| w / total)
        .filter(|p| *p > WEIGHT_EPS)
        .fold(0.0, |acc, p| acc + p * p.ln())
}

/// The one implied-liquidation offset (DECISIONS Calibrator 3): `(1.0 / L) + buffer`.
pub fn implied_offset(leverage: u32, buffer: f64) -> f64 {
    (1.0 / f64::from(leverage)) + buffer
}

/// Projected liquidation price: `src * (1 - offset)` for longs, `src * (1 + offset)` for shorts.
pub fn implied_price(src: f64, side_is_long: bool, leverage: u32, buffer: f64) -> f64 {
    apply_offset(src, side_is_long, implied_offset(leverage, buffer))
}

/// The calibrator's reference-preset offset (calibrator 5.1): `1/L + b + 0.01/L`.
pub fn calibrator_reference_offset(leverage: u32, buffer: f64) -> f64 {
    let l = f64::from(leverage);
    1.0 / l + buffer + 0.01 / l
}

/// The calibrator's reference-preset implied level, using [`calibrator_reference_offset`].
pub fn calibrator_reference_price(src: f64, side_is_long: bool, leverage: u32, buffer: f64) -> f64 {
    apply_offset(
        src,
        side_is_long,
        calibrator_reference_offset(leverage, buffer),
    )
}

/// `src * (1 - offset)` for longs, `src * (1 + offset)` otherwise.
fn apply_offset(src: f64, side_is_long: bool, offset: f64) -> f64 {
    if side_is_long {
        src * (1.0 - offset)
    } else {
        src * (1.0 + offset)
    }
}

/// Ladder settings for one symbol (or the default) as written in the service config.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LadderOverride {
    /// Tiers; when given, `weights` must be given too.
    pub ladder: Option<Vec<u32>>,
    /// Weights aligned to `ladder` (or to the inherited ladder when `ladder` is absent).
    pub weights: Option<Vec<f64>>,
    /// Disabled tiers; inherited when absent.
    pub disabled_tiers: Option<Vec<u32>>,
}

/// The `[leverage]` configuration: an optional default override and per-symbol overrides.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LeverageConfig {
    /// Replaces the built-in runtime default for every symbol without its own entry.
    pub default: Option<LadderOverride>,
    /// Per-symbol overrides keyed by short symbol (`BTC`); keys are matched case-insensitively.
    pub symbols: BTreeMap<String, LadderOverride>,
}

/// Resolved ladder settings of one symbol: weights on a ladder plus the disabled tiers.
#[derive(Debug, Clone, PartialEq)]
pub struct SymbolLadder {
    /// Ladder and weights.
    pub weights: TierWeights,
    /// Tiers skipped by projection and learning.
    pub disabled: DisabledTiers,
}

impl Default for SymbolLadder {
    fn default() -> Self {
        Self {
            weights: TierWeights::runtime_default(),
            disabled: DisabledTiers::default(),
        }
    }
}

impl SymbolLadder {
    /// The ladder.
    pub fn ladder(&self) -> &Ladder {
        self.weights.ladder()
    }

    /// The enabled tiers in ladder order.
    pub fn enabled_tiers(&self) -> Vec<u32> {
        self.disabled.enabled(self.ladder().tiers())
    }

    /// `base` with `ov` applied on top.
    fn overridden(base: &Self, ov: &LadderOverride) -> Result<Self, LeverageError> {
        let weights = match (&ov.ladder, &ov.weights) {
            (Some(l), Some(w)) => TierWeights::new(Ladder::new(l.clone())?, w.clone())?,
            (Some(l), None) => {
                let ladder = Ladder::new(l.clone())?;
                if ladder != *base.ladder() {
                    return Err(LeverageError::MissingWeights);
                }
                base.weights.clone()
            }
            (None, Some(w)) => base.weights.with_weights(w.clone())?,
            (None, None) => base.weights.clone(),
        };
        let disabled = ov.disabled_tiers.as_ref().map_or_else(
            || base.disabled.clone(),
            |d| DisabledTiers::new(d.iter().copied()),
        );
        Ok(Self { weights, disabled })
    }
}

/// Per-symbol ladder registry: the configured overrides, else the default for any symbol.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LeverageRegistry {
    default: SymbolLadder,
    symbols: BTreeMap<String, SymbolLadder>,
}

impl LeverageRegistry {
    /// Registry with the built-in runtime default for every symbol.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registry built from `config`; each symbol override applies on top of the default.
    pub fn from_config(config: &LeverageConfig) -> Result<Self, LeverageError> {
        let wrap = |sym: &str| {
            let sym = sym.to_string();
            move |e| LeverageError::Symbol(sym, Box::new(e))
        };
        let default = match &config.default {
            Some(ov) => {
                SymbolLadder::overridden(&SymbolLadder::default(), ov).map_err(wrap("default"))?
            }
            None => SymbolLadder::default(),
        };
        let mut symbols = BTreeMap::new();
        for (sym, ov) in &config.symbols {
            let resolved = SymbolLadder::overridden(&default, ov).map_err(wrap(sym))?;
            let key = sym.to_ascii_uppercase();
            if symbols.insert(key.clone(), resolved).is_some() {
                return Err(LeverageError::DuplicateSymbol(key));
            }
        }
        Ok(Self { default, symbols })
    }

    /// Settings of `symbol` (case-insensitive), or the default.
    pub fn get(&self, symbol: &str) -> &SymbolLadder {
        self.symbols
            .get(&symbol.to_ascii_uppercase())
            .unwrap_or(&self.default)
    }

    /// The settings used for symbols without an entry.
    pub fn default_ladder(&self) -> &SymbolLadder {
        &self.default
    }

    /// Sets (or replaces) the settings of `symbol`.
    pub fn insert(&mut self, symbol: &str, ladder: SymbolLadder) {
        self.symbols.insert(symbol.to_ascii_uppercase(), ladder);
    }

    /// Symbols with their own entry, upper-cased, in ascending order.
    pub fn symbols(&self) -> impl Iterator<Item = &str> + '_ {
        self.symbols.keys().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grid::BucketStep;

    fn close(a: &[f64], b: &[f64], tol: f64) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= tol)
    }

    fn tw(ladder: &[u32], w: &[f64]) -> TierWeights {
        TierWeights::new(Ladder::new(ladder.to_vec()).expect("ladder"), w.to_vec())
            .expect("weights")
    }

    #[test]
    fn ladder_and_weights_validation() {
        assert_eq!(Ladder::new(vec![]), Err(LeverageError::EmptyLadder));
        assert_eq!(Ladder::new(vec![0, 5]), Err(LeverageError::ZeroTier));
        assert_eq!(
            Ladder::new(vec![5, 20, 10]),
            Err(LeverageError::NotIncreasing(20, 10))
        );
        assert_eq!(
            Ladder::new(vec![5, 5]),
            Err(LeverageError::NotIncreasing(5, 5))
        );
        let l = Ladder::runtime_default();
        assert_eq!(
            (l.tiers(), l.len(), l.is_empty()),
            (&RUNTIME_LADDER[..], 7, false)
        );
        assert_eq!((l.index_of(50), l.contains(150)), (Some(3), false));
        let parsed: Ladder = serde_json::from_str("[10, 20]").expect("valid ladder");
        assert_eq!(
            serde_json::to_string(&parsed).expect("serializes"),
            "[10,20]"
        );
        assert!(serde_json::from_str::<Ladder>("[20, 10]").is_err());
        let err = TierWeights::new(l.clone(), vec![1.0]);
        assert_eq!(err, Err(LeverageError::LengthMismatch(7, 1)));
        let one = Ladder::new(vec![5]).expect("ladder");
        assert!(matches!(
            TierWeights::new(one.clone(), vec![f64::NAN]),
            Err(LeverageError::InvalidWeight(5, _))
        ));
        assert_eq!(
            TierWeights::new(one, vec![-0.1]),
            Err(LeverageError::InvalidWeight(5, -0.1))
        );
        let w = TierWeights::runtime_default();
        assert_eq!(
            (w.weights(), w.get(25), w.get(5)),
            (&RUNTIME_WEIGHTS[..], Some(0.27), None)
        );
        assert_eq!(w.iter().next(), Some((10, 0.0)));
        let zero = w.with_weights(vec![0.0; 7]).expect("valid");
        assert_eq!(zero.normalized(), zero);
        let n = tw(&[1, 2, 3], &[2.0, 2.0, 4.0]).normalized();
        assert_eq!(n.weights(), [0.25, 0.25, 0.5]);
    }

    #[test]
    fn disabled_tiers_and_v3_weights() {
        let d = DisabledTiers::default();
        assert!(d.contains(10) && !d.contains(20));
        assert_eq!(d.enabled(&RUNTIME_LADDER), [20, 25, 50, 75, 100, 125]);
        assert_eq!(d.iter().collect::<Vec<_>>(), [10]);
        let none = DisabledTiers::new([]);
        assert_eq!(none.enabled(&[10, 20]), [10, 20]);
        assert_eq!(
            (v3_tier_weight(10, &d), v3_tier_weight(10, &none)),
            (0.0, 0.0)
        );
        assert_eq!(
            (v3_tier_weight(50, &d), v3_tier_weight(250, &d)),
            (0.8, 0.7)
        );
        assert_eq!(v3_tier_weight(33, &d), 0.5);
        assert_eq!(v3_tier_weight(50, &DisabledTiers::new([50])), 0.0);
    }

    #[test]
    fn legacy_configs_normalized_by_raw_sum() {
        let btc = legacy_config("BTC");
        assert_eq!(btc.ladder().len(), 11);
        assert_eq!(btc.get(5), Some(1.0 / 4.273));
        assert!((btc.get(10).unwrap_or(0.0) - 0.234027).abs() < 1e-6);
        assert!((btc.sum() - 1.0).abs() < 1e-12);
        assert_eq!(
            legacy_config("eth").ladder().tiers(),
            [5, 10, 20, 25, 50, 75, 100, 125]
        );
        assert!((legacy_config("ETH").get(5).unwrap_or(0.0) - 1.0 / 4.30).abs() < 1e-15);
        assert!((legacy_config("SOL").get(75).unwrap_or(0.0) - 0.18 / 4.13).abs() < 1e-15);
        let other = legacy_config("DOGE");
        assert_eq!(other.ladder().tiers(), [5, 10, 20, 50, 75, 100]);
        assert!((other.get(100).unwrap_or(0.0) - 0.10 / 3.75).abs() < 1e-15);
    }

    fn enforce(symbol: &str, w: &mut [f64], fb: DegenerateFallback) -> EnforceOutcome {
        let d = DisabledTiers::default();
        enforce_disabled_tiers(&RUNTIME_LADDER, w, &d, &legacy_config(symbol), fb)
    }

    #[test]
    #[rustfmt::skip]
    fn enforce_tv7() {
        use DegenerateFallback::{Fixed, Reference};
        let mut w = [0.05, 0.15, 0.25, 0.3, 0.15, 0.08, 0.02];
        assert_eq!(enforce("BTC", &mut w, Reference), EnforceOutcome::Normalized);
        assert_eq!(w, [0.0, 0.15789473684210525, 0.2631578947368421, 0.3157894736842105,
            0.15789473684210525, 0.08421052631578949, 0.02105263157894737]);
        let cases: [(&str, _, [f64; 7]); 5] = [
            ("BTC", Reference, [0.0, 0.405405, 0.315315, 0.157658, 0.063063, 0.036036, 0.022523]),
            ("SOL", Reference, [0.0, 0.086622, 0.067372, 0.033686, 0.017324, 0.397498, 0.397498]),
            ("ETH", Reference, [0.0, 0.391304, 0.304348, 0.152174, 0.078261, 0.043478, 0.030435]),
            // Fixed B10: BTC's config covers every runtime tier, so nothing changes.
            ("BTC", Fixed, [0.0, 0.405405, 0.315315, 0.157658, 0.063063, 0.036036, 0.022523]),
            // SOL lacks 100x and 125x: uniform over the enabled tiers.
            ("SOL", Fixed, [0.0, 1.0 / 6.0, 1.0 / 6.0, 1.0 / 6.0, 1.0 / 6.0, 1.0 / 6.0, 1.0 / 6.0]),
        ];
        for (sym, fb, want) in cases {
            let mut w = [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
            let out = enforce(sym, &mut w, fb);
            let expected = if want[1] == 1.0 / 6.0 { EnforceOutcome::Uniform } else { EnforceOutcome::ConfigFallback };
            assert_eq!(out, expected, "{sym}");
            assert!(close(&w, &want, 5e-7), "{sym}: {w:?}");
        }
        assert_eq!(DegenerateFallback::default(), Fixed);
    }

    #[test]
    fn enforce_edge_cases() {
        let (cfg, d) = (legacy_config("BTC"), DisabledTiers::default());
        let fb = DegenerateFallback::Reference;
        let mut w = [0.5, 0.5];
        assert_eq!(
            enforce_disabled_tiers(&[10], &mut w, &d, &cfg, fb),
            EnforceOutcome::Skipped
        );
        assert_eq!(
            enforce_disabled_tiers(&[], &mut [], &d, &cfg, fb),
            EnforceOutcome::Skipped
        );
        assert_eq!(w, [0.5, 0.5]);
        // Tiers unknown to the config get 1.0 each (B10).
        let mut w = [0.0, 0.0, 0.0];
        let out = enforce_disabled_tiers(&[10, 30, 40], &mut w, &d, &cfg, fb);
        assert_eq!((out, w), (EnforceOutcome::ConfigFallback, [0.0, 0.5, 0.5]));
        // An all-zero config falls through to uniform.
        let zero_cfg = TierWeights::runtime_default()
            .with_weights(vec![0.0; 7])
            .expect("valid");
        let mut w = [0.0; 7];
        let out = enforce_disabled_tiers(&RUNTIME_LADDER, &mut w, &d, &zero_cfg, fb);
        assert_eq!((out, w[0]), (EnforceOutcome::Uniform, 0.0));
        assert!((w[3] - 1.0 / 6.0).abs() < 1e-15);
        let mut w = [0.7];
        let out = enforce_disabled_tiers(&[10], &mut w, &d, &cfg, fb);
        assert_eq!((out, w), (EnforceOutcome::NoEnabledTiers, [0.0]));
    }

    #[test]
    #[rustfmt::skip]
    fn migrate_tv8() {
        let old = [0.234037, 0.234037, 0.210634, 0.163826, 0.081913, 0.032762, 0.018702,
            0.011691, 0.007017, 0.003509, 0.001872];
        let got = migrate_weights(LEGACY[0].1, &old, &RUNTIME_LADDER).expect("migrates");
        let want = [0.31057307597884726, 0.27951669729883954, 0.21740128588774693,
            0.10870064294387347, 0.043476010695825844, 0.024818031623018585, 0.015514255571848481];
        assert!(close(&got, &want, 1e-12) && got[0] > 0.0, "{got:?}");
        let new = [5, 10, 20, 25, 50, 100];
        let got = migrate_weights(&[10, 50], &[0.2, 0.8], &new).expect("migrates");
        let want = [0.062015503875969, 0.062015503875969, 0.17829457364341086,
            0.20155038759689925, 0.24806201550387602, 0.24806201550387602];
        assert!(close(&got, &want, 1e-12), "{got:?}");
        assert_eq!(migrate_weights(&[50, 10], &[0.8, 0.2], &new), Some(got));
    }

    #[test]
    fn migrate_invalid_inputs() {
        assert_eq!(migrate_weights(&[], &[], &[10]), None);
        assert_eq!(migrate_weights(&[10], &[1.0], &[]), None);
        assert_eq!(migrate_weights(&[10, 20], &[1.0], &[10]), None);
        assert_eq!(migrate_weights(&[0], &[1.0], &[10]), None);
        assert_eq!(migrate_weights(&[10], &[f64::NAN], &[10]), None);
        assert_eq!(migrate_weights(&[10, 20], &[0.0, 0.0], &[10]), None);
        let w = TierWeights::runtime_default();
        let same = w.migrate_to(w.ladder()).expect("migrates");
        assert!(close(same.weights(), w.normalized().weights(), 1e-15));
    }

    #[test]
    fn entropy_over_enabled_tiers() {
        let d = DisabledTiers::default();
        let h = TierWeights::runtime_default().enabled_entropy(&d);
        assert!((h - 1.5882).abs() < 5e-5 && h > 0.85 * 6f64.ln(), "{h}");
        let w = [0.5, 0.18, 0.27, 0.30, 0.15, 0.08, 0.02];
        assert!((enabled_entropy(&RUNTIME_LADDER, &w, &d) - h).abs() < 1e-12);
        let one = [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
        assert_eq!(enabled_entropy(&RUNTIME_LADDER, &one, &d), 0.0);
        assert_eq!(enabled_entropy(&[20, 25], &[1.0], &d), 0.0);
        assert!((enabled_entropy(&[20, 25], &[3.0, 3.0], &d) - 2f64.ln()).abs() < 1e-15);
    }

    #[test]
    fn implied_levels() {
        assert_eq!(implied_offset(20, 0.002), 0.052000000000000005);
        let src = 65743.25;
        assert_eq!(
            implied_price(src, true, 20, 0.002),
            src * (1.0 - (0.05 + 0.002))
        );
        assert_eq!(
            implied_price(src, false, 20, 0.002),
            src * (1.0 + (0.05 + 0.002))
        );
        let off = calibrator_reference_offset(125, 0.002);
        assert_eq!(off, 1.0 / 125.0 + 0.002 + 0.01 / 125.0);
        // Calibrator TV-10: short, mark 65801.28, 125x -> 66464.56.
        let p = calibrator_reference_price(65801.28, false, 125, 0.002);
        assert!((p - 66464.56).abs() < 0.005, "{p}");
        assert!((calibrator_reference_price(100.0, true, 100, 0.0) - 98.99).abs() < 1e-12);
    }

    #[test]
    #[rustfmt::skip]
    fn heatmap_10_2_projection_buckets() {
        let w = tw(&RUNTIME_LADDER, &[0.0, 0.180028, 0.270041, 0.300046, 0.150013, 0.079905, 0.019967]);
        let (d, step) = (DisabledTiers::default(), BucketStep::new(20.0).expect("valid step"));
        let src = 65743.25;
        let want = [
            (true, 78611.10, [(14152.2, 62320.0), (21228.22, 62980.0), (23586.95, 64300.0),
                (11792.69, 64740.0), (6281.42, 64960.0), (1569.63, 65080.0)]),
            (false, 491067.31, [(88405.87, 69160.0), (132608.31, 68500.0), (147342.78, 67180.0),
                (73666.48, 66760.0), (39238.73, 66540.0), (9805.14, 66400.0)]),
        ];
        for (long, usd, entries) in want {
            let got: Vec<(f64, f64)> = w.iter().filter(|(t, w)| !d.contains(*t) && *w >= 0.01)
                .map(|(t, w)| (usd * w, step.bucket(implied_price(src, long, t, 0.002)))).collect();
            assert_eq!(got.len(), entries.len());
            for ((size, b), (want_size, want_b)) in got.into_iter().zip(entries) {
                assert_eq!(b, want_b);
                // The logged weights are rounded to 6 digits: sizes agree within 0.1%.
                assert!((size - want_size).abs() <= want_size * 1e-3, "{size} vs {want_size}");
            }
        }
    }

    #[test]
    fn registry_defaults_and_config() {
        let r = LeverageRegistry::new();
        for sym in ["BTC", "eth", "DOGE"] {
            assert_eq!(r.get(sym), &SymbolLadder::default());
            assert_eq!(r.get(sym).enabled_tiers(), [20, 25, 50, 75, 100, 125]);
        }
        assert_eq!(
            (r.symbols().count(), r.default_ladder()),
            (0, &SymbolLadder::default())
        );
        let json = r#"{"default": {"disabled_tiers": [10, 20]}, "symbols": {
            "btc": {"ladder": [10, 20, 50, 150], "weights": [0.0, 0.4, 0.4, 0.2]},
            "SOL": {"weights": [0.0, 0.2, 0.2, 0.2, 0.2, 0.2, 0.0], "disabled_tiers": []}}}"#;
        let cfg: LeverageConfig = serde_json::from_str(json).expect("valid config");
        let mut r = LeverageRegistry::from_config(&cfg).expect("valid registry");
        assert_eq!(r.get("BTC").ladder().tiers(), [10, 20, 50, 150]);
        assert_eq!(r.get("BTC").enabled_tiers(), [50, 150]);
        let sol = r.get("sol");
        assert_eq!(
            (sol.ladder().tiers(), sol.weights.get(125)),
            (&RUNTIME_LADDER[..], Some(0.0))
        );
        assert_eq!(sol.enabled_tiers().len(), 7);
        assert_eq!(r.get("ETH").enabled_tiers(), [25, 50, 75, 100, 125]);
        assert_eq!(r.symbols().collect::<Vec<_>>(), ["BTC", "SOL"]);
        r.insert("eth", SymbolLadder::default());
        assert_eq!(r.get("ETH").enabled_tiers().len(), 6);
    }

    #[test]
    fn registry_config_errors() {
        let build = |json: &str| {
            let cfg: LeverageConfig = serde_json::from_str(json).expect("parses");
            LeverageRegistry::from_config(&cfg)
        };
        let e = build(r#"{"symbols": {"BTC": {"ladder": [10, 20]}}}"#).expect_err("no weights");
        let want = LeverageError::Symbol("BTC".into(), Box::new(LeverageError::MissingWeights));
        assert_eq!(e, want);
        assert!(e.to_string().contains("BTC"));
        let e = build(r#"{"default": {"weights": [1.0]}}"#).expect_err("short weights");
        assert!(matches!(e, LeverageError::Symbol(ref s, _) if s == "default"));
        assert!(build(r#"{"symbols": {"X": {"ladder": [20, 10], "weights": [1, 1]}}}"#).is_err());
        assert!(build(r#"{"symbols": {"X": {"ladder": [10, 20, 25, 50, 75, 100, 125]}}}"#).is_ok());
        assert!(serde_json::from_str::<LeverageConfig>(r#"{"bogus": 1}"#).is_err());
        let dup = build(r#"{"symbols": {"BTC": {}, "btc": {}}}"#);
        assert_eq!(dup, Err(LeverageError::DuplicateSymbol("BTC".into())));
    }
}
