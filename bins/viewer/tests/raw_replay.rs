//! `viewer --replay` of a raw capture: exchange messages (Bybit tickers and trades, OKX and
//! Binance trades and open interest of 2024-01-30, merged in time order) go through the
//! normalizer into the engine, and minutes close from the recording's own time: BTC runs on its
//! mark price (its Bybit book resyncs after each recorded snapshot: the recorder sampled the
//! diffs) and writes its snapshots, logs, order-book frames and history files; symbols without
//! data write nothing.

use std::process::Command;

const FILES: [&str; 8] = [
    "bybit_perp_btcusdt_ticker.jsonl",
    "bybit_perp_btcusdt_trades.jsonl",
    "okx_perp_btc-usdt-swap_open_interest.jsonl",
    "okx_perp_btc-usdt-swap_trades.jsonl",
    "binance_perp_btcusdt_trades.jsonl",
    "binance_perp_btcusdt_open_interest.jsonl",
    "bybit_perp_btcusdt_depth.jsonl",
    "binance_perp_btcusdt_depth.jsonl",
];

#[test]
fn a_raw_capture_runs_the_live_code_path() {
    let Some(fixtures) = liq_store::shared_fixtures::dir("viewer_raw_replay") else {
        return;
    };
    let mut lines: Vec<(f64, String)> = Vec::new();
    for f in FILES {
        let text = std::fs::read_to_string(fixtures.join("raw").join(f)).unwrap();
        for l in text.lines() {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            if v["kind"] == "raw" {
                lines.push((v["ts"].as_f64().unwrap(), l.to_string()));
            }
        }
    }
    lines.sort_by(|a, b| a.0.total_cmp(&b.0));
    let dir = std::env::temp_dir().join(format!("viewer-raw-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let capture = dir.join("merged.jsonl");
    let mut text = format!(
        "{{\"ts\":{},\"kind\":\"meta\",\"format\":\"capture-v1\"}}\n",
        lines[0].0
    );
    for (_, l) in &lines {
        text.push_str(l);
        text.push('\n');
    }
    std::fs::write(&capture, text).unwrap();
    let data = dir.join("data");
    let out = Command::new(env!("CARGO_BIN_EXE_viewer"))
        .arg("--replay")
        .arg(&capture)
        .args(["--headless", "--no-api", "--data-dir"])
        .arg(&data)
        .env("RUST_LOG", "info")
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{log}");
    assert!(log.contains("messages=2176"), "{log}");
    let v2: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data.join("liq_api_snapshot_v2_BTC.json")).unwrap())
            .unwrap();
    assert_eq!(v2["symbol"], "BTC");
    assert!(
        v2["price"].as_f64().unwrap() > 40_000.0,
        "the 2024 BTC mark price"
    );
    let cycles = std::fs::read_to_string(data.join("liq_cycles_BTC.jsonl")).unwrap();
    assert!(
        cycles.lines().count() >= 15,
        "one cycle record per minute closed"
    );
    // The `/oi` body for api-only: the exchanges whose OI was recent at the end.
    let oi: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data.join("oi_snapshot_BTC.json")).unwrap()).unwrap();
    assert_eq!(oi["symbol"], "BTC");
    assert!(oi["aggregated_oi"].as_f64().unwrap() > 0.0, "{oi}");
    assert!(
        oi["per_exchange"]
            .as_object()
            .is_some_and(|m| !m.is_empty()),
        "{oi}"
    );
    assert!(
        !data.join("liq_api_snapshot_v2_ETH.json").exists(),
        "ETH had no data"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
