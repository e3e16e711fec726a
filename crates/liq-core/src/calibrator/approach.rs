//! Approach learning (calibrator.md 6.5) and the unreached-zone penalty (6.10).

use std::collections::{HashMap, HashSet};

use crate::event::Side;
use crate::grid::{half_even, py_round};
use crate::hash::FnvBuild;

use super::Calibrator;
use super::attribution::Responsibilities;
use super::config::{
    APPROACH_DIST_DECAY_D0, APPROACH_HIT_MULT, APPROACH_LEARN_PCT, APPROACH_TOP_K,
    DEPTH_WINDOW_BUCKETS, IMB_K, OI_SCALE, STRESS_WEIGHT_AGGRESSION, STRESS_WEIGHT_DEPTH,
    STRESS_WEIGHT_OI, UNREACHED_PENALTY,
};
use super::records::{
    ApproachSummary, CalibratorRecord, DepthDebug, SelectedZone, SkippedZone, StressBreakdown,
    TierMap, Ts,
};
use super::state::{MinuteCacheEntry, StoredSnapshot, ZoneMeta};

/// Integer bucket index of a zone (5.4).
pub(crate) fn zone_bucket_int(z: f64, steps: f64) -> i64 {
    half_even(z / steps) as i64
}

/// Sum and count of a depth band's values within `DEPTH_WINDOW_BUCKETS` steps of `z`.
fn depth_near(band: &[(f64, f64)], z: f64, steps: f64) -> (f64, u64) {
    let (lo, hi) = (
        z - DEPTH_WINDOW_BUCKETS * steps,
        z + DEPTH_WINDOW_BUCKETS * steps,
    );
    band.iter()
        .filter(|(k, _)| lo <= *k && *k <= hi)
        .fold((0.0, 0), |(s, n), (_, v)| (s + v, n + 1))
}

/// The stress of a zone (6.5.1) with its breakdown and depth diagnostics.
struct Stress {
    s: f64,
    aggression: f64,
    oi_fuel: f64,
    thinning: f64,
    depth: DepthDebug,
}

