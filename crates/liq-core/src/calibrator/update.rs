//! The learning rules of a calibration run (calibrator.md section 7 steps 4 to 9 and 6.9):
//! weights, buffer, tolerance, bias and the legacy offsets. Pure functions of their inputs.

use crate::leverage::DisabledTiers;

use super::attribution::py_sum;
use super::config::{
    ANCHOR_LAMBDA, BIAS_CAP, BIAS_ETA, BUFFER_DEAD_BAND_STEPS, DRAIN_RATIO_CAP, EPS,
    MAX_OFFSET_PCT, MAX_OFFSET_USD, MID_LEV_THRESHOLD, MIN_BIAS_SAMPLES, MIN_BUFFER_SAMPLES,
    MIN_MASS_MID, MIN_OFFSET_SAMPLES, MIN_TOLERANCE_SAMPLES, OFFSET_FALLBACK_PRICE, OFFSET_LR,
    RATIO_CLAMP, WEIGHT_CAP,
};
use super::state::SoftStats;

/// Per-tier scores `(hits + alpha) / (totals + beta)` (step 4).
pub fn scores(ladder: &[u32], soft: &SoftStats, alpha: f64, beta: f64) -> Vec<f64> {
    ladder
        .iter()
        .map(|t| {
            let (total, hits) = soft.get(*t);
            (hits + alpha) / (total + beta)
        })
        .collect()
}

/// The multiplicative update with its stabilizers (step 5): ratio clamp, pre-anchoring cap,
/// anchoring, normalization, mid-mass floor, disabled tiers zeroed.
pub fn update_weights(
    ladder: &[u32],
    old: &[f64],
    scores: &[f64],
    learning_rate: f64,
    disabled: &DisabledTiers,
) -> Vec<f64> {
    let mean = py_sum(scores.iter().copied()) / scores.len() as f64;
    let mut w: Vec<f64> = old
        .iter()
        .zip(scores)
        .map(|(&o, &s)| {
            let mut p = o * (1.0 + learning_rate * (s - mean));
            if o > 0.0 {
                p = o * (p / o).clamp(RATIO_CLAMP.0, RATIO_CLAMP.1);
            }
            p = p.min(WEIGHT_CAP);
            (1.0 - ANCHOR_LAMBDA) * o + ANCHOR_LAMBDA * p
        })
        .collect();
    let sum = py_sum(w.iter().copied());
    if sum > 0.0 {
        w.iter_mut().for_each(|x| *x /= sum);
    }
    let mut w = mid_mass_floor(ladder, &w).weights;
    for (t, x) in ladder.iter().zip(w.iter_mut()) {
        if disabled.contains(*t) {
            *x = 0.0;
        }
    }
    let rest = py_sum(w.iter().copied());
    if rest > EPS {
        w.iter_mut().for_each(|x| *x /= rest);
    }
    w
}

/// What the mid-mass floor did (6.9).
#[derive(Clone, Debug, PartialEq)]
pub struct FloorOutcome {
    /// The weights after the floor.
    pub weights: Vec<f64>,
    /// Whether the mid mass was below the floor.
    pub triggered: bool,
    /// Mid mass before.
    pub mid_mass_before: f64,
    /// Mid mass after.
    pub mid_mass_after: f64,
    /// Tiers drained and how much (rounded to 6).
    pub drained: Vec<(u32, f64)>,
}

/// 6.9: moves mass from the high tiers to the tiers at or below 25x until those hold 25 %
/// (at most 90 % of the high mass), proportionally.
pub fn mid_mass_floor(ladder: &[u32], w: &[f64]) -> FloorOutcome {
    let unchanged = |m: f64, triggered: bool| FloorOutcome {
        weights: w.to_vec(),
        triggered,
        mid_mass_before: m,
        mid_mass_after: m,
        drained: Vec::new(),
    };
    if ladder.is_empty() || ladder.len() != w.len() {
        return unchanged(0.0, false);
    }
    let mid: Vec<usize> = (0..ladder.len())
        .filter(|i| ladder[*i] <= MID_LEV_THRESHOLD)
        .collect();
    let high: Vec<usize> = (0..ladder.len())
        .filter(|i| ladder[*i] > MID_LEV_THRESHOLD)
        .collect();
    if mid.is_empty() || high.is_empty() {
        return unchanged(0.0, false);
    }
    let m = py_sum(mid.iter().map(|i| w[*i]));
    if m >= MIN_MASS_MID {
        return unchanged(m, false);
    }
    let deficit = MIN_MASS_MID - m;
    let h = py_sum(high.iter().map(|i| w[*i]));
    if h <= EPS {
        return unchanged(m, true);
    }
    let ratio = (deficit / h).min(DRAIN_RATIO_CAP);
    let mut out = w.to_vec();
    let mut drained_total = 0.0;
    let mut drained = Vec::new();
    for &i in &high {
        let d = out[i] * ratio;
        out[i] -= d;
        drained_total += d;
        if d > EPS {
            drained.push((ladder[i], crate::grid::py_round(d, 6)));
        }
    }
    if drained_total > EPS {
        let ms = py_sum(mid.iter().map(|i| out[*i]));
        for &i in &mid {
            if ms > EPS {
                out[i] += drained_total * out[i] / ms;
            } else {
                out[i] += drained_total / mid.len() as f64;
            }
        }
    }
    let total = py_sum(out.iter().copied());
    if total > 0.0 {
        out.iter_mut().for_each(|x| *x /= total);
    }
    let after = py_sum(mid.iter().map(|i| out[*i]));
    FloorOutcome {
        weights: out,
        triggered: true,
        mid_mass_before: m,
        mid_mass_after: after,
        drained,
    }
}

