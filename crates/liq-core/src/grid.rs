//! Python-compatible rounding, integer bucket keys and index-built price grids.
//!
//! Implements `spec/heatmap.md` section 2. Internal maps should be keyed by the integer bucket
//! index `k` from [`BucketStep::key`]; [`BucketStep::price`] turns it into the exact `f64` that the
//! reference's `py_round(half_even(price / step) * step, ndigits(step))` produces.

use thiserror::Error;

/// Largest `ndigits` for which `10^nd` is exactly representable as an `f64`.
pub const MAX_NDIGITS: u32 = 22;

/// Largest number of points [`build_grid`] will return; longer grids come back empty.
pub const MAX_GRID_LEN: usize = 1 << 24;

/// Largest magnitude below which every integer is exact in an `f64` (2^53).
const EXACT_INT_LIMIT: i64 = 1 << 53;

/// Python's `NDIGITS_MAX` for doubles: `round(x, n)` returns `x` unchanged above it.
const PY_NDIGITS_MAX: u32 = 323;

/// Why a bucket step was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Error)]
pub enum GridError {
    /// The step is NaN or infinite.
    #[error("bucket step {0} is not finite")]
    NonFinite(f64),
    /// The step is zero or negative.
    #[error("bucket step {0} must be > 0")]
    NonPositive(f64),
    /// `step * 10^nd` is not an exact integer below 2^53 (or `nd` exceeds [`MAX_NDIGITS`]).
    #[error("bucket step {step} is not an exact multiple of 10^-{nd}")]
    Inexact {
        /// The rejected step.
        step: f64,
        /// The number of decimals it was checked against.
        nd: u32,
    },
}

/// Python `round(x)`: round to the nearest integer, ties to even (`2.5 -> 2`, `-0.5 -> -0`).
pub fn half_even(x: f64) -> f64 {
    x.round_ties_even()
}

/// Python `round(x, ndigits)` on a float: the exact binary value rounded half-even to `ndigits`
/// decimals, then the nearest double. Non-finite input is returned unchanged.
pub fn py_round(x: f64, ndigits: u32) -> f64 {
    if !x.is_finite() || ndigits > PY_NDIGITS_MAX {
        return x;
    }
    if x == 0.0 {
        return x;
    }
    if let Some(&p) = POW10.get(ndigits as usize) {
        // Fast path: `y = x * 10^n` is within half an ulp of the exact product; when its
        // fraction is more than two ulps away from one half, rounding `y` rounds the exact
        // value the same way, and `k / 10^n` (two exact doubles, one correctly rounded
        // division) is the double nearest to the decimal result, as Python's.
        let y = x * p;
        if y.abs() < 4.5e15 {
            let frac = (y - y.trunc()).abs();
            if (frac - 0.5).abs() > 2.0 * f64::EPSILON * y.abs() {
                return y.round() / p;
            }
        }
    }
    py_round_exact(x, ndigits)
}

/// `py_round` through decimal formatting: `{:.n}` formats the exact binary value rounded
/// half-to-even, like CPython's dtoa mode 3. Used near ties, and as the oracle in tests.
pub fn py_round_exact(x: f64, ndigits: u32) -> f64 {
    if !x.is_finite() || ndigits > PY_NDIGITS_MAX {
        return x;
    }
    format!("{:.*}", ndigits as usize, x)
        .parse::<f64>()
        .unwrap_or(x)
}

/// Shortest round-trip decimal of `x` as `(digits, frac)`, meaning `x = digits * 10^-frac`.
fn shortest_decimal(x: f64) -> Option<(u64, i64)> {
    if !x.is_finite() {
        return None;
    }
    let s = format!("{:e}", x.abs());
    let (mantissa, exp) = s.split_once('e')?;
    let exp: i64 = exp.parse().ok()?;
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits: u64 = format!("{int_part}{frac_part}").parse().ok()?;
    let frac_len = i64::try_from(frac_part.len()).ok()?;
    Some((digits, frac_len - exp))
}

