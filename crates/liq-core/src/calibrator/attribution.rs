//! Soft attribution of liquidations to leverage tiers (calibrator.md 5.1 to 5.3, 6.3).

use crate::event::Side;
use crate::grid::{half_even, py_round};
use crate::leverage::{calibrator_reference_price, implied_price};

use super::Calibrator;
use super::config::{
    DELTA_PCT_BASE, DIST_BAND_MID, DIST_BAND_NEAR, IMPLIED_BAND_MID, IMPLIED_BAND_NEAR,
    MAX_EVENT_PRICE_DEVIATION, TAU_PCT_BASE, VOL_BASELINE, VOL_EWMA_ALPHA, VOL_SCALE_MAX,
    VOL_SCALE_MIN,
};
use super::records::{CalibratorRecord, EventRecord, EventRejected, TierMap, TopResp, Ts};
use super::state::{ImpliedBand, SrcBand, SrcSource};

/// Left-to-right sum (Python's `sum`).
pub(crate) fn py_sum(values: impl IntoIterator<Item = f64>) -> f64 {
    values.into_iter().fold(0.0, |a, v| a + v)
}

/// The implied level of `tier` from reference `s` and buffer `b`: the one formula `1/L + b`,
/// or the calibrator's own `1/L + b + 0.01/L` under calibrator B4.
pub(crate) fn implied_level(s: f64, side: Side, tier: u32, b: f64, reference: bool) -> f64 {
    let long = side == Side::Long;
    if reference {
        calibrator_reference_price(s, long, tier, b)
    } else {
        implied_price(s, long, tier, b)
    }
}

/// Soft responsibilities of the ladder's tiers for a price (5.3).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Responsibilities {
    /// Implied level per tier.
    pub levels: Vec<f64>,
    /// `|p - level| / s` per tier (0 when `s <= 0`).
    pub dpct: Vec<f64>,
    /// Normalized responsibilities.
    pub r: Vec<f64>,
}

impl Responsibilities {
    /// Computes the responsibilities of `p` over `ladder` (uniform when every term vanishes).
    pub fn of(
        ladder: &[u32],
        p: f64,
        s: f64,
        b: f64,
        side: Side,
        tau: f64,
        reference: bool,
    ) -> Self {
        let levels: Vec<f64> = ladder
            .iter()
            .map(|&l| implied_level(s, side, l, b, reference))
            .collect();
        let dpct: Vec<f64> = levels
            .iter()
            .map(|lv| if s > 0.0 { (p - lv).abs() / s } else { 0.0 })
            .collect();
        let mut r: Vec<f64> = dpct.iter().map(|d| (-d / tau).exp()).collect();
        let sum = py_sum(r.iter().copied());
        if sum == 0.0 || !sum.is_finite() {
            r.fill(1.0 / ladder.len() as f64);
        } else {
            r.iter_mut().for_each(|x| *x /= sum);
        }
        Responsibilities { levels, dpct, r }
    }

    /// Index of the largest responsibility (first on ties).
    pub fn best(&self) -> usize {
        let mut best = 0;
        for (i, r) in self.r.iter().enumerate() {
            if *r > self.r[best] {
                best = i;
            }
        }
        best
    }

    /// Up to `n` indices by responsibility, descending, stable.
    pub fn top(&self, n: usize) -> Vec<usize> {
        let mut idx: Vec<usize> = (0..self.r.len()).collect();
        idx.sort_by(|a, b| self.r[*b].total_cmp(&self.r[*a]));
        idx.truncate(n);
        idx
    }
}

impl Calibrator {
    /// The volatility scale and the scaled `(tau, delta)`.
    pub(crate) fn vol_params(&self) -> (f64, f64, f64) {
        let scale = (self.vol_ewma / VOL_BASELINE).clamp(VOL_SCALE_MIN, VOL_SCALE_MAX);
        (scale, TAU_PCT_BASE * scale, DELTA_PCT_BASE * scale)
    }

    /// One EWMA step with the sample `ret`.
    pub(crate) fn vol_update(&mut self, ret: f64) {
        self.vol_ewma = (1.0 - VOL_EWMA_ALPHA) * self.vol_ewma + VOL_EWMA_ALPHA * ret;
    }

    /// The calibrator's bucket of a price (5.4), with the current steps and the constructor's
    /// decimals.
    fn bucket_price(&self, price: f64) -> f64 {
        py_round(half_even(price / self.steps) * self.steps, self.ndigits)
    }

