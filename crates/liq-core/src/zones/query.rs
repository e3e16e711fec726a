//! What the API reads from the zone manager (zones_orderbook.md A6.7, api.md 5.12 to 5.14):
//! the active-zone list, the summary and the zone heatmap levels.

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::event::Side;
use crate::grid::py_round;
use crate::heatmap::zones::ZoneSummary;

use super::zone::Zone;
use super::{MIN_RELEVANT_CONTRIB, NOTIONAL_PER_WEIGHT, ZoneManager};

/// The leverage filter of the zone queries (absent or 0 = no bound).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LeverageFilter {
    /// Lowest tier counted.
    pub min_leverage: Option<u32>,
    /// Highest tier counted.
    pub max_leverage: Option<u32>,
}

impl LeverageFilter {
    /// Whether `z` passes: without bounds always; with a bound, its contributions of the tiers
    /// in range must sum to at least 0.01 (tier-less tape zones never pass).
    pub fn passes(&self, z: &Zone) -> bool {
        let lo = self.min_leverage.filter(|v| *v != 0);
        let hi = self.max_leverage.filter(|v| *v != 0);
        if lo.is_none() && hi.is_none() {
            return true;
        }
        let sum = z
            .tier_contributions
            .iter()
            .filter(|(t, _)| lo.is_none_or(|l| **t >= l) && hi.is_none_or(|h| **t <= h))
            .fold(0.0, |a, (_, c)| a + c);
        sum >= MIN_RELEVANT_CONTRIB
    }
}

/// Tier contributions rounded to 4 dp, printed as `{"50": 0.24}` in map order.
#[derive(Clone, Debug, PartialEq)]
pub struct Tiers(pub Vec<(u32, f64)>);

impl Serialize for Tiers {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (t, c) in &self.0 {
            m.serialize_entry(&t.to_string(), c)?;
        }
        m.end()
    }
}

/// One zone as the API renders it (api.md 5.12, key order).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ActiveZone {
    /// Bucket price.
    pub price: f64,
    /// Side.
    pub side: Side,
    /// Weight, 4 dp.
    pub weight: f64,
    /// Creation time, Unix ms, truncated.
    pub created_at: i64,
    /// Last reinforcement, Unix ms, truncated.
    pub last_reinforced_at: i64,
    /// Reinforcements.
    pub reinforcement_count: u64,
    /// Origin.
    pub source: &'static str,
    /// Contributions per tier, 4 dp.
    pub tier_contributions: Tiers,
}

impl ActiveZone {
    fn of(z: &Zone) -> Self {
        ActiveZone {
            price: z.price,
            side: z.side,
            weight: py_round(z.weight, 4),
            created_at: (z.created_at * 1000.0) as i64,
            last_reinforced_at: (z.last_reinforced_at * 1000.0) as i64,
            reinforcement_count: z.reinforcement_count,
            source: z.source.as_str(),
            tier_contributions: Tiers(
                z.tier_contributions
                    .iter()
                    .map(|(t, c)| (*t, py_round(*c, 4)))
                    .collect(),
            ),
        }
    }
}

/// One level of the zone heatmap (api.md 5.14, key order).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HeatmapLevel {
    /// Bucket price.
    pub price: f64,
    /// Weight, 4 dp.
    pub weight: f64,
    /// `weight x 100000`, 2 dp: an index, not USD (Z6).
    pub notional_usd: f64,
    /// Contributions per tier, 4 dp.
    pub tier_contributions: Tiers,
    /// Reinforcements.
    pub reinforcement_count: u64,
    /// Origin.
    pub source: &'static str,
    /// Creation time, Unix ms.
    pub created_at: i64,
    /// Last reinforcement, Unix ms.
    pub last_reinforced_at: i64,
}

impl ZoneManager {
    /// A6.7 `get_active_zones`: zones of `side` (`None`: both; a name other than `long` /
    /// `short` matches nothing) passing the leverage filter, rendered, sorted by rendered
    /// weight descending (stable). The API applies `min_weight` afterwards (seed rule 13).
    pub fn active_zones(&self, side: Option<&str>, filter: LeverageFilter) -> Vec<ActiveZone> {
        let mut out: Vec<ActiveZone> = self
            .zones
            .values()
            .filter(|z| side.is_none_or(|s| s == z.side.as_str()))
            .filter(|z| filter.passes(z))
            .map(ActiveZone::of)
            .collect();
        out.sort_by(|a, b| b.weight.total_cmp(&a.weight));
        out
    }

    /// A6.7 `get_summary`.
    pub fn summary(&self) -> ZoneSummary {
        let side_total = |side: Side| {
            let (n, w) = self
                .zones
                .iter()
                .filter(|((s, _), _)| *s == side)
                .fold((0u64, 0.0), |(n, w), (_, z)| (n + 1, w + z.weight));
            (n, py_round(w, 2))
        };
        let (nl, wl) = side_total(Side::Long);
        let (ns, ws) = side_total(Side::Short);
        ZoneSummary {
            active_zones_long: nl,
            active_zones_short: ns,
            total_weight_long: wl,
            total_weight_short: ws,
            zones_created_total: self.counters.created,
            zones_reinforced_total: self.counters.reinforced,
            zones_swept_total: self.counters.swept,
            zones_expired_total: self.counters.expired,
            zones_merged_total: self.counters.merged,
        }
    }

    /// api.md 5.14: the zone heatmap's `(long_levels, short_levels)`: the selected zones
    /// (leverage filter, `min_weight` on the rendered weight, `min_notional` on
    /// `weight x 100000`), each side sorted by weight descending.
    pub fn heatmap_levels(
        &self,
        filter: LeverageFilter,
        min_weight: Option<f64>,
        min_notional: f64,
    ) -> (Vec<HeatmapLevel>, Vec<HeatmapLevel>) {
        let (mut long, mut short) = (Vec::new(), Vec::new());
        for z in self.active_zones(None, filter) {
            if min_weight.is_some_and(|m| m > 0.0 && z.weight < m) {
                continue;
            }
            let est = z.weight * NOTIONAL_PER_WEIGHT;
            if min_notional > 0.0 && est < min_notional {
                continue;
            }
            let level = HeatmapLevel {
                price: z.price,
                weight: z.weight,
                notional_usd: py_round(est, 2),
                tier_contributions: z.tier_contributions,
                reinforcement_count: z.reinforcement_count,
                source: z.source,
                created_at: z.created_at,
                last_reinforced_at: z.last_reinforced_at,
            };
            match z.side {
                Side::Long => long.push(level),
                Side::Short => short.push(level),
            }
        }
        (long, short)
    }
}
