//! `audit logs` on hand-written logs: malformed lines (counted with file and line number,
//! skipped), unknown record types, our own log format (UTC strings, merges, invariant
//! failures), legacy and rotated file names, and the command line: `--json`, `--tz-offset`,
//! `--symbol`, exit code 2 on empty or missing directories and on bad flags.

use std::path::Path;
use std::process::Command;

use audit::logs::{self, Options, Report, SymbolReport, ca_data, read};

fn sym<'a>(r: &'a Report, s: &str) -> &'a SymbolReport {
    r.symbols.iter().find(|x| x.symbol == s).unwrap()
}

fn markdown(r: &Report) -> String {
    let mut out = Vec::new();
    logs::report::write_markdown(r, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn write(dir: &Path, name: &str, lines: &[&str]) {
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(dir.join(name), text).unwrap();
}

#[test]
fn malformed_lines_are_counted_with_their_numbers() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "liq_tape_BTC.jsonl",
        &[
            r#"{"type": "forceOrder", "ts": 1772242551.082, "side": "short", "notional": 100.0, "bucket": 65460.0}"#,
            r#"{"type": "forceOrder", "ts": 17722"#,
            "",
            "42",
            r#"{"type": "forceOrder", "ts": 1772242611.0, "side": "long", "notional": 50.0, "bucket": 65000.0, "x": Infinity}"#,
            r#"{"type": "mystery_record", "ts": 1772242612.0}"#,
        ],
    );
    let r = logs::run(tmp.path(), &Options::default()).unwrap();
    let s = sym(&r, "BTC");
    let f = &s.inventory["tape"][0];
    assert_eq!((f.lines, f.records, f.malformed_lines), (5, 3, 2));
    assert_eq!(f.malformed_line_numbers, vec![2, 4]);
    // Unknown record types are counted, not errors; Infinity parses.
    assert_eq!(f.types["mystery_record"], 1);
    assert_eq!(s.runtime.ingestion.count, 2);
    assert_eq!(r.malformed_lines, 2);
    let md = markdown(&r);
    assert!(md.contains("| liq_tape_BTC.jsonl | "));
    assert!(md.contains("| 2 (lines 2, 4) |"), "{md}");
    let malformed = s.findings.iter().find(|f| f.id == "malformed").unwrap();
    assert_eq!((malformed.severity, malformed.value), ("WARN", Some(2.0)));
}

