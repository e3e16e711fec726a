//! Fast decimal formatting of fixed-point integers into JSON text.

/// Appends an unsigned integer.
pub fn push_u64(s: &mut String, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    // The buffer holds ASCII digits only.
    s.push_str(std::str::from_utf8(&buf[i..]).unwrap_or("0"));
}

/// Appends a signed integer.
pub fn push_i64(s: &mut String, v: i64) {
    if v < 0 {
        s.push('-');
    }
    push_u64(s, v.unsigned_abs());
}

/// Appends `units / 10^dp` with exactly `dp` decimals, or with trailing zeros (and a bare dot)
/// removed when `trim` is set (OKX style: `43394`, `43394.1`).
pub fn push_dec(s: &mut String, units: i64, dp: u32, trim: bool) {
    if units < 0 {
        s.push('-');
    }
    let u = units.unsigned_abs();
    if dp == 0 {
        push_u64(s, u);
        return;
    }
    let scale = 10u64.pow(dp);
    push_u64(s, u / scale);
    let mut frac = u % scale;
    let mut digits = dp;
    if trim {
        if frac == 0 {
            return;
        }
        while frac.is_multiple_of(10) {
            frac /= 10;
            digits -= 1;
        }
    }
    s.push('.');
    let mut buf = [b'0'; 20];
    let d = digits as usize;
    for i in (0..d).rev() {
        buf[i] = b'0' + (frac % 10) as u8;
        frac /= 10;
    }
    s.push_str(std::str::from_utf8(&buf[..d]).unwrap_or("0"));
}

/// Appends `v` rounded to `dp` decimals (fixed number of decimals).
pub fn push_f64(s: &mut String, v: f64, dp: u32) {
    let units = (v * 10f64.powi(dp as i32)).round();
    let units = if units.is_finite() {
        units.clamp(-9.0e18, 9.0e18) as i64
    } else {
        0
    };
    push_dec(s, units, dp, false);
}

/// Appends `v` rounded to `dp` decimals, with trailing zeros removed.
pub fn push_f64_trim(s: &mut String, v: f64, dp: u32) {
    let units = (v * 10f64.powi(dp as i32)).round();
    let units = if units.is_finite() {
        units.clamp(-9.0e18, 9.0e18) as i64
    } else {
        0
    };
    push_dec(s, units, dp, true);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(units: i64, dp: u32, trim: bool) -> String {
        let mut s = String::new();
        push_dec(&mut s, units, dp, trim);
        s
    }

    #[test]
    fn formats_like_the_exchanges() {
        assert_eq!(dec(4337010, 2, false), "43370.10");
        assert_eq!(dec(433940, 1, true), "43394");
        assert_eq!(dec(433941, 1, true), "43394.1");
        assert_eq!(dec(5, 3, false), "0.005");
        assert_eq!(dec(120, 2, true), "1.2");
        assert_eq!(dec(0, 2, true), "0");
        assert_eq!(dec(-15, 4, false), "-0.0015");
        assert_eq!(dec(7, 0, false), "7");
        let mut s = String::new();
        push_f64(&mut s, 0.000_123_456, 8);
        assert_eq!(s, "0.00012346");
        s.clear();
        push_i64(&mut s, -1);
        push_u64(&mut s, 18_446_744_073_709_551_615);
        assert_eq!(s, "-118446744073709551615");
    }
}
