//! The zone lifecycle (zones_orderbook.md A6.2 to A6.6) and the [`ZoneSink`] the heatmap
//! drives.

use indexmap::IndexMap;

use crate::event::Side;
use crate::grid::py_round;
use crate::heatmap::zones::{ZoneSink, ZoneSource, ZoneSummary};
use crate::leverage::v3_tier_weight;

use super::records::ZoneRecord;
use super::zone::{Zone, ZoneOrigin};
use super::{
    CLUSTER_DISTANCE_PCT, EXPIRATION_PRICE_DIST_PCT, MAX_ZONE_AGE_MINUTES, MAX_ZONE_WEIGHT,
    MIN_ZONE_WEIGHT, Outcome, REINFORCEMENT_FACTOR, ZONE_DECAY_PER_MINUTE, ZoneManager,
};

/// Minutes between two times, 1 dp (the records' lifespans).
fn minutes(now: f64, then: f64) -> f64 {
    py_round((now - then) / 60.0, 1)
}

impl ZoneManager {
    /// A6.2: a contribution of `weight` (times the tier's weight and `confidence`) at `price`.
    /// A disabled tier is skipped; tier 0 counts as no tier.
    #[allow(clippy::too_many_arguments)]
    pub fn create_or_reinforce(
        &mut self,
        price: f64,
        side: Side,
        weight: f64,
        source: ZoneSource,
        tier: Option<u32>,
        confidence: f64,
        now: f64,
    ) -> Outcome {
        let tier = tier.filter(|t| *t != 0);
        if tier.is_some_and(|t| self.disabled.contains(t)) {
            return Outcome::Skipped;
        }
        let k = self.step.key(price);
        let tier_weight = tier.map_or(1.0, |t| v3_tier_weight(t, &self.disabled));
        let adjusted = weight * tier_weight * confidence;
        let origin = ZoneOrigin::of(source);
        if let Some(z) = self.zones.get_mut(&(side, k)) {
            let before = z.weight;
            z.add_capped(adjusted * REINFORCEMENT_FACTOR, origin, MAX_ZONE_WEIGHT);
            z.last_reinforced_at = now;
            z.reinforcement_count += 1;
            if let Some(t) = tier {
                z.contribute(t, adjusted);
            }
            if z.source != origin && z.source != ZoneOrigin::Combined {
                z.source = ZoneOrigin::Combined;
            }
            let rec = ZoneRecord::ZoneReinforced {
                ts: now,
                side,
                price: z.price,
                weight: py_round(z.weight, 4),
                source: z.source.as_str(),
                count: z.reinforcement_count,
                weight_before: py_round(before, 4),
            };
            self.counters.reinforced += 1;
            self.push(rec);
            return Outcome::Reinforced;
        }
        let w = if self.compat.uncapped_create {
            adjusted
        } else {
            adjusted.min(MAX_ZONE_WEIGHT)
        };
        let (observed, projected) = match origin {
            ZoneOrigin::Tape => (w, 0.0),
            _ => (0.0, w),
        };
        let mut tiers = IndexMap::new();
        if let Some(t) = tier {
            tiers.insert(t, adjusted);
        }
        let z = Zone {
            price: self.step.price(k),
            side,
            weight: w,
            observed,
            projected,
            created_at: now,
            last_reinforced_at: now,
            reinforcement_count: 0,
            source: origin,
            tier_contributions: tiers,
        };
        let rec = ZoneRecord::ZoneCreated {
            ts: now,
            side,
            price: z.price,
            weight: py_round(z.weight, 4),
            source: z.source.as_str(),
        };
        self.zones.insert((side, k), z);
        self.counters.created += 1;
        self.push(rec);
        Outcome::Created
    }

    /// A6.3: removes the zones the minute's range crossed (shorts at or below `high`, longs at
    /// or above `low`), in map order. A zero bound sweeps nothing unless `zones_z10`.
    pub fn sweep(&mut self, high: f64, low: f64, now: f64) -> Vec<Zone> {
        if !self.compat.no_zero_guard && (high <= 0.0 || low <= 0.0) {
            return Vec::new();
        }
        let step = self.step;
        let crossed: Vec<(Side, i64)> = self
            .zones
            .keys()
            .filter(|(side, k)| match side {
                Side::Short => high >= step.price(*k),
                Side::Long => low <= step.price(*k),
            })
            .copied()
            .collect();
        let mut out = Vec::with_capacity(crossed.len());
        for key in crossed {
            if let Some(z) = self.zones.shift_remove(&key) {
                let w = py_round(z.weight, 4);
                let rec = ZoneRecord::ZoneSwept {
                    ts: now,
                    side: z.side,
                    price: z.price,
                    weight: w,
                    source: z.source.as_str(),
                    final_weight: w,
                    lifespan_min: minutes(now, z.created_at),
                    reinforcement_count: z.reinforcement_count,
                };
                self.push(rec);
                out.push(z);
            }
        }
        self.counters.swept += out.len() as u64;
        out
    }

