//! V1 snapshot numerics (`spec/heatmap.md` 7.2): 5-tap smoothing and p50/p95 normalization.
//!
//! Pure functions over the raw display-intensity arrays read off the V1 grid.

use crate::grid::py_round;

/// Smoothing kernel of the V1 snapshot, centred on index 2.
pub const KERNEL: [f64; 5] = [0.1, 0.2, 0.4, 0.2, 0.1];

/// Values below this normalized level are shown as 0.
pub const NORM_FLOOR: f64 = 0.1;

/// `s[i] = Σ w_j·a[i−2+j] / Σ w_j` over in-range indices (edges renormalize), both sums from 0.0
/// in index order; arrays shorter than 5 come back unchanged.
pub fn smooth(a: &[f64]) -> Vec<f64> {
    if a.len() < KERNEL.len() {
        return a.to_vec();
    }
    (0..a.len())
        .map(|i| {
            let (mut acc, mut wsum) = (0.0, 0.0);
            for (j, w) in KERNEL.iter().enumerate() {
                // Index i - 2 + j, skipped when out of range.
                let Some(v) = (i + j).checked_sub(2).and_then(|idx| a.get(idx)) else {
                    continue;
                };
                acc += w * v;
                wsum += w;
            }
            acc / wsum
        })
        .collect()
}

/// The V1 normalization percentiles.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct V1Norm {
    /// Median of the positive smoothed values (maps to 0).
    pub p50: f64,
    /// 95th percentile of the positive smoothed values (maps to 1); always > `p50`.
    pub p95: f64,
}

impl V1Norm {
    /// Both percentiles as written in the snapshot's `norm` object: `py_round(p, 6)`.
    pub fn rounded(&self) -> V1Norm {
        V1Norm {
            p50: py_round(self.p50, 6),
            p95: py_round(self.p95, 6),
        }
    }
}

/// Percentiles over the values `> 0` of `long_s` then `short_s`, sorted ascending:
/// `p50 = V[⌊n·0.5⌋]`, `p95 = V[min(⌊n·0.95⌋, n−1)]`, `p95 ≤ p50 → p50 + 0.01`; `n = 0 → (0, 1)`.
pub fn v1_norm(long_s: &[f64], short_s: &[f64]) -> V1Norm {
    let mut values: Vec<f64> = long_s
        .iter()
        .chain(short_s)
        .copied()
        .filter(|&v| v > 0.0)
        .collect();
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n == 0 {
        return V1Norm { p50: 0.0, p95: 1.0 };
    }
    // floor(n * f) for 0 <= f < 1 is below n, so the casts stay in range.
    let at = |f: f64| values[((n as f64 * f).floor() as usize).min(n - 1)];
    let p50 = at(0.5);
    let mut p95 = at(0.95);
    if p95 <= p50 {
        p95 = p50 + 0.01;
    }
    V1Norm { p50, p95 }
}

/// `0` if `v ≤ 0`; else `x = clamp((v − p50)/(p95 − p50), 0, 1)`, shown only if `x > 0.1`.
pub fn norm_value(v: f64, norm: &V1Norm) -> f64 {
    if v <= 0.0 {
        return 0.0;
    }
    let x = (v - norm.p50) / (norm.p95 - norm.p50);
    // Python's max(0.0, min(1.0, x)); x is finite since p95 > p50 and v is finite.
    let x = x.clamp(0.0, 1.0);
    if x > NORM_FLOOR { x } else { 0.0 }
}

/// V1 intensity arrays with the percentiles they were normalized by.
#[derive(Debug, Clone, PartialEq)]
pub struct V1Intensities {
    /// `py_round(norm(smoothed long), 4)` per grid price.
    pub long: Vec<f64>,
    /// `py_round(norm(smoothed short), 4)` per grid price.
    pub short: Vec<f64>,
    /// Unrounded percentiles (round with [`V1Norm::rounded`] for the snapshot).
    pub norm: V1Norm,
}