#[test]
fn our_logs_utc_strings_merges_and_invariant_failures() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    // Our calibrator writes UTC strings with Z: no offset is applied to them.
    write(
        d,
        "liq_calibrator_ETH.jsonl",
        &[
            r#"{"type": "event", "timestamp": "2026-02-28T01:35:51.082Z", "side": "long", "event_price": 1914.13, "is_hit": false, "attributed_leverage": 125, "miss_usd": 12.13, "nearest_implied_corrected": 1902.0, "ladder": [10, 20, 25, 50, 75, 100, 125]}"#,
            r#"{"type": "event", "timestamp": "2026-02-28T01:36:51Z", "side": "short", "event_price": 2000.0, "is_hit": false, "attributed_leverage": 125, "miss_usd": 5.0, "nearest_implied_corrected": 1990.0, "ladder": [10, 20, 25, 50, 75, 100, 125]}"#,
            r#"{"type": "approach_minute_summary", "minute_key": 29537376, "approach_candidates": 0, "approach_used": 0, "approach_skipped": 3, "skip_reasons": {"too_far_from_price": 2}, "skipped_zones": []}"#,
            r#"{"type": "error", "minute_key": 29537376, "message": "boom"}"#,
        ],
    );
    write(
        d,
        "liq_tape_ETH.jsonl",
        &[
            r#"{"type": "forceOrder", "ts": 1772242551.082, "side": "long", "notional": 250.0, "bucket": 1914.0}"#,
        ],
    );
    write(
        d,
        "liq_zones_ETH.jsonl",
        &[
            r#"{"type": "zone_created", "ts": 1772242500.0, "side": "long", "price": 1900.0, "weight": 0.6, "source": "tape"}"#,
            r#"{"type": "zone_reinforced", "ts": 1772242560.0, "side": "long", "price": 1900.0, "weight": 0.7, "source": "combined"}"#,
            r#"{"type": "zone_created", "ts": 1772242500.0, "side": "short", "price": 1950.0, "weight": 0.6, "source": "combined"}"#,
            r#"{"type": "zone_expired", "ts": 1772244300.0, "side": "short", "price": 1950.0, "weight": 0.04, "source": "combined", "lifespan_min": 30.0}"#,
            r#"{"type": "zone_created", "ts": 1772242500.0, "side": "long", "price": 1890.0, "weight": 0.1, "source": "combined"}"#,
            r#"{"type": "zone_merged", "ts": 1772242620.0, "side": "long", "price": 1890.0, "weight": 0.1, "source": "combined"}"#,
            r#"{"type": "zone_swept", "ts": 1772243700.0, "side": "long", "price": 1900.0, "weight": 0.7, "source": "combined", "lifespan_min": 20.0}"#,
        ],
    );
    write(
        d,
        "liq_cycles_ETH.jsonl",
        &[
            r#"{"type": "cycle_summary", "ts": 1772242560.0, "minute_key": 29537376, "high": 1930.0, "low": 1912.0}"#,
            r#"{"type": "cycle_summary", "ts": 1772242680.0, "minute_key": 29537378, "high": 1931.0, "low": 1899.0}"#,
        ],
    );
    let r = logs::run(d, &Options::default()).unwrap();
    assert_eq!(r.offset_source, "inferred from tape");
    assert_eq!(r.log_utc_offset_hours, 0.0);
    let s = sym(&r, "ETH");
    assert_eq!(s.event_counts.events, 2);
    // The event's minute is its UTC minute: the tape of that minute matches it.
    let d2 = ca_data::load(
        &read::load(d, d, None).unwrap().unwrap().symbols[0],
        -5.0 * 3600.0,
    );
    assert_eq!(d2.events[0].k, 29_537_375);
    // A5 over our zone log: two combined lives closed (one swept at 20 min, one expired at 30),
    // one merged; the strong short expired untouched (the highs stay below 1950).
    let a = &s.a5;
    assert_eq!(
        (a.combined.swept, a.combined.expired, a.combined.merged),
        (1, 1, 1)
    );
    assert_eq!(a.combined.lifespan_median_min, Some(25.0));
    assert_eq!(a.combined.swept_rate, Some(0.5));
    assert_eq!((a.strong_total, a.strong_expired_untouched), (2, 1));
    assert_eq!(a.strong_lost_before_touch, Some(0.5));
    let sev = |id: &str| s.findings.iter().find(|f| f.id == id).unwrap().severity;
    assert_eq!(
        (sev("A5.1"), sev("A5.2"), sev("A5.3")),
        ("PASS", "PASS", "FAIL")
    );
    // S7: the second event's miss_usd is 5 but price - nearest is 10; S8: 2 reasons vs 3
    // skipped; an error record fails N; a gap in the cycle minutes warns.
    let check = |id: &str| s.invariants.iter().find(|c| c.id == id).unwrap();
    assert_eq!((check("S7").status, check("S7").violations), ("FAIL", 1));
    assert!(check("S7").items[0].contains("miss_usd 5"));
    assert_eq!(check("S8").status, "FAIL");
    assert_eq!(check("minutes").status, "FAIL");
    assert_eq!(sev("minutes"), "WARN");
    assert_eq!(sev("N"), "FAIL");
    assert_eq!(s.verdict, "FAIL");
}

