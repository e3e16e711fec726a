//! The liquidation forecast (issue 11; spec/prediction_eval_v2.md): for each horizon `H` in
//! {15, 60, 240} minutes and each side, the probability that the next liquidated dollar of
//! that side within `H` minutes falls in each of 201 price cells (the 200 bins of 0.1 % around
//! the minute's reference price, and one cell for everything outside the band).
//!
//! The forecast is the frozen reach prior of protocol v2 (where price is likely to go: an
//! EWMA volatility and a Brownian barrier kernel, [`reach`]) multiplied by a liquidation mass
//! built from what the engine knows ([`mass`]), then renormalised:
//!
//! ```text
//! q_j = (1 - eps) * r_j * m_j / Σ_i r_i * m_i + eps / 201
//! ```
//!
//! Pure: time and prices enter as arguments; the same inputs give the same forecast.

pub mod mass;
pub mod reach;

#[cfg(test)]
mod tests;

use serde::Serialize;

pub use mass::{HorizonParams, MassInputs};
pub use reach::{CONSTANTS, HorizonConstants, Volatility};

/// Bins of the evaluation band (±100 bins of 0.1 % around the reference price).
pub const BAND_BINS: usize = 200;
/// Offset of bin 0 in a band vector (`position = bin + 100`).
pub const HALF: i64 = 100;
/// Cells per side: the 200 band bins and the outside cell.
pub const CELLS: usize = 201;
/// The outside cell (both directions pooled).
pub const OUTSIDE: usize = 200;
/// The forecast horizons, minutes.
pub const HORIZONS: [u32; 3] = [15, 60, 240];

/// A distribution (or weights) over the 201 cells.
pub type Dist = [f64; CELLS];
/// One side's values over the 200 band bins.
pub type BandVector = [f64; BAND_BINS];

/// The bin width `w = 0.001 * p` of the band around reference price `p`.
pub fn bin_width(p: f64) -> f64 {
    0.001 * p
}

/// `floor((x - p) / w)`, in the protocol's operation order.
pub fn band_bin(p: f64, x: f64) -> i64 {
    ((x - p) / bin_width(p)).floor() as i64
}

/// The cell of price `x` around `p`: its band bin + 100, or [`OUTSIDE`].
pub fn cell(p: f64, x: f64) -> usize {
    let b = band_bin(p, x);
    if (-HALF..HALF).contains(&b) {
        (b + HALF) as usize
    } else {
        OUTSIDE
    }
}

/// A side's `(price, value)` pairs summed per band bin around `p` in ascending price order
/// (prediction_eval.md section 5); pairs outside the band and values that are not finite and
/// positive are ignored.
pub fn band_vector(p: f64, pairs: &[(f64, f64)]) -> BandVector {
    let mut sorted: Vec<(f64, f64)> = pairs
        .iter()
        .copied()
        .filter(|(_, v)| v.is_finite() && *v > 0.0)
        .collect();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut v = [0.0; BAND_BINS];
    for (price, x) in sorted {
        let j = cell(p, price);
        if j < OUTSIDE {
            v[j] += x;
        }
    }
    v
}

/// The fitted parameters of the forecast, one set per horizon of [`HORIZONS`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ForecastParams {
    /// Per horizon 15, 60, 240.
    pub horizons: [HorizonParams; 3],
}

impl Default for ForecastParams {
    fn default() -> Self {
        ForecastParams {
            horizons: mass::DEFAULT_PARAMS,
        }
    }
}

/// One side's forecast at one horizon.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SideForecast {
    /// The forecast's probabilities of the 201 cells (sum 1, all positive).
    pub prob: Vec<f64>,
    /// The reach prior's probabilities of the same cells.
    pub prior: Vec<f64>,
}

/// Both sides' forecast at one horizon.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HorizonForecast {
    /// `H`, minutes.
    pub horizon: u32,
    /// Long positions' liquidations.
    pub long: SideForecast,
    /// Short positions' liquidations.
    pub short: SideForecast,
}

/// The forecast of one minute close.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Forecast {
    /// The closed minute.
    pub minute_key: i64,
    /// Reference price `p` of the band (the minute's `src`).
    pub price: f64,
    /// The minute's last trade price, the centre of the reach prior.
    pub close: f64,
    /// Bin width `0.001 * p`.
    pub bin_width: f64,
    /// Per horizon of [`HORIZONS`].
    pub horizons: Vec<HorizonForecast>,
}

