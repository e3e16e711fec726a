//! Safety checks after a calibration run (calibrator.md section 7 steps 13 to 16).

use crate::leverage::{DisabledTiers, enabled_entropy};

use super::config::{
    EPS, SAFETY_CONSECUTIVE_BOUNDS_TRIP, SAFETY_CONSECUTIVE_CLAMP_TRIP,
    SAFETY_CONSECUTIVE_ENTROPY_TRIP, SAFETY_ENTROPY_FRACTION, SAFETY_ENTROPY_MIN,
};

/// Consecutive-calibration counters of the kill switches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SafetyCounters {
    /// Runs with entropy below the threshold.
    pub low_entropy: u32,
    /// Runs with the largest weight at the cap.
    pub max_weight_cap: u32,
    /// Runs with the buffer at a bound.
    pub buffer_at_bounds: u32,
    /// Runs with the tolerance at a bound.
    pub tolerance_at_bounds: u32,
}

/// The entropy below which a run counts as collapsed: 1.6 nats in the reference (B1, which the
/// default weights already are), else `0.85 ln(n_enabled)` (DECISIONS Calibrator 2). The fixed
/// check also requires that the run's own update lowered the entropy: weights the engine
/// concentrated (its tape learning) are not the calibrator's collapse, and stopping the
/// calibrator would only remove their counterweight.
pub fn entropy_threshold(ladder: &[u32], disabled: &DisabledTiers, reference: bool) -> f64 {
    if reference {
        return SAFETY_ENTROPY_MIN;
    }
    let n = ladder.iter().filter(|t| !disabled.contains(**t)).count();
    if n < 2 {
        // One enabled tier has entropy 0 by construction: nothing to protect.
        return 0.0;
    }
    SAFETY_ENTROPY_FRACTION * (n as f64).ln()
}

/// Entropy over every weight above 1e-9 (the logged `safety.entropy`, B15).
pub fn all_tier_entropy(w: &[f64]) -> f64 {
    -w.iter()
        .filter(|x| **x > EPS)
        .fold(0.0, |acc, p| acc + p * p.ln())
}

/// The inputs of one safety check.
pub struct SafetyInput<'a> {
    /// Ladder.
    pub ladder: &'a [u32],
    /// Proposed weights.
    pub weights: &'a [f64],
    /// Proposed buffer.
    pub buffer: f64,
    /// Proposed tolerance.
    pub tolerance: i64,
    /// Constructor `max_weight`.
    pub max_weight: f64,
    /// Buffer bounds.
    pub buffer_bounds: (f64, f64),
    /// Tolerance bounds.
    pub tolerance_bounds: (i64, i64),
    /// Disabled tiers.
    pub disabled: &'a DisabledTiers,
    /// Calibrator B1.
    pub reference_threshold: bool,
    /// Enabled-tier entropy of the weights the engine handed in.
    pub old_entropy: f64,
    /// Largest weight the engine handed in (before this run's update).
    pub old_max_weight: f64,
    /// Calibrator B14: any largest weight at the cap trips the switch, also one the engine
    /// handed in (fixed: only a run that raised the largest weight into the cap counts).
    pub engine_weights_trip: bool,
    /// Calibrator B3: a tolerance pinned at a bound trips the switch (fixed: it is reported but
    /// cannot stop weight learning, which the tolerance never reaches).
    pub tolerance_trips: bool,
}

/// Outcome: the enabled-tier entropy, the updated counters and the trip reason, if any.
pub struct SafetyOutcome {
    /// Enabled-tier entropy of the proposal.
    pub entropy: f64,
    /// Counters after this run.
    pub counters: SafetyCounters,
    /// First matching trip reason.
    pub reason: Option<String>,
}

/// Steps 13 to 15: update the counters and decide whether calibration must stop.
pub fn check(prev: SafetyCounters, inp: &SafetyInput<'_>) -> SafetyOutcome {
    let h = enabled_entropy(inp.ladder, inp.weights, inp.disabled);
    let threshold = entropy_threshold(inp.ladder, inp.disabled, inp.reference_threshold);
    let max_w = inp
        .weights
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max);
    let bump = |hit: bool, n: u32| if hit { n + 1 } else { 0 };
    let (bmin, bmax) = inp.buffer_bounds;
    let (tmin, tmax) = inp.tolerance_bounds;
    let c = SafetyCounters {
        low_entropy: bump(
            h < threshold && (inp.reference_threshold || h < inp.old_entropy),
            prev.low_entropy,
        ),
        max_weight_cap: bump(
            max_w >= inp.max_weight - 0.01
                && (inp.engine_weights_trip || max_w > inp.old_max_weight),
            prev.max_weight_cap,
        ),
        buffer_at_bounds: bump(
            (inp.buffer - bmin).abs() < 1e-6 || (inp.buffer - bmax).abs() < 1e-6,
            prev.buffer_at_bounds,
        ),
        tolerance_at_bounds: bump(
            inp.tolerance <= tmin || inp.tolerance >= tmax,
            prev.tolerance_at_bounds,
        ),
    };
    let reason = if c.low_entropy >= SAFETY_CONSECUTIVE_ENTROPY_TRIP {
        Some(format!(
            "entropy_collapse: H={h:.3} < {} for {} cycles",
            fmt_threshold(threshold),
            c.low_entropy
        ))
    } else if c.max_weight_cap >= SAFETY_CONSECUTIVE_CLAMP_TRIP {
        Some(format!(
            "max_weight_cap: max_w={max_w:.4} at cap for {} cycles",
            c.max_weight_cap
        ))
    } else if c.buffer_at_bounds >= SAFETY_CONSECUTIVE_BOUNDS_TRIP
        || (inp.tolerance_trips && c.tolerance_at_bounds >= SAFETY_CONSECUTIVE_BOUNDS_TRIP)
    {
        let mut parts = Vec::new();
        if c.buffer_at_bounds >= SAFETY_CONSECUTIVE_BOUNDS_TRIP {
            parts.push(format!("buffer_at_bounds={}", c.buffer_at_bounds));
        }
        if inp.tolerance_trips && c.tolerance_at_bounds >= SAFETY_CONSECUTIVE_BOUNDS_TRIP {
            parts.push(format!("tolerance_at_bounds={}", c.tolerance_at_bounds));
        }
        Some(format!("bounds_pinned: {}", parts.join(", ")))
    } else {
        None
    };
    SafetyOutcome {
        entropy: h,
        counters: c,
        reason,
    }
}

/// The threshold as the reference prints it (`1.6`), else with 3 decimals.
fn fmt_threshold(t: f64) -> String {
    if t == SAFETY_ENTROPY_MIN {
        "1.6".to_string()
    } else {
        format!("{t:.3}")
    }
}
