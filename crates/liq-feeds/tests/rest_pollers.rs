//! Pollers and the depth-snapshot fetcher against a scripted loopback HTTP server.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use liq_core::event::Exchange;
use liq_core::normalize::StreamKind;
use liq_feeds::clock::system_clock;
use liq_feeds::conn::{ConnState, FeedEvent, tls_config};
use liq_feeds::rest::endpoints::binance_open_interest;
use liq_feeds::rest::{PollerSpec, RestClient, SnapshotFetcher, spawn_poller};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Answers with `respond(n, request_line)` for the n-th request.
async fn http<F>(respond: F) -> (String, Arc<AtomicUsize>)
where
    F: Fn(usize, &str) -> (u16, &'static str, &'static str) + Send + Sync + 'static,
{
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    let respond = Arc::new(respond);
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            let c = c.clone();
            let respond = respond.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let mut got = Vec::new();
                while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(k) => got.extend_from_slice(&buf[..k]),
                    }
                }
                let req = String::from_utf8_lossy(&got);
                let line = req.lines().next().unwrap_or("").to_owned();
                let n = c.fetch_add(1, Ordering::SeqCst);
                let (status, extra, body) = respond(n, &line);
                let resp = format!(
                    "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n{extra}\r\n{body}",
                    body.len()
                );
                let _ = s.write_all(resp.as_bytes()).await;
                let _ = s.shutdown().await;
            });
        }
    });
    (format!("http://{addr}"), count)
}

fn client() -> RestClient {
    RestClient::new(
        tls_config().unwrap(),
        Duration::from_secs(5),
        system_clock(),
    )
    .unwrap()
}

const OI: &str = r#"{"symbol":"BTCUSDT","openInterest":"1.5","time":1}"#;

async fn next(rx: &mut mpsc::Receiver<FeedEvent>) -> FeedEvent {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("timed out")
        .expect("closed")
}

#[tokio::test]
async fn poller_sends_rest_answers_and_reports_failures_as_down() {
    // Two good rounds, then 500s.
    let (base, _) = http(|n, _| {
        if n < 2 {
            (200, "", OI)
        } else {
            (500, "", "boom")
        }
    })
    .await;
    let (tx, mut rx) = mpsc::channel(64);
    let cancel = CancellationToken::new();
    let spec = PollerSpec {
        name: "binance-oi".into(),
        exchange: Exchange::Binance,
        requests: vec![binance_open_interest(&base, "BTCUSDT")],
        every: Duration::from_millis(100),
        spacing: Duration::ZERO,
        gate: None,
    };
    let (stats, task) = spawn_poller(spec, client(), tx, cancel.clone());
    let mut rest = 0;
    let mut went_down = false;
    while !went_down {
        match next(&mut rx).await {
            FeedEvent::Rest(m) => {
                assert_eq!(m.stream, StreamKind::OpenInterest);
                assert_eq!(m.instrument, "BTCUSDT");
                assert_eq!(m.topic, "/fapi/v1/openInterest");
                assert_eq!(m.payload, OI);
                rest += 1;
            }
            FeedEvent::Status(s) if s.state == ConnState::Down => went_down = true,
            _ => {}
        }
    }
    assert_eq!(rest, 2);
    let s = stats.snapshot();
    assert_eq!(s.messages, 2);
    assert!(s.subscribe_errors >= 1);
    cancel.cancel();
    task.await.unwrap();
}

#[tokio::test]
async fn a_429_stops_requests_until_retry_after() {
    let (base, hits) = http(|n, _| {
        if n == 0 {
            (429, "Retry-After: 60\r\n", "")
        } else {
            (200, "", OI)
        }
    })
    .await;
    let (tx, mut rx) = mpsc::channel(64);
    let cancel = CancellationToken::new();
    let client = client();
    let spec = PollerSpec {
        name: "binance-oi".into(),
        exchange: Exchange::Binance,
        requests: vec![binance_open_interest(&base, "BTCUSDT")],
        every: Duration::from_millis(50),
        spacing: Duration::ZERO,
        gate: None,
    };
    let (stats, task) = spawn_poller(spec, client.clone(), tx, cancel.clone());
    loop {
        if let FeedEvent::Status(s) = next(&mut rx).await
            && s.state == ConnState::Down
        {
            break;
        }
    }
    // Several ticks pass; none reaches the server while backing off.
    while stats.snapshot().subscribe_errors < 4 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    let l = client.limits(Exchange::Binance);
    assert_eq!(l.rate_limited, 1);
    assert!(l.refused >= 3);
    assert!(l.blocked_for > 50.0);
    cancel.cancel();
    task.await.unwrap();
}

#[tokio::test]
async fn snapshot_fetcher_sends_depth_and_throttles_per_symbol() {
    let (base, hits) = http(|_, line| {
        assert!(
            line.starts_with("GET /fapi/v1/depth?symbol=BTCUSDT&limit=1000 "),
            "{line}"
        );
        (
            200,
            "X-MBX-USED-WEIGHT-1M: 21\r\n",
            r#"{"lastUpdateId":5,"E":1,"T":1,"bids":[],"asks":[]}"#,
        )
    })
    .await;
    let (tx, mut rx) = mpsc::channel(8);
    let client = client();
    let f = SnapshotFetcher::new(
        client.clone(),
        base,
        1000,
        Duration::from_secs(60),
        tx,
        CancellationToken::new(),
    );
    assert!(f.fetch("BTCUSDT").await.unwrap());
    assert!(!f.fetch("BTCUSDT").await.unwrap(), "throttled");
    match next(&mut rx).await {
        FeedEvent::Rest(m) => {
            assert_eq!(m.stream, StreamKind::Depth);
            assert_eq!(m.instrument, "BTCUSDT");
        }
        e => panic!("{e:?}"),
    }
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    assert_eq!(client.limits(Exchange::Binance).used_weight, 21);
}
