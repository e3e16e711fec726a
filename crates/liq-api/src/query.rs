//! Query strings as the reference reads them: `application/x-www-form-urlencoded` pairs, blank
//! values kept, the last of repeated keys wins, integers and floats parsed like pydantic's lax
//! mode (422 otherwise, api.md 6.2).

use crate::error::{ApiError, ParamError, ParamKind};

/// The decoded pairs of one query string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

/// `%XX` and `+` decoding; bad escapes stay as they are, bad UTF-8 becomes U+FFFD.
fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = |c: u8| (c as char).to_digit(16);
                match (hex(b[i + 1]), hex(b[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Params {
    /// Parses a raw query string (without the `?`).
    pub fn parse(raw: Option<&str>) -> Self {
        let pairs = raw
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (decode(k), decode(v)),
                None => (decode(p), String::new()),
            })
            .collect();
        Params { pairs }
    }

    /// The last value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// An integer parameter (saturating), collecting a 422 entry into `errs` if it does not parse.
    pub fn int(&self, name: &str, errs: &mut Vec<ParamError>) -> Option<i64> {
        let v = self.get(name)?;
        match parse_int(v) {
            Some(n) => Some(n),
            None => {
                errs.push(ParamError {
                    kind: ParamKind::Int,
                    name: name.to_string(),
                    input: v.to_string(),
                });
                None
            }
        }
    }

    /// A float parameter, collecting a 422 entry into `errs` if it does not parse.
    pub fn float(&self, name: &str, errs: &mut Vec<ParamError>) -> Option<f64> {
        let v = self.get(name)?;
        match parse_float(v) {
            Some(n) => Some(n),
            None => {
                errs.push(ParamError {
                    kind: ParamKind::Float,
                    name: name.to_string(),
                    input: v.to_string(),
                });
                None
            }
        }
    }
}

/// `Err(422)` when any parameter failed to parse.
pub fn check(errs: Vec<ParamError>) -> Result<(), ApiError> {
    if errs.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Unprocessable(errs))
    }
}

/// An integer as pydantic reads a string: optional sign, digits (`_` between digits allowed),
/// an optional `.000` fraction; any length, saturating to `i64`.
pub fn parse_int(s: &str) -> Option<i64> {
    let s = s.trim();
    let (neg, digits) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let digits = match digits.split_once('.') {
        Some((int, frac)) if frac.bytes().all(|c| c == b'0') => int,
        Some(_) => return None,
        None => digits,
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
        || !digits.bytes().all(|c| c.is_ascii_digit() || c == b'_')
    {
        return None;
    }
    let mut n: i64 = 0;
    for c in digits.bytes().filter(u8::is_ascii_digit) {
        let d = i64::from(c - b'0');
        n = n.saturating_mul(10);
        n = if neg {
            n.saturating_sub(d)
        } else {
            n.saturating_add(d)
        };
    }
    Some(n)
}

/// A float as pydantic reads a string: decimal or scientific notation, `inf`, `nan`.
pub fn parse_float(s: &str) -> Option<f64> {
    let s = s.trim();
    if s.is_empty() || s.contains('_') {
        return None;
    }
    s.parse::<f64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ints() {
        assert_eq!(parse_int("42"), Some(42));
        assert_eq!(parse_int(" -3 "), Some(-3));
        assert_eq!(parse_int("5.0"), Some(5));
        assert_eq!(parse_int("1.5"), None);
        assert_eq!(parse_int("abc"), None);
        assert_eq!(parse_int(""), None);
        assert_eq!(parse_int("99999999999999999999999"), Some(i64::MAX));
        assert_eq!(parse_int("-99999999999999999999999"), Some(i64::MIN));
    }

    #[test]
    fn floats() {
        assert_eq!(parse_float("1e6"), Some(1e6));
        assert!(parse_float("nan").is_some_and(f64::is_nan));
        assert_eq!(parse_float("abc"), None);
    }

    #[test]
    fn pairs() {
        let p = Params::parse(Some("symbol=%20eth%20&a&symbol=btc+usdt&x=%zz"));
        assert_eq!(p.get("symbol"), Some("btc usdt"));
        assert_eq!(p.get("a"), Some(""));
        assert_eq!(p.get("x"), Some("%zz"));
    }
}
