//! Number formatting the way a trader reads it: prices with decimals per magnitude, USD as
//! `1.2M` / `350k`, counts and open interest with thousands separators, ages as `12s` / `3m05s`.
//! Every function accepts any `f64` (NaN, infinities, huge values) and returns a short string.

/// Shown where a value is missing or not a finite number.
pub const NONE: &str = "—";

/// Above this magnitude a plain rendering would be absurdly wide: scientific notation instead.
const HUGE: f64 = 1e15;

/// Inserts `,` every three digits into the integer part of a plain decimal string.
fn group_thousands(plain: &str) -> String {
    let (sign, rest) = match plain.strip_prefix('-') {
        Some(r) => ("-", r),
        None => ("", plain),
    };
    let (int, frac) = match rest.find('.') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let mut out = String::with_capacity(plain.len() + int.len() / 3);
    out.push_str(sign);
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out.push_str(frac);
    out
}

/// `v` with `dp` decimals and thousands separators; `—` when not finite, `1.23e18` when huge.
pub fn grouped(v: f64, dp: usize) -> String {
    if !v.is_finite() {
        return NONE.to_owned();
    }
    if v.abs() >= HUGE {
        return format!("{v:.2e}");
    }
    let s = format!("{v:.dp$}");
    // `-0.00` reads oddly on a dashboard.
    if s.trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.')
    {
        return group_thousands(s.trim_start_matches('-'));
    }
    group_thousands(&s)
}

/// A price with the decimals its magnitude needs: `97,123.4`, `3,456.78`, `145.23`, `1.2345`,
/// `0.004567`.
pub fn price(p: f64) -> String {
    let a = p.abs();
    let dp = if !a.is_finite() || a >= 10_000.0 {
        1
    } else if a >= 100.0 {
        2
    } else if a >= 1.0 {
        4
    } else {
        6
    };
    grouped(p, dp)
}

/// An optional price, `—` when absent.
pub fn opt_price(p: Option<f64>) -> String {
    p.map_or_else(|| NONE.to_owned(), price)
}

