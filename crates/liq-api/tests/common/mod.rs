//! Test harness: servers on ephemeral loopback ports (golden state at the [run] clock of
//! api.md 9.0, and an empty directory) and a minimal raw HTTP/1.1 client.
//!
//! The client is a plain `TcpStream`: it sends exactly the bytes a test wants (any method, any
//! raw query, pipelined or unfinished requests), which a full client would normalize away.

#![allow(dead_code)]

pub mod forecast;
pub mod ob;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener as StdListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use liq_api::{AppState, Clock, Options, Timeouts, load_dir, serve_with};

/// `now` of the reference run (api.md 9.0): 30 s after the snapshots were written.
pub const RUN_NOW: f64 = 1_772_245_230.0;

/// The golden directory, or `None` (skipped) outside CI when the shared data is missing.
pub fn golden_dir(test: &str) -> Option<PathBuf> {
    liq_store::shared_fixtures::dir(test).map(|d| d.join("golden/2026-02-28"))
}

/// Test timeouts: short, so the timeout tests run in seconds.
pub fn test_timeouts() -> Timeouts {
    Timeouts {
        header_read: Duration::from_secs(1),
        idle: Duration::from_secs(2),
        write: Duration::from_secs(1),
        shutdown_grace: Duration::from_secs(1),
    }
}

/// Starts a server for `dir` on its own runtime thread; returns its address.
pub fn start(dir: &Path, clock: Clock) -> SocketAddr {
    start_with(dir, clock, Options::default())
}

/// [`start`] with options.
pub fn start_with(dir: &Path, clock: Clock, options: Options) -> SocketAddr {
    let (state, _reloader) = load_dir(dir, clock, options);
    start_state(state)
}

/// Serves an already built state on its own runtime thread; returns its address.
pub fn start_state(state: AppState) -> SocketAddr {
    let listener = StdListener::bind("127.0.0.1:0").expect("bind loopback");
    listener.set_nonblocking(true).expect("nonblocking");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            serve_with(listener, state, std::future::pending(), test_timeouts())
                .await
                .expect("serve");
        });
    });
    addr
}

/// The shared golden server (fixed clock [`RUN_NOW`]); BTC also has the test forecast
/// ([`forecast::snapshot`]) around its V2 price, ETH and SOL have none.
pub fn golden(test: &str) -> Option<SocketAddr> {
    static ADDR: OnceLock<Option<SocketAddr>> = OnceLock::new();
    let dir = golden_dir(test)?;
    *ADDR.get_or_init(|| {
        let (state, _reloader) = load_dir(&dir, Clock::Fixed(RUN_NOW), Options::default());
        let v2 = state.slot(0).snapshot(liq_api::Version::V2);
        let price = v2.as_ref().and_then(|s| s.num("price")).unwrap_or(65_000.0);
        let ts = v2.as_ref().map_or(RUN_NOW, |s| s.ts);
        let minute = (ts / 60.0).floor() as i64;
        state
            .slot(0)
            .set_forecast(forecast::snapshot(minute, price, ts));
        Some(start_state(state))
    })
}

/// A server over an empty directory (nothing published yet).
pub fn empty() -> SocketAddr {
    static ADDR: OnceLock<SocketAddr> = OnceLock::new();
    *ADDR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let addr = start(dir.path(), Clock::Fixed(RUN_NOW));
        // Kept for the whole test process.
        std::mem::forget(dir);
        addr
    })
}

/// A parsed response.
#[derive(Debug, Clone)]
pub struct Resp {
    /// Status code.
    pub status: u16,
    /// Headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// Body (de-chunked).
    pub body: Vec<u8>,
}

impl Resp {
    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("utf-8 body")
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("json body")
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Sends one request (`Connection: close`) and reads the whole response.
pub fn request(addr: SocketAddr, method: &str, target: &str, extra: &[(&str, &str)]) -> Resp {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    let mut req = format!("{method} {target} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n");
    for (k, v) in extra {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).expect("send");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read");
    parse(&raw)
}

/// `GET target`.
pub fn get(addr: SocketAddr, target: &str) -> Resp {
    request(addr, "GET", target, &[])
}

fn parse(raw: &[u8]) -> Resp {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("header end");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .expect("status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let rest = &raw[split + 4..];
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_vec()
    };
    Resp {
        status,
        headers,
        body,
    }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = b.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size_text = String::from_utf8_lossy(&b[..eol]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .expect("chunk size");
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + size]);
        b = &b[eol + 2 + size + 2..];
    }
}
