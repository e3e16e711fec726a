//! Small numeric helpers with the reference's definitions (audit_and_plots.md 0): the usual
//! median, the index percentile `pidx`, and ISO-8601 time parsing with an explicit UTC offset.

/// Median (mean of the two middle values for an even count); `None` when empty.
pub fn median(xs: &[f64]) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    let mut s = xs.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    Some(if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    })
}

/// Mean; `None` when empty.
pub fn mean(xs: &[f64]) -> Option<f64> {
    (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64)
}

/// `sorted[floor(n*q)]` (clamped to the last index); `None` when empty.
pub fn pidx(sorted: &[f64], q: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let i = ((n as f64 * q).floor() as usize).min(n - 1);
    Some(sorted[i])
}

/// Sorted copy.
pub fn sorted(xs: &[f64]) -> Vec<f64> {
    let mut s = xs.to_vec();
    s.sort_by(f64::total_cmp);
    s
}

/// `100 * a / b`, 0 when `b` is 0.
pub fn pct(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        100.0 * a as f64 / b as f64
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A parsed ISO time: seconds as if the wall-clock time were UTC, and its own offset when the
/// string carries one (`Z` or `±HH:MM`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct IsoTime {
    /// Wall-clock seconds read as UTC.
    pub naive: f64,
    /// Offset of the string from UTC in seconds, when written.
    pub offset_s: Option<f64>,
}

impl IsoTime {
    /// Epoch seconds: the string's own offset if present, else `default_offset_s`.
    pub fn epoch(&self, default_offset_s: f64) -> f64 {
        self.naive - self.offset_s.unwrap_or(default_offset_s)
    }
}

/// Parses `YYYY-MM-DD[T ]HH:MM[:SS[.ffffff]][Z|±HH:MM]`.
pub fn parse_iso(s: &str) -> Option<IsoTime> {
    let s = s.trim();
    let b = s.as_bytes();
    if b.len() < 16 || b[4] != b'-' || b[7] != b'-' || !(b[10] == b'T' || b[10] == b' ') {
        return None;
    }
    let int = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d, h, mi) = (
        int(0..4)?,
        int(5..7)?,
        int(8..10)?,
        int(11..13)?,
        int(14..16)?,
    );
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 {
        return None;
    }
    let mut rest = &s[16..];
    let mut sec = 0.0;
    if let Some(r) = rest.strip_prefix(':') {
        let end = r
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(r.len());
        sec = r[..end].parse::<f64>().ok()?;
        rest = &r[end..];
    }
    let offset_s = match rest {
        "" => None,
        "Z" | "z" => Some(0.0),
        o => {
            let sign = match o.as_bytes()[0] {
                b'+' => 1.0,
                b'-' => -1.0,
                _ => return None,
            };
            let body = &o[1..];
            let (hh, mm) = match body.split_once(':') {
                Some(p) => p,
                None if body.len() == 4 => body.split_at(2),
                None => (body, "0"),
            };
            Some(sign * (hh.parse::<f64>().ok()? * 3600.0 + mm.parse::<f64>().ok()? * 60.0))
        }
    };
    let days = days_from_civil(y, mo, d);
    let naive = (days * 86_400 + h * 3600 + mi * 60) as f64 + sec;
    Some(IsoTime { naive, offset_s })
}

/// `YYYY-MM-DD HH:MM:SS` UTC of epoch seconds (for the inventory).
pub fn utc_text(ts: f64) -> String {
    let secs = ts.floor() as i64;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Inverse of days_from_civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_local_and_utc() {
        let t = parse_iso("2026-02-27T20:35:51.082000").unwrap();
        assert_eq!(t.offset_s, None);
        assert!((t.epoch(-5.0 * 3600.0) - 1_772_242_551.082).abs() < 1e-6);
        let z = parse_iso("2026-02-28T01:35:51.082Z").unwrap();
        assert!((z.epoch(-5.0 * 3600.0) - 1_772_242_551.082).abs() < 1e-6);
        let o = parse_iso("2026-02-27T20:35:51.082-05:00").unwrap();
        assert!((o.epoch(0.0) - 1_772_242_551.082).abs() < 1e-6);
        let o = parse_iso("2026-02-28T07:05:51.082+0530").unwrap();
        assert!((o.epoch(0.0) - 1_772_242_551.082).abs() < 1e-6);
        assert_eq!(parse_iso("garbage"), None);
        assert_eq!(utc_text(1_772_242_551.082), "2026-02-28 01:35:51");
    }

    #[test]
    fn median_and_pidx() {
        // Python gives the same binary value: (-10.64 + -10.63) / 2 = -10.635000000000002.
        assert_eq!(median(&[-10.64, -10.63]), Some((-10.64 + -10.63) / 2.0));
        assert!((median(&[-10.64, -10.63]).unwrap() + 10.635).abs() < 1e-12);
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(pidx(&[1.0, 2.0, 3.0, 4.0], 0.5), Some(3.0));
        assert_eq!(pidx(&[], 0.5), None);
    }
}