/// Fractional digits of `step`'s shortest repr as Python prints it: `20.0`, `0.1` -> 1,
/// `0.25` -> 2, `1e-05` -> 5. Integral values below 1e16 give 1 (`"20.0"`); NaN/inf give 0.
pub fn ndigits(step: f64) -> u32 {
    match shortest_decimal(step) {
        None => 0,
        Some((_, frac)) if frac <= 0 => u32::from(step.abs() < 1e16),
        Some((_, frac)) => u32::try_from(frac).unwrap_or(u32::MAX),
    }
}

/// `10^nd` for `nd <= MAX_NDIGITS`, every one exactly representable.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// `10^nd` as an exact `f64` (`nd <= MAX_NDIGITS`, guaranteed by [`BucketStep`]'s constructor).
fn pow10(nd: u32) -> f64 {
    POW10[nd as usize]
}

/// The spec's `bucket(price)` formula, evaluated literally:
/// `py_round(half_even(price / step) * step, ndigits(step))`.
pub fn bucket(price: f64, step: f64) -> f64 {
    py_round(half_even(price / step) * step, ndigits(step))
}

/// Band edge `py_round(half_even(src * f / step) * step, nd)`, equal to `bucket(src * f, step)`.
pub fn band_edge(src: f64, f: f64, step: f64) -> f64 {
    bucket(src * f, step)
}

/// Index-built grid of spec 2.5: `[py_round(pmin + i*step, nd) for i in 0..n]` with rounded
/// endpoints. Empty for non-finite input, `step <= 0`, `pmax < pmin`, or more than
/// [`MAX_GRID_LEN`] points.
pub fn build_grid(pmin: f64, pmax: f64, step: f64) -> Vec<f64> {
    if !(pmin.is_finite() && pmax.is_finite() && step.is_finite() && step > 0.0) {
        return Vec::new();
    }
    let nd = ndigits(step);
    let pmin = py_round(pmin, nd);
    let pmax = py_round(pmax, nd);
    let span = half_even((pmax - pmin) / step);
    if !span.is_finite() || span < 0.0 || span >= MAX_GRID_LEN as f64 {
        return Vec::new();
    }
    // 0 <= span < MAX_GRID_LEN, so the conversion is exact.
    let n = span as usize + 1;
    (0..n)
        .map(|i| py_round(pmin + i as f64 * step, nd))
        .collect()
}

/// A validated bucket step with its decimal count and exact scaled integer `step * 10^nd`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BucketStep {
    step: f64,
    nd: u32,
    scaled: i64,
}

impl BucketStep {
    /// Step with `nd = ndigits(step)`; rejects non-finite, non-positive and inexact steps.
    pub fn new(step: f64) -> Result<Self, GridError> {
        Self::with_ndigits(step, ndigits(step))
    }

    /// Step with an explicit decimal count (e.g. 0 for BTC's 20.0); `step * 10^nd` must be an
    /// exact integer below 2^53 and `nd <= MAX_NDIGITS`.
    pub fn with_ndigits(step: f64, nd: u32) -> Result<Self, GridError> {
        if !step.is_finite() {
            return Err(GridError::NonFinite(step));
        }
        if step <= 0.0 {
            return Err(GridError::NonPositive(step));
        }
        let inexact = GridError::Inexact { step, nd };
        if nd > MAX_NDIGITS {
            return Err(inexact);
        }
        let (digits, frac) = shortest_decimal(step).ok_or(inexact)?;
        let shift = i64::from(nd) - frac;
        if shift < 0 {
            return Err(inexact);
        }
        let shift = u32::try_from(shift).map_err(|_| inexact)?;
        let scaled = 10i64
            .checked_pow(shift)
            .and_then(|p| i64::try_from(digits).ok()?.checked_mul(p))
            .filter(|s| *s < EXACT_INT_LIMIT)
            .ok_or(inexact)?;
        if scaled as f64 / pow10(nd) != step {
            return Err(inexact);
        }
        Ok(Self { step, nd, scaled })
    }

    /// The step as given.
    pub fn step(&self) -> f64 {
        self.step
    }

