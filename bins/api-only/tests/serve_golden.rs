//! `api-only` serves the golden directory and stops cleanly on SIGTERM.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn get(port: u16, target: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let req = format!("GET {target} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

#[test]
fn serves_golden_and_stops_on_sigterm() {
    let Some(fixtures) = liq_store::shared_fixtures::dir("api_only_serves_golden") else {
        return;
    };
    let dir = fixtures.join("golden/2026-02-28");
    // A free port (the tiny race with another process is acceptable in a test).
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port");
    let mut child = Command::new(env!("CARGO_BIN_EXE_api-only"))
        .arg("--data-dir")
        .arg(&dir)
        .args(["--api-host", "127.0.0.1", "--api-port", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn api-only");
    let t0 = Instant::now();
    let health = loop {
        if let Some(r) = get(port, "/health") {
            break r;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "api-only did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.contains("\"v2_ts\":1772245200.0030882"));
    let v2 = get(port, "/v2/liq_heatmap?symbol=btcusdt").expect("v2");
    assert!(v2.starts_with("HTTP/1.1 200") && v2.contains("\"_warning\":\"Data is "));
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let t0 = Instant::now();
    let code = loop {
        if let Some(c) = child.try_wait().expect("wait") {
            break c;
        }
        if t0.elapsed() > Duration::from_secs(15) {
            let _ = child.kill();
            panic!("api-only did not stop on SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(code.success(), "{code:?}");
}
