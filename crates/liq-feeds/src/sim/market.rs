//! The price model: one "fair" (index) price per symbol with regime-switching volatility,
//! self-exciting bursts after jumps and liquidation cascades, a market-wide factor that
//! correlates the symbols, and per-exchange prices that differ by a small mean-reverting basis;
//! the mark price follows each exchange's price through a short moving average, and funding
//! follows its slow premium.

use super::config::SymbolParams;
use super::rng::Rng;

/// Volatility multipliers of the market-wide regimes (calm, normal, stormy).
const REGIME_VOL: [f64; 3] = [0.55, 1.0, 2.2];
/// Mean time spent in each regime before switching, seconds.
const REGIME_STAY_S: [f64; 3] = [2400.0, 1800.0, 700.0];
/// Market-wide jumps per hour in the normal regime (scaled by the regime).
const JUMPS_PER_HOUR: f64 = 2.0;
/// Idiosyncratic jumps per hour per symbol.
const IDIO_JUMPS_PER_HOUR: f64 = 0.7;
/// Decay time of the excitation (volatility burst after a jump or cascade), seconds.
const EXCITE_DECAY_S: f64 = 600.0;
/// Mean-reversion time of log price to its start, seconds (30 days: keeps long runs bounded).
const ANCHOR_S: f64 = 30.0 * 86400.0;
/// Mean basis of Binance, Bybit, OKX against the index, and its noise and reversion time.
const BASIS_MEAN: [f64; 3] = [0.0, 0.6e-4, -0.5e-4];
const BASIS_NOISE: f64 = 2.5e-5;
const BASIS_REVERT_S: f64 = 30.0;
/// Time constants of the mark price's premium average and of funding's premium average, s.
const MARK_TAU_S: f64 = 3.0;
const FUNDING_TAU_S: f64 = 3600.0;
/// Largest log move of one step (a guard against runaway cascades).
const MAX_STEP_MOVE: f64 = 0.03;
const SECONDS_PER_YEAR: f64 = 365.0 * 86400.0;

/// State of one symbol's prices.
#[derive(Clone, Debug)]
pub struct SymbolMarket {
    /// Index ("fair") price.
    pub fair: f64,
    /// Fair price of the previous step.
    pub prev_fair: f64,
    log_anchor: f64,
    /// Base log-volatility per square-root second.
    sigma_s: f64,
    beta: f64,
    vol_ratio: f64,
    /// Volatility excitation (0 = none): multiplies volatility by `1 + excite`.
    pub excite: f64,
    /// Diffusive return of the last step in standard deviations (drives the taker imbalance).
    pub shock_z: f64,
    ema_log: f64,
    /// Pending log-price impact of forced orders, applied on the next step.
    pub impact: f64,
    basis: [f64; 3],
    /// Exchange prices (mid of the book).
    pub mid: [f64; 3],
    premium_fast: [f64; 3],
    premium_slow: [f64; 3],
    /// Mark prices.
    pub mark: [f64; 3],
    /// Current funding rates.
    pub funding: [f64; 3],
    /// Share of new positions that are long, before the trend's lean (wanders 0.35..0.69).
    pub sentiment: f64,
}

impl SymbolMarket {
    fn new(p: &SymbolParams) -> Self {
        let fair = p.start_price;
        SymbolMarket {
            fair,
            prev_fair: fair,
            log_anchor: fair.ln(),
            sigma_s: p.annual_vol / SECONDS_PER_YEAR.sqrt(),
            beta: p.beta.clamp(0.0, 1.0),
            vol_ratio: p.annual_vol / 0.55,
            excite: 0.0,
            shock_z: 0.0,
            ema_log: fair.ln(),
            impact: 0.0,
            basis: BASIS_MEAN,
            mid: BASIS_MEAN.map(|b| fair * b.exp()),
            premium_fast: BASIS_MEAN,
            premium_slow: BASIS_MEAN,
            mark: BASIS_MEAN.map(|b| fair * (1.0 + b)),
            funding: BASIS_MEAN.map(funding_of),
            sentiment: 0.52,
        }
    }

    /// Recent trend in standard deviations of a one-minute move (positive: rising).
    pub fn momentum_z(&self, regime_vol: f64) -> f64 {
        let sd = self.sigma_s * regime_vol * (1.0 + self.excite) * 60f64.sqrt();
        if sd > 0.0 {
            (self.fair.ln() - self.ema_log) / sd
        } else {
            0.0
        }
    }

    /// Standard deviation of a one-hour log move in the normal regime.
    pub fn hourly_sd(&self) -> f64 {
        self.sigma_s * 3600f64.sqrt()
    }
}

fn funding_of(premium: f64) -> f64 {
    (0.0001 + 1.5 * premium).clamp(-0.003, 0.003)
}

/// The price model of every symbol.
#[derive(Clone, Debug)]
pub struct Market {
    /// Per symbol, in configuration order.
    pub syms: Vec<SymbolMarket>,
    regime: usize,
    rng: Rng,
}

impl Market {
    /// Every symbol at its start price, in the normal regime.
    pub fn new(params: &[SymbolParams], rng: Rng) -> Self {
        Market {
            syms: params.iter().map(SymbolMarket::new).collect(),
            regime: 1,
            rng,
        }
    }