    /// 6.3: attributes one event against the snapshot of its minute (or the newest earlier).
    pub(crate) fn process_event(&mut self, ev: &Event) {
        let Some(snap) = self.snapshot_for(ev.minute_key) else {
            self.drop_event(ev.minute_key);
            return;
        };
        let (s_used, source) = if ev.src > 0.0 {
            (ev.src, ev.source)
        } else {
            (snap.src, SrcSource::FallbackOhlc4)
        };
        let dist = if s_used > 0.0 {
            (ev.price - s_used).abs() / s_used
        } else {
            0.0
        };
        let insane = dist > MAX_EVENT_PRICE_DEVIATION;
        let insane_reason = insane.then(|| format!("price_deviation={:.1}%>max=15%", dist * 100.0));
        if let Some(reason) = &insane_reason {
            self.push(CalibratorRecord::EventRejected(EventRejected {
                timestamp: Ts(ev.timestamp),
                reason: "price_insane",
                detail: reason.clone(),
                event_price: py_round(ev.price, 2),
                src_price: py_round(s_used, 2),
                dist_pct: py_round(dist, 4),
                side: ev.side,
                notional: py_round(ev.notional, 2),
            }));
        }
        let band = if dist <= DIST_BAND_NEAR {
            SrcBand::Near
        } else if dist <= DIST_BAND_MID {
            SrcBand::Mid
        } else {
            SrcBand::Far
        };
        self.stats.band_counts[band as usize] += 1;
        let counts = &mut self.stats.sources;
        match source {
            SrcSource::Mark if !self.cfg.compat.b2_mark_counted_as_fallback => counts.mark += 1,
            SrcSource::Mid => counts.mid += 1,
            SrcSource::Last => counts.last += 1,
            _ => counts.fallback += 1,
        }
        if !insane {
            self.stats.window_high = self.stats.window_high.max(ev.price);
            self.stats.window_low = self.stats.window_low.min(ev.price);
        }
        let mut updates = band != SrcBand::Far && !insane;

        // Binary hit test against the side's zones (bucket distance, current steps).
        let zones = snap.zones(ev.side);
        let eb = self.bucket_price(ev.price);
        let tol = self.tolerance as f64;
        let (mut is_hit, mut hit_strength, mut min_distance) = (false, 0.0_f64, f64::INFINITY);
        // The zone nearest the raw price (first on ties), for the buffer direction (step 24).
        let mut nearest: Option<(f64, f64)> = None;
        for (z, strength) in zones {
            let db = (z - eb).abs() / self.steps;
            if db <= tol {
                is_hit = true;
                if *strength > hit_strength {
                    hit_strength = *strength;
                }
            }
            if db < min_distance {
                min_distance = db;
            }
            let d = (z - ev.price).abs();
            if nearest.is_none_or(|(_, nd)| d < nd) {
                nearest = Some((*z, d));
            }
        }
        let st = &mut self.stats;
        st.total_events += 1;
        if is_hit {
            st.hits += 1;
            st.total_hit_strength += hit_strength;
        } else {
            st.misses += 1;
            if min_distance.is_finite() || self.cfg.compat.b11_infinite_miss_total {
                st.total_miss_distance += min_distance;
                st.finite_misses += 1;
            }
            if updates && min_distance.is_finite() {
                st.miss_distances.push(min_distance);
            }
        }

        if self.cfg.compat.b7_vol_per_event {
            if self.last_src_price > 0.0 && s_used > 0.0 {
                let ret = (s_used - self.last_src_price).abs() / self.last_src_price;
                self.vol_update(ret);
            }
            self.last_src_price = s_used;
        }
        let (vol_scale, tau, delta) = self.vol_params();

        let reference = self.cfg.compat.b4_reference_offset;
        let resp = Responsibilities::of(
            &snap.ladder,
            ev.price,
            s_used,
            snap.buffer,
            ev.side,
            tau,
            reference,
        );
        let bias = match ev.side {
            Side::Long => self.bias_long,
            Side::Short => self.bias_short,
        };
        let best = resp.best();
        let best_tier = snap.ladder[best];
        let tier_disabled = self.cfg.disabled.contains(best_tier);
        if tier_disabled {
            updates = false;
        }
        if updates && min_distance.is_finite() {
            self.stats.event_distances.push(min_distance);
        }
        *self.stats.attributed.entry(best_tier).or_insert(0) += 1;

        // Identifiability: the tier nearest in percent (first on ties, as a stable sort) and the
        // gap to the second nearest.
        let (mut first, mut d1, mut d2) = (0usize, f64::INFINITY, f64::INFINITY);
        for (i, d) in resp.dpct.iter().enumerate() {
            if *d < d1 {
                (first, d2, d1) = (i, d1, *d);
            } else if *d < d2 {
                d2 = *d;
            }
        }
        let gap = if resp.dpct.len() > 1 { d2 - d1 } else { 0.0 };
        self.stats.ident_best_l.push(snap.ladder[first]);
        self.stats.ident_gap_pct.push(gap);
        self.stats.ident_resp_best.push(resp.r[best]);

        let ni_raw = resp.levels[best];
        let ni_corr = ni_raw + bias * s_used;
        let per = |x: f64| if s_used > 0.0 { x / s_used } else { 0.0 };
        let ni_dist = per((ev.price - ni_raw).abs());
        let implied_band = if ni_dist <= IMPLIED_BAND_NEAR {
            ImpliedBand::Near
        } else if ni_dist <= IMPLIED_BAND_MID {
            ImpliedBand::Mid
        } else {
            ImpliedBand::Far
        };
        self.stats.implied_band_counts[implied_band as usize] += 1;
        let miss_usd = ev.price - ni_corr;
        let miss_pct = per(miss_usd);

        if updates {
            for (i, &tier) in snap.ladder.iter().enumerate() {
                let r = resp.r[i];
                self.stats
                    .soft
                    .add(tier, r, r * (-resp.dpct[i] / delta).exp());
            }
            let (pcts, usds) = match ev.side {
                Side::Long => (&mut self.stats.long_miss_pct, &mut self.stats.long_offsets),
                Side::Short => (
                    &mut self.stats.short_miss_pct,
                    &mut self.stats.short_offsets,
                ),
            };
            pcts.push(miss_pct);
            usds.push(miss_usd);
        }
        if updates && let Some((n, _)) = nearest {
            let direction = (n - s_used).abs() - (ev.price - s_used).abs();
            self.stats.distance_directions.push(direction);
        }

        if !(self.cfg.log_events && self.cfg.logging) {
            return;
        }
        let offset = match ev.side {
            Side::Long => self.long_offset,
            Side::Short => self.short_offset,
        };
        let r2 = |x: f64| py_round(x, 2);
        let top3 = resp
            .top(3)
            .into_iter()
            .map(|i| TopResp {
                leverage: snap.ladder[i],
                responsibility: py_round(resp.r[i], 4),
                distance_usd: r2((ev.price - resp.levels[i]).abs()),
            })
            .collect();
        let corrected = resp.levels.iter().map(|l| r2(l + bias * s_used));
        let rec = EventRecord {
            timestamp: Ts(ev.timestamp),
            symbol: self.cfg.symbol.clone(),
            side: ev.side,
            event_price: r2(ev.price),
            event_src_price: r2(s_used),
            src_source: source.as_str(),
            snapshot_src: r2(snap.src),
            dist_pct_event: py_round(dist, 6),
            nearest_implied_dist_pct: py_round(ni_dist, 6),
            src_band: band.as_str(),
            implied_band: implied_band.as_str(),
            updates_calibration: updates,
            event_qty: py_round(ev.qty, 6),
            event_notional: r2(ev.notional),
            is_hit,
            hit_strength: is_hit.then(|| py_round(hit_strength, 4)),
            miss_distance_buckets: (!is_hit).then(|| r2(min_distance)),
            top_3_by_responsibility: top3,
            attributed_leverage: best_tier,
            nearest_implied_leverage_raw: best_tier,
            nearest_implied_raw: r2(ni_raw),
            nearest_implied_corrected: r2(ni_corr),
            miss_pct: py_round(miss_pct, 6),
            miss_usd: r2(miss_usd),
            bias_pct_long: py_round(self.bias_long, 6),
            bias_pct_short: py_round(self.bias_short, 6),
            bias_pct_applied: py_round(bias, 6),
            ladder: snap.ladder.clone(),
            implied_levels_raw: TierMap::new(&snap.ladder, resp.levels.iter().map(|l| r2(*l))),
            implied_levels_corrected: TierMap::new(&snap.ladder, corrected),
            top_predicted_zones: top_zones(zones, 5),
            current_weights: TierMap::new(
                &snap.ladder,
                snap.weights.iter().map(|w| py_round(*w, 4)),
            ),
            current_buffer: py_round(snap.buffer, 5),
            hit_bucket_tolerance: self.tolerance,
            tau_pct: py_round(tau, 6),
            delta_pct: py_round(delta, 6),
            vol_scale: py_round(vol_scale, 4),
            vol_ewma: py_round(self.vol_ewma, 6),
            price_insane: insane,
            price_insane_reason: insane_reason,
            offset_used_usd: r2(offset),
            offset_used_pct: py_round(per(offset), 6),
            tier_disabled,
        };
        self.push(CalibratorRecord::Event(Box::new(rec)));
    }
}

/// Up to `n` zones by strength, descending (stable), as `[price r2, strength r3]`: the first
/// `n` of a stable sort, selected in one pass (zones number in the hundreds, `n` is 5).
pub(crate) fn top_zones(zones: &[(f64, f64)], n: usize) -> Vec<(f64, f64)> {
    let mut top: Vec<(f64, f64)> = Vec::with_capacity(n + 1);
    for &(p, s) in zones {
        // After every element of `top` with a strength >= s (earlier ones win ties).
        let at = top.partition_point(|t| t.1.total_cmp(&s).is_ge());
        if at < n {
            top.insert(at, (p, s));
            top.truncate(n);
        }
    }
    top.into_iter()
        .map(|(p, s)| (py_round(p, 2), py_round(s, 3)))
        .collect()
}

/// A liquidation after input parsing (3.1).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Event {
    pub timestamp: f64,
    pub side: Side,
    pub price: f64,
    pub qty: f64,
    pub notional: f64,
    pub minute_key: i64,
    /// Event-time reference price (0 when none).
    pub src: f64,
    pub source: SrcSource,
}
