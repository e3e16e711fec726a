//! Restart recovery: a replay killed with SIGKILL mid-run leaves only whole files behind (every
//! state and snapshot file parses), and running it again continues from the last saved minute
//! (the minutes already applied are skipped) to the same end state as an uninterrupted run,
//! within what the run does not persist (the calibrator's open window, the V1 zone tracker).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

const REPLAY: &str = "replay/btc_eth_sol_2026-02-28T0133Z_47m.jsonl";
const FIRST_MINUTE: i64 = 29537374;
const LAST_MINUTE: i64 = 29537420;

fn viewer(fixtures: &Path, data: &Path, extra: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_viewer"));
    c.arg("--replay")
        .arg(fixtures.join(REPLAY))
        .args(["--headless", "--no-api", "--data-dir"])
        .arg(data)
        .args(extra)
        .env("RUST_LOG", "info")
        .stdout(Stdio::null());
    c
}

fn fresh(name: &str, fixtures: &Path) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("viewer-restart-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for sym in ["BTC", "ETH", "SOL"] {
        let n = format!("liq_calibrator_weights_{sym}.json");
        std::fs::copy(fixtures.join("golden/2026-02-28").join(&n), dir.join(&n)).unwrap();
    }
    dir
}

fn json(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("{} is not whole: {e}", path.display()))
}

#[test]
fn a_killed_replay_resumes_where_it_stopped() {
    let Some(fixtures) = liq_store::shared_fixtures::dir("viewer_restart") else {
        return;
    };
    let whole = fresh("whole", &fixtures);
    let st = viewer(&fixtures, &whole, &[]).status().unwrap();
    assert!(st.success());

    // 47 minutes at 400x real time take about 7 s: kill it after 3 s.
    let cut = fresh("cut", &fixtures);
    let mut child = viewer(
        &fixtures,
        &cut,
        &["--speed", "400", "--snapshot-every", "1"],
    )
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    std::thread::sleep(Duration::from_secs(3));
    child.kill().unwrap(); // SIGKILL
    let _ = child.wait();
    let state = json(&cut.join("liq_engine_state_BTC.json"));
    let stopped = state["heatmap"]["minute_key"].as_i64().unwrap();
    assert!(
        FIRST_MINUTE < stopped && stopped < LAST_MINUTE,
        "killed mid-run, state at {stopped}"
    );
    // Every file is whole (a write in progress leaves only its temporary file behind).
    for entry in std::fs::read_dir(&cut).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "json") {
            json(&p);
        }
    }

    let out = viewer(&fixtures, &cut, &[])
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(out.status.success());
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains(&format!("resume_after={stopped}")), "{log}");
    for entry in std::fs::read_dir(&cut).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            !name.contains(".tmp."),
            "a stale temporary file remains: {name}"
        );
    }
    let end = json(&cut.join("liq_engine_state_BTC.json"));
    assert_eq!(end["heatmap"]["minute_key"], LAST_MINUTE);

    // The same end state as the uninterrupted run: the layers are restored exactly; what the
    // run does not persist (the calibrator's open window) moves the weights by < 1e-3.
    let (a, b) = (
        json(&whole.join("liq_api_snapshot_v2_BTC.json")),
        json(&cut.join("liq_api_snapshot_v2_BTC.json")),
    );
    assert_eq!(a["prices"], b["prices"]);
    assert_eq!(a["stats"]["tape"], b["stats"]["tape"]);
    let (la, lb) = (
        a["long_levels"].as_array().unwrap(),
        b["long_levels"].as_array().unwrap(),
    );
    assert_eq!(la.len(), lb.len());
    for (x, y) in la.iter().zip(lb) {
        let (nx, ny) = (
            x["notional_usd"].as_f64().unwrap(),
            y["notional_usd"].as_f64().unwrap(),
        );
        assert!((nx - ny).abs() / nx < 1e-3, "{x} vs {y}");
    }
    let _ = std::fs::remove_dir_all(&whole);
    let _ = std::fs::remove_dir_all(&cut);
}
