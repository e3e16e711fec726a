//! `/liq_forecast` (DECISIONS protocol v2 item 6): the body of a deterministic forecast (insta
//! snapshot of the exact bytes), the horizon and symbol errors, 503 before a forecast, the stale
//! warning, the normalized cache key, and the file `api-only` serves from.

mod common;

use std::time::{Duration, SystemTime};

use common::forecast::snapshot;
use common::{empty, get, start_state};
use liq_api::{AppState, Clock, Options, encode_forecast_file, forecast_file_name, load_dir};

/// Minute 29537420 (2026-02-28 02:20 UTC) and its rollover.
const MINUTE: i64 = 29_537_420;
const TS: f64 = 1_772_245_200.019;

/// A server whose BTC (only) has the test forecast, at `now`.
fn server(now: f64) -> std::net::SocketAddr {
    let state = AppState::new(Clock::Fixed(now), Options::default());
    state.slot(0).set_forecast(snapshot(MINUTE, 65_000.0, TS));
    start_state(state)
}

#[test]
fn body_of_each_horizon() {
    let a = server(TS + 30.0);
    let r = get(a, "/liq_forecast?symbol=BTC&horizon=60");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    insta::assert_snapshot!("liq_forecast_btc_60", r.text());
    let v = r.json();
    let ordered: indexmap::IndexMap<String, serde_json::Value> =
        serde_json::from_slice(&r.body).unwrap();
    let keys: Vec<&str> = ordered.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "symbol",
            "minute_key",
            "ts",
            "horizon",
            "price",
            "close",
            "bin_width",
            "price_low",
            "long",
            "short"
        ]
    );
    assert_eq!(v["price_low"].as_array().unwrap().len(), 200);
    assert_eq!(v["price_low"][100], 65_000.0);
    assert_eq!(v["price_low"][99], 64_935.0);
    for side in ["long", "short"] {
        for k in ["prob", "prior"] {
            let p: Vec<f64> = v[side][k]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect();
            assert_eq!(p.len(), 201, "{side} {k}");
            assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12, "{side} {k}");
        }
    }
    // The pools: the forecast is above the prior at cell 80 (long) and 125 (short).
    assert!(v["long"]["prob"][80].as_f64() > v["long"]["prior"][80].as_f64());
    assert!(v["short"]["prob"][125].as_f64() > v["short"]["prior"][125].as_f64());
    // Default horizon 60; the horizons differ.
    assert_eq!(get(a, "/liq_forecast?symbol=BTC").body, r.body);
    assert_eq!(get(a, "/liq_forecast").body, r.body);
    for h in [15, 240] {
        let o = get(a, &format!("/liq_forecast?horizon={h}"));
        assert_eq!(o.status, 200);
        assert_eq!(o.json()["horizon"], h);
        assert_ne!(o.json()["long"]["prior"], v["long"]["prior"], "{h}");
    }
}

#[test]
fn bad_horizon_and_symbol_are_400() {
    let a = server(TS + 30.0);
    for (q, raw) in [
        ("5", "5"),
        ("abc", "abc"),
        ("", ""),
        ("61", "61"),
        ("-60", "-60"),
    ] {
        let r = get(a, &format!("/liq_forecast?symbol=BTC&horizon={q}"));
        assert_eq!(r.status, 400, "{q}");
        assert_eq!(
            r.text(),
            format!("{{\"detail\":\"Invalid horizon '{raw}'. Valid horizons: 15, 60, 240\"}}")
        );
        assert_eq!(r.header("content-type"), Some("application/json"));
    }
    for q in ["XRP", "BTC-PERP", "BTCUSDTUSDT"] {
        let r = get(a, &format!("/liq_forecast?symbol={q}&horizon=60"));
        assert_eq!(r.status, 400, "{q}");
        assert_eq!(
            r.text(),
            format!("{{\"detail\":\"Invalid symbol '{q}'. Valid symbols: BTC, ETH, SOL\"}}")
        );
    }
    // Both wrong: the symbol is checked first, as everywhere.
    let r = get(a, "/liq_forecast?symbol=XRP&horizon=5");
    assert!(r.text().contains("Invalid symbol"));
    assert_eq!(common::request(a, "POST", "/liq_forecast", &[]).status, 405);
}