/// Step 6: shrink the buffer when predictions sit farther from price than the prints, grow it
/// when nearer (dead band half a step), clamped.
pub fn tune_buffer(
    buffer: f64,
    directions: &[f64],
    steps: f64,
    lr: f64,
    min: f64,
    max: f64,
) -> f64 {
    if directions.len() < MIN_BUFFER_SAMPLES {
        return buffer;
    }
    let avg = py_sum(directions.iter().copied()) / directions.len() as f64;
    let mut b = buffer;
    if avg > BUFFER_DEAD_BAND_STEPS * steps {
        b *= 1.0 - lr;
    } else if avg < -BUFFER_DEAD_BAND_STEPS * steps {
        b *= 1.0 + lr;
    }
    b.clamp(min, max)
}

/// Element at index `floor(q * n)` of the sorted samples (clamped to the last).
pub fn quantile_pick(samples: &[f64], q: f64) -> Option<f64> {
    if samples.is_empty() {
        return None;
    }
    let mut s = samples.to_vec();
    s.sort_by(f64::total_cmp);
    let i = ((q * s.len() as f64).floor() as usize).min(s.len() - 1);
    Some(s[i])
}

/// Step 7: the hit tolerance in buckets. The reference (`truncating`) judges the misses'
/// p75 and truncates, so 4 can never grow and the shrink branch is unreachable (B3); the fix
/// judges every calibrating event's distance and rounds the step away from the current value.
#[allow(clippy::too_many_arguments)]
pub fn tune_tolerance(
    tol: i64,
    samples: &[f64],
    hit_rate: f64,
    lr: f64,
    min: i64,
    max: i64,
    truncating: bool,
) -> i64 {
    if samples.len() < MIN_TOLERANCE_SAMPLES {
        return tol;
    }
    let Some(p75) = quantile_pick(samples, 0.75) else {
        return tol;
    };
    let t = tol as f64;
    let new = if p75 > 1.5 * t {
        let grown = t * (1.0 + lr);
        if truncating {
            grown.trunc() as i64
        } else {
            (grown.ceil() as i64).max(tol + 1)
        }
    } else if p75 < 0.5 * t && hit_rate > 0.5 {
        let shrunk = t * (1.0 - lr * 0.5);
        if truncating {
            shrunk.trunc() as i64
        } else {
            (shrunk.floor() as i64).min(tol - 1)
        }
    } else {
        tol
    };
    new.clamp(min, max)
}

/// Result of a bias update for one side.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BiasStep {
    /// New bias.
    pub bias: f64,
    /// Samples seen.
    pub samples: usize,
    /// The median used, when there were enough samples.
    pub agg: Option<f64>,
}

/// Step 8: `b' = clamp(0.9 b + 0.1 median, ±0.8 %)` with at least 10 samples (B5: the samples
/// are residuals after the bias, so it converges to half the raw median).
pub fn update_bias(bias: f64, samples: &[f64]) -> BiasStep {
    if samples.len() < MIN_BIAS_SAMPLES {
        return BiasStep {
            bias,
            samples: samples.len(),
            agg: None,
        };
    }
    let agg = quantile_pick(samples, 0.5).unwrap_or(0.0);
    let b = ((1.0 - BIAS_ETA) * bias + BIAS_ETA * agg).clamp(-BIAS_CAP, BIAS_CAP);
    BiasStep {
        bias: b,
        samples: samples.len(),
        agg: Some(agg),
    }
}

/// Step 9: the legacy USD offset integrates half the median USD miss, clamped to
/// `min(0.5 % of price, 2000)`. Returns `(offset, clamped)`.
pub fn update_offset(offset: f64, samples: &[f64], src: f64) -> (f64, bool) {
    if samples.len() < MIN_OFFSET_SAMPLES {
        return (offset, false);
    }
    let price = if src > 0.0 {
        src
    } else {
        OFFSET_FALLBACK_PRICE
    };
    let cap = (price * MAX_OFFSET_PCT).min(MAX_OFFSET_USD);
    let o = offset + OFFSET_LR * quantile_pick(samples, 0.5).unwrap_or(0.0);
    if o.abs() > cap {
        (cap.copysign(o), true)
    } else {
        (o, false)
    }
}
