//! Byte-exact reproductions of Python 3 text output: `repr(float)`, `json.dumps(indent=2)` and
//! `datetime.utcfromtimestamp(ts).isoformat()`.
//!
//! Rounding lives in [`crate::grid`] (`py_round`, `py_round_exact`); this module only formats.

use serde_json::Value;

/// Python 3 `repr(x)` of a float: shortest round-trip digits, `inf`, `-inf` or `nan`.
///
/// Fixed notation when the decimal exponent `e` (of `d.ddd * 10^e`) is in `-4 <= e < 16`, with
/// `.0` appended to integral values (`100.0`, `-0.0`); otherwise scientific with a signed,
/// at-least-two-digit exponent (`1e-05`, `1.5e+16`, `1e+100`).
pub fn py_float_repr(x: f64) -> String {
    if x.is_nan() {
        return "nan".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    // `LowerExp` of an f64 prints the shortest round-trip digits closest to the exact value,
    // e.g. `-1.2345e-5`, `0e0`: Python's dtoa mode 0 digits except at exact ties (fixed below).
    let sci = format!("{x:e}");
    let (neg, body) = match sci.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, sci.as_str()),
    };
    let (mantissa, exp) = body.split_once('e').unwrap_or((body, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let mut digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    prefer_even_tie(x.abs(), &mut digits, exp);

    let mut out = String::with_capacity(digits.len() + 8);
    if neg {
        out.push('-');
    }
    if (-4..16).contains(&exp) {
        push_fixed(&mut out, &digits, exp);
    } else {
        push_scientific(&mut out, &digits, exp);
    }
    out
}

/// Python's dtoa breaks an exact tie between two shortest candidates toward the even last
/// digit (`1350673485179563.25` -> `...563.2`); Rust's `{:e}` may pick the odd one.
fn prefer_even_tie(x: f64, digits: &mut String, exp: i32) {
    let Ok(d) = digits.parse::<u64>() else {
        return;
    };
    if d % 2 == 0 {
        return;
    }
    // `digits` stands for `d * 10^(exp - n + 1)`; midpoints to its neighbours are
    // `(10d -/+ 5) * 10^(exp - n)`.
    let n = digits.len();
    let q = exp - n as i32;
    for (mid, cand) in [(d * 10 - 5, d - 1), (d * 10 + 5, d + 1)] {
        let text = cand.to_string();
        if text.len() != n || !equals_decimal(x, mid, q) {
            continue;
        }
        if format!("{text}e{}", q + 1).parse::<f64>() == Ok(x) {
            *digits = text;
            return;
        }
    }
}

/// Whether the positive finite `x` is exactly `mid * 10^q`, for an odd `mid`.
fn equals_decimal(x: f64, mid: u64, q: i32) -> bool {
    let bits = x.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1 << 52) - 1);
    let (m, k) = if biased == 0 {
        (fraction, -1074)
    } else {
        (fraction | (1 << 52), biased - 1075)
    };
    if m == 0 {
        return false;
    }
    // `x = odd * 2^k` and `mid * 10^q = mid * 5^q * 2^q` with `mid * 5^q` odd.
    let tz = m.trailing_zeros();
    let (odd, k) = (u128::from(m >> tz), k + tz as i32);
    let Some(five) = 5u128.checked_pow(q.unsigned_abs()) else {
        return false;
    };
    k == q
        && if q >= 0 {
            u128::from(mid).checked_mul(five) == Some(odd)
        } else {
            odd.checked_mul(five) == Some(u128::from(mid))
        }
}

/// Lays out `0.ddd * 10^(exp + 1)` in fixed notation, Python style.
fn push_fixed(out: &mut String, digits: &str, exp: i32) {
    let n = digits.len();
    // Position of the decimal point counted from the left of `digits`.
    let point = exp + 1;
    if point <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', point.unsigned_abs() as usize));
        out.push_str(digits);
    } else {
        let point = point.unsigned_abs() as usize;
        if point >= n {
            out.push_str(digits);
            out.extend(std::iter::repeat_n('0', point - n));
            out.push_str(".0");
        } else {
            let (int_part, frac_part) = digits.split_at(point);
            out.push_str(int_part);
            out.push('.');
            out.push_str(frac_part);
        }
    }
}