/// Compact USD: `0`, `950`, `12.5k`, `350k`, `1.2M`, `12.3M`, `4.1B`, `2.0T`.
pub fn usd(v: f64) -> String {
    if !v.is_finite() {
        return NONE.to_owned();
    }
    let a = v.abs();
    if a >= HUGE {
        return format!("{v:.1e}");
    }
    let sign = if v < 0.0 { "-" } else { "" };
    const UNITS: [(f64, &str); 4] = [(1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")];
    for (scale, unit) in UNITS {
        // Round first so 999_960 shows as `1.0M`, not `1000.0k`.
        if a >= scale * 0.9995 {
            let x = a / scale;
            return if x < 99.95 {
                format!("{sign}{x:.1}{unit}")
            } else {
                format!("{sign}{x:.0}{unit}")
            };
        }
    }
    format!("{sign}{a:.0}")
}

/// A count with thousands separators: `1,234,567`.
pub fn count(n: u64) -> String {
    group_thousands(&n.to_string())
}

/// A signed percentage with two decimals: `+1.23%`, `-0.45%`.
pub fn pct(v: f64) -> String {
    if !v.is_finite() {
        return NONE.to_owned();
    }
    if v.abs() >= 1e6 {
        return format!("{v:+.1e}%");
    }
    format!("{v:+.2}%")
}

/// An optional signed percentage.
pub fn opt_pct(v: Option<f64>) -> String {
    v.map_or_else(|| NONE.to_owned(), pct)
}

/// Open interest in base units with thousands separators; small values keep two decimals.
pub fn oi(v: f64) -> String {
    if v.is_finite() && v.abs() < 100.0 {
        grouped(v, 2)
    } else {
        grouped(v, 0)
    }
}

/// An age in seconds: `0.4s`, `12s`, `3m05s`, `2h10m`, `3d04h`; `—` when never.
pub fn age(secs: Option<f64>) -> String {
    let Some(s) = secs.filter(|s| s.is_finite()) else {
        return NONE.to_owned();
    };
    let s = s.max(0.0);
    if s < 10.0 {
        return format!("{s:.1}s");
    }
    if s >= 1e9 {
        return "ages".to_owned();
    }
    // In range by the check above.
    let whole = s as u64;
    match whole {
        0..=59 => format!("{whole}s"),
        60..=3_599 => format!("{}m{:02}s", whole / 60, whole % 60),
        3_600..=86_399 => format!("{}h{:02}m", whole / 3_600, whole % 3_600 / 60),
        _ => format!("{}d{:02}h", whole / 86_400, whole % 86_400 / 3_600),
    }
}

/// A long/short ratio with four decimals and the long share it implies: `1.8523 (64.9% L)`.
pub fn ratio(r: Option<f64>) -> String {
    match r.filter(|r| r.is_finite() && *r >= 0.0) {
        Some(r) if r < 1e6 => format!("{r:.4} ({:.1}% L)", 100.0 * r / (1.0 + r)),
        Some(r) => format!("{r:.2e}"),
        None => NONE.to_owned(),
    }
}

/// A weight with two decimals (zone strength).
pub fn weight(w: f64) -> String {
    if w.is_finite() && w.abs() >= 1e6 {
        return format!("{w:.2e}");
    }
    grouped(w, 2)
}

/// The data clock as `YYYY-MM-DD HH:MM:SS UTC`; `waiting for data` before the first event.
pub fn utc_clock(now: f64) -> String {
    if !now.is_finite() || now <= 0.0 {
        return "waiting for data".to_owned();
    }
    let iso = liq_core::pyfmt::iso_utc(now.floor());
    if iso == "invalid" {
        return NONE.to_owned();
    }
    format!("{} UTC", iso.replacen('T', " ", 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_by_magnitude() {
        assert_eq!(price(97_123.44), "97,123.4");
        assert_eq!(price(3_456.781), "3,456.78");
        assert_eq!(price(145.234), "145.23");
        assert_eq!(price(1.23456), "1.2346");
        assert_eq!(price(0.0045671), "0.004567");
        assert_eq!(price(-1_234_567.0), "-1,234,567.0");
        assert_eq!(price(f64::NAN), NONE);
        assert_eq!(price(f64::INFINITY), NONE);
        assert_eq!(price(1e300), "1.00e300");
        assert_eq!(opt_price(None), NONE);
    }

    #[test]
    fn usd_compact() {
        assert_eq!(usd(0.0), "0");
        assert_eq!(usd(950.4), "950");
        assert_eq!(usd(12_500.0), "12.5k");
        assert_eq!(usd(350_000.0), "350k");
        assert_eq!(usd(999_960.0), "1.0M");
        assert_eq!(usd(1_234_567.0), "1.2M");
        assert_eq!(usd(-4_100_000_000.0), "-4.1B");
        assert_eq!(usd(2e12), "2.0T");
        assert_eq!(usd(f64::NAN), NONE);
        assert_eq!(usd(1e20), "1.0e20");
    }

    #[test]
    fn counts_pcts_oi() {
        assert_eq!(count(0), "0");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(count(u64::MAX), "18,446,744,073,709,551,615");
        assert_eq!(pct(1.234), "+1.23%");
        assert_eq!(pct(-0.449), "-0.45%");
        assert_eq!(opt_pct(None), NONE);
        assert_eq!(oi(251_234.6), "251,235");
        assert_eq!(oi(12.345), "12.35");
        assert_eq!(oi(-0.0001), "0.00");
    }

    #[test]
    fn ages_ratios_clock() {
        assert_eq!(age(None), NONE);
        assert_eq!(age(Some(0.42)), "0.4s");
        assert_eq!(age(Some(-3.0)), "0.0s");
        assert_eq!(age(Some(42.0)), "42s");
        assert_eq!(age(Some(185.0)), "3m05s");
        assert_eq!(age(Some(7_800.0)), "2h10m");
        assert_eq!(age(Some(1e12)), "ages");
        assert_eq!(ratio(Some(1.8523)), "1.8523 (64.9% L)");
        assert_eq!(ratio(Some(f64::NAN)), NONE);
        assert_eq!(utc_clock(0.0), "waiting for data");
        assert_eq!(utc_clock(1_764_264_012.7), "2025-11-27 17:20:12 UTC");
        assert_eq!(utc_clock(f64::MAX), NONE);
    }
}