    /// Number of decimals bucket prices are rounded to.
    pub fn ndigits(&self) -> u32 {
        self.nd
    }

    /// `step * 10^nd` as an exact integer.
    pub fn scaled(&self) -> i64 {
        self.scaled
    }

    /// Bucket index `k = half_even(price / step)` (IEEE division). Saturates for huge or
    /// infinite prices; NaN gives 0. Use [`BucketStep::try_key`] to reject those.
    pub fn key(&self, price: f64) -> i64 {
        half_even(price / self.step) as i64
    }

    /// Like [`BucketStep::key`], but `None` unless `price` is finite and `k * scaled` stays
    /// below 2^53 in magnitude (the range where [`BucketStep::price`] is exact).
    pub fn try_key(&self, price: f64) -> Option<i64> {
        if !price.is_finite() {
            return None;
        }
        let q = half_even(price / self.step);
        let limit = (EXACT_INT_LIMIT / self.scaled) as f64;
        (q.abs() < limit).then_some(q as i64)
    }

    /// Price of bucket `k`: `(k * scaled) as f64 / 10^nd`, which equals
    /// `py_round(k * step, nd)` while `|k * scaled| < 2^53`.
    pub fn price(&self, k: i64) -> f64 {
        let num = k.saturating_mul(self.scaled) as f64;
        num / pow10(self.nd)
    }

    /// Bucket price of `price`: `price(key(price))`, bit-identical to the spec's formula.
    pub fn bucket(&self, price: f64) -> f64 {
        self.price(self.key(price))
    }

    /// Key of the band edge `bucket(src * f)` (spec 2.5).
    pub fn band_edge_key(&self, src: f64, f: f64) -> i64 {
        self.key(src * f)
    }

    /// Keys `(k_min, k_max)` of `bucket(pmin)` and `bucket(pmax)`; for bucket-aligned ends they
    /// are exactly the keys of [`BucketStep::grid`]'s points. `None` if non-finite or reversed.
    pub fn key_range(&self, pmin: f64, pmax: f64) -> Option<(i64, i64)> {
        let lo = self.try_key(pmin)?;
        let hi = self.try_key(pmax)?;
        (lo <= hi).then_some((lo, hi))
    }

    /// Spec 2.5 grid for this step (see [`build_grid`]).
    pub fn grid(&self, pmin: f64, pmax: f64) -> Vec<f64> {
        build_grid(pmin, pmax, self.step)
    }

