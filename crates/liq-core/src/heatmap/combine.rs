//! Combining tape and projections into 0..1 intensity maps (heatmap.md 6.2
//! `get_combined_heatmap[_display]`). The raw and the display variants are two functions:
//! the display boost must never reach the calibrator (seed rule 18).

use super::records::BucketBoostStats;
use super::sides::{BucketMap, Sides};
use crate::grid::py_round;

/// Display multiplier where tape and projection meet.
pub const COMBINED_ZONE_BOOST: f64 = 1.5;
/// A normalized source value above this counts as present.
pub const COMBINED_SOURCE_EPS: f64 = 1e-4;
/// Floor of a p99 scale.
pub const SCALE_FLOOR: f64 = 1e-9;

/// The 99th-percentile scale of the positive values (the max below 10 values; floor 1e-9).
pub fn p99_scale(values: impl Iterator<Item = f64>) -> f64 {
    p99_of_positive(values.filter(|v| *v > 0.0).collect())
}

/// [`p99_scale`] of values already filtered to the positive ones.
fn p99_of_positive(mut pos: Vec<f64>) -> f64 {
    if pos.is_empty() {
        return SCALE_FLOOR;
    }
    let n = pos.len();
    let rank = if n >= 10 {
        ((n as f64 * 0.99) as usize).min(n - 1)
    } else {
        n - 1
    };
    // The element of that rank in ascending order: a selection, not a full sort.
    let (_, s, _) = pos.select_nth_unstable_by(rank, f64::total_cmp);
    s.max(SCALE_FLOOR)
}

/// The scales and raw maxima of one combination (the `heatmap_balance` record's numbers).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scales {
    /// Tape p99 scale.
    pub tape: f64,
    /// Projection p99 scale.
    pub proj: f64,
    /// Largest tape value (0 when none).
    pub tape_max_raw: f64,
    /// Largest projection value (0 when none).
    pub proj_max_raw: f64,
}

impl Scales {
    /// Scales of both sources, each over both sides.
    pub fn of(tape: &Sides<f64>, proj: &Sides<f64>) -> Scales {
        let vals = |s: &Sides<f64>| {
            s.long
                .values()
                .chain(s.short.values())
                .copied()
                .collect::<Vec<f64>>()
        };
        let (t, p) = (vals(tape), vals(proj));
        Scales::from_values(|| t.iter().copied(), || p.iter().copied())
    }

    /// Scales from the values of each source (both sides), each clamped at 0; the values are
    /// iterated more than once.
    pub fn from_values<I, J>(tape: impl Fn() -> I, proj: impl Fn() -> J) -> Scales
    where
        I: Iterator<Item = f64>,
        J: Iterator<Item = f64>,
    {
        let t = || tape().map(|v| v.max(0.0));
        let p = || proj().map(|v| v.max(0.0));
        Scales {
            tape: p99_scale(t()),
            proj: p99_scale(p()),
            tape_max_raw: t().fold(0.0, f64::max),
            proj_max_raw: p().fold(0.0, f64::max),
        }
    }

    /// [`Scales::from_values`] from owned value lists, selecting in place (no copies).
    pub fn from_owned(tape: Vec<f64>, proj: Vec<f64>) -> Scales {
        let scale_and_max = |mut v: Vec<f64>| {
            let max = v.iter().fold(0.0, |m: f64, x| m.max(x.max(0.0)));
            v.retain(|x| *x > 0.0);
            (p99_of_positive(v), max)
        };
        let ((tape, tape_max_raw), (proj, proj_max_raw)) =
            (scale_and_max(tape), scale_and_max(proj));
        Scales {
            tape,
            proj,
            tape_max_raw,
            proj_max_raw,
        }
    }

    /// Normalized tape and projection values of one bucket.
    pub fn normalized(&self, tape: f64, proj: f64) -> (f64, f64) {
        (
            (tape.max(0.0) / self.tape).min(1.0),
            (proj.max(0.0) / self.proj).min(1.0),
        )
    }
}

/// The `heatmap_balance` numbers without building any map: the two scales and the largest raw
/// combined value, from the layers' own buckets (`tape_of`/`proj_of` read a bucket's USD).
pub fn balance<T, P>(
    tape: &Sides<T>,
    proj: &Sides<P>,
    tape_of: impl Fn(&T) -> f64,
    proj_of: impl Fn(&P) -> f64,
    tw: f64,
    pw: f64,
) -> (Scales, f64) {
    let tv = || tape.long.values().chain(tape.short.values()).map(&tape_of);
    let pv = || proj.long.values().chain(proj.short.values()).map(&proj_of);
    let sc = Scales::from_values(tv, pv);
    // The maximum over the union of keys: a tape key adds its projection (one lookup each);
    // for a projection-only key the value is `pn * pw`, and including the projection keys that
    // also hold tape cannot raise the maximum (their combined value is at least `pn * pw`), so
    // that part is `pw` times the largest normalized projection, without any lookup.
    let mut max: f64 = 0.0;
    for ((_, t), (_, p)) in tape.both().into_iter().zip(proj.both()) {
        for (k, b) in t {
            let (tn, pn) = sc.normalized(tape_of(b), p.get(k).map_or(0.0, &proj_of));
            max = max.max(tn * tw + pn * pw);
        }
    }
    let pn_max = (sc.proj_max_raw / sc.proj).min(1.0);
    if pv().next().is_some() {
        max = max.max(pn_max * pw);
    }
    (sc, max)
}

