//! Server behaviour: aliases, gzip, CORS, timeouts, the reload, and a property test that no
//! query string yields a 5xx.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{RUN_NOW, get, golden, golden_dir, request, start_with};
use liq_api::{Clock, Options, PATHS, Version, load_dir};
use proptest::prelude::*;

const QUERIES: [&str; 11] = [
    "",
    "symbol=ETH",
    "symbol=SOL&min_notional=100000",
    "symbol=btc",
    "symbol=BTC&minutes=60&stride=2",
    "symbol=ETH&minutes=10",
    "symbol=BTC&side=short&min_leverage=20&max_leverage=100",
    "symbol=eth",
    "symbol=SOL&min_weight=0.5&min_notional=1000",
    "symbol=XRP",
    "symbol=BTC&horizon=15",
];

#[test]
fn every_alias_answers_like_its_primary() {
    let Some(a) = golden("aliases") else { return };
    for (primary, alias) in PATHS {
        let Some(alias) = alias else { continue };
        for q in QUERIES {
            let p = get(a, &format!("{primary}?{q}"));
            let al = get(a, &format!("{alias}?{q}"));
            assert_eq!(
                (p.status, &p.body),
                (al.status, &al.body),
                "{primary} vs {alias} ?{q}"
            );
        }
    }
}

#[test]
fn gzip_when_asked() {
    let Some(a) = golden("gzip") else { return };
    let plain = get(a, "/liq_heatmap_v2_history?symbol=BTC");
    assert!(plain.header("content-encoding").is_none());
    let gz = request(
        a,
        "GET",
        "/liq_heatmap_v2_history?symbol=BTC",
        &[("Accept-Encoding", "gzip")],
    );
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&gz.body[..])
        .read_to_end(&mut out)
        .expect("gunzip");
    assert_eq!(out, plain.body);
    assert!(gz.body.len() < plain.body.len());
}

#[test]
fn cors_only_when_configured() {
    let Some(dir) = golden_dir("cors") else {
        return;
    };
    let opts = Options {
        cors_origin: Some("http://example.com".into()),
        ..Options::default()
    };
    let a = start_with(&dir, Clock::Fixed(RUN_NOW), opts);
    let r = request(a, "GET", "/health", &[("Origin", "http://example.com")]);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("http://example.com")
    );
    let pre = request(
        a,
        "OPTIONS",
        "/liq_zones",
        &[
            ("Origin", "http://example.com"),
            ("Access-Control-Request-Method", "GET"),
        ],
    );
    assert_eq!(pre.status, 200);
}

#[test]
fn unfinished_request_is_dropped() {
    let Some(a) = golden("unfinished") else {
        return;
    };
    let mut s = TcpStream::connect(a).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(15)))
        .expect("timeout");
    s.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        .expect("send");
    let t0 = Instant::now();
    let mut buf = Vec::new();
    // The server closes (possibly after a 408) once the header timeout (1 s in tests) passes.
    let _ = s.read_to_end(&mut buf);
    let waited = t0.elapsed();
    assert!(waited < Duration::from_secs(10), "not closed: {waited:?}");
    assert!(
        waited >= Duration::from_millis(500),
        "closed too early: {waited:?}"
    );
}

#[test]
fn client_that_never_reads_is_dropped() {
    let Some(a) = golden("never_reads") else {
        return;
    };
    let mut s = TcpStream::connect(a).expect("connect");
    s.set_write_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let one = b"GET /liq_heatmap_v2_history?symbol=BTC HTTP/1.1\r\nHost: x\r\n\r\n";
    let body_len = get(a, "/liq_heatmap_v2_history?symbol=BTC").body.len();
    // Far more response bytes than the socket buffers hold.
    let n = (64 << 20) / body_len + 1;
    let mut sent = 0;
    for _ in 0..n {
        if s.write_all(one).is_err() {
            break;
        }
        sent += 1;
    }
    std::thread::sleep(Duration::from_secs(4));
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut total = 0usize;
    let mut buf = vec![0u8; 1 << 16];
    let t0 = Instant::now();
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(k) => total += k,
        }
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "connection not closed"
        );
    }
    assert!(
        total < sent * body_len,
        "the server wrote everything: {total} bytes"
    );
}

