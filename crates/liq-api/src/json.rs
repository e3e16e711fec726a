//! Compact JSON as the reference writes it: `,` and `:` separators and Python's float `repr`
//! (`20.0`, `1e-06`); non-finite floats become `null`.

use std::io;

use axum::body::Bytes;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use liq_core::pyfmt::py_float_repr;
use serde::Serialize;
use serde_json::ser::Formatter;
use serde_json::value::RawValue;

use crate::error::ApiError;

/// A compact formatter printing floats with Python's `repr`.
#[derive(Debug, Default, Clone, Copy)]
pub struct PyCompact;

impl Formatter for PyCompact {
    fn write_f64<W: ?Sized + io::Write>(&mut self, w: &mut W, value: f64) -> io::Result<()> {
        // serde_json writes `null` for non-finite values before reaching the formatter.
        w.write_all(py_float_repr(value).as_bytes())
    }

    fn write_f32<W: ?Sized + io::Write>(&mut self, w: &mut W, value: f32) -> io::Result<()> {
        self.write_f64(w, f64::from(value))
    }
}

/// Serializes `v` as compact Python-style JSON.
pub fn to_json<T: Serialize + ?Sized>(v: &T) -> Result<Vec<u8>, ApiError> {
    let mut out = Vec::with_capacity(256);
    let mut ser = serde_json::Serializer::with_formatter(&mut out, PyCompact);
    v.serialize(&mut ser)
        .map_err(|e| ApiError::Internal(format!("json: {e}")))?;
    Ok(out)
}

/// A float as Python prints it in JSON (`null` when not finite).
pub fn py_float(x: f64) -> String {
    liq_core::pyfmt::py_json_float(x)
}

/// A raw JSON fragment from already valid JSON text.
pub fn raw(text: String) -> Result<Box<RawValue>, ApiError> {
    RawValue::from_string(text).map_err(|e| ApiError::Internal(format!("raw json: {e}")))
}

/// JSON text with every whitespace byte outside strings removed.
pub fn minify(src: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(src.len());
    let (mut in_str, mut escaped) = (false, false);
    for &b in src {
        if in_str {
            out.push(b);
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_str = false;
            }
        } else if !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            if b == b'"' {
                in_str = true;
            }
            out.push(b);
        }
    }
    out
}

/// A 200/4xx/5xx response with a JSON body.
pub fn json_response(status: StatusCode, body: Bytes) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minify_keeps_strings() {
        let got = minify(br#"{"a": [1, 2.0], "b c": "x \" y"}"#);
        assert_eq!(got, br#"{"a":[1,2.0],"b c":"x \" y"}"#);
    }

    #[test]
    fn floats_are_python_repr() {
        let v = serde_json::json!({"a": 1e-6, "b": 20.0, "c": 3});
        let s = String::from_utf8(to_json(&v).unwrap()).unwrap();
        assert_eq!(s, r#"{"a":1e-06,"b":20.0,"c":3}"#);
    }
}
