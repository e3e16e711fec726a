//! Fuzzes what `api-only` reads from a data directory written by another process (a disk or a
//! half-written copy can hold anything) and the query strings of every request: the forecast
//! file, the OI snapshot file, a snapshot body, and `Params`. Byte 0 selects the parser.
//!
//! Invariants: no panic; a forecast file that parses serves a body for every horizon it has,
//! and writes back a file that parses to the same forecast; an OI file that parses re-encodes
//! to one that parses; a query string parses and every value reads as an int or a float or
//! neither.
#![no_main]

use libfuzzer_sys::fuzz_target;
use liq_api::{
    Params, Snapshot, encode_forecast_body, encode_forecast_file, encode_oi, parse_float,
    parse_forecast_file, parse_int, parse_oi,
};

fn forecast(data: &[u8]) {
    let Some(snap) = parse_forecast_file(data) else {
        return;
    };
    for h in snap.forecast.horizons.iter().map(|h| h.horizon) {
        let body = encode_forecast_body("BTC", &snap, h);
        assert!(body.is_some(), "a horizon the forecast has gets a body");
    }
    let again = encode_forecast_file("BTC", &snap);
    let back = parse_forecast_file(&again).expect("our own forecast file parses");
    assert_eq!(back.forecast.horizons.len(), snap.forecast.horizons.len());
}

fn oi(data: &[u8]) {
    if let Some(s) = parse_oi(data) {
        let again = encode_oi("BTC", &s);
        assert!(parse_oi(&again).is_some(), "our own OI file parses");
    }
}

fn query(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let p = Params::parse(Some(s));
    for key in ["symbol", "horizon", "minutes", "limit", "side", "price"] {
        if let Some(v) = p.get(key) {
            let _ = (parse_int(v), parse_float(v));
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    match sel % 4 {
        0 => forecast(rest),
        1 => oi(rest),
        2 => {
            let _ = Snapshot::parse(rest);
        }
        _ => query(rest),
    }
});
