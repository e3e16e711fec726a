//! Weight-vector operations: the legacy `leverage_config.py` ladders, disabled-tier
//! enforcement, migration onto a new ladder and the enabled-tier entropy.

use serde::{Deserialize, Serialize};

use super::ladder::{DisabledTiers, Ladder, TierWeights};
use super::{WEIGHT_EPS, py_sum};

/// `leverage_config.py` ladders and raw weights: BTC, ETH, SOL, then every other symbol.
#[rustfmt::skip]
pub(super) const LEGACY: [(&str, &[u32], &[f64]); 4] = [
    ("BTC", &[5, 10, 20, 25, 50, 75, 100, 125, 150, 200, 250],
        &[1.0, 1.0, 0.9, 0.7, 0.35, 0.14, 0.08, 0.05, 0.03, 0.015, 0.008]),
    ("ETH", &[5, 10, 20, 25, 50, 75, 100, 125], &[1.0, 1.0, 0.9, 0.7, 0.35, 0.18, 0.10, 0.07]),
    ("SOL", &[5, 10, 20, 25, 50, 75], &[1.0, 1.0, 0.9, 0.7, 0.35, 0.18]),
    ("", &[5, 10, 20, 50, 75, 100], &[1.0, 1.0, 0.9, 0.5, 0.25, 0.10]),
];

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