    /// Volatility multiplier of the current regime.
    pub fn regime_vol(&self) -> f64 {
        REGIME_VOL[self.regime]
    }

    /// Market activity of a symbol: scales volume and position flow (1 = normal, calm).
    pub fn activity(&self, sym: usize) -> f64 {
        self.regime_vol() * (1.0 + self.syms[sym].excite)
    }

    /// Advances every price by `dt` seconds.
    pub fn step(&mut self, dt: f64) {
        let r = &mut self.rng;
        if r.chance(dt / REGIME_STAY_S[self.regime]) {
            self.regime = match self.regime {
                0 => 1,
                2 => 1,
                _ => {
                    if r.chance(0.55) {
                        0
                    } else {
                        2
                    }
                }
            };
        }
        let rv = REGIME_VOL[self.regime];
        let zc = r.normal();
        let common_jump = if r.chance(JUMPS_PER_HOUR * rv * dt / 3600.0) {
            0.0035 * r.normal()
        } else {
            0.0
        };
        let sqdt = dt.sqrt();
        for s in &mut self.syms {
            let zi = r.normal();
            let z = s.beta * zc + (1.0 - s.beta * s.beta).sqrt() * zi;
            let mut jump = common_jump * s.beta * s.vol_ratio;
            if r.chance(IDIO_JUMPS_PER_HOUR * dt / 3600.0) {
                jump += 0.003 * s.vol_ratio * r.normal();
            }
            let vol = s.sigma_s * rv * (1.0 + s.excite);
            let diffusion = vol * sqdt * z;
            let revert = -(s.fair.ln() - s.log_anchor) * dt / ANCHOR_S;
            let ret = (diffusion + jump + s.impact + revert).clamp(-MAX_STEP_MOVE, MAX_STEP_MOVE);
            s.impact = 0.0;
            s.shock_z = z;
            s.prev_fair = s.fair;
            s.fair *= ret.exp();
            let decay = (-dt / EXCITE_DECAY_S).exp();
            s.excite = (s.excite * decay + 0.8 * jump.abs() / s.hourly_sd()).min(4.0);
            // Positioning mood: mean-reverting over about two hours.
            let x = s.sentiment - 0.52;
            s.sentiment =
                (0.52 + x * (1.0 - dt / 7200.0) + 0.0012 * sqdt * r.normal()).clamp(0.35, 0.69);
            let a = (dt / 60.0).min(1.0);
            s.ema_log += a * (s.fair.ln() - s.ema_log);
            let am = (dt / MARK_TAU_S).min(1.0);
            let af = (dt / FUNDING_TAU_S).min(1.0);
            let ab = (dt / BASIS_REVERT_S).min(1.0);
            for (e, mean) in BASIS_MEAN.iter().enumerate() {
                s.basis[e] += ab * (mean - s.basis[e]) + BASIS_NOISE * sqdt * r.normal();
                s.mid[e] = s.fair * s.basis[e].exp();
                let premium = s.mid[e] / s.fair - 1.0;
                s.premium_fast[e] += am * (premium - s.premium_fast[e]);
                s.premium_slow[e] += af * (premium - s.premium_slow[e]);
                s.mark[e] = s.fair * (1.0 + s.premium_fast[e]);
                s.funding[e] = funding_of(s.premium_slow[e]);
            }
        }
    }

    /// Adds the impact of forced orders on `sym`: `signed_usd` > 0 for forced buys (shorts
    /// liquidated). About 0.5 bp per million USD on BTC's scale, at most 0.4 % per step, and
    /// excitation.
    pub fn add_impact(&mut self, sym: usize, signed_usd: f64, depth_usd: f64) {
        let s = &mut self.syms[sym];
        let move_ = (signed_usd / depth_usd.max(1.0)) * 0.5e-4;
        s.impact = (s.impact + move_).clamp(-0.004, 0.004);
        s.excite = (s.excite + move_.abs() / s.hourly_sd()).min(4.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_stay_near_scale_and_exchanges_stay_close() {
        let params = [
            SymbolParams::preset("BTC", 90_000.0),
            SymbolParams::preset("ETH", 3_000.0),
        ];
        let mut m = Market::new(&params, Rng::new(3, 0));
        let (mut sx, mut sy, mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for _ in 0..36_000 {
            let (b0, e0) = (m.syms[0].fair, m.syms[1].fair);
            m.step(0.1);
            let x = (m.syms[0].fair / b0).ln();
            let y = (m.syms[1].fair / e0).ln();
            sx += x;
            sy += y;
            sxy += x * y;
            sxx += x * x;
            syy += y * y;
            let s = &m.syms[0];
            for e in 0..3 {
                assert!((s.mid[e] / s.fair - 1.0).abs() < 0.002);
                assert!((s.mark[e] / s.mid[e] - 1.0).abs() < 0.002);
            }
        }
        let n = 36_000.0;
        let corr = (sxy / n - sx * sy / n / n)
            / ((sxx / n - (sx / n).powi(2)).sqrt() * (syy / n - (sy / n).powi(2)).sqrt());
        assert!(corr > 0.5, "correlation {corr}");
        let btc = m.syms[0].fair;
        assert!(btc > 60_000.0 && btc < 130_000.0, "{btc}");
    }
}
