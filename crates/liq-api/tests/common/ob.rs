//! Helpers of the order-book contract tests: JSON arrays as numbers and bytes, and the 64-byte
//! header of api.md 5.9 read field by field (independently of liq-core's decoder).

use serde_json::{Value, json};

use super::Resp;

pub fn detail(r: &Resp) -> Value {
    r.json()["detail"].clone()
}

pub fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

pub fn bytes(v: &Value) -> Vec<u8> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| u8::try_from(x.as_u64().expect("int")).expect("u8"))
        .collect()
}

/// The cell of `side` at `price`.
pub fn at(b: &Value, side: &str, price: f64) -> u8 {
    let j = floats(&b["prices"])
        .iter()
        .position(|&p| p == price)
        .expect("price on the grid");
    bytes(&b[side])[j]
}

pub fn nonzero(v: &Value) -> usize {
    bytes(v).iter().filter(|&&b| b > 0).count()
}

/// The 64-byte header of 5.9 read field by field (independently of liq-core's decoder).
#[derive(Debug, PartialEq)]
pub struct Header(
    pub u8,
    pub u8,
    pub u16,
    pub u64,
    pub u32,
    pub u16,
    pub u16,
    pub f64,
    pub f64,
    pub f64,
    pub f64,
    pub [u16; 6],
);

pub fn header(b: &[u8]) -> Header {
    let u16_at = |o: usize| u16::from_le_bytes([b[o], b[o + 1]]);
    let f64_at = |o: usize| f64::from_le_bytes(b[o..o + 8].try_into().expect("8 bytes"));
    Header(
        b[0],
        b[1],
        u16_at(2),
        u64::from_le_bytes(b[4..12].try_into().expect("8 bytes")),
        u32::from_le_bytes(b[12..16].try_into().expect("4 bytes")),
        u16_at(16),
        u16_at(18),
        f64_at(20),
        f64_at(28),
        f64_at(36),
        f64_at(44),
        [
            u16_at(52),
            u16_at(54),
            u16_at(56),
            u16_at(58),
            u16_at(60),
            u16_at(62),
        ],
    )
}

/// The history body with its matrices summarized (the full body is 300 kB).
pub fn summary(b: &Value) -> Value {
    let mut s = b.clone();
    for k in ["t", "prices", "bid_u8", "ask_u8"] {
        let n = b[k].as_array().map_or(0, Vec::len);
        let sum: f64 = b[k]
            .as_array()
            .map_or(0.0, |v| v.iter().filter_map(Value::as_f64).sum());
        s[k] = json!({"len": n, "sum": sum, "first": b[k][0], "last": b[k][n.max(1) - 1]});
    }
    s
}