    /// Grid of the bucket prices `price(k)` for `k` in `k_min..=k_max` (empty if reversed).
    pub fn grid_from_keys(&self, k_min: i64, k_max: i64) -> Vec<f64> {
        (k_min..=k_max).map(|k| self.price(k)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The spec 2.4 table: (step, price, bucket).
    const TABLE: [(f64, f64, f64); 15] = [
        (20.0, 62324.601, 62320.0),
        (20.0, 65466.3, 65460.0),
        (20.0, 65450.0, 65440.0),
        (20.0, 65470.0, 65480.0),
        (20.0, 30.0, 40.0),
        (20.0, 50.0, 40.0),
        (20.0, 10.0, 0.0),
        (1.0, 1914.5, 1914.0),
        (1.0, 1915.5, 1916.0),
        (1.0, 2.5, 2.0),
        (0.1, 75.15, 75.2),
        (0.1, 75.25, 75.2),
        (0.1, 77.45, 77.4),
        (0.1, 73.8051677055, 73.8),
        (0.1, 0.15, 0.1),
    ];

    fn bits_eq(a: f64, b: f64) -> bool {
        a.to_bits() == b.to_bits()
    }

    #[test]
    fn half_even_vectors() {
        assert_eq!(half_even(0.5), 0.0);
        assert_eq!(half_even(1.5), 2.0);
        assert_eq!(half_even(2.5), 2.0);
        assert!(bits_eq(half_even(-0.5), -0.0));
        assert_eq!(half_even(-2.5), -2.0);
        assert_eq!(half_even(3272.5), 3272.0);
    }

    #[test]
    fn py_round_vectors() {
        assert_eq!(py_round(0.125, 2), 0.12);
        assert_eq!(py_round(0.375, 2), 0.38);
        assert_eq!(py_round(2.675, 2), 2.67);
        assert_eq!(py_round(0.97845, 4), 0.9785);
        assert_eq!(py_round(0.6523 * 1.5, 4), 0.9785);
        assert!(bits_eq(py_round(-0.04, 1), -0.0));
        assert_eq!(py_round(65755.20000000001, 1), 65755.2);
        assert!(py_round(f64::NAN, 2).is_nan());
        assert_eq!(py_round(f64::INFINITY, 2), f64::INFINITY);
        assert_eq!(py_round(5e-324, 400), 5e-324);
        assert_eq!(py_round(5e-324, 323), 0.0);
    }

    #[test]
    fn exact_arithmetic_vectors() {
        assert_eq!(1.0 - 0.70, 0.30000000000000004);
        for (n, want) in [(10.0, 9.0), (100.0, 99.0), (101.0, 99.0), (200.0, 198.0)] {
            assert_eq!((n * 0.99f64).floor(), want);
        }
        assert_eq!((1000.0 * 0.99f64).floor(), 990.0);
        assert_eq!((11.0 * 0.5f64).floor(), 5.0);
        assert_eq!((20.0 * 0.95f64).floor(), 19.0);
        assert_eq!((21.0 * 0.95f64).floor(), 19.0);
    }

    #[test]
    fn ndigits_vectors() {
        for (step, want) in [
            (20.0, 1),
            (1.0, 1),
            (2.0, 1),
            (0.1, 1),
            (0.5, 1),
            (0.25, 2),
            (0.001, 3),
            (0.0001, 4),
            (1e-5, 5),
            (1.5e-5, 6),
            (123.45, 2),
            (1e16, 0),
            (1e22, 0),
            (9007199254740990.0, 1),
        ] {
            assert_eq!(ndigits(step), want, "step {step}");
        }
        assert_eq!(ndigits(f64::NAN), 0);
        assert_eq!(ndigits(f64::INFINITY), 0);
    }

    #[test]
    fn bucket_step_rejects_bad_steps() {
        assert!(matches!(
            BucketStep::new(f64::NAN),
            Err(GridError::NonFinite(_))
        ));
        assert!(matches!(
            BucketStep::new(f64::INFINITY),
            Err(GridError::NonFinite(_))
        ));
        assert_eq!(BucketStep::new(0.0), Err(GridError::NonPositive(0.0)));
        assert_eq!(BucketStep::new(-1.0), Err(GridError::NonPositive(-1.0)));
        assert!(matches!(
            BucketStep::new(1e-30),
            Err(GridError::Inexact { .. })
        ));
        assert!(matches!(
            BucketStep::new(1e300),
            Err(GridError::Inexact { .. })
        ));
        assert!(matches!(
            BucketStep::with_ndigits(0.25, 1),
            Err(GridError::Inexact { .. })
        ));
        assert!(matches!(
            BucketStep::with_ndigits(0.1, 23),
            Err(GridError::Inexact { .. })
        ));
    }

    #[test]
    fn bucket_step_scaled_values() {
        for (step, nd, scaled) in [
            (20.0, 1, 200),
            (1.0, 1, 10),
            (0.1, 1, 1),
            (0.01, 2, 1),
            (0.25, 2, 25),
            (1e-5, 5, 1),
        ] {
            let s = BucketStep::new(step).expect("valid step");
            assert_eq!((s.step(), s.ndigits(), s.scaled()), (step, nd, scaled));
        }
        let btc = BucketStep::with_ndigits(20.0, 0).expect("valid step");
        assert_eq!(btc.scaled(), 20);
        assert!(bits_eq(btc.bucket(65450.0), 65440.0));
    }

    #[test]
    fn spec_table_every_row() {
        for (step, price, want) in TABLE {
            let s = BucketStep::new(step).expect("valid step");
            let reference = py_round(half_even(price / step) * step, ndigits(step));
            assert!(bits_eq(reference, want), "reference {step} {price}");
            assert!(
                bits_eq(bucket(price, step), want),
                "bucket() {step} {price}"
            );
            assert!(bits_eq(s.bucket(price), want), "BucketStep {step} {price}");
            assert!(bits_eq(s.price(s.key(price)), want));
        }
    }

    #[test]
    fn calibrator_half_even_example() {
        let s = BucketStep::new(20.0).expect("valid step");
        assert_eq!(s.key(98810.0), 4940);
        assert_eq!(s.bucket(98810.0), 98800.0);
    }

    #[test]
    fn try_key_limits() {
        let s = BucketStep::new(0.1).expect("valid step");
        assert_eq!(s.try_key(f64::NAN), None);
        assert_eq!(s.try_key(f64::INFINITY), None);
        assert_eq!(s.try_key(1e300), None);
        assert_eq!(s.try_key(75.15), Some(752));
        assert_eq!(s.key(f64::NAN), 0);
        assert_eq!(s.key(f64::INFINITY), i64::MAX);
    }

    #[test]
    fn grid_spec_examples() {
        assert_eq!(
            build_grid(75.0, 75.5, 0.1),
            [75.0, 75.1, 75.2, 75.3, 75.4, 75.5]
        );
        assert_eq!(
            build_grid(62320.0, 62380.0, 20.0),
            [62320.0, 62340.0, 62360.0, 62380.0]
        );
        assert!(build_grid(10.0, 9.0, 1.0).is_empty());
        assert!(build_grid(f64::NAN, 9.0, 1.0).is_empty());
        assert!(build_grid(0.0, 1e12, 1e-5).is_empty());
        assert!(build_grid(0.0, 1.0, 0.0).is_empty());
        // The incremental grid drifts (75.19999999999968); the indexed one must not.
        let g = build_grid(59.2, 88.8, 0.1);
        assert_eq!(g.len(), 297);
        assert!(g.contains(&75.2));
        let s = BucketStep::new(0.1).expect("valid step");
        assert_eq!(s.key_range(59.2, 88.8), Some((592, 888)));
        assert_eq!(s.grid_from_keys(592, 888), g);
        assert_eq!(s.key_range(2.0, 1.0), None);
    }

    #[test]
    fn band_edges() {
        let src = 65743.25;
        assert!(bits_eq(band_edge(src, 0.9, 20.0), 59160.0));
        assert!(bits_eq(band_edge(src, 1.1, 20.0), 72320.0));
        let s = BucketStep::new(20.0).expect("valid step");
        assert_eq!(s.price(s.band_edge_key(src, 0.9)), 59160.0);
        assert_eq!(s.band_edge_key(src, 1.1), 3616);
        let sol = BucketStep::new(0.1).expect("valid step");
        for f in [0.9, 1.1, 0.92, 1.08] {
            let p = 81.234567;
            assert!(bits_eq(
                band_edge(p, f, 0.1),
                sol.price(sol.band_edge_key(p, f))
            ));
        }
    }

    const STEPS: [f64; 4] = [20.0, 1.0, 0.1, 0.01];
    const BASES: [f64; 4] = [60000.0, 2000.0, 80.0, 1.5];

    /// Checks every "no drift" property of a grid built between two bucket-aligned edges.
    fn check_grid(s: &BucketStep, lo: f64, hi: f64) {
        let (k_lo, k_hi) = s.key_range(lo, hi).expect("valid range");
        let g = s.grid(lo, hi);
        assert_eq!(
            g.len() as i64,
            k_hi - k_lo + 1,
            "length {lo}..{hi} step {}",
            s.step()
        );
        let step_rounded = py_round(s.step(), s.ndigits());
        for (i, &p) in g.iter().enumerate() {
            let k = k_lo + i as i64;
            assert!(bits_eq(p, s.bucket(p)), "bucket drift at {p}");
            assert!(bits_eq(p, s.price(k)), "key drift at {p} (k {k})");
            assert_eq!(s.key(p), k);
        }
        for w in g.windows(2) {
            let d = w[1] - w[0];
            let tol = 1e-9 * s.step().max(w[1].abs());
            assert!((d - s.step()).abs() <= tol, "spacing {d} at {}", w[0]);
            assert_eq!(py_round(d, s.ndigits()), step_rounded);
        }
    }

    #[test]
    fn no_drift_full_ranges() {
        for step in STEPS {
            let s = BucketStep::new(step).expect("valid step");
            for base in BASES {
                let (lo, hi) = (s.bucket(base * 0.5), s.bucket(base * 1.5));
                if (hi - lo) / step > 2.0e5 || hi <= lo {
                    continue;
                }
                check_grid(&s, lo, hi);
            }
        }
    }

    proptest! {
        #[test]
        fn prop_bucket_equals_spec_formula(
            step_i in 0usize..6,
            base_i in 0usize..4,
            u in 0.0f64..1.0,
        ) {
            let step = [20.0, 1.0, 0.1, 0.01, 0.25, 0.001][step_i];
            let price = BASES[base_i] * (0.5 + u);
            let s = BucketStep::new(step).expect("valid step");
            let reference = py_round(half_even(price / step) * step, ndigits(step));
            prop_assert!(bits_eq(s.bucket(price), reference), "{} {} {}", step, price, reference);
            prop_assert!(bits_eq(bucket(price, step), reference));
            prop_assert!(bits_eq(s.price(s.key(price)), py_round(s.key(price) as f64 * step, s.ndigits())));
        }

        #[test]
        fn prop_ties_match_spec_formula(step_i in 0usize..4, k in -2_000_000i64..2_000_000) {
            // Prices exactly on or next to a half-step boundary.
            let step = STEPS[step_i];
            let mid = (k as f64 + 0.5) * step;
            let s = BucketStep::new(step).expect("valid step");
            for p in [mid, mid.next_up(), mid.next_down()] {
                let reference = py_round(half_even(p / step) * step, ndigits(step));
                prop_assert!(bits_eq(s.bucket(p), reference), "{} {}", step, p);
            }
        }

        #[test]
        fn prop_no_drift_windows(
            step_i in 0usize..4,
            base_i in 0usize..4,
            u in 0.0f64..1.0,
            width in 0usize..3000,
        ) {
            let step = STEPS[step_i];
            let base = BASES[base_i];
            let s = BucketStep::new(step).expect("valid step");
            let lo_min = s.bucket(base * 0.5);
            let hi_max = s.bucket(base * 1.5);
            let lo = s.bucket(lo_min + u * (hi_max - lo_min));
            let hi = s.price((s.key(lo) + width as i64).min(s.key(hi_max)));
            if hi >= lo {
                check_grid(&s, lo, hi);
            }
        }

        #[test]
        fn prop_band_edges_align(step_i in 0usize..4, base_i in 0usize..4, u in 0.0f64..1.0) {
            let step = STEPS[step_i];
            let src = BASES[base_i] * (0.5 + u);
            let s = BucketStep::new(step).expect("valid step");
            let lo = band_edge(src, 0.9, step);
            let hi = band_edge(src, 1.1, step);
            prop_assert!(bits_eq(lo, s.price(s.band_edge_key(src, 0.9))));
            prop_assert!(bits_eq(hi, s.price(s.band_edge_key(src, 1.1))));
            if (hi - lo) / step <= 50_000.0 {
                check_grid(&s, lo, hi);
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn fast_py_round_equals_the_exact_one(x in -1e12f64..1e12, nd in 0u32..10) {
            proptest::prop_assert_eq!(py_round(x, nd).to_bits(), py_round_exact(x, nd).to_bits());
        }

        #[test]
        fn fast_py_round_near_ties(k in -1_000_000_000i64..1_000_000_000, nd in 1u32..8) {
            // Values at and next to exact decimal ties.
            let x = (k as f64 + 0.5) / 10f64.powi(nd as i32);
            for v in [x, f64::from_bits(x.to_bits() + 1), f64::from_bits(x.to_bits() - 1)] {
                proptest::prop_assert_eq!(py_round(v, nd).to_bits(), py_round_exact(v, nd).to_bits());
            }
        }
    }
}