/// Smooths both raw display-intensity arrays, normalizes them jointly and rounds to 4 dp.
pub fn v1_intensities(raw_long: &[f64], raw_short: &[f64]) -> V1Intensities {
    let long_s = smooth(raw_long);
    let short_s = smooth(raw_short);
    let norm = v1_norm(&long_s, &short_s);
    let finish = |s: &[f64]| -> Vec<f64> {
        s.iter()
            .map(|&v| py_round(norm_value(v, &norm), 4))
            .collect()
    };
    V1Intensities {
        long: finish(&long_s),
        short: finish(&short_s),
        norm,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::grid::build_grid;

    #[test]
    fn smooth_edges_and_short_arrays() {
        assert_eq!(smooth(&[1.0, 2.0, 3.0, 4.0]), [1.0, 2.0, 3.0, 4.0]);
        assert!(smooth(&[]).is_empty());
        let s = smooth(&[0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0]);
        let interior = 0.1 + 0.2 + 0.4 + 0.2 + 0.1;
        assert_eq!(s[0], 0.1 / (0.4 + 0.2 + 0.1));
        assert_eq!(s[1], 0.2 / (0.2 + 0.4 + 0.2 + 0.1));
        assert_eq!(s[2], 0.4 / interior);
        assert_eq!(s[4], 0.1 / interior);
        assert_eq!((s[5], s[6]), (0.0, 0.0));
        let s = smooth(&[0.0, 0.0, 0.0, 0.0, 1.0]);
        assert_eq!(s[4], 0.4 / (0.1 + 0.2 + 0.4));
        // A constant array stays constant up to rounding, edges included.
        for v in smooth(&[0.5; 9]) {
            assert!((v - 0.5).abs() < 1e-15);
        }
    }

    #[test]
    fn norm_edge_cases() {
        assert_eq!(v1_norm(&[0.0, -1.0], &[]), V1Norm { p50: 0.0, p95: 1.0 });
        // n = 1: p95 == p50, bumped by 0.01.
        assert_eq!(
            v1_norm(&[0.3], &[0.0]),
            V1Norm {
                p50: 0.3,
                p95: 0.3 + 0.01
            }
        );
        // n = 20: p50 = V[10], p95 = V[19]; n = 21: p95 = V[19].
        let v: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(
            v1_norm(&v, &[]),
            V1Norm {
                p50: 11.0,
                p95: 20.0
            }
        );
        let v: Vec<f64> = (1..=21).map(f64::from).collect();
        assert_eq!(
            v1_norm(&[], &v),
            V1Norm {
                p50: 11.0,
                p95: 20.0
            }
        );
        let norm = V1Norm { p50: 1.0, p95: 2.0 };
        assert_eq!(norm_value(0.0, &norm), 0.0);
        assert_eq!(norm_value(1.05, &norm), 0.0);
        // x = 0.1 exactly is not > 0.1.
        assert_eq!(norm_value(0.1, &V1Norm { p50: 0.0, p95: 1.0 }), 0.0);
        assert_eq!(norm_value(1.5, &norm), 0.5);
        assert_eq!(norm_value(5.0, &norm), 1.0);
        assert_eq!(norm_value(0.5, &norm), 0.0);
    }

    /// Raw display intensities of spec 10.3 after step 5 (6 dp, except short 52600).
    const LONG: [(f64, f64); 8] = [
        (47400.0, 0.6),
        (47900.0, 0.9),
        (48760.0, 0.107176),
        (48900.0, 1.0),
        (49000.0, 0.538462),
        (49240.0, 0.5),
        (49400.0, 0.266667),
        (49500.0, 0.066667),
    ];
    const SHORT: [(f64, f64); 7] = [
        (50500.0, 0.013333),
        (50600.0, 0.177778),
        (50760.0, 0.333333),
        (51100.0, 0.666667),
        (51240.0, 0.281505),
        (52100.0, 0.6),
        (52600.0, 0.6866868131868132),
    ];
    /// Expected V1 `long_intensity` non-zeros at close 50310 (spec 10.3).
    pub(crate) const WANT_LONG: [(f64, f64); 20] = [
        (47380.0, 0.2667),
        (47400.0, 0.8667),
        (47420.0, 0.2667),
        (47860.0, 0.1167),
        (47880.0, 0.5667),
        (47900.0, 1.0),
        (47920.0, 0.5667),
        (47940.0, 0.1167),
        (48860.0, 0.1667),
        (48880.0, 0.6667),
        (48900.0, 1.0),
        (48920.0, 0.6667),
        (48940.0, 0.1667),
        (48980.0, 0.2051),
        (49000.0, 0.7436),
        (49020.0, 0.2051),
        (49220.0, 0.1667),
        (49240.0, 0.6667),
        (49260.0, 0.1667),
        (49400.0, 0.2),
    ];
    /// Expected V1 `short_intensity` non-zeros (spec 10.3).
    pub(crate) const WANT_SHORT: [(f64, f64); 11] = [
        (50760.0, 0.3333),
        (51080.0, 0.3333),
        (51100.0, 1.0),
        (51120.0, 0.3333),
        (51240.0, 0.2297),
        (52080.0, 0.2667),
        (52100.0, 0.8667),
        (52120.0, 0.2667),
        (52580.0, 0.3534),
        (52600.0, 1.0),
        (52620.0, 0.3534),
    ];

    /// The raw array on `grid` by exact key lookup, 0.0 where absent.
    fn on_grid(grid: &[f64], map: &[(f64, f64)]) -> Vec<f64> {
        grid.iter()
            .map(|p| map.iter().find(|(k, _)| k == p).map_or(0.0, |&(_, v)| v))
            .collect()
    }

    /// `(price, value)` of every non-zero entry.
    fn non_zero(grid: &[f64], values: &[f64]) -> Vec<(f64, f64)> {
        grid.iter()
            .zip(values)
            .filter(|(_, v)| **v != 0.0)
            .map(|(&p, &v)| (p, v))
            .collect()
    }

    #[test]
    fn scenario_a_v1_assembly_at_close_50310() {
        let grid = build_grid(46280.0, 54340.0, 20.0);
        assert_eq!(grid.len(), 404);
        let (lr, sr) = (on_grid(&grid, &LONG), on_grid(&grid, &SHORT));
        assert_eq!(non_zero(&grid, &lr).len(), LONG.len());
        assert_eq!(non_zero(&grid, &sr).len(), SHORT.len());

        let out = v1_intensities(&lr, &sr);
        assert_eq!(
            out.norm.rounded(),
            V1Norm {
                p50: 0.066667,
                p95: 0.266667
            }
        );
        assert_eq!(non_zero(&grid, &out.long), WANT_LONG);
        assert_eq!(non_zero(&grid, &out.short), WANT_SHORT);
    }
}
