//! The day-block bootstrap CI of spec/prediction_eval_v2.md section 2.4, exact over few days
//! (DECISIONS.md "protocol v2" item 4).

/// Days up to which every one of the `m^m` resamples is enumerated.
pub const EXACT_MAX_DAYS: usize = 6;
/// Resamples drawn above [`EXACT_MAX_DAYS`].
pub const RESAMPLES: usize = 2000;
/// Seed of the drawn resamples (the output is deterministic).
pub const SEED: u64 = 12345;

/// Linear interpolation between order statistics of sorted `x` at `a` (spec 2.4 step 4).
pub fn percentile(x: &[f64], a: f64) -> f64 {
    let b = x.len();
    let i = a * (b - 1) as f64;
    let lo = i.floor() as usize;
    let hi = (lo + 1).min(b - 1);
    x[lo] + (x[hi] - x[lo]) * (i - lo as f64)
}

/// The 95 % CI of `Σ D / Σ N` over day units `(D_d, N_d)` (only units with `N_d > 0` are
/// kept); `None` with fewer than 2 units. With at most [`EXACT_MAX_DAYS`] units every
/// resample is enumerated (each equally likely); above, [`RESAMPLES`] are drawn with a fixed
/// seed.
pub fn ci(units: &[(f64, f64)]) -> Option<[f64; 2]> {
    let units: Vec<(f64, f64)> = units.iter().copied().filter(|u| u.1 > 0.0).collect();
    let m = units.len();
    if m < 2 {
        return None;
    }
    let mut values = Vec::new();
    if m <= EXACT_MAX_DAYS {
        // An odometer over m digits in 0..m.
        let mut idx = vec![0usize; m];
        loop {
            let (d, n) = idx
                .iter()
                .fold((0.0, 0.0), |(d, n), &i| (d + units[i].0, n + units[i].1));
            values.push(d / n);
            let mut k = 0;
            while k < m {
                idx[k] += 1;
                if idx[k] < m {
                    break;
                }
                idx[k] = 0;
                k += 1;
            }
            if k == m {
                break;
            }
        }
    } else {
        let mut rng = fastrand::Rng::with_seed(SEED);
        for _ in 0..RESAMPLES {
            let (mut d, mut n) = (0.0, 0.0);
            for _ in 0..m {
                let u = units[rng.usize(0..m)];
                d += u.0;
                n += u.1;
            }
            values.push(d / n);
        }
    }
    values.sort_by(f64::total_cmp);
    Some([percentile(&values, 0.025), percentile(&values, 0.975)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fewer_than_two_days_have_no_ci() {
        assert_eq!(ci(&[]), None);
        assert_eq!(ci(&[(1.0, 2.0)]), None);
        // A day without notional is not a unit.
        assert_eq!(ci(&[(1.0, 2.0), (0.0, 0.0)]), None);
    }

    #[test]
    fn two_days_enumerate_four_resamples() {
        // Resamples: (a,a) = 1, (a,b) = (b,a) = (1 + 6) / (1 + 2) = 7/3, (b,b) = 3.
        let got = ci(&[(1.0, 1.0), (6.0, 2.0)]).unwrap();
        let x = [1.0, 7.0 / 3.0, 7.0 / 3.0, 3.0];
        let lo = x[0] + (x[1] - x[0]) * 0.075;
        let hi = x[2] + (x[3] - x[2]) * 0.925;
        assert!((got[0] - lo).abs() < 1e-15, "{got:?}");
        assert!((got[1] - hi).abs() < 1e-15, "{got:?}");
    }

    #[test]
    fn percentile_interpolates_between_order_statistics() {
        let x = [0.0, 10.0, 20.0];
        assert_eq!(percentile(&x, 0.0), 0.0);
        assert_eq!(percentile(&x, 0.25), 5.0);
        assert_eq!(percentile(&x, 1.0), 20.0);
    }

    #[test]
    fn many_days_are_drawn_deterministically_inside_the_range() {
        let units: Vec<(f64, f64)> = (0..9).map(|i| (i as f64, 1.0)).collect();
        let a = ci(&units).unwrap();
        assert_eq!(Some(a), ci(&units));
        assert!(
            0.0 < a[0] && a[0] < 4.0 && 4.0 < a[1] && a[1] < 8.0,
            "{a:?}"
        );
    }
}