/// Lays out `d.ddd e±XX`, Python style (no `.` for a single digit).
fn push_scientific(out: &mut String, digits: &str, exp: i32) {
    let (first, rest) = digits.split_at(digits.len().min(1));
    out.push_str(first);
    if !rest.is_empty() {
        out.push('.');
        out.push_str(rest);
    }
    out.push('e');
    out.push(if exp < 0 { '-' } else { '+' });
    out.push_str(&format!("{:02}", exp.unsigned_abs()));
}

/// [`py_float_repr`] for JSON output: non-finite values become `null` (we never write `NaN`).
pub fn py_json_float(x: f64) -> String {
    if x.is_finite() {
        py_float_repr(x)
    } else {
        "null".to_owned()
    }
}

/// First second of year 1 (`datetime.min`) as a Unix time.
const MIN_PY_SECS: f64 = -62_135_596_800.0;
/// Last second of year 9999 (`datetime.max`, whole seconds) as a Unix time.
const MAX_PY_SECS: f64 = 253_402_300_799.0;
/// Seconds per day.
const DAY_SECS: i64 = 86_400;

/// Python `datetime.utcfromtimestamp(ts).isoformat()`: `YYYY-MM-DDTHH:MM:SS[.ffffff]`.
///
/// Microseconds are `round_half_even(fract(ts) * 1e6)` with carry into the seconds, as CPython;
/// negative times are proleptic Gregorian. Returns `"invalid"` where Python raises: for
/// non-finite `ts` and for results outside years 1..=9999.
pub fn iso_utc(ts: f64) -> String {
    if !ts.is_finite() {
        return "invalid".to_owned();
    }
    let mut secs = ts.trunc();
    let mut micros = ((ts - secs) * 1e6).round_ties_even();
    if micros >= 1e6 {
        micros -= 1e6;
        secs += 1.0;
    } else if micros < 0.0 {
        micros += 1e6;
        secs -= 1.0;
    }
    if !(MIN_PY_SECS..=MAX_PY_SECS).contains(&secs) {
        return "invalid".to_owned();
    }
    // Both are exact integers in range after the checks above.
    let secs = secs as i64;
    let micros = micros as u32;
    let (year, month, day) = civil_from_days(secs.div_euclid(DAY_SECS));
    let sod = secs.rem_euclid(DAY_SECS);
    let mut out = format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    );
    if micros != 0 {
        out.push_str(&format!(".{micros:06}"));
    }
    out
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to proleptic (year, month, day).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    // `day` is in 1..=31 and `month` in 1..=12 by construction.
    (year, month as u32, day as u32)
}

/// Python `json.dumps(value, indent=2)` of a `serde_json::Value`, without a trailing newline.
///
/// Integers print as integers and floats via [`py_float_repr`]. Object keys come out in the
/// `Value`'s own order, which is sorted because serde_json's `preserve_order` is off; use
/// [`PyJsonWriter`] when the key order matters.
pub fn json_pretty_py(value: &Value) -> String {
    let mut w = PyJsonWriter::new();
    write_value(&mut w, value);
    w.finish()
}

/// Feeds one `Value` into the writer, depth first.
fn write_value(w: &mut PyJsonWriter, value: &Value) {
    match value {
        Value::Null => w.null(),
        Value::Bool(b) => w.bool(*b),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                w.int(i);
            } else if let Some(u) = n.as_u64() {
                w.raw(&u.to_string());
            } else {
                w.float(n.as_f64().unwrap_or(f64::NAN));
            }
        }
        Value::String(s) => w.string(s),
        Value::Array(items) => {
            w.begin_array();
            items.iter().for_each(|v| write_value(w, v));
            w.end_array();
        }
        Value::Object(map) => {
            w.begin_object();
            for (k, v) in map {
                w.key(k);
                write_value(w, v);
            }
            w.end_object();
        }
    }
}

/// One open container of a [`PyJsonWriter`].
#[derive(Debug, Clone, Copy)]
struct Frame {
    /// `true` for `{`, `false` for `[`.
    object: bool,
    /// Members written so far.
    count: usize,
}

/// Streaming writer whose output is byte-identical to Python `json.dumps(obj, indent=2)` for the
/// same ordered structure (ASCII only, floats via [`py_json_float`], no trailing newline).
///
/// Calls must form a well-nested document: every object value preceded by [`Self::key`]. Misuse
/// trips a `debug_assert!` and otherwise yields malformed JSON rather than panicking.
#[derive(Debug, Default, Clone)]
pub struct PyJsonWriter {
    /// Text written so far.
    out: String,
    /// Open containers, innermost last.
    stack: Vec<Frame>,
    /// A key was written and its value is pending.
    after_key: bool,
}

