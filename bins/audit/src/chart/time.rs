//! UTC calendar arithmetic for the chart's axis and its `--from`/`--to` arguments (epoch
//! minutes; no time-zone database: everything is UTC).

/// `(year, month, day)` of a day count since 1970-01-01 (H. Hinnant's civil algorithm).
pub fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Days since 1970-01-01 of a civil date.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `YYYY-MM-DD HH:MM` of an epoch minute.
pub fn fmt_minute(minute: i64) -> String {
    let (y, mo, d) = civil(minute.div_euclid(1440));
    let mod_day = minute.rem_euclid(1440);
    format!(
        "{y:04}-{mo:02}-{d:02} {:02}:{:02}",
        mod_day / 60,
        mod_day % 60
    )
}

/// `HH:MM` of an epoch minute, with `MM-DD ` in front when `with_date`.
pub fn fmt_tick(minute: i64, with_date: bool) -> String {
    let mod_day = minute.rem_euclid(1440);
    let hm = format!("{:02}:{:02}", mod_day / 60, mod_day % 60);
    if with_date {
        let (_, mo, d) = civil(minute.div_euclid(1440));
        format!("{mo:02}-{d:02} {hm}")
    } else {
        hm
    }
}

/// An epoch minute from an integer, or from a UTC time `YYYY-MM-DDTHH:MM[:SS][Z]` (a space
/// instead of `T` is accepted; seconds are truncated to the minute).
pub fn parse_minute(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(m) = s.parse::<i64>() {
        return Some(m);
    }
    let s = s.strip_suffix('Z').unwrap_or(s);
    let (date, time) = s.split_once(['T', ' '])?;
    let mut dp = date.split('-');
    let y: i64 = dp.next()?.parse().ok()?;
    let mo: u32 = dp.next()?.parse().ok()?;
    let d: u32 = dp.next()?.parse().ok()?;
    let mut tp = time.split(':');
    let h: i64 = tp.next()?.parse().ok()?;
    let mi: i64 = tp.next()?.parse().ok()?;
    if let Some(sec) = tp.next() {
        sec.parse::<f64>().ok()?;
    }
    if dp.next().is_some() || tp.next().is_some() {
        return None;
    }
    if !(1..=12).contains(&mo)
        || !(1..=31).contains(&d)
        || !(0..24).contains(&h)
        || !(0..60).contains(&mi)
    {
        return None;
    }
    Some(days_from_civil(y, mo, d) * 1440 + h * 60 + mi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_a_known_minute() {
        // 2026-02-28T01:33:00Z = 1772242380 s.
        assert_eq!(parse_minute("2026-02-28T01:33Z"), Some(1_772_242_380 / 60));
        assert_eq!(
            parse_minute("2026-02-28 01:33:59"),
            Some(1_772_242_380 / 60)
        );
        assert_eq!(fmt_minute(1_772_242_380 / 60), "2026-02-28 01:33");
        assert_eq!(fmt_tick(1_772_242_380 / 60, true), "02-28 01:33");
        assert_eq!(parse_minute("29537374"), Some(29_537_374));
        assert_eq!(parse_minute("2026-13-01T00:00"), None);
        assert_eq!(parse_minute("yesterday"), None);
        for days in [-1, 0, 59, 10_957, 20_512] {
            let (y, m, d) = civil(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