    /// A6.4: one decay step for every zone, then expiry: a weight under 0.05, or older than
    /// 240 minutes while price is more than 2 % away. Returns the number expired.
    pub fn apply_decay_and_expire(&mut self, current_price: f64, now: f64) -> u64 {
        if current_price != 0.0 && !current_price.is_nan() {
            self.current_price = current_price;
        }
        let cp = self.current_price;
        let mut expired: Vec<(Side, i64)> = Vec::new();
        let mut recs = Vec::new();
        for (key, z) in self.zones.iter_mut() {
            z.scale(ZONE_DECAY_PER_MINUTE);
            let age_min = (now - z.last_reinforced_at) / 60.0;
            let far = cp > 0.0 && (z.price - cp).abs() / cp > EXPIRATION_PRICE_DIST_PCT;
            if z.weight < MIN_ZONE_WEIGHT || (age_min > MAX_ZONE_AGE_MINUTES && far) {
                let w = py_round(z.weight, 4);
                recs.push(ZoneRecord::ZoneExpired {
                    ts: now,
                    side: z.side,
                    price: z.price,
                    weight: w,
                    source: z.source.as_str(),
                    final_weight: w,
                    lifespan_min: minutes(now, z.created_at),
                    age_since_reinforce_min: minutes(now, z.last_reinforced_at),
                });
                expired.push(*key);
            }
        }
        for key in &expired {
            self.zones.shift_remove(key);
        }
        for r in recs {
            self.push(r);
        }
        self.counters.expired += expired.len() as u64;
        expired.len() as u64
    }

    /// A6.5: an OI drop multiplies weights by `f`. Fixed (DECISIONS zones 6 and 9): only the
    /// projected part fades; `zones_z8` scales every zone whole.
    pub fn scale_weights(&mut self, f: f64) {
        for z in self.zones.values_mut() {
            if self.compat.scale_all || z.observed == 0.0 {
                z.scale(f);
            } else {
                z.projected *= f;
                z.weight = z.observed + z.projected;
            }
        }
    }

    /// A6.6: per side, neighbours (by price) within 0.05 % of their midpoint merge into the
    /// heavier one (the lower price on a tie); chains collapse. Returns the number of merges.
    pub fn merge_nearby_zones(&mut self, now: f64) -> u64 {
        let mut merges = 0;
        for side in [Side::Long, Side::Short] {
            let mut by_price: Vec<(f64, (Side, i64))> = self
                .zones
                .iter()
                .filter(|((s, _), _)| *s == side)
                .map(|(k, z)| (z.price, *k))
                .collect();
            // Stable: equal prices (off-grid loaded zones) keep map order.
            by_price.sort_by(|a, b| a.0.total_cmp(&b.0));
            let mut list: Vec<(Side, i64)> = by_price.into_iter().map(|(_, k)| k).collect();
            let mut i = 0;
            while i + 1 < list.len() {
                let (k1, k2) = (list[i], list[i + 1]);
                let (Some(z1), Some(z2)) = (self.zones.get(&k1), self.zones.get(&k2)) else {
                    break;
                };
                let mid = (z1.price + z2.price) / 2.0;
                let dist = (z1.price - z2.price).abs() / mid;
                if dist > CLUSTER_DISTANCE_PCT {
                    i += 1;
                    continue;
                }
                let (keep, other, gone) = if z1.weight >= z2.weight {
                    (k1, k2, i + 1)
                } else {
                    (k2, k1, i)
                };
                let Some(o) = self.zones.shift_remove(&other) else {
                    break;
                };
                list.remove(gone);
                let silent = self.compat.silent_merge;
                let Some(z) = self.zones.get_mut(&keep) else {
                    break;
                };
                let before = z.weight;
                z.observed += o.observed;
                z.projected += o.projected;
                let total = (z.weight + o.weight).min(MAX_ZONE_WEIGHT);
                if total == z.weight + o.weight {
                    z.weight = total;
                } else {
                    z.set_weight(total);
                }
                for (t, c) in &o.tier_contributions {
                    z.contribute(*t, *c);
                }
                if z.source != o.source {
                    z.source = ZoneOrigin::Combined;
                }
                if !silent {
                    z.last_reinforced_at = z.last_reinforced_at.max(o.last_reinforced_at);
                }
                let rec = (!silent).then(|| ZoneRecord::ZoneMerged {
                    ts: now,
                    side,
                    price: z.price,
                    weight: py_round(z.weight, 4),
                    source: z.source.as_str(),
                    absorbed_price: o.price,
                    kept_weight_before: py_round(before, 4),
                    absorbed_weight: py_round(o.weight, 4),
                });
                if let Some(r) = rec {
                    self.push(r);
                }
                merges += 1;
            }
        }
        self.counters.merged += merges;
        merges
    }
}

impl ZoneSink for ZoneManager {
    fn create_or_reinforce(
        &mut self,
        price: f64,
        side: Side,
        weight: f64,
        source: ZoneSource,
        tier: Option<u32>,
        confidence: f64,
        now: f64,
    ) {
        ZoneManager::create_or_reinforce(self, price, side, weight, source, tier, confidence, now);
    }

    fn sweep(&mut self, high: f64, low: f64, now: f64) {
        ZoneManager::sweep(self, high, low, now);
    }

    fn apply_decay_and_expire(&mut self, current_price: f64, now: f64) {
        ZoneManager::apply_decay_and_expire(self, current_price, now);
    }

    fn scale_weights(&mut self, factor: f64, _projected_only: bool) {
        ZoneManager::scale_weights(self, factor);
    }

    fn merge_nearby_zones(&mut self, now: f64) -> u64 {
        ZoneManager::merge_nearby_zones(self, now)
    }

    fn summary(&self) -> ZoneSummary {
        self.summary()
    }
}
