//! `audit books`: insta snapshots of the `--json` output on every shared raw depth recording,
//! the facts of fixtures README 2.1 on them, and the command's exit codes.

use std::path::{Path, PathBuf};
use std::process::Command;

use audit::books;
use serde_json::Value;

const KEYS: [&str; 13] = [
    "exchange",
    "symbol",
    "messages",
    "snapshots",
    "updates_applied",
    "gaps",
    "resyncs",
    "checksum_ok",
    "checksum_failed",
    "best_bid",
    "best_ask",
    "bid_levels",
    "ask_levels",
];

fn json_of(path: &Path) -> String {
    let (reports, _) = books::run(path).expect("books runs");
    let mut out = Vec::new();
    books::write_json(&reports, &mut out).expect("writes");
    String::from_utf8(out).expect("utf8")
}

fn depth_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("raw"))
        .expect("readable directory")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with("_depth.jsonl"))
        })
        .collect();
    files.sort();
    files
}

/// The one book of a single-instrument recording.
fn book(v: &Value) -> &Value {
    let books = v["books"].as_array().expect("books array");
    assert_eq!(books.len(), 1, "one instrument per recording");
    &books[0]
}

fn n(v: &Value, k: &str) -> u64 {
    v[k].as_u64()
        .unwrap_or_else(|| panic!("{k} is a number in {v}"))
}

#[test]
fn every_shared_depth_recording() {
    let Some(dir) = liq_store::shared_fixtures::dir("every_shared_depth_recording") else {
        return;
    };
    let files = depth_files(&dir);
    assert_eq!(files.len(), 11, "the shared raw depth recordings");
    let mut okx_ok = 0;
    for f in files {
        let name = f
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("name")
            .to_owned();
        let text = json_of(&f);
        assert!(
            text.ends_with('\n') && text.lines().count() == 1,
            "{name}: one line"
        );
        let v: Value = serde_json::from_str(&text).expect("valid JSON");
        let b = book(&v);
        let keys: Vec<&str> = b
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        let mut want = KEYS.to_vec();
        want.sort_unstable();
        assert_eq!(keys, want, "{name}: exactly the documented keys");
        assert_eq!(b["best_bid"].is_null(), n(b, "bid_levels") == 0, "{name}");
        match name.as_str() {
            // Contiguous recordings (README 2.1): rebuilt without a gap.
            "bybit_perp_btcperp_depth" | "bybit_spot_btcusdc_depth" => {
                assert_eq!((n(b, "gaps"), n(b, "resyncs")), (0, 0), "{name}");
                assert_eq!(
                    n(b, "updates_applied") + n(b, "snapshots"),
                    n(b, "messages"),
                    "{name}"
                );
            }
            // Sampled recordings: every diff stream breaks and must resync.
            "binance_perp_btcusd_perp_depth"
            | "binance_spot_btcusdt_depth"
            | "binance_spot_btcfdusd_depth"
            | "bybit_perp_btcusdt_depth"
            | "bybit_spot_btcusdt_depth" => {
                assert!(n(b, "gaps") >= 1 && n(b, "resyncs") >= 1, "{name}: {b}");
            }
            "okx_perp_btc-usd-swap_depth" | "okx_spot_btc-usdt_depth" => {
                assert_eq!(n(b, "checksum_failed"), 0, "{name}");
                assert_eq!(n(b, "snapshots"), 3, "{name}");
                okx_ok += n(b, "checksum_ok");
            }
            _ => assert_eq!(
                n(b, "messages"),
                n(b, "snapshots"),
                "{name}: snapshots only"
            ),
        }
        if name.starts_with("binance") {
            // Binance diffs never chain: at most one (bridging) diff per snapshot applies.
            assert!(n(b, "updates_applied") <= n(b, "snapshots"), "{name}: {b}");
        }
        insta::assert_snapshot!(format!("books__{name}"), text);
    }
    assert_eq!(okx_ok, 6, "all six OKX snapshot checksums verify");
}

#[test]
fn the_table_names_every_instrument() {
    let Some(dir) = liq_store::shared_fixtures::dir("the_table_names_every_instrument") else {
        return;
    };
    let (reports, summary) =
        books::run(&dir.join("raw/okx_spot_btc-usdt_depth.jsonl")).expect("runs");
    let mut out = Vec::new();
    books::write_table(&reports, &summary, &mut out).expect("writes");
    let text = String::from_utf8(out).expect("utf8");
    assert!(
        text.starts_with("audit books: 608 lines, 607 depth messages, 1 instruments"),
        "{text}"
    );
    assert!(text.contains("okx      spot  BTC-USDT"), "{text}");
}

fn audit(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_audit"))
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn exit_codes_and_errors() {
    let (code, _, err) = audit(&["books", "/nonexistent/capture.jsonl"]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with("audit books: cannot read /nonexistent/capture.jsonl"),
        "{err}"
    );
    let wire = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/wire/binance_perp_mark_price.jsonl");
    let (code, out, err) = audit(&["books", wire.to_str().expect("utf8 path"), "--json"]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.contains("is not a capture-v1 file"), "{err}");
    let (code, _, _) = audit(&["books"]);
    assert_eq!(code, 2);
    let Some(dir) = liq_store::shared_fixtures::dir("exit_codes_and_errors") else {
        return;
    };
    let f = dir.join("raw/bybit_perp_btcperp_depth.jsonl");
    let (code, out, _) = audit(&["books", f.to_str().expect("utf8 path"), "--json"]);
    assert_eq!(code, 0);
    assert_eq!(out, json_of(&f));
}
