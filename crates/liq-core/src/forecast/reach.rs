//! The distributions of protocol v2 (spec/prediction_eval_v2.md sections 2.5 to 2.7): the
//! EWMA volatility, the reach-only prior with its frozen constants, the direct rows and the
//! reach x mass construction of the pinned `reach-heatmap` row. The scorer (`audit backtest`)
//! and the forecast use this one implementation.

use std::f64::consts::FRAC_1_SQRT_2;

use super::{BandVector, CELLS, Dist, HALF, OUTSIDE, bin_width};

/// Frozen constants of one horizon (spec 2.5 for the prior, 2.6 for the direct rows,
/// DECISIONS.md "protocol v2" item 2 for `reach-heatmap`'s `g`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HorizonConstants {
    /// `H`, minutes.
    pub horizon: i64,
    /// EWMA half-life `hl` of the volatility, minutes.
    pub hl: f64,
    /// Reach width multiplier `ksig`.
    pub ksig: f64,
    /// Damping of the wrong direction for the side, `c_up`.
    pub c_up: f64,
    /// The prior's uniform mixing weight `eps` (also `reach-heatmap`'s).
    pub eps: f64,
    /// `eps` of `heatmap-direct` and `projection-direct`.
    pub eps_heat: f64,
    /// `eps` of `tape-direct`.
    pub eps_tape: f64,
    /// `g` of `reach-heatmap` (mass `1 + g * Heat`).
    pub g_heat: f64,
}

/// The constants of `prediction-eval-v2`, per horizon 15, 60, 240 (never refitted).
pub const CONSTANTS: [HorizonConstants; 3] = [
    HorizonConstants {
        horizon: 15,
        hl: 720.0,
        ksig: 4.0,
        c_up: 0.03,
        eps: 1e-6,
        eps_heat: 0.3,
        eps_tape: 0.7,
        g_heat: 0.1,
    },
    HorizonConstants {
        horizon: 60,
        hl: 720.0,
        ksig: 2.8,
        c_up: 0.1,
        eps: 1e-3,
        eps_heat: 0.3,
        eps_tape: 0.9,
        g_heat: 0.1,
    },
    HorizonConstants {
        horizon: 240,
        hl: 60.0,
        ksig: 2.0,
        c_up: 0.2,
        eps: 1e-4,
        eps_heat: 0.5,
        eps_tape: 0.9,
        g_heat: 0.01,
    },
];

/// The floor of `sigma` (per sqrt(minute)).
pub const SIGMA_FLOOR: f64 = 1e-5;

/// The EWMA volatility of minute closes for one half-life (spec 2.5 "Volatility"), fed one
/// minute line at a time.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Volatility {
    lam: f64,
    s: f64,
    wt: f64,
    prev: Option<(i64, f64)>,
    /// Observations so far (pairs of positive closes).
    #[serde(default)]
    n: u64,
}

impl Volatility {
    /// A tracker with half-life `hl` minutes and no observation.
    pub fn new(hl: f64) -> Self {
        Volatility {
            lam: 0.5f64.powf(1.0 / hl),
            s: 0.0,
            wt: 0.0,
            prev: None,
            n: 0,
        }
    }

    /// Observations so far.
    pub fn observations(&self) -> u64 {
        self.n
    }

    /// The half-life this tracker was built with, minutes.
    pub fn half_life(&self) -> f64 {
        1.0 / self.lam.log(0.5)
    }

    /// Feeds the next minute line (`minute_key`, its close): a pair of positive closes adds
    /// `ln(close / prev)^2 / gap` as one observation.
    pub fn update(&mut self, minute_key: i64, close: f64) {
        if let Some((pkey, pclose)) = self.prev
            && close > 0.0
            && pclose > 0.0
        {
            let gap = (minute_key - pkey).max(1) as f64;
            let r = (close / pclose).ln();
            self.s = self.lam * self.s + r * r / gap;
            self.wt = self.lam * self.wt + 1.0;
            self.n += 1;
        }
        self.prev = Some((minute_key, close));
    }

    /// `sigma` per sqrt(minute) after the lines fed so far, floored at [`SIGMA_FLOOR`].
    pub fn sigma(&self) -> f64 {
        if self.wt == 0.0 {
            SIGMA_FLOOR
        } else {
            (self.s / self.wt).sqrt().max(SIGMA_FLOOR)
        }
    }
}

/// `sigma(t)` after every line of `bars` (`(minute_key, close)` of every minute line in
/// file order), for half-life `hl` (spec 2.5 "Volatility").
pub fn sigmas(bars: &[(i64, f64)], hl: f64) -> Vec<f64> {
    let mut v = Volatility::new(hl);
    bars.iter()
        .map(|&(key, close)| {
            v.update(key, close);
            v.sigma()
        })
        .collect()
}

