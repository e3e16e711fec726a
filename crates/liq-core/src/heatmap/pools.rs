//! Liquidity pools: raw USD clustered into price levels (heatmap.md 6.3 `cluster_zones`,
//! `normalize_pools`, `get_api_response[_display]`).

use serde::Serialize;

use super::combine::{COMBINED_SOURCE_EPS, COMBINED_ZONE_BOOST, Scales, merge_positive};
use super::records::{BoostExample, ClusterBoostStats};
use super::sides::{BucketMap, Sides};
use super::tape::MIN_BUCKET_USD;
use crate::event::Side;
use crate::grid::{BucketStep, py_round};

/// One pool (a V2 `long_levels`/`short_levels` element; key order of the snapshot).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Level {
    /// USD-weighted centre, 2 dp (or the step's decimals when finer).
    pub price: f64,
    /// Lowest bucket.
    pub price_low: f64,
    /// Highest bucket.
    pub price_high: f64,
    /// Raw weighted USD, 2 dp.
    pub notional_usd: f64,
    /// `py_round(sqrt(notional / max), 4)`, possibly display-boosted (not re-rounded).
    pub intensity: f64,
    /// Buckets in the pool.
    pub bucket_count: u64,
}

/// The `meta` object of a pools response (key order of the snapshot).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PoolsMeta {
    /// Tape weight.
    pub tape_weight: f64,
    /// Projection weight.
    pub projection_weight: f64,
    /// Force orders so far.
    pub force_orders_total: u64,
    /// Inferences so far.
    pub inferences_total: u64,
    /// Chaining radius.
    pub cluster_radius_pct: f64,
    /// The minimum notional reported (the argument if non-zero, else the config's: B9).
    pub min_notional_usd: f64,
    /// Long pools.
    pub long_pools_count: u64,
    /// Short pools.
    pub short_pools_count: u64,
    /// Long buckets in range before the $100 filter.
    pub raw_long_buckets: u64,
    /// Short buckets in range before the $100 filter.
    pub raw_short_buckets: u64,
}

/// A pools response (the head of the V2 snapshot).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Pools {
    /// Symbol.
    pub symbol: String,
    /// Assembly time.
    pub ts: f64,
    /// The centre price.
    pub price: f64,
    /// The band half-width.
    pub range_pct: f64,
    /// Long pools, notional descending.
    pub long_levels: Vec<Level>,
    /// Short pools, notional descending.
    pub short_levels: Vec<Level>,
    /// Counters.
    pub meta: PoolsMeta,
}

/// Parameters of one pools request.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PoolsRequest {
    /// Centre price (0: the engine's current price).
    pub center: f64,
    /// Band half-width as a fraction (0.10 for V2, 0.25 for the zone tracker).
    pub range_pct: f64,
    /// Minimum pool notional (`None`: the config's; `Some(0.0)` keeps every pool).
    pub min_notional: Option<f64>,
}

/// Chains the buckets (>= $100, ascending) into pools whose neighbours are at most `radius`
/// apart; keeps pools of at least `min_n` USD, sorted by rounded notional descending, at most
/// `max_pools`. Intensities are left at 0 (see [`normalize`]).
pub fn cluster(
    step: &BucketStep,
    zones: &BucketMap<f64>,
    radius: f64,
    min_n: f64,
    max_pools: usize,
) -> Vec<Level> {
    let mut b: Vec<(f64, f64)> = zones
        .iter()
        .filter(|(_, usd)| **usd >= MIN_BUCKET_USD)
        .map(|(k, usd)| (step.price(*k), *usd))
        .collect();
    b.sort_by(|x, y| x.0.total_cmp(&y.0));
    // The reference rounds the centre to 2 dp; a step finer than a cent keeps its own digits
    // (the same for BTC, ETH and SOL, whose steps have at most 2).
    let centre_digits = step.ndigits().max(2);
    let mut pools = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let mut j = i + 1;
        while j < b.len() && b[j].0 - b[j - 1].0 <= radius {
            j += 1;
        }
        let members = &b[i..j];
        let total: f64 = members.iter().map(|m| m.1).sum();
        if total >= min_n {
            let weighted: f64 = members.iter().map(|m| m.0 * m.1).sum();
            pools.push(Level {
                price: py_round(weighted / total, centre_digits),
                price_low: members[0].0,
                price_high: members[members.len() - 1].0,
                notional_usd: py_round(total, 2),
                intensity: 0.0,
                bucket_count: members.len() as u64,
            });
        }
        i = j;
    }
    pools.sort_by(|x, y| y.notional_usd.total_cmp(&x.notional_usd));
    pools.truncate(max_pools);
    pools
}

