//! The liquidation mass that reshapes the reach prior: what the engine knows about where
//! positions would be liquidated, as layers over the band, each normalised to mean 1 and
//! weighted by a fitted coefficient (`m_j = 1 + Σ coef * L_j`: the 1 is the floor, so a cell
//! the engine knows nothing about keeps the prior's probability). Outside the band the engine
//! sees nothing, so the outside cell gets each layer's mean, 1 (spec 2.7's example uses 0
//! there; the difference was below 0.001 nats on every shared replay).
//!
//! Every parameter is documented with its reason and measured effect in docs/ACCURACY.md.

use serde::Serialize;

use super::{BAND_BINS, BandVector, CELLS, Dist, OUTSIDE, reach};

/// The engine's layers of one minute, binned around the reference price, `[long, short]`.
#[derive(Clone, Debug, PartialEq)]
pub struct MassInputs {
    /// Projected liquidation notional (OI inference x calibrated leverage weights), USD.
    pub projection: [BandVector; 2],
    /// Active persistent zones' weights.
    pub zones: [BandVector; 2],
    /// Observed liquidations (the decayed tape), USD.
    pub tape: [BandVector; 2],
}

impl Default for MassInputs {
    fn default() -> Self {
        MassInputs {
            projection: [[0.0; BAND_BINS]; 2],
            zones: [[0.0; BAND_BINS]; 2],
            tape: [[0.0; BAND_BINS]; 2],
        }
    }
}

/// The forecast's own parameters at one horizon (fitted leaving one file out).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct HorizonParams {
    /// Coefficient of the projection layer.
    pub projection: f64,
    /// Coefficient of the zones layer.
    pub zones: f64,
    /// Coefficient of the tape layer.
    pub tape: f64,
    /// Gaussian blur of the layers, in bins (standard deviation; 0 = none): a projected
    /// level is an estimate, its liquidations spread around it.
    pub blur: f64,
    /// Exponent applied to each layer's values before normalising (1 = linear; below 1
    /// flattens the largest spikes).
    pub power: f64,
}

impl HorizonParams {
    /// No mass: the forecast is the reach prior.
    pub const PRIOR: HorizonParams = HorizonParams {
        projection: 0.0,
        zones: 0.0,
        tape: 0.0,
        blur: 0.0,
        power: 1.0,
    };
}

/// The default parameters per horizon 15, 60, 240: fitted on the six shared replays by
/// `audit forecast-fit` (objective `file-mean`), each input kept only where it improved the
/// pooled leave-one-file-out skill (docs/ACCURACY.md "Forecast"):
/// * `H = 15`: the active zones (0.3) with a little projection (0.02), blurred by 1 bin;
/// * `H = 60`: the projection (0.3) at exponent 0.25 (big projected levels flattened), blur 1;
/// * `H = 240`: nothing the engine knows improved on the prior out of sample: the prior alone.
pub const DEFAULT_PARAMS: [HorizonParams; 3] = [
    HorizonParams {
        projection: 0.02,
        zones: 0.3,
        tape: 0.0,
        blur: 1.0,
        power: 1.0,
    },
    HorizonParams {
        projection: 0.3,
        zones: 0.0,
        tape: 0.0,
        blur: 1.0,
        power: 0.25,
    },
    HorizonParams::PRIOR,
];

/// A layer ready to weight: `v^power`, blurred, normalised to mean 1 over the 200 band bins
/// (all zero stays all zero); the outside cell is 1 (the mean) when the layer is not empty.
pub fn prepare(v: &BandVector, blur: f64, power: f64) -> Dist {
    let mut x = [0.0; BAND_BINS];
    for (xj, vj) in x.iter_mut().zip(v) {
        if vj.is_finite() && *vj > 0.0 {
            *xj = if power == 1.0 { *vj } else { vj.powf(power) };
        }
    }
    let x = if blur > 0.0 {
        gaussian_blur(&x, blur)
    } else {
        x
    };
    let mut l = [0.0; CELLS];
    let total: f64 = x.iter().sum();
    if total > 0.0 && total.is_finite() {
        let mean = total / BAND_BINS as f64;
        for (lj, xj) in l.iter_mut().zip(&x) {
            *lj = xj / mean;
        }
        // Outside the band the engine sees nothing: the layer's mean, not its floor.
        l[OUTSIDE] = 1.0;
    }
    l
}

/// Gaussian smoothing with standard deviation `sd` bins, truncated at 3 sd; mass that would
/// leave the band is dropped (the layer is renormalised afterwards).
pub fn gaussian_blur(x: &BandVector, sd: f64) -> BandVector {
    let reach = (3.0 * sd).ceil() as i64;
    let kernel: Vec<f64> = (-reach..=reach)
        .map(|d| (-0.5 * (d as f64 / sd).powi(2)).exp())
        .collect();
    let mut out = [0.0; BAND_BINS];
    for (i, xi) in x.iter().enumerate() {
        if *xi == 0.0 {
            continue;
        }
        for (k, kw) in kernel.iter().enumerate() {
            let j = i as i64 + k as i64 - reach;
            if (0..BAND_BINS as i64).contains(&j) {
                out[j as usize] += xi * kw;
            }
        }
    }
    out
}

/// One side's forecast (`s` 0 = long, 1 = short): reach weights `r` times the mass of
/// `inputs` under `hp`, mixed with `eps` like the prior.
pub fn forecast_side(
    r: &Dist,
    inputs: &MassInputs,
    s: usize,
    hp: &HorizonParams,
    eps: f64,
) -> Dist {
    let mut layers: Vec<(f64, Dist)> = Vec::with_capacity(3);
    for (coef, v) in [
        (hp.projection, &inputs.projection[s]),
        (hp.zones, &inputs.zones[s]),
        (hp.tape, &inputs.tape[s]),
    ] {
        if coef != 0.0 {
            layers.push((coef, prepare(v, hp.blur, hp.power)));
        }
    }
    let mut rm = *r;
    for (j, x) in rm.iter_mut().enumerate() {
        let m = 1.0 + layers.iter().map(|(a, l)| a * l[j]).sum::<f64>();
        *x *= m;
    }
    reach::mix(&rm, eps)
}