fn stress(z: f64, steps: f64, now: &MinuteCacheEntry, prev: Option<&MinuteCacheEntry>) -> Stress {
    let tot = now.buy + now.sell;
    let aggression = if tot > 1e-9 {
        let abs_imb = (now.buy - now.sell).abs() / tot;
        1.0 - (-abs_imb / IMB_K).exp()
    } else {
        0.0
    };
    let oi_fuel = 1.0 - (-now.oi_change.abs() / OI_SCALE).exp();
    let (depth_now, n_now) = depth_near(&now.depth_band, z, steps);
    let (depth_prev, n_prev) = prev.map_or((0.0, 0), |p| depth_near(&p.depth_band, z, steps));
    let thin_frac = if depth_prev > 1e-9 {
        (depth_prev - depth_now) / depth_prev
    } else {
        0.0
    };
    let thinning = if depth_prev > 1e-9 {
        thin_frac.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let s = (STRESS_WEIGHT_DEPTH * thinning
        + STRESS_WEIGHT_AGGRESSION * aggression
        + STRESS_WEIGHT_OI * oi_fuel)
        .clamp(0.0, 1.0);
    Stress {
        s,
        aggression,
        oi_fuel,
        thinning,
        depth: DepthDebug {
            depth_prev: py_round(depth_prev, 2),
            depth_now: py_round(depth_now, 2),
            thin_frac: py_round(thin_frac, 4),
            window: DEPTH_WINDOW_BUCKETS as u32,
            n_buckets_prev: n_prev,
            n_buckets_now: n_now,
        },
    }
}

struct Candidate {
    z: f64,
    side: Side,
    ad: f64,
    stress: Stress,
    s_eff: f64,
    resp: Responsibilities,
}

impl Calibrator {
    /// 6.5: zones within 0.35 % of the close get a stress score; the top 3 add weak credit.
    pub(crate) fn process_approach(
        &mut self,
        snap: &StoredSnapshot,
        now: &MinuteCacheEntry,
        prev: Option<&MinuteCacheEntry>,
    ) {
        if snap.ladder.is_empty() || self.weights.is_empty() || now.close <= 0.0 {
            return;
        }
        let close = now.close;
        let (_, tau, _) = self.vol_params();
        let reference = self.cfg.compat.b4_reference_offset;
        let mut candidates: Vec<Candidate> = Vec::new();
        let mut too_far = 0u64;
        for side in [Side::Long, Side::Short] {
            for (z, _) in snap.zones(side) {
                let ad = (close - z).abs() / close;
                if ad > APPROACH_LEARN_PCT {
                    too_far += 1;
                    continue;
                }
                self.stats
                    .reached_zones
                    .insert((zone_bucket_int(*z, snap.steps), side));
                let stress = stress(*z, snap.steps, now, prev);
                let s_eff = stress.s * (-ad / APPROACH_DIST_DECAY_D0).exp();
                let resp = Responsibilities::of(
                    &snap.ladder,
                    *z,
                    snap.src,
                    snap.buffer,
                    side,
                    tau,
                    reference,
                );
                candidates.push(Candidate {
                    z: *z,
                    side,
                    ad,
                    stress,
                    s_eff,
                    resp,
                });
            }
        }
        candidates.sort_by(|a, b| b.s_eff.total_cmp(&a.s_eff));
        let n_sel = candidates.len().min(APPROACH_TOP_K);
        for c in &candidates[..n_sel] {
            for (i, &tier) in snap.ladder.iter().enumerate() {
                let r = c.resp.r[i];
                self.stats
                    .soft
                    .add(tier, r, r * c.s_eff * APPROACH_HIT_MULT);
            }
            self.stats.approach_events += 1;
        }
        if !(self.cfg.log_events && self.cfg.logging) {
            return;
        }
        let selected = candidates[..n_sel]
            .iter()
            .map(|c| {
                let top = c.resp.top(3);
                SelectedZone {
                    zone_price: py_round(c.z, 2),
                    zone_side: c.side,
                    dist_pct: py_round(c.ad, 6),
                    s: py_round(c.stress.s, 4),
                    s_eff: py_round(c.s_eff, 4),
                    resp_top3: TierMap::new(
                        &top.iter().map(|i| snap.ladder[*i]).collect::<Vec<_>>(),
                        top.iter().map(|i| py_round(c.resp.r[*i], 4)),
                    ),
                    stress_breakdown: StressBreakdown {
                        aggression: py_round(c.stress.aggression, 4),
                        oi_fuel: py_round(c.stress.oi_fuel, 4),
                        depth_thinning: py_round(c.stress.thinning, 4),
                    },
                    depth_debug: c.stress.depth.clone(),
                }
            })
            .collect();
        let skipped: Vec<SkippedZone> = candidates
            .iter()
            .enumerate()
            .skip(n_sel)
            .map(|(rank, c)| SkippedZone {
                zone_price: py_round(c.z, 2),
                zone_side: c.side,
                s_eff: py_round(c.s_eff, 4),
                skip_reason: "not_in_top_k",
                rank: rank as u64 + 1,
            })
            .collect();
        let not_in_top_k = skipped.len() as u64;
        self.push(CalibratorRecord::ApproachMinuteSummary(Box::new(
            ApproachSummary {
                symbol: self.cfg.symbol.clone(),
                minute_key: snap.minute_key,
                timestamp: Ts(snap.timestamp),
                close: py_round(close, 2),
                approach_candidates: candidates.len() as u64,
                approach_used: n_sel as u64,
                approach_skipped: not_in_top_k + too_far,
                skip_reasons: super::records::SkipReasons {
                    not_in_top_k,
                    too_far_from_price: too_far,
                },
                selected_zones: selected,
                skipped_zones: skipped,
            },
        )));
    }

    /// The origin (3.4) of each key: `(src, buffer)` of the first snapshot of the window
    /// holding a zone with that key. Only zones priced near `[lo, hi]` can match, so the
    /// others are skipped before hashing.
    fn zone_origins(
        &self,
        keys: &[(i64, Side)],
        lo: f64,
        hi: f64,
    ) -> HashMap<(i64, Side), ZoneMeta, FnvBuild> {
        let mut out: HashMap<(i64, Side), ZoneMeta, FnvBuild> = HashMap::default();
        let wanted: HashSet<(i64, Side), FnvBuild> = keys.iter().copied().collect();
        for snap in &self.stats.window_snapshots {
            let margin = 2.0 * snap.steps;
            for side in [Side::Long, Side::Short] {
                for (z, _) in snap.zones(side) {
                    if *z < lo - margin || *z > hi + margin {
                        continue;
                    }
                    let key = (zone_bucket_int(*z, snap.steps), side);
                    if wanted.contains(&key) {
                        out.entry(key).or_insert(ZoneMeta {
                            origin_minute_key: snap.minute_key,
                            origin_src: snap.src,
                            origin_buffer: snap.buffer,
                            zone_price: *z,
                        });
                    }
                }
            }
            if out.len() == wanted.len() {
                break;
            }
        }
        out
    }

    /// 6.10: judged zones of the triggering snapshot that were never approached add negative
    /// credit, attributed with their origin snapshot's price and buffer. Returns the number
    /// of judged zones.
    pub(crate) fn unreached_penalty(&mut self, snap: &StoredSnapshot) -> u64 {
        let Some((lo, hi)) = self.stats.judged_range() else {
            return 0;
        };
        let (_, tau, _) = self.vol_params();
        let reference = self.cfg.compat.b4_reference_offset;
        let ladder = self.ladder.clone();
        let mut judged = 0;
        let mut penalized: Vec<(f64, Side, (i64, Side))> = Vec::new();
        for side in [Side::Long, Side::Short] {
            for (z, _) in snap.zones(side) {
                if !(lo <= *z && *z <= hi) {
                    continue;
                }
                judged += 1;
                let key = (zone_bucket_int(*z, snap.steps), side);
                if !self.stats.reached_zones.contains(&key) {
                    penalized.push((*z, side, key));
                }
            }
        }
        let keys: Vec<(i64, Side)> = penalized.iter().map(|p| p.2).collect();
        let origins = self.zone_origins(&keys, lo, hi);
        for (z, side, key) in penalized {
            let (s, b) = origins
                .get(&key)
                .map_or((snap.src, snap.buffer), |m| (m.origin_src, m.origin_buffer));
            let resp = Responsibilities::of(&ladder, z, s, b, side, tau, reference);
            for (i, &tier) in ladder.iter().enumerate() {
                let r = resp.r[i];
                self.stats.soft.add(tier, r, -UNREACHED_PENALTY * r);
            }
        }
        judged
    }
}