/// Square-root intensities relative to the largest pool of both sides.
pub fn normalize(long: &mut [Level], short: &mut [Level]) {
    let max = long
        .iter()
        .chain(short.iter())
        .map(|p| p.notional_usd)
        .fold(f64::NEG_INFINITY, f64::max);
    if max > 0.0 {
        for p in long.iter_mut().chain(short.iter_mut()) {
            p.intensity = py_round((p.notional_usd / max).sqrt(), 4);
        }
    }
}

/// Raw weighted USD per bucket: `tape*tw + proj*pw`, positive values only.
pub fn weighted_usd(tape: &Sides<f64>, proj: &Sides<f64>, tw: f64, pw: f64) -> Sides<f64> {
    merge_positive(tape, proj, |t, p| t * tw + p * pw)
}

/// Keeps long buckets in `[lo, center]` and short buckets in `[center, hi]`.
pub fn in_band(step: &BucketStep, w: &Sides<f64>, center: f64, range_pct: f64) -> Sides<f64> {
    let (lo, hi) = (center * (1.0 - range_pct), center * (1.0 + range_pct));
    let keep = |m: &BucketMap<f64>, a: f64, b: f64| {
        let mut out = BucketMap::with_capacity_and_hasher(m.len(), Default::default());
        out.extend(
            m.iter()
                .filter(|(k, _)| {
                    let p = step.price(**k);
                    a <= p && p <= b
                })
                .map(|(k, v)| (*k, *v)),
        );
        out
    };
    Sides {
        long: keep(&w.long, lo, center),
        short: keep(&w.short, center, hi),
    }
}

/// The display boost of pools (6.3 `get_api_response_display` 2-4): a level whose range holds
/// a present tape bucket and a present projection bucket of its side gets intensity ×1.5,
/// capped at 1 (not re-rounded). Returns the cluster statistics.
pub fn boost_levels(
    step: &BucketStep,
    r: &mut Pools,
    tape: &Sides<f64>,
    proj: &Sides<f64>,
    sc: &Scales,
) -> ClusterBoostStats {
    let present = |m: &BucketMap<f64>, scale: f64| {
        let mut v: Vec<f64> = m
            .iter()
            .filter(|(_, x)| (x.max(0.0) / scale).min(1.0) > COMBINED_SOURCE_EPS)
            .map(|(k, _)| step.price(*k))
            .collect();
        v.sort_by(f64::total_cmp);
        v
    };
    let lists = |side: Side| {
        (
            present(tape.side(side), sc.tape),
            present(proj.side(side), sc.proj),
        )
    };
    let (lt, lp) = lists(Side::Long);
    let (st_, sp) = lists(Side::Short);
    let any_in = |v: &[f64], a: f64, b: f64| {
        let i = v.partition_point(|x| *x < a);
        v.get(i).is_some_and(|x| *x <= b)
    };
    let mut stats = ClusterBoostStats::default();
    let (mut sum_b, mut sum_a) = (0.0, 0.0);
    for (side, levels, t, p) in [
        (Side::Long, &mut r.long_levels, &lt, &lp),
        (Side::Short, &mut r.short_levels, &st_, &sp),
    ] {
        for l in levels.iter_mut() {
            stats.cluster_total += 1;
            if any_in(t, l.price_low, l.price_high) && any_in(p, l.price_low, l.price_high) {
                stats.cluster_combined += 1;
                let before = l.intensity;
                let after = (before * COMBINED_ZONE_BOOST).min(1.0);
                l.intensity = after;
                sum_b += before;
                sum_a += after;
                if stats.example_boosted_clusters.len() < 3 {
                    stats.example_boosted_clusters.push(BoostExample {
                        price_low: l.price_low,
                        price_high: l.price_high,
                        side,
                        intensity_before: py_round(before, 4),
                        intensity_after: py_round(after, 4),
                    });
                }
            }
        }
    }
    if stats.cluster_total > 0 {
        stats.cluster_combined_pct = py_round(
            100.0 * stats.cluster_combined as f64 / stats.cluster_total as f64,
            2,
        );
    }
    if stats.cluster_combined > 0 {
        let n = stats.cluster_combined as f64;
        stats.avg_intensity_before = py_round(sum_b / n, 6);
        stats.avg_intensity_after = py_round(sum_a / n, 6);
    }
    stats
}