/// Per side, over the union of both maps' keys (tape keys first, in order), `f(tape, proj)`
/// with absent values as 0.0; only positive results are kept.
pub fn merge_positive(
    tape: &Sides<f64>,
    proj: &Sides<f64>,
    f: impl Fn(f64, f64) -> f64,
) -> Sides<f64> {
    let pairs = |s: &Sides<f64>| -> [Pairs; 2] {
        [&s.long, &s.short].map(|m| m.iter().map(|(k, v)| (*k, *v)).collect())
    };
    let [long, short] = merge_positive_lists(&pairs(tape), &pairs(proj), f);
    let to_map = |l: Pairs| {
        let mut m = BucketMap::with_capacity_and_hasher(l.len(), Default::default());
        m.extend(l);
        m
    };
    Sides {
        long: to_map(long),
        short: to_map(short),
    }
}

/// One side of a source as `(bucket key, value)` pairs in map order.
pub type Pairs = Vec<(i64, f64)>;

/// [`merge_positive`] on `(key, value)` lists `[long, short]` instead of maps: the same keys
/// in the same order with the same values. Both sources of a side are spread into dense
/// arrays over their key span (bucket keys of one symbol are a compact range), so the union
/// needs no hash lookups; a span far larger than the lists (a stray far-off bucket) falls
/// back to a hash map.
pub fn merge_positive_lists(
    tape: &[Pairs; 2],
    proj: &[Pairs; 2],
    f: impl Fn(f64, f64) -> f64,
) -> [Pairs; 2] {
    let mut out = [Vec::new(), Vec::new()];
    for i in 0..2 {
        let (t, p) = (&tape[i], &proj[i]);
        let (lo, hi) = t
            .iter()
            .chain(p)
            .fold((i64::MAX, i64::MIN), |(a, b), (k, _)| {
                (a.min(*k), b.max(*k))
            });
        let n = t.len() + p.len();
        let span = hi.checked_sub(lo).and_then(|d| usize::try_from(d).ok());
        out[i] = match span.filter(|d| n > 0 && *d <= 8 * n + 4096) {
            Some(d) => {
                let dense = |src: &Pairs| {
                    let mut v = vec![ABSENT; d + 1];
                    for (k, x) in src {
                        v[(k - lo) as usize] = *x;
                    }
                    v
                };
                let (a, b) = (dense(t), dense(p));
                merge_side(t, p, |k| a[(k - lo) as usize], |k| b[(k - lo) as usize], &f)
            }
            None => {
                type Sparse = std::collections::HashMap<i64, f64, crate::hash::FnvBuild>;
                let (a, b): (Sparse, Sparse) =
                    (t.iter().copied().collect(), p.iter().copied().collect());
                let get = |m: &Sparse, k: i64| m.get(&k).copied().unwrap_or(ABSENT);
                merge_side(t, p, |k| get(&a, k), |k| get(&b, k), &f)
            }
        };
    }
    out
}

/// Marks a key a source does not hold (values are positive).
const ABSENT: f64 = f64::NEG_INFINITY;

/// One side of [`merge_positive_lists`] with the sources' lookups.
fn merge_side(
    t: &Pairs,
    p: &Pairs,
    tv: impl Fn(i64) -> f64,
    pv: impl Fn(i64) -> f64,
    f: &impl Fn(f64, f64) -> f64,
) -> Pairs {
    let mut dst = Vec::with_capacity(t.len() + p.len());
    for (k, v) in t {
        let pk = pv(*k);
        let r = f(*v, if pk == ABSENT { 0.0 } else { pk });
        if r > 0.0 {
            dst.push((*k, r));
        }
    }
    for (k, v) in p {
        if tv(*k) == ABSENT {
            let r = f(0.0, *v);
            if r > 0.0 {
                dst.push((*k, r));
            }
        }
    }
    dst
}

/// [`combined_raw`] on `(key, value)` lists `[long, short]` (see [`merge_positive_lists`]).
pub fn combined_raw_lists(tape: &[Pairs; 2], proj: &[Pairs; 2], tw: f64, pw: f64) -> [Pairs; 2] {
    let vals = |s: &[Pairs; 2]| s.iter().flatten().map(|(_, v)| *v).collect::<Vec<f64>>();
    let sc = Scales::from_owned(vals(tape), vals(proj));
    merge_positive_lists(tape, proj, |t, p| {
        let (tn, pn) = sc.normalized(t, p);
        tn * tw + pn * pw
    })
}

