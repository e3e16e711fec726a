//! The built-in web page (`GET /`): served as HTML with its canvas, and rendered in headless
//! Chromium (no driver crate: `--dump-dom`) against the golden state and an empty state; the
//! page writes its render status into `<body data-*>`, read back from the dumped DOM.

mod common;

use std::collections::HashMap;
use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{empty, get, golden};

/// Wall-clock limit of one Chromium run (it normally takes a few seconds).
const CHROMIUM_WALL: Duration = Duration::from_secs(90);

#[test]
fn root_serves_the_page() {
    let a = empty();
    for path in ["/", "/index.html", "/?symbol=ETH"] {
        let r = get(a, path);
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(
            r.header("content-type"),
            Some("text/html; charset=utf-8"),
            "{path}"
        );
        let t = r.text();
        assert!(t.starts_with("<!DOCTYPE html>"), "{path}");
        assert!(t.contains("<canvas id=\"heatmap\""), "{path}");
        assert!(t.contains("liq_heatmap_v2_history"), "script inlined");
        assert!(!t.contains("/*SCRIPT*/") && !t.contains("/*STYLE*/"));
    }
    assert_eq!(get(a, "/").body, get(a, "/index.html").body);
    // Only GET, as every other path.
    assert_eq!(common::request(a, "POST", "/", &[]).status, 405);
}

fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    for name in ["chromium", "chromium-browser"] {
        for dir in std::env::split_paths(&path) {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// The Chromium binary, or `None` (skipped) when it is missing outside CI.
fn chromium_or_skip(test: &str) -> Option<PathBuf> {
    let c = chromium();
    if c.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{test}: no chromium binary (chromium, chromium-browser) on PATH and CI is set"
        );
        eprintln!("{test}: skipped, no chromium binary (chromium, chromium-browser) on PATH");
    }
    c
}

/// `chromium --headless --dump-dom URL`, killed after [`CHROMIUM_WALL`].
fn dump_dom(bin: &PathBuf, url: &str) -> String {
    let profile = tempfile::tempdir().expect("profile dir");
    let mut child = Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
            "--virtual-time-budget=15000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn chromium");
    let mut out = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + CHROMIUM_WALL;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            assert!(status.success(), "chromium exited with {status}");
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within {CHROMIUM_WALL:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    reader.join().expect("reader")
}

/// The attributes of the dumped `<body>` tag (entities `&quot;`, `&amp;`, `&lt;`, `&gt;`
/// decoded).
fn body_attrs(dom: &str) -> HashMap<String, String> {
    let start = dom.find("<body").expect("<body> in the dumped DOM") + "<body".len();
    let s = &dom[start..];
    let mut attrs = HashMap::new();
    let mut i = 0;
    let b = s.as_bytes();
    loop {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= b.len() || b[i] == b'>' {
            return attrs;
        }
        let name_start = i;
        while i < b.len() && !matches!(b[i], b'=' | b'>') && !b[i].is_ascii_whitespace() {
            i += 1;
        }
        let name = s[name_start..i].to_string();
        let mut value = String::new();
        if i < b.len() && b[i] == b'=' {
            i += 1;
            assert_eq!(b.get(i), Some(&b'"'), "quoted attribute value");
            let end = s[i + 1..].find('"').expect("closing quote") + i + 1;
            value = s[i + 1..end]
                .replace("&quot;", "\"")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&nbsp;", "\u{a0}")
                .replace("&amp;", "&");
            i = end + 1;
        }
        attrs.insert(name, value);
    }
}

/// Renders `/{query}` of the server at `a` in Chromium; the body's data attributes.
fn render(bin: &PathBuf, a: SocketAddr, query: &str) -> HashMap<String, String> {
    let dom = dump_dom(bin, &format!("http://{a}/{query}"));
    body_attrs(&dom)
}

/// Non-empty cells of a history body (the page colours `max(long, short) > 0`).
fn expected_cells(h: &serde_json::Value) -> usize {
    let long = h["long"].as_array().expect("long");
    let short = h["short"].as_array().expect("short");
    long.iter()
        .zip(short)
        .filter(|(l, s)| l.as_u64().unwrap_or(0).max(s.as_u64().unwrap_or(0)) > 0)
        .count()
}

