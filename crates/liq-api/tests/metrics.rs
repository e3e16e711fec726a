//! `GET /metrics`: the body parses as Prometheus text, per-route request counters move by the
//! requests made, labels come from the route table (never the raw URI), and the scrape-time
//! snapshot ages follow the state. Numbers are volatile: the tests assert structure and deltas.
//!
//! The recorder is global to the process, so only one test here requests `/liq_heatmap_v2`.

mod common;

use std::collections::HashMap;

use common::{RUN_NOW, get, golden};

/// One sample line: name, labels, value.
#[derive(Debug, Clone, PartialEq)]
struct Sample {
    name: String,
    labels: HashMap<String, String>,
    value: f64,
}

/// Parses the text exposition format (0.0.4); panics on a malformed line.
fn parse(text: &str) -> (Vec<Sample>, HashMap<String, String>) {
    let mut types = HashMap::new();
    let mut samples = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix('#') {
            let mut it = rest.split_whitespace();
            match it.next() {
                Some("TYPE") => {
                    let name = it.next().expect("TYPE name").to_string();
                    let kind = it.next().expect("TYPE kind").to_string();
                    assert!(
                        ["counter", "gauge", "histogram", "summary", "untyped"]
                            .contains(&kind.as_str()),
                        "{line}"
                    );
                    assert!(
                        types.insert(name, kind).is_none(),
                        "TYPE given twice: {line}"
                    );
                }
                Some("HELP") => assert!(it.next().is_some(), "{line}"),
                _ => {}
            }
            continue;
        }
        samples.push(sample(line));
    }
    (samples, types)
}

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
        && !s.starts_with(|c: char| c.is_ascii_digit())
}

fn sample(line: &str) -> Sample {
    let name_end = line
        .find(['{', ' '])
        .unwrap_or_else(|| panic!("no value: {line}"));
    let name = &line[..name_end];
    assert!(is_name(name), "metric name {name:?} in {line}");
    let mut labels = HashMap::new();
    let mut rest = &line[name_end..];
    if let Some(r) = rest.strip_prefix('{') {
        let mut r = r;
        loop {
            if let Some(after) = r.strip_prefix('}') {
                rest = after;
                break;
            }
            let eq = r.find('=').unwrap_or_else(|| panic!("label: {line}"));
            let key = &r[..eq];
            assert!(is_name(key), "label name {key:?} in {line}");
            let v = r[eq + 1..]
                .strip_prefix('"')
                .unwrap_or_else(|| panic!("quote: {line}"));
            let mut value = String::new();
            let mut chars = v.char_indices();
            let end = loop {
                match chars.next() {
                    Some((_, '\\')) => match chars.next() {
                        Some((_, 'n')) => value.push('\n'),
                        Some((_, c)) => value.push(c),
                        None => panic!("escape: {line}"),
                    },
                    Some((i, '"')) => break i,
                    Some((_, c)) => value.push(c),
                    None => panic!("unterminated label value: {line}"),
                }
            };
            labels.insert(key.to_string(), value);
            r = &v[end + 1..];
            r = r.strip_prefix(',').unwrap_or(r);
        }
    }
    let mut fields = rest.split_whitespace();
    let value = match fields.next().unwrap_or_else(|| panic!("value: {line}")) {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        v => v.parse().unwrap_or_else(|_| panic!("value {v:?}: {line}")),
    };
    if let Some(ts) = fields.next() {
        ts.parse::<i64>()
            .unwrap_or_else(|_| panic!("timestamp: {line}"));
    }
    assert!(fields.next().is_none(), "trailing fields: {line}");
    Sample {
        name: name.to_string(),
        labels,
        value,
    }
}

/// The family of a sample (histogram series end in `_bucket`, `_sum`, `_count`).
fn family<'a>(name: &'a str, types: &HashMap<String, String>) -> Option<&'a str> {
    if types.contains_key(name) {
        return Some(name);
    }
    ["_bucket", "_sum", "_count"]
        .iter()
        .filter_map(|s| name.strip_suffix(s))
        .find(|b| {
            types
                .get(*b)
                .is_some_and(|k| k == "histogram" || k == "summary")
        })
}

fn scrape(a: std::net::SocketAddr) -> Vec<Sample> {
    let r = get(a, "/metrics");
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let (samples, types) = parse(&r.text());
    for s in &samples {
        assert!(family(&s.name, &types).is_some(), "no TYPE for {}", s.name);
    }
    samples
}

fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    samples
        .iter()
        .find(|s| {
            s.name == name
                && s.labels.len() == labels.len()
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|s| s.value)
}

