//! `viewer --demo --headless` end to end: the simulated history runs through the engine, the
//! real connectors read the simulator behind the mock exchange on loopback, minutes keep
//! closing on the clock, the API answers from memory and the files land in `DATA_DIR/demo`;
//! SIGTERM stops it with exit code 0.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

mod common;
use common::{Killer, free_port, get};

fn frames(h: &Value, sym: &str) -> u64 {
    h["symbols"][sym]["v2_history_frames"].as_u64().unwrap_or(0)
}

#[test]
fn demo_runs_headless_and_serves() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_viewer"))
        .args([
            "--demo",
            "--headless",
            "--demo-hours",
            "0.6",
            "--demo-speed",
            "20",
        ])
        .arg("--api-port")
        .arg(port.to_string())
        .arg("--data-dir")
        .arg(&data)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("viewer starts");
    let mut child = Killer(child);
    // 36 minutes of history (the forecast needs 30 returns of volatility), then live minutes
    // at 20x: wait for two more minute closes.
    let deadline = Instant::now() + Duration::from_secs(240);
    let mut first: Option<u64> = None;
    let health = loop {
        assert!(
            Instant::now() < deadline,
            "the demo never served live minutes"
        );
        if let Some((200, body)) = get(port, "/health") {
            let h: Value = serde_json::from_slice(&body).unwrap();
            let n = frames(&h, "BTC");
            if n > 0 {
                let f = *first.get_or_insert(n);
                if n >= f + 2 {
                    break h;
                }
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    for sym in ["BTC", "ETH", "SOL"] {
        assert_eq!(health["symbols"][sym]["v2_available"], true, "{sym}");
        let (status, body) = get(port, &format!("/liq_heatmap_v2?symbol={sym}")).unwrap();
        assert_eq!(status, 200, "{sym}");
        let v2: Value = serde_json::from_slice(&body).unwrap();
        assert!(v2["price"].as_f64().unwrap_or(0.0) > 0.0, "{sym}");
        let (status, body) = get(port, &format!("/oi?symbol={sym}")).unwrap();
        assert_eq!(status, 200, "{sym} OI");
        let oi: Value = serde_json::from_slice(&body).unwrap();
        assert!(
            oi["aggregated_oi"].as_f64().unwrap_or(0.0) > 0.0,
            "{sym} OI {oi}"
        );
        // The forecast of the last minute close, published with the bodies.
        let (status, body) = get(port, &format!("/liq_forecast?symbol={sym}&horizon=15")).unwrap();
        assert_eq!(status, 200, "{sym} forecast");
        let fc: Value = serde_json::from_slice(&body).unwrap();
        let prob = fc["long"]["prob"].as_array().map_or(0, Vec::len);
        assert_eq!((fc["horizon"].as_u64(), prob), (Some(15), 201), "{sym}");
        let (status, body) = get(port, &format!("/liq_zones_summary?symbol={sym}")).unwrap();
        assert_eq!(status, 200);
        let z: Value = serde_json::from_slice(&body).unwrap();
        assert!(
            z["zones_created_total"].as_u64().unwrap_or(0) > 0,
            "{sym} zones {z}"
        );
    }
    // Every message the connectors delivered normalized (the simulator speaks the exchanges'
    // documented formats, the pollers ask with the documented parameters).
    let (status, body) = get(port, "/metrics").unwrap();
    assert_eq!(status, 200);
    let text = String::from_utf8(body).unwrap();
    let rejected: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("engine_rejected_messages_total"))
        .collect();
    assert_eq!(rejected.len(), 3, "{text}");
    for l in rejected {
        assert!(l.ends_with(" 0"), "{l}");
    }
    assert!(
        text.contains("feed_messages_total{"),
        "feed counters exported"
    );
    // The books of every exchange feed the order-book frames.
    let (status, _) = get(port, "/orderbook_heatmap?symbol=BTC").unwrap();
    assert_eq!(status, 200);
    let pid = child.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = child.0.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "no exit after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    let demo = data.join("demo");
    for f in [
        "liq_api_snapshot_v2_BTC.json",
        "liq_api_snapshot_ETH.json",
        "liq_active_zones_SOL.json",
        "liq_calibrator_weights_BTC.json",
        "oi_snapshot_BTC.json",
        "liq_forecast_SOL.json",
        "ob_heatmap_30s.bin",
        "plot_feed.jsonl",
    ] {
        assert!(demo.join(f).exists(), "{f} written");
    }
    assert!(
        !data.join("liq_api_snapshot_v2_BTC.json").exists(),
        "the demo keeps out of DATA_DIR"
    );
}