/// Band cells of a `/liq_forecast` body the page draws: per side, those with a probability
/// above 0 whose price range meets the history's (`None` body: 0).
fn expected_forecast_cells(fc: Option<&serde_json::Value>, h: &serde_json::Value) -> usize {
    let Some(fc) = fc else { return 0 };
    let prices = h["prices"].as_array().expect("prices");
    let step = h["step"].as_f64().expect("step");
    let lo = prices[0].as_f64().unwrap() - step / 2.0;
    let hi = prices[prices.len() - 1].as_f64().unwrap() + step / 2.0;
    let bw = fc["bin_width"].as_f64().expect("bin_width");
    let lows = fc["price_low"].as_array().expect("price_low");
    ["long", "short"]
        .iter()
        .map(|s| {
            lows.iter()
                .enumerate()
                .filter(|(j, a)| {
                    let a = a.as_f64().unwrap();
                    fc[s]["prob"][*j].as_f64().unwrap() > 0.0 && a + bw >= lo && a <= hi
                })
                .count()
        })
        .sum()
}

#[test]
fn page_renders_the_golden_state_in_chromium() {
    let Some(a) = golden("web_page") else { return };
    let Some(bin) = chromium_or_skip("web_page") else {
        return;
    };
    for symbol in ["BTC", "ETH"] {
        let hist = get(a, &format!("/liq_heatmap_v2_history?symbol={symbol}")).json();
        let zones = get(a, &format!("/liq_zones?symbol={symbol}")).json();
        let cells = expected_cells(&hist);
        assert!(cells > 0, "the golden {symbol} history has cells");
        let attrs = render(&bin, a, &format!("?symbol={symbol}"));
        let attr = |k: &str| attrs.get(k).map(String::as_str);
        assert_eq!(attr("data-render"), Some("ok"), "{symbol}: {attrs:?}");
        assert_eq!(attr("data-error"), Some(""), "{symbol}");
        assert_eq!(attr("data-symbol"), Some(symbol));
        assert_eq!(
            attr("data-cells"),
            Some(cells.to_string().as_str()),
            "{symbol}"
        );
        assert_eq!(
            attr("data-frames"),
            Some(hist["t"].as_array().expect("t").len().to_string().as_str())
        );
        let n_zones = zones["zones_count"].as_u64().expect("zones_count");
        assert_eq!(
            attr("data-zones"),
            Some(n_zones.to_string().as_str()),
            "{symbol}"
        );
        let drawn: u64 = attr("data-zones-drawn")
            .and_then(|v| v.parse().ok())
            .expect("data-zones-drawn");
        assert!(
            drawn > 0 && drawn <= n_zones,
            "{symbol}: {drawn} zones drawn"
        );
        // The forecast profile: BTC has the test forecast (common::golden), ETH none.
        let fc = get(a, &format!("/liq_forecast?symbol={symbol}&horizon=60"));
        let fc = (fc.status == 200).then(|| fc.json());
        let want = expected_forecast_cells(fc.as_ref(), &hist);
        assert_eq!(
            symbol == "BTC",
            want > 0,
            "{symbol}: {want} forecast cells expected"
        );
        assert_eq!(
            attr("data-forecast-cells"),
            Some(want.to_string().as_str()),
            "{symbol}"
        );
        // 15 s of virtual time: the first load and at least two 5 s refreshes.
        let loads: u32 = attr("data-loads")
            .and_then(|v| v.parse().ok())
            .expect("data-loads");
        assert!(loads >= 3, "{symbol}: {loads} loads, {attrs:?}");
    }
}

#[test]
fn page_reports_missing_data_in_chromium() {
    let a = empty();
    let Some(bin) = chromium_or_skip("web_page_empty") else {
        return;
    };
    let attrs = render(&bin, a, "");
    let attr = |k: &str| attrs.get(k).map(String::as_str).unwrap_or("");
    assert_eq!(attr("data-render"), "error", "{attrs:?}");
    assert_eq!(attr("data-cells"), "0");
    assert_eq!(attr("data-forecast-cells"), "0");
    let err = attr("data-error");
    assert!(
        err.contains("Data for BTC is warming up") && err.contains("HTTP 503"),
        "{err}"
    );
}