#[test]
fn request_counter_and_histogram_move_by_the_requests_made() {
    let Some(a) = golden("metrics_requests") else {
        return;
    };
    let ok = [("path", "/liq_heatmap_v2"), ("status", "2xx")];
    let bad = [("path", "/liq_heatmap_v2"), ("status", "4xx")];
    let count = "liq_api_request_duration_seconds_count";
    let inf = [("path", "/liq_heatmap_v2"), ("le", "+Inf")];
    let before = scrape(a);
    for _ in 0..7 {
        assert_eq!(get(a, "/liq_heatmap_v2?symbol=BTC").status, 200);
    }
    assert_eq!(get(a, "/liq_heatmap_v2?symbol=XRP").status, 400);
    let after = scrape(a);
    let delta = |name: &str, l: &[(&str, &str)]| {
        value(&after, name, l).expect(name) - value(&before, name, l).unwrap_or(0.0)
    };
    assert_eq!(delta("liq_api_requests_total", &ok), 7.0);
    assert_eq!(delta("liq_api_requests_total", &bad), 1.0);
    assert_eq!(delta(count, &[("path", "/liq_heatmap_v2")]), 8.0);
    assert_eq!(delta("liq_api_request_duration_seconds_bucket", &inf), 8.0);
    // Buckets are cumulative.
    let mut buckets: Vec<(f64, f64)> = after
        .iter()
        .filter(|s| {
            s.name == "liq_api_request_duration_seconds_bucket"
                && s.labels.get("path").map(String::as_str) == Some("/liq_heatmap_v2")
        })
        .map(|s| (s.labels["le"].parse().unwrap_or(f64::INFINITY), s.value))
        .collect();
    buckets.sort_by(|x, y| x.0.total_cmp(&y.0));
    assert!(buckets.len() > 5);
    assert!(buckets.windows(2).all(|w| w[0].1 <= w[1].1), "{buckets:?}");
    // The alias is its own series; the scrape itself is counted too.
    assert_eq!(get(a, "/v2/liq_heatmap?symbol=BTC").status, 200);
    let last = scrape(a);
    let alias = [("path", "/v2/liq_heatmap"), ("status", "2xx")];
    assert!(value(&last, "liq_api_requests_total", &alias).is_some_and(|v| v >= 1.0));
    assert!(
        value(
            &last,
            "liq_api_requests_total",
            &[("path", "/metrics"), ("status", "2xx")]
        )
        .is_some_and(|v| v >= 2.0)
    );
    assert!(value(&last, "liq_api_cache_lookups_total", &[("result", "hit")]).is_some());
}

#[test]
fn unknown_paths_share_one_label() {
    let Some(a) = golden("metrics_other") else {
        return;
    };
    for p in [
        "/nope-zqxa",
        "/nope-zqxb?symbol=BTC",
        "/liq_heatmap_v2/extra-zqxc",
    ] {
        assert_eq!(get(a, p).status, 404);
    }
    let r = get(a, "/metrics");
    let text = r.text();
    // Letters, not digits: a latency or byte count may contain any digits.
    assert!(!text.contains("zqxa") && !text.contains("zqxb") && !text.contains("zqxc"));
    let samples = parse(&text).0;
    let other = value(
        &samples,
        "liq_api_requests_total",
        &[("path", "other"), ("status", "4xx")],
    );
    assert!(other.is_some_and(|v| v >= 3.0), "{other:?}");
    // Every path label is a route of the table or `other`.
    for s in samples
        .iter()
        .filter(|s| s.name == "liq_api_requests_total")
    {
        let p = s.labels["path"].as_str();
        assert!(
            p == "other"
                || liq_api::PATHS
                    .iter()
                    .any(|(x, al)| *x == p || *al == Some(p)),
            "{p}"
        );
    }
}

#[test]
fn snapshot_age_per_symbol_and_version() {
    let Some(a) = golden("metrics_age") else {
        return;
    };
    let samples = scrape(a);
    for sym in ["BTC", "ETH", "SOL"] {
        for v in ["v1", "v2"] {
            let age = value(
                &samples,
                "liq_api_snapshot_age_seconds",
                &[("symbol", sym), ("version", v)],
            )
            .unwrap_or_else(|| panic!("no snapshot age for {sym} {v}"));
            // The golden snapshots were written about 30 s before the fixed clock.
            assert!(age > 0.0 && age < 120.0, "{sym} {v}: {age}");
            let frames = value(
                &samples,
                "liq_api_history_frames",
                &[("symbol", sym), ("version", v)],
            );
            assert_eq!(frames, Some(1.0), "{sym} {v}");
        }
    }
    let btc_v2 = value(
        &samples,
        "liq_api_snapshot_age_seconds",
        &[("symbol", "BTC"), ("version", "v2")],
    );
    assert_eq!(btc_v2, Some(RUN_NOW - 1_772_245_200.003_088_2));
}

#[test]
fn empty_state_has_no_snapshot_age() {
    let samples = scrape(common::empty());
    assert!(
        !samples
            .iter()
            .any(|s| s.name == "liq_api_snapshot_age_seconds")
    );
    assert_eq!(
        value(
            &samples,
            "liq_api_history_frames",
            &[("symbol", "BTC"), ("version", "v2")]
        ),
        Some(0.0)
    );
}