/// The RAW combined map: per source p99-normalized and clipped, `tape*tw + proj*pw`, positive
/// values only.
pub fn combined_raw(
    tape: &Sides<f64>,
    proj: &Sides<f64>,
    tw: f64,
    pw: f64,
) -> (Sides<f64>, Scales) {
    let sc = Scales::of(tape, proj);
    let out = merge_positive(tape, proj, |t, p| {
        let (tn, pn) = sc.normalized(t, p);
        tn * tw + pn * pw
    });
    (out, sc)
}

/// The DISPLAY combined map: the raw map, with buckets where both sources are present boosted
/// ×1.5 (capped at 1.0); also the bucket-level boost statistics.
pub fn combined_display(
    tape: &Sides<f64>,
    proj: &Sides<f64>,
    tw: f64,
    pw: f64,
    step: f64,
) -> (Sides<f64>, Scales, BucketBoostStats) {
    let (mut out, sc) = combined_raw(tape, proj, tw, pw);
    let mut st = BucketBoostStats {
        boost_factor: COMBINED_ZONE_BOOST,
        step_size: step,
        ..BucketBoostStats::default()
    };
    let (mut sum_before, mut sum_after) = (0.0, 0.0);
    let mut tape_present: Vec<i64> = Vec::new();
    let mut proj_present: Vec<i64> = Vec::new();
    for (side, t) in tape.both() {
        let p = proj.side(side);
        for (k, v) in out.side_mut(side).iter_mut() {
            st.total_buckets += 1;
            let (tn, pn) = sc.normalized(
                t.get(k).copied().unwrap_or(0.0),
                p.get(k).copied().unwrap_or(0.0),
            );
            let (has_t, has_p) = (tn > COMBINED_SOURCE_EPS, pn > COMBINED_SOURCE_EPS);
            if has_t {
                tape_present.push(*k);
            }
            if has_p {
                proj_present.push(*k);
            }
            if has_t && has_p {
                let before = *v;
                let after = (before * COMBINED_ZONE_BOOST).min(1.0);
                st.boosted_buckets += 1;
                sum_before += before;
                sum_after += after;
                if before * COMBINED_ZONE_BOOST > 1.0 {
                    st.clamped_buckets += 1;
                }
                *v = after;
            }
        }
    }
    st.tape_nonzero_buckets = tape_present.len() as u64;
    st.inf_nonzero_buckets = proj_present.len() as u64;
    st.exact_overlap_buckets = st.boosted_buckets;
    if st.total_buckets > 0 {
        st.boosted_pct = py_round(
            100.0 * st.boosted_buckets as f64 / st.total_buckets as f64,
            2,
        );
    }
    if st.boosted_buckets > 0 {
        let b = st.boosted_buckets as f64;
        st.clamped_pct = py_round(100.0 * st.clamped_buckets as f64 / b, 2);
        st.avg_before_boost = py_round(sum_before / b, 6);
        st.avg_after_boost = py_round(sum_after / b, 6);
    }
    near_overlap(&mut st, &tape_present, proj_present, step);
    (out, sc, st)
}

/// Distances from each tape-present bucket to the nearest projection-present bucket.
fn near_overlap(st: &mut BucketBoostStats, tape: &[i64], mut proj: Vec<i64>, step: f64) {
    proj.sort_unstable();
    proj.dedup();
    if proj.is_empty() || tape.is_empty() {
        return;
    }
    // Distances in steps are integers: exact sums, like Python's exact mean and median.
    let mut d: Vec<i64> = tape
        .iter()
        .map(|k| {
            let i = proj.partition_point(|p| p < k);
            let after = proj.get(i).map(|p| p - k);
            let before = i.checked_sub(1).map(|j| k - proj[j]);
            after.into_iter().chain(before).min().unwrap_or(0)
        })
        .collect();
    st.near_overlap_1step = d.iter().filter(|x| **x <= 1).count() as u64;
    st.near_overlap_2step = d.iter().filter(|x| **x <= 2).count() as u64;
    let n = d.len();
    let sum: i64 = d.iter().sum();
    st.min_distance_avg = py_round(sum as f64 * step / n as f64, 4);
    d.sort_unstable();
    let median = if n % 2 == 1 {
        d[n / 2] as f64 * step
    } else {
        (d[n / 2 - 1] + d[n / 2]) as f64 * step / 2.0
    };
    st.min_distance_median = py_round(median, 4);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p99_vectors() {
        let v = |xs: &[f64]| p99_scale(xs.iter().copied());
        assert_eq!(v(&[]), 1e-9);
        assert_eq!(v(&[0.0, 0.0]), 1e-9);
        assert_eq!(v(&[5.0]), 5.0);
        let r = |n: usize| (1..=n).map(|i| i as f64).collect::<Vec<_>>();
        assert_eq!(v(&r(10)), 10.0);
        assert_eq!(v(&r(100)), 100.0);
        assert_eq!(v(&r(200)), 199.0);
        let mut ones = vec![1.0; 10];
        ones.push(1000.0);
        assert_eq!(v(&ones), 1000.0);
        assert_eq!(v(&[-5.0, 3.0, 0.0, 7.0]), 7.0);
    }
}