#[test]
fn reload_publishes_and_appends_history() {
    let Some(golden) = golden_dir("reload") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let (state, mut reloader) = load_dir(dir.path(), Clock::Fixed(RUN_NOW), Options::default());
    assert!(state.slot(0).snapshot(Version::V2).is_none());
    let v2 = std::fs::read(golden.join("liq_api_snapshot_v2_BTC.json")).expect("read");
    std::fs::write(dir.path().join("liq_api_snapshot_v2_BTC.json"), &v2).expect("write");
    assert_eq!(reloader.reload(dir.path(), &state).published, 1);
    assert_eq!(state.slot(0).history(Version::V2).len(), 1);
    // Unchanged file: nothing published; same minute, later ts: not appended.
    assert_eq!(reloader.reload(dir.path(), &state).published, 0);
    let text = String::from_utf8(v2.clone()).expect("utf-8");
    let later = text.replacen("\"ts\": 1772245200.0030882", "\"ts\": 1772245230.5", 1);
    std::fs::write(dir.path().join("liq_api_snapshot_v2_BTC.json"), later).expect("write");
    assert_eq!(reloader.reload(dir.path(), &state).published, 1);
    assert_eq!(state.slot(0).history(Version::V2).len(), 1);
    let next = text.replacen("\"ts\": 1772245200.0030882", "\"ts\": 1772245260.1", 1);
    std::fs::write(dir.path().join("liq_api_snapshot_v2_BTC.json"), next).expect("write");
    reloader.reload(dir.path(), &state);
    assert_eq!(state.slot(0).history(Version::V2).len(), 2);
    // A broken file keeps the last good snapshot.
    std::fs::write(dir.path().join("liq_api_snapshot_v2_BTC.json"), "{oops").expect("write");
    assert_eq!(reloader.reload(dir.path(), &state).failed, 1);
    assert_eq!(
        state.slot(0).snapshot(Version::V2).map(|s| s.ts),
        Some(1772245260.1)
    );
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("nan".to_string()),
        Just("-inf".to_string()),
        Just("1e309".to_string()),
        Just("99999999999999999999999999".to_string()),
        Just("-99999999999999999999999999".to_string()),
        Just("%FF%FE".to_string()),
        Just("%".to_string()),
        Just("long".to_string()),
        Just("bin".to_string()),
        Just("60".to_string()),
        Just("240".to_string()),
        any::<i64>().prop_map(|v| v.to_string()),
        any::<f64>().prop_map(|v| v.to_string()),
        "[A-Za-z0-9%+._~-]{0,24}",
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("symbol".to_string()),
        Just("min_notional".to_string()),
        Just("minutes".to_string()),
        Just("stride".to_string()),
        Just("side".to_string()),
        Just("min_leverage".to_string()),
        Just("max_leverage".to_string()),
        Just("min_weight".to_string()),
        Just("step".to_string()),
        Just("price_min".to_string()),
        Just("price_max".to_string()),
        Just("range_pct".to_string()),
        Just("format".to_string()),
        Just("horizon".to_string()),
        "[a-z_%0-9]{0,12}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn no_query_string_gives_a_5xx(pairs in prop::collection::vec((key(), value()), 0..6), sep in prop_oneof![Just("&"), Just("&&"), Just(";")]) {
        let Some(a) = golden("proptest") else { return Ok(()) };
        let q: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let q = q.join(sep);
        for (path, _) in PATHS {
            let r = get(a, &format!("{path}?{q}"));
            // No OI poller in the golden state; a forecast for BTC only.
            let expected_503 = path == "/oi" || path == "/liq_forecast";
            prop_assert!(r.status < 500 || (expected_503 && r.status == 503), "{path}?{q} -> {}", r.status);
        }
    }
}