fn audit(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_audit"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn empty_or_missing_directory_exits_2() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_str().unwrap();
    let out = audit(&["logs", dir]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no logs in"), "{err}");
    let missing = tmp.path().join("nope");
    let out = audit(&["logs", missing.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read log directory"));
    assert!(out.stdout.is_empty());
}

#[test]
fn command_prints_json_and_markdown() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "liq_tape_SOL.jsonl",
        &[
            r#"{"type": "forceOrder", "ts": 1772242551.0, "side": "long", "notional": 10.0, "bucket": 81.5}"#,
        ],
    );
    let dir = tmp.path().to_str().unwrap();
    let out = audit(&["logs", dir, "--json", "--tz-offset", "-5"]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["log_utc_offset_hours"], -5.0);
    assert_eq!(v["symbols"][0]["runtime"]["ingestion"]["count"], 1);
    assert_eq!(v["verdict"]["SOL"], "PASS");
    let out = audit(&["logs", dir]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("## SOL: PASS"));
}

/// An ETH calibrator event written at UTC-5 (2026-02-28T01:35:51.082Z) and a long projection
/// 0.05 % away, made in the event's UTC minute.
fn local_time_event(dir: &Path) {
    write(
        dir,
        "liq_calibrator_ETH.jsonl",
        &[
            r#"{"type": "event", "timestamp": "2026-02-27T20:35:51.082000", "side": "long", "event_price": 1914.13, "is_hit": false, "attributed_leverage": 125, "miss_usd": 12.13, "nearest_implied_corrected": 1902.0}"#,
        ],
    );
    write(
        dir,
        "liq_inference_ETH.jsonl",
        &[
            r#"{"type": "inference", "ts": 1772242500.0, "minute_key": 29537375, "src_price": 1920.0, "inferences": [{"side": "long", "projected_liq": 1915.0, "size_usd": 1000.0, "confidence": 0.5}]}"#,
        ],
    );
}

/// Inference cell (5m, 0.50 %) of the first symbol: (hits, gaps, misses).
fn inference_5m_050(v: &serde_json::Value) -> (u64, u64, u64) {
    let c = &v["symbols"][0]["events"]["inference"]["cells"][2][2];
    assert_eq!(v["symbols"][0]["events"]["inference"]["lookbacks"][2], 5);
    assert_eq!(
        v["symbols"][0]["events"]["inference"]["tolerances"][2],
        0.005
    );
    (
        c["hits"].as_u64().unwrap(),
        c["gaps"].as_u64().unwrap(),
        c["misses"].as_u64().unwrap(),
    )
}

#[test]
fn tz_offset_places_local_times() {
    let tmp = tempfile::tempdir().unwrap();
    local_time_event(tmp.path());
    let dir = tmp.path().to_str().unwrap();
    let json = |args: &[&str]| {
        let out = audit(&[&["logs", dir, "--json"], args].concat());
        let v = serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap();
        // Spec 7.3: a FAIL verdict exits 1 (the report is still written), else 0.
        let fail = v["verdict"]
            .as_object()
            .unwrap()
            .values()
            .any(|x| x == "FAIL");
        assert_eq!(
            out.status.code(),
            Some(if fail { 1 } else { 0 }),
            "{args:?}"
        );
        v
    };
    // Read at UTC-5 the event falls in the projection's window: a hit.
    let v = json(&["--tz-offset", "-5"]);
    assert_eq!(v["log_utc_offset_hours"], -5.0);
    // This directory fails some checks: exit 1, unless --no-fail-exit.
    assert_eq!(v["verdict"]["ETH"], "FAIL");
    let out = audit(&["logs", dir, "--json", "--tz-offset", "-5", "--no-fail-exit"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(v["offset_source"], "given");
    assert_eq!(inference_5m_050(&v), (1, 0, 0));
    // Read as UTC it is five hours earlier, before any projection: a gap.
    let v = json(&["--tz-offset", "0"]);
    assert_eq!(inference_5m_050(&v), (0, 1, 0));
    // Without the flag and without a tape to infer from, UTC is assumed and said so.
    let v = json(&[]);
    assert_eq!(v["offset_source"], "default (UTC)");
    assert_eq!(inference_5m_050(&v), (0, 1, 0));
    // A tape record of the same liquidation lets the offset be inferred.
    write(
        tmp.path(),
        "liq_tape_ETH.jsonl",
        &[
            r#"{"type": "forceOrder", "ts": 1772242551.082, "side": "long", "notional": 250.0, "bucket": 1914.0}"#,
        ],
    );
    let v = json(&[]);
    assert_eq!(v["offset_source"], "inferred from tape");
    assert_eq!(v["log_utc_offset_hours"], -5.0);
    assert_eq!(inference_5m_050(&v), (1, 0, 0));
    // Fractional offsets are accepted; nonsense is a usage error (exit 2).
    let v = json(&["--tz-offset", "5.5"]);
    assert_eq!(v["log_utc_offset_hours"], 5.5);
    for bad in ["99", "abc", "NaN"] {
        let out = audit(&["logs", dir, "--tz-offset", bad]);
        assert_eq!(out.status.code(), Some(2), "--tz-offset {bad}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn legacy_names_are_audited_as_btc() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "liq_tape.jsonl",
        &[
            r#"{"type": "forceOrder", "ts": 1772242551.0, "side": "short", "notional": 100.0, "bucket": 65460.0}"#,
            r#"{"type": "forceOrder", "ts": 1772242611.0, "side": "long", "notional": 50.0, "bucket": 65000.0}"#,
        ],
    );
    let r = logs::run(tmp.path(), &Options::default()).unwrap();
    assert!(r.legacy);
    assert_eq!(r.symbols.len(), 1);
    let s = sym(&r, "BTC");
    assert_eq!(s.runtime.ingestion.count, 2);
    assert_eq!(s.inventory["tape"][0].name, "liq_tape.jsonl");
}

#[test]
fn rotated_files_are_read_oldest_first() {
    let tmp = tempfile::tempdir().unwrap();
    let fo = |ts: u32| {
        format!(
            r#"{{"type": "forceOrder", "ts": {ts}.0, "side": "long", "notional": 10.0, "bucket": 81.5}}"#
        )
    };
    let (a, b, c) = (fo(1772240000), fo(1772241000), fo(1772242000));
    write(tmp.path(), "liq_tape_SOL.jsonl", &[&c]);
    write(
        tmp.path(),
        "liq_tape_SOL.20260228_0100.jsonl",
        &[&b, "not json"],
    );
    write(tmp.path(), "liq_tape_SOL.20260227_0100.jsonl", &[&a]);
    let r = logs::run(tmp.path(), &Options::default()).unwrap();
    let s = sym(&r, "SOL");
    let names: Vec<&str> = s.inventory["tape"]
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "liq_tape_SOL.20260227_0100.jsonl",
            "liq_tape_SOL.20260228_0100.jsonl",
            "liq_tape_SOL.jsonl"
        ]
    );
    assert_eq!(s.runtime.ingestion.count, 3);
    assert!((s.runtime.ingestion.time_range_minutes - 2000.0 / 60.0).abs() < 1e-9);
    // The malformed line is reported against its own file and line.
    let bad = &s.inventory["tape"][1];
    assert_eq!(
        (bad.malformed_lines, bad.malformed_line_numbers.clone()),
        (1, vec![2])
    );
    assert_eq!(r.malformed_lines, 1);
    assert!(markdown(&r).contains("| liq_tape_SOL.20260228_0100.jsonl | "));
}

#[test]
fn symbol_flag_restricts_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    for s in ["BTC", "ETH"] {
        write(
            tmp.path(),
            &format!("liq_tape_{s}.jsonl"),
            &[
                r#"{"type": "forceOrder", "ts": 1772242551.0, "side": "long", "notional": 10.0, "bucket": 100.0}"#,
            ],
        );
    }
    let dir = tmp.path().to_str().unwrap();
    let out = audit(&["logs", dir, "--json", "--symbol", "eth"]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["symbols"].as_array().unwrap().len(), 1);
    assert_eq!(v["symbols"][0]["symbol"], "ETH");
    let out = audit(&["logs", dir, "--symbol", "XRP"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no logs of symbol XRP in"), "{err}");
}

/// Records of every family with wrong types, nulls, huge and negative numbers: the audit
/// finishes and writes both reports (no panic), whatever it makes of them.
#[test]
fn odd_values_do_not_crash_the_audit() {
    let tmp = tempfile::tempdir().unwrap();
    let odd = [
        r#"{"type": "forceOrder", "ts": "yesterday", "side": 5, "notional": null, "bucket": -1}"#,
        r#"{"type": "forceOrder", "ts": 1e300, "side": "long", "notional": 1e308, "bucket": 1e308}"#,
        r#"{"type": "inference", "ts": -1e300, "minute_key": 9.3e18, "inferences": [{"side": "long", "projected_liq": 0}, 7, null]}"#,
        r#"{"type": "inference", "ts": 1772242500.0, "minute_key": -9.3e18, "inferences": "none"}"#,
        r#"{"type": "event", "timestamp": "2026-13-45T99:99:99", "event_price": 0, "side": "long"}"#,
        r#"{"type": "event", "timestamp": "2026-02-28T01:35:51Z", "event_price": 0, "side": "long", "attributed_leverage": 1e300, "miss_usd": -1e300}"#,
        r#"{"type": "event", "timestamp": "2026-02-28T01:35:51+99", "event_price": -5, "side": "short"}"#,
        r#"{"type": "minute_inputs", "minute_key": 9.3e18, "high": null, "low": "x", "close": 1}"#,
        r#"{"type": "minute_inputs", "minute_key": -9.3e18, "high": 1, "low": 2}"#,
        r#"{"type": "approach_minute_summary", "approach_candidates": -3, "skip_reasons": [1, 2], "skipped_zones": [null, {"skip_reason": 4}]}"#,
        r#"{"type": "minute_inference", "minute_key": 9.3e18, "oi_delta_usd": "NaN"}"#,
        r#"{"type": "minute_inference", "minute_key": -9.3e18, "oi_delta_usd": NaN}"#,
        r#"{"type": "cycle_summary", "ts": 1e300, "minute_key": 9.3e18, "high": -1, "low": 1e308}"#,
        r#"{"type": "cycle_summary", "ts": -1e300, "minute_key": -9.3e18, "high": 0, "low": 0}"#,
        r#"{"type": "zone_swept", "ts": 1e300, "side": "long", "price": 1.0, "lifespan_min": -1e308}"#,
        r#"{"type": "zone_created", "ts": null, "side": null, "price": "x", "weight": 1e308}"#,
        r#"{"type": "zone_expired", "ts": 0, "side": "short", "price": 2.0, "lifespan_min": 1e308}"#,
        r#"{"type": "sweep", "side": 3, "total_notional_usd": "lots"}"#,
        r#"{"type": "calibration", "weights": null, "ladder": "x", "minute_key": 9.3e18}"#,
        r#"{"type": "error"}"#,
    ];
    for kind in [
        "tape",
        "inference",
        "sweeps",
        "debug",
        "calibrator",
        "zones",
        "cycles",
    ] {
        write(tmp.path(), &format!("liq_{kind}_BTC.jsonl"), &odd);
    }
    write(tmp.path(), "liq_debug.jsonl", &odd);
    write(tmp.path(), "plot_feed.jsonl", &odd);
    for state in [
        "liq_api_snapshot_v2_BTC.json",
        "liq_calibrator_weights_BTC.json",
        "liq_active_zones_BTC.json",
    ] {
        std::fs::write(
            tmp.path().join(state),
            r#"{"price": "x", "long_levels": [1, null], "weights_by_leverage": [], "zones": 3}"#,
        )
        .unwrap();
    }
    let r = logs::run(tmp.path(), &Options::default()).unwrap();
    assert_eq!(r.symbols.len(), 1);
    assert!(!markdown(&r).is_empty());
    let mut json = Vec::new();
    logs::write_json(&r, &mut json).unwrap();
    serde_json::from_slice::<serde_json::Value>(&json).unwrap();
    // The error record fails the error scan.
    assert_eq!(sym(&r, "BTC").verdict, "FAIL");
}

/// Undecodable bytes are replaced (a record with them inside a string still counts); a line
/// that is garbage bytes is a malformed line of its file.
#[test]
fn invalid_utf8_is_tolerated() {
    let tmp = tempfile::tempdir().unwrap();
    let mut bytes = Vec::new();
    bytes.extend_from_slice(b"{\"type\": \"forceOrder\", \"ts\": 1772242551.0, \"side\": \"long\", \"notional\": 10.0, \"bucket\": 100.0, \"note\": \"\xff\xfe\"}\n");
    bytes.extend_from_slice(b"\xff\xfe\xfd\n");
    std::fs::write(tmp.path().join("liq_tape_BTC.jsonl"), bytes).unwrap();
    let r = logs::run(tmp.path(), &Options::default()).unwrap();
    let s = sym(&r, "BTC");
    assert_eq!(s.runtime.ingestion.count, 1);
    let f = &s.inventory["tape"][0];
    assert_eq!((f.records, f.malformed_line_numbers.clone()), (1, vec![2]));
}
