//! The API embedded in the viewer serves what the engine published in memory: after a replay
//! (`--keep-serving`), every snapshot body equals the file the same run wrote, minified (what
//! `api-only` serves from that file), the history holds every replayed minute, and SIGTERM
//! stops the process with exit code 0.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

mod common;
use common::{Killer, free_port, get};

const REPLAY: &str = "replay/btc_eth_sol_2026-02-28T0133Z_47m.jsonl";

/// The file's body, minified, as a JSON value.
fn file_body(dir: &Path, name: &str) -> Value {
    let bytes = liq_api::minify(&std::fs::read(dir.join(name)).expect("snapshot file"));
    serde_json::from_slice(&bytes).expect("snapshot JSON")
}

/// A served body without the staleness warning the API adds to old data (api.md 5.3/5.4:
/// the replayed minutes are months old).
fn served_body(body: &[u8]) -> Value {
    let mut v: Value = serde_json::from_slice(body).expect("served JSON");
    if let Some(o) = v.as_object_mut() {
        o.remove("_warning");
    }
    v
}

#[test]
fn embedded_api_serves_the_published_minutes() {
    let Some(fixtures) = liq_store::shared_fixtures::dir("viewer_embedded_api") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_viewer"))
        .arg("--replay")
        .arg(fixtures.join(REPLAY))
        .args(["--headless", "--keep-serving", "--api-port"])
        .arg(port.to_string())
        .arg("--data-dir")
        .arg(&data)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("viewer starts");
    let mut child = Killer(child);
    // The replay writes its files at the end, then keeps serving: wait for the last file.
    let deadline = Instant::now() + Duration::from_secs(120);
    let last = data.join("liq_api_snapshot_v2_SOL.json");
    let health = loop {
        assert!(Instant::now() < deadline, "the viewer never served");
        if let Some((200, body)) = get(port, "/health")
            && last.exists()
        {
            let h: Value = serde_json::from_slice(&body).unwrap();
            if h["symbols"]["SOL"]["v2_history_frames"].as_u64() == Some(47) {
                break h;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(health["mode"], "embedded");
    for sym in ["BTC", "ETH", "SOL"] {
        let (status, v2) = get(port, &format!("/liq_heatmap_v2?symbol={sym}")).unwrap();
        assert_eq!(status, 200);
        let same = served_body(&v2) == file_body(&data, &format!("liq_api_snapshot_v2_{sym}.json"));
        assert!(same, "{sym}: the served V2 body differs from the file");
        let (_, v1) = get(port, &format!("/liq_heatmap?symbol={sym}")).unwrap();
        let same = served_body(&v1) == file_body(&data, &format!("liq_api_snapshot_{sym}.json"));
        assert!(same, "{sym}: the served V1 body differs from the file");
        let (status, hist) = get(
            port,
            &format!("/liq_heatmap_v2_history?symbol={sym}&minutes=720"),
        )
        .unwrap();
        assert_eq!(status, 200);
        let hist: Value = serde_json::from_slice(&hist).unwrap();
        assert_eq!(hist["t"].as_array().map(Vec::len), Some(47), "{sym}");
        // The forecast of the last minute close: the served body is the file's (api-only
        // serves the same bytes from it).
        let file = data.join(liq_api::forecast_file_name(sym));
        let (status, fc) = get(port, &format!("/liq_forecast?symbol={sym}&horizon=60")).unwrap();
        if sym == "BTC" {
            assert!(file.exists(), "the BTC forecast file is written");
        }
        if file.exists() {
            assert_eq!(status, 200, "{sym}");
            let snap = liq_api::parse_forecast_file(&std::fs::read(&file).unwrap())
                .expect("forecast file");
            let from_file = liq_api::encode_forecast_body(sym, &snap, 60)
                .expect("horizon 60")
                .unwrap();
            assert_eq!(served_body(&fc), served_body(&from_file), "{sym}");
            let v = served_body(&fc);
            assert_eq!(v["long"]["prob"].as_array().map(Vec::len), Some(201));
        }
        // The zone manager the engine published (the replay builds zones on every symbol).
        let (status, zones) = get(port, &format!("/liq_zones_summary?symbol={sym}")).unwrap();
        assert_eq!(status, 200);
        let zones: Value = serde_json::from_slice(&zones).unwrap();
        assert!(
            zones["zones_created_total"].as_u64().unwrap_or(0) > 0,
            "{sym}"
        );
    }
    let pid = child.0.id().to_string();
    let term = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(term.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.0.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "no exit after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
}