impl Forecast {
    /// The forecast of horizon `h`, if it is one of [`HORIZONS`].
    pub fn horizon(&self, h: u32) -> Option<&HorizonForecast> {
        self.horizons.iter().find(|x| x.horizon == h)
    }
}

/// Observations of the volatility before the first forecast: with fewer the prior's width is
/// a guess (one return, or none: the 1e-5 floor), and a forecast would be overconfident.
pub const MIN_OBSERVATIONS: u64 = 30;

/// What a restart keeps of a [`Forecaster`]: its volatility trackers.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct ForecasterState {
    /// One tracker per half-life in use.
    pub vols: Vec<Volatility>,
}

/// The per-symbol forecaster: the volatility of the minute closes and the parameters.
#[derive(Clone, Debug)]
pub struct Forecaster {
    params: ForecastParams,
    /// One tracker per half-life in use, `(hl, tracker)`.
    vols: Vec<(f64, Volatility)>,
}

impl Default for Forecaster {
    fn default() -> Self {
        Forecaster::new(ForecastParams::default())
    }
}

impl Forecaster {
    /// A forecaster with no minute seen.
    pub fn new(params: ForecastParams) -> Self {
        let mut vols: Vec<(f64, Volatility)> = Vec::new();
        for k in &CONSTANTS {
            if !vols.iter().any(|(hl, _)| *hl == k.hl) {
                vols.push((k.hl, Volatility::new(k.hl)));
            }
        }
        Forecaster { params, vols }
    }

    /// The parameters.
    pub fn params(&self) -> &ForecastParams {
        &self.params
    }

    /// The state a restart keeps.
    pub fn export(&self) -> ForecasterState {
        ForecasterState {
            vols: self.vols.iter().map(|(_, v)| v.clone()).collect(),
        }
    }

    /// Takes back the trackers of a saved state whose half-life is in use (others are
    /// ignored, so a state from other constants cannot mislead).
    pub fn restore(&mut self, st: &ForecasterState) {
        for v in &st.vols {
            let hl = v.half_life();
            if let Some((_, slot)) = self
                .vols
                .iter_mut()
                .find(|(h, _)| (h - hl).abs() <= 1e-9 * h.abs())
            {
                *slot = v.clone();
            }
        }
    }

    /// Feeds a closed minute's last trade price (every minute, before [`Self::forecast`]).
    pub fn on_minute(&mut self, minute_key: i64, close: f64) {
        for (_, v) in &mut self.vols {
            v.update(minute_key, close);
        }
    }

    /// The volatility of half-life `hl` (the floor if `hl` is not in use).
    pub fn sigma(&self, hl: f64) -> f64 {
        self.vols
            .iter()
            .find(|(h, _)| *h == hl)
            .map_or(reach::SIGMA_FLOOR, |(_, v)| v.sigma())
    }

    /// The forecast of the minute just fed: reference price `p`, centre `close`, the engine's
    /// layers binned around `p`. `None` when `p` or `close` is not finite and positive, or
    /// before [`MIN_OBSERVATIONS`] returns.
    pub fn forecast(
        &self,
        minute_key: i64,
        p: f64,
        close: f64,
        inputs: &MassInputs,
    ) -> Option<Forecast> {
        if !(p.is_finite() && p > 0.0 && close.is_finite() && close > 0.0) {
            return None;
        }
        if self
            .vols
            .iter()
            .any(|(_, v)| v.observations() < MIN_OBSERVATIONS)
        {
            return None;
        }
        let horizons = CONSTANTS
            .iter()
            .zip(&self.params.horizons)
            .map(|(k, hp)| {
                let r = reach::reach_weights(p, close, self.sigma(k.hl), k);
                let side = |s: usize| SideForecast {
                    prob: mass::forecast_side(&r[s], inputs, s, hp, k.eps).to_vec(),
                    prior: reach::mix(&r[s], k.eps).to_vec(),
                };
                HorizonForecast {
                    horizon: k.horizon as u32,
                    long: side(0),
                    short: side(1),
                }
            })
            .collect();
        Some(Forecast {
            minute_key,
            price: p,
            close,
            bin_width: bin_width(p),
            horizons,
        })
    }
}