impl PyJsonWriter {
    /// An empty writer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Opens an object (`{`).
    pub fn begin_object(&mut self) {
        self.open(true);
    }

    /// Opens an array (`[`).
    pub fn begin_array(&mut self) {
        self.open(false);
    }

    /// Closes the innermost object (`}`).
    pub fn end_object(&mut self) {
        self.close(true);
    }

    /// Closes the innermost array (`]`).
    pub fn end_array(&mut self) {
        self.close(false);
    }

    /// Writes an object key; the next call must write its value.
    pub fn key(&mut self, key: &str) {
        debug_assert!(!self.after_key, "PyJsonWriter: key after key");
        debug_assert!(
            self.stack.last().is_some_and(|f| f.object),
            "PyJsonWriter: key outside an object"
        );
        let depth = self.stack.len();
        if let Some(frame) = self.stack.last_mut() {
            separate(&mut self.out, frame.count, depth);
            frame.count += 1;
        }
        push_py_string(&mut self.out, key);
        self.out.push_str(": ");
        self.after_key = true;
    }

    /// Writes an integer.
    pub fn int(&mut self, value: i64) {
        self.raw(&value.to_string());
    }

    /// Writes a float as Python would (`1.0`, `1e-05`); non-finite values become `null`.
    pub fn float(&mut self, value: f64) {
        self.raw(&py_json_float(value));
    }

    /// Writes a string, escaped like Python with `ensure_ascii=True`.
    pub fn string(&mut self, value: &str) {
        self.before_value();
        push_py_string(&mut self.out, value);
    }

    /// Writes `true` or `false`.
    pub fn bool(&mut self, value: bool) {
        self.raw(if value { "true" } else { "false" });
    }

    /// Writes `null`.
    pub fn null(&mut self) {
        self.raw("null");
    }

    /// The finished document (no trailing newline, like Python's `json.dump`).
    pub fn finish(self) -> String {
        debug_assert!(
            self.stack.is_empty() && !self.after_key,
            "PyJsonWriter: unfinished document"
        );
        self.out
    }

    /// Writes a scalar token verbatim.
    fn raw(&mut self, token: &str) {
        self.before_value();
        self.out.push_str(token);
    }

    /// Emits the separator and indentation due before a value.
    fn before_value(&mut self) {
        if std::mem::take(&mut self.after_key) {
            return;
        }
        let depth = self.stack.len();
        if let Some(frame) = self.stack.last_mut() {
            debug_assert!(!frame.object, "PyJsonWriter: object value without a key");
            separate(&mut self.out, frame.count, depth);
            frame.count += 1;
        }
    }

    /// Starts a container.
    fn open(&mut self, object: bool) {
        self.before_value();
        self.out.push(if object { '{' } else { '[' });
        self.stack.push(Frame { object, count: 0 });
    }

    /// Ends a container: empty ones stay `{}` / `[]`.
    fn close(&mut self, object: bool) {
        debug_assert!(!self.after_key, "PyJsonWriter: key without a value");
        let frame = self.stack.pop();
        debug_assert!(
            frame.is_some_and(|f| f.object == object),
            "PyJsonWriter: mismatched close"
        );
        if frame.is_some_and(|f| f.count > 0) {
            self.out.push('\n');
            push_indent(&mut self.out, self.stack.len());
        }
        self.out.push(if object { '}' } else { ']' });
    }
}

/// `,` (after the first member), newline and indentation for a member at `depth`.
fn separate(out: &mut String, count: usize, depth: usize) {
    if count > 0 {
        out.push(',');
    }
    out.push('\n');
    push_indent(out, depth);
}

/// Two spaces per level.
fn push_indent(out: &mut String, depth: usize) {
    out.extend(std::iter::repeat_n(' ', 2 * depth));
}

/// A JSON string literal escaped like Python's `json` with `ensure_ascii=True`.
fn push_py_string(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for &unit in c.encode_utf16(&mut units).iter() {
                    out.push_str("\\u");
                    for shift in [12, 8, 4, 0] {
                        out.push(char::from(HEX[usize::from((unit >> shift) & 0xf)]));
                    }
                }
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests;