#[test]
fn unavailable_before_the_first_forecast() {
    let r = get(empty(), "/liq_forecast?symbol=BTC");
    assert_eq!(r.status, 503);
    assert_eq!(
        r.text(),
        "{\"detail\":\"No forecast for BTC yet (one per minute close), try again shortly\"}"
    );
    // ETH has none on a server where BTC has one.
    let a = server(TS + 30.0);
    assert_eq!(get(a, "/liq_forecast?symbol=ETH").status, 503);
    // The horizon is still validated first.
    assert_eq!(get(empty(), "/liq_forecast?horizon=abc").status, 400);
}

#[test]
fn normalized_queries_share_the_body() {
    let a = server(TS + 30.0);
    let btc = get(a, "/liq_forecast?symbol=BTC&horizon=60").body;
    for q in [
        "symbol=btc",
        "symbol=BTCUSDT&horizon=60",
        "symbol=%20btcusdt%20&horizon=60.0",
        "horizon=15&horizon=60",
        "horizon=+60",
    ] {
        let r = get(a, &format!("/liq_forecast?{q}"));
        assert_eq!((r.status, &r.body), (200, &btc), "{q}");
    }
}

#[test]
fn stale_forecast_gets_the_warning() {
    let a = server(TS + 600.0);
    let r = get(a, "/liq_forecast?symbol=BTC");
    assert_eq!(r.status, 200);
    assert!(
        r.text()
            .ends_with(",\"_warning\":\"Data is 600s old, viewer may be stopped\"}"),
        "{}",
        &r.text()[r.text().len() - 80..]
    );
}

#[test]
fn gzip_when_asked() {
    let a = server(TS + 30.0);
    let plain = get(a, "/liq_forecast");
    let r = common::request(a, "GET", "/liq_forecast", &[("Accept-Encoding", "gzip")]);
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&r.body[..]), &mut out).unwrap();
    assert_eq!(out, plain.body);
    assert!(r.body.len() * 2 < plain.body.len(), "{}", r.body.len());
}

/// `api-only`: the viewer's file gives the same bytes as the embedded publication, and a
/// rewritten file is served after the next reload (which clears the cache).
#[test]
fn the_file_serves_the_same_body() {
    let embedded = get(server(TS + 30.0), "/liq_forecast?symbol=BTC&horizon=240");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(forecast_file_name("BTC"));
    assert_eq!(path.file_name().unwrap(), "liq_forecast_BTC.json");
    let snap = snapshot(MINUTE, 65_000.0, TS);
    std::fs::write(&path, encode_forecast_file("BTC", &snap)).unwrap();
    let (state, mut reloader) = load_dir(dir.path(), Clock::Fixed(TS + 30.0), Options::default());
    let a = start_state(state.clone());
    let from_file = get(a, "/liq_forecast?symbol=BTC&horizon=240");
    assert_eq!((from_file.status, &from_file.body), (200, &embedded.body));
    // The next minute's file.
    let next = snapshot(MINUTE + 1, 65_100.0, TS + 60.0);
    std::fs::write(&path, encode_forecast_file("BTC", &next)).unwrap();
    let later = SystemTime::now() + Duration::from_secs(5);
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(later)
        .unwrap();
    assert!(reloader.reload(dir.path(), &state).published >= 1);
    let r = get(a, "/liq_forecast?symbol=BTC&horizon=240");
    assert_eq!(r.json()["minute_key"], MINUTE + 1);
    assert_eq!(r.json()["price"], 65_100.0);
    // A broken file keeps the last good forecast.
    std::fs::write(&path, b"{\"minute_key\":1}").unwrap();
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(later + Duration::from_secs(5))
        .unwrap();
    reloader.reload(dir.path(), &state);
    assert_eq!(
        get(a, "/liq_forecast?symbol=BTC&horizon=240").json()["minute_key"],
        MINUTE + 1
    );
}