/// `erfc(d / (s sqrt 2))`, computed as the spec writes it.
fn kernel(d: f64, s: f64) -> f64 {
    libm::erfc(d * (FRAC_1_SQRT_2 / s))
}

/// The reach weights `r` of both sides `[long, short]` (spec 2.5 "Geometry" to
/// "Distribution", before normalisation): reference price `p`, centre `c = close_t`,
/// volatility `sigma`.
pub fn reach_weights(p: f64, c: f64, sigma: f64, k: &HorizonConstants) -> [Dist; 2] {
    let w = bin_width(p);
    let s = k.ksig * sigma * (k.horizon as f64).sqrt();
    // Side factors (long, short) for the directions down, none, up.
    let (down, none, up) = ((1.0, k.c_up), (1.0, 1.0), (k.c_up, 1.0));
    let mut r = [[0.0; CELLS]; 2];
    let [long, short] = &mut r;
    for (j, (rl, rs)) in long
        .iter_mut()
        .zip(short.iter_mut())
        .take(OUTSIDE)
        .enumerate()
    {
        let b = j as i64 - HALF;
        let lo = p + b as f64 * w;
        let hi = p + (b + 1) as f64 * w;
        let (d, f) = if lo > c {
            ((lo / c).ln(), up)
        } else if hi <= c {
            ((c / hi).ln(), down)
        } else {
            (0.0, none)
        };
        let kd = kernel(d, s);
        *rl = f.0 * kd;
        *rs = f.1 * kd;
    }
    let top = p + HALF as f64 * w;
    let bottom = p - HALF as f64 * w;
    let d_up = if top > c { (top / c).ln() } else { 0.0 };
    let d_dn = if bottom < c { (c / bottom).ln() } else { 0.0 };
    let (k_up, k_dn) = (kernel(d_up, s), kernel(d_dn, s));
    r[0][OUTSIDE] = up.0 * k_up + down.0 * k_dn;
    r[1][OUTSIDE] = up.1 * k_up + down.1 * k_dn;
    r
}

/// The all-zero rule (spec 2.6): uniform over the band, `eps / 201` outside.
pub fn band_uniform(eps: f64) -> Dist {
    let mut q = [(1.0 - eps) / 200.0 + eps / CELLS as f64; CELLS];
    q[OUTSIDE] = eps / CELLS as f64;
    q
}

/// `q_j = (1 - eps) r_j / Z + eps / 201` with `Z = Σ r` (ascending); the all-zero rule when
/// `Z` is not positive.
pub fn mix(r: &Dist, eps: f64) -> Dist {
    let z: f64 = r.iter().sum();
    if !(z > 0.0 && z.is_finite()) {
        return band_uniform(eps);
    }
    r.map(|x| (1.0 - eps) * x / z + eps / CELLS as f64)
}

/// A direct row (spec 2.6): the layer's band vector `v` itself, mixed with `eps`; nothing
/// outside the band but `eps / 201`.
pub fn direct(v: &BandVector, eps: f64) -> Dist {
    let total: f64 = v.iter().sum();
    if !(total > 0.0 && total.is_finite()) {
        return band_uniform(eps);
    }
    let mut q = [eps / CELLS as f64; CELLS];
    for (qj, vj) in q.iter_mut().zip(v) {
        *qj += (1.0 - eps) * vj / total;
    }
    q
}

/// A layer normalised to mean 1 over the 200 band bins (spec 2.7: `L_j = v_j / (V / 200)`,
/// all zero when `V = 0`; `L_200 = 0`).
pub fn mean_one(v: &BandVector) -> Dist {
    let total: f64 = v.iter().sum();
    let mut l = [0.0; CELLS];
    if total > 0.0 && total.is_finite() {
        let mean = total / 200.0;
        for (lj, vj) in l.iter_mut().zip(v) {
            *lj = vj / mean;
        }
    }
    l
}

/// Reach x mass (spec 2.7): `q_j = (1 - eps) r_j m_j / Σ r m + eps / 201` with
/// `m_j = 1 + Σ coef * L_j` over the given `(coef, L)` layers (`m_200 = 1`).
pub fn reach_mass(r: &Dist, layers: &[(f64, &Dist)], eps: f64) -> Dist {
    let mut rm = *r;
    for (j, x) in rm.iter_mut().enumerate() {
        let m = 1.0 + layers.iter().map(|(a, l)| a * l[j]).sum::<f64>();
        *x *= m;
    }
    mix(&rm, eps)
}
