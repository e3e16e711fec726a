//! The connection task against a scripted loopback WebSocket server: subscribe, receive,
//! heartbeats, server pings, garbage, drops, stalls, reconnects, shutdown.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use liq_core::event::Exchange;
use liq_core::normalize::StreamKind;
use liq_feeds::clock::system_clock;
use liq_feeds::conn::{
    BackoffConfig, ConnHandle, ConnSpec, ConnState, ConnTiming, FeedEvent, GapReason, Heartbeat,
    spawn_connection, tls_config,
};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

type Server = WebSocketStream<TcpStream>;

/// Accepts connections; connection `n` (0-based) is handed to `script(n, ws)`.
async fn serve<F, Fut>(script: F) -> String
where
    F: Fn(usize, Server) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let script = Arc::new(script);
    tokio::spawn(async move {
        let mut n = 0;
        while let Ok((s, _)) = l.accept().await {
            let ws = tokio_tungstenite::accept_async(s).await.unwrap();
            tokio::spawn(script(n, ws));
            n += 1;
        }
    });
    format!("ws://{addr}")
}

fn timing() -> ConnTiming {
    ConnTiming {
        connect_timeout: Duration::from_secs(2),
        stale_after: Duration::from_millis(300),
        read_timeout: Duration::from_millis(800),
        max_lifetime: None,
        healthy_after: Duration::from_secs(60),
        quick_reconnect: Duration::from_millis(20),
    }
}

fn backoff() -> BackoffConfig {
    BackoffConfig {
        initial: Duration::from_millis(30),
        cap: Duration::from_millis(100),
        rate_limited_cap: Duration::from_millis(200),
    }
}

struct Client {
    handle: ConnHandle,
    rx: mpsc::Receiver<FeedEvent>,
    cancel: CancellationToken,
    task: JoinHandle<()>,
}

fn start(spec: ConnSpec) -> Client {
    let (tx, rx) = mpsc::channel(256);
    let cancel = CancellationToken::new();
    let (handle, task) = spawn_connection(
        spec,
        tx,
        system_clock(),
        tls_config().unwrap(),
        backoff(),
        cancel.clone(),
    );
    Client {
        handle,
        rx,
        cancel,
        task,
    }
}

impl Client {
    /// The next event that `f` accepts (others are skipped); panics after 10 s.
    async fn until<T>(&mut self, mut f: impl FnMut(&FeedEvent) -> Option<T>) -> T {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let ev = tokio::time::timeout_at(deadline, self.rx.recv())
                .await
                .expect("timed out waiting for an event")
                .expect("channel closed");
            if let Some(t) = f(&ev) {
                return t;
            }
        }
    }

    async fn wire(&mut self) -> liq_feeds::WireMsg {
        self.until(|e| match e {
            FeedEvent::Wire(m) => Some(m.clone()),
            _ => None,
        })
        .await
    }

    async fn gap(&mut self) -> GapReason {
        self.until(|e| match e {
            FeedEvent::Gap(g) => Some(g.reason.clone()),
            _ => None,
        })
        .await
    }

    async fn stop(self) {
        self.cancel.cancel();
        tokio::time::timeout(Duration::from_secs(5), self.task)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(self.handle.stats.state(), ConnState::Down);
    }
}

fn bybit_spec(url: String, ping_every: Duration) -> ConnSpec {
    ConnSpec {
        exchange: Exchange::Bybit,
        name: "bybit-test".into(),
        url,
        topics: vec![
            "allLiquidation.BTCUSDT".into(),
            "orderbook.50.BTCUSDT".into(),
        ],
        heartbeat: Heartbeat::Interval {
            text: r#"{"op":"ping"}"#.into(),
            every: ping_every,
        },
        timing: timing(),
    }
}

const LIQ: &str = r#"{"topic":"allLiquidation.BTCUSDT","type":"snapshot","ts":1,"data":[{"T":1,"s":"BTCUSDT","S":"Buy","v":"0.1","p":"60000"}]}"#;

async fn next_text(ws: &mut Server) -> String {
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(t))) => return t.to_string(),
            Some(Ok(_)) => continue,
            other => panic!("server: {other:?}"),
        }
    }
}

#[tokio::test]
async fn bybit_subscribes_sends_app_pings_and_forwards_frames() {
    let (seen_tx, mut seen) = mpsc::unbounded_channel::<String>();
    let url = serve(move |_, mut ws| {
        let seen_tx = seen_tx.clone();
        async move {
            let sub = next_text(&mut ws).await;
            seen_tx.send(sub).unwrap();
            ws.send(Message::text(
                r#"{"success":true,"ret_msg":"","op":"subscribe","conn_id":"1"}"#,
            ))
            .await
            .unwrap();
            ws.send(Message::text(LIQ)).await.unwrap();
            let ping = next_text(&mut ws).await;
            seen_tx.send(ping).unwrap();
            ws.send(Message::text(
                r#"{"success":true,"ret_msg":"pong","conn_id":"1","op":"ping"}"#,
            ))
            .await
            .unwrap();
            // Keep the connection open.
            while ws.next().await.is_some() {}
        }
    })
    .await;
    let mut c = start(bybit_spec(url, Duration::from_millis(150)));
    let m = c.wire().await;
    assert_eq!(m.topic, "allLiquidation.BTCUSDT");
    assert_eq!(m.instrument, "BTCUSDT");
    assert_eq!(m.stream, StreamKind::Liquidations);
    assert_eq!(m.payload, LIQ);
    assert!(m.ts > 1.0e9);
    let sub: serde_json::Value = serde_json::from_str(&seen.recv().await.unwrap()).unwrap();
    assert_eq!(sub["op"], "subscribe");
    assert_eq!(sub["args"][1], "orderbook.50.BTCUSDT");
    assert_eq!(seen.recv().await.unwrap(), r#"{"op":"ping"}"#);
    let s = c.handle.stats.snapshot();
    assert!(s.pings_sent >= 1);
    assert_eq!(
        (s.parse_errors, s.reconnects, s.subscribe_errors),
        (0, 0, 0)
    );
    c.stop().await;
}

#[tokio::test]
async fn server_pings_are_answered_with_the_same_payload() {
    let (pong_tx, mut pong) = mpsc::unbounded_channel::<Vec<u8>>();
    let url = serve(move |_, mut ws| {
        let pong_tx = pong_tx.clone();
        async move {
            ws.send(Message::Ping(b"hb-42".to_vec().into()))
                .await
                .unwrap();
            while let Some(Ok(m)) = ws.next().await {
                if let Message::Pong(p) = m {
                    pong_tx.send(p.to_vec()).unwrap();
                }
            }
        }
    })
    .await;
    let spec = ConnSpec {
        exchange: Exchange::Binance,
        name: "binance-test".into(),
        url: format!("{url}/market/stream?streams=btcusdt@aggTrade"),
        topics: vec!["btcusdt@aggTrade".into()],
        heartbeat: Heartbeat::Protocol(Duration::from_secs(30)),
        timing: timing(),
    };
    let c = start(spec);
    let p = tokio::time::timeout(Duration::from_secs(5), pong.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p, b"hb-42");
    assert_eq!(c.handle.stats.snapshot().pings_received, 1);
    c.stop().await;
}

#[tokio::test]
async fn binance_combined_frames_carry_the_inner_event() {
    let url = serve(|_, mut ws| async move {
        let f = r#"{"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":5,"u":6,"pu":4,"b":[],"a":[]}}"#;
        ws.send(Message::text(f)).await.unwrap();
        while ws.next().await.is_some() {}
    })
    .await;
    let spec = ConnSpec {
        exchange: Exchange::Binance,
        name: "binance-public-0".into(),
        url: format!("{url}/public/stream?streams=btcusdt@depth@100ms"),
        topics: vec!["btcusdt@depth@100ms".into()],
        heartbeat: Heartbeat::Protocol(Duration::from_secs(30)),
        timing: timing(),
    };
    let mut c = start(spec);
    let m = c.wire().await;
    assert_eq!(m.stream, StreamKind::Depth);
    assert_eq!(m.instrument, "BTCUSDT");
    assert!(
        m.payload.starts_with(r#"{"e":"depthUpdate""#),
        "{}",
        m.payload
    );
    c.stop().await;
}

#[tokio::test]
async fn garbage_and_truncated_frames_are_counted_not_fatal() {
    let url = serve(|_, mut ws| async move {
        let _ = next_text(&mut ws).await;
        ws.send(Message::text("garbage \u{1}")).await.unwrap();
        ws.send(Message::text(&LIQ[..40])).await.unwrap();
        ws.send(Message::text(LIQ)).await.unwrap();
        while ws.next().await.is_some() {}
    })
    .await;
    let mut c = start(bybit_spec(url, Duration::from_secs(20)));
    assert_eq!(c.gap().await, GapReason::Malformed);
    assert_eq!(c.gap().await, GapReason::Malformed);
    let m = c.wire().await;
    assert_eq!(m.payload, LIQ);
    let s = c.handle.stats.snapshot();
    assert_eq!((s.parse_errors, s.reconnects, s.messages), (2, 0, 3));
    assert_eq!(s.state, ConnState::Live);
    c.stop().await;
}

#[tokio::test]
async fn a_drop_sends_a_gap_and_the_connection_resubscribes() {
    let (sub_tx, mut subs) = mpsc::unbounded_channel::<(usize, String)>();
    let url = serve(move |n, mut ws| {
        let sub_tx = sub_tx.clone();
        async move {
            let s = next_text(&mut ws).await;
            sub_tx.send((n, s)).unwrap();
            ws.send(Message::text(LIQ)).await.unwrap();
            if n == 0 {
                // Abrupt drop: no close frame.
                drop(ws);
            } else {
                while ws.next().await.is_some() {}
            }
        }
    })
    .await;
    let mut c = start(bybit_spec(url, Duration::from_secs(20)));
    c.wire().await;
    let reason = c.gap().await;
    assert!(matches!(reason, GapReason::Disconnected(_)), "{reason:?}");
    c.wire().await;
    let (n0, s0) = subs.recv().await.unwrap();
    let (n1, s1) = subs.recv().await.unwrap();
    assert_eq!((n0, n1), (0, 1));
    assert_eq!(s0, s1, "the same subscription after the reconnect");
    assert_eq!(c.handle.stats.snapshot().reconnects, 1);
    c.stop().await;
}

#[tokio::test]
async fn a_silent_connection_goes_stale_then_is_dropped_with_a_gap() {
    let url = serve(|n, mut ws| async move {
        if n == 0 {
            // Read (so pings are consumed) but never send anything.
            while ws.next().await.is_some() {}
        } else {
            ws.send(Message::text(LIQ)).await.unwrap();
            while ws.next().await.is_some() {}
        }
    })
    .await;
    let mut c = start(bybit_spec(url, Duration::from_secs(20)));
    c.until(|e| match e {
        FeedEvent::Status(s) if s.state == ConnState::Stale => Some(()),
        _ => None,
    })
    .await;
    let reason = c.gap().await;
    assert!(
        matches!(reason, GapReason::Stalled(s) if s >= 0.8),
        "{reason:?}"
    );
    c.wire().await;
    assert_eq!(c.handle.stats.snapshot().reconnects, 1);
    c.stop().await;
}

#[tokio::test]
async fn okx_sends_text_ping_when_idle_and_rejections_are_counted() {
    let (tx, mut got) = mpsc::unbounded_channel::<String>();
    let url = serve(move |_, mut ws| {
        let tx = tx.clone();
        async move {
            let sub = next_text(&mut ws).await;
            tx.send(sub).unwrap();
            ws.send(Message::text(
                r#"{"event":"error","code":"60018","msg":"Invalid channel","connId":"x"}"#,
            ))
            .await
            .unwrap();
            loop {
                let t = next_text(&mut ws).await;
                if t == "ping" {
                    ws.send(Message::text("pong")).await.unwrap();
                }
                tx.send(t).unwrap();
            }
        }
    })
    .await;
    let spec = ConnSpec {
        exchange: Exchange::Okx,
        name: "okx-test".into(),
        url,
        topics: vec!["liquidation-orders:SWAP".into()],
        heartbeat: Heartbeat::Idle {
            text: "ping".into(),
            after: Duration::from_millis(150),
        },
        timing: ConnTiming {
            stale_after: Duration::from_secs(5),
            read_timeout: Duration::from_secs(10),
            ..timing()
        },
    };
    let c = start(spec);
    let sub: serde_json::Value = serde_json::from_str(&got.recv().await.unwrap()).unwrap();
    assert_eq!(sub["args"][0]["instType"], "SWAP");
    // After the rejection the subscription is sent again (after a backoff); pings keep coming.
    let mut saw_ping = false;
    let mut saw_resub = false;
    while !(saw_ping && saw_resub) {
        let t = tokio::time::timeout(Duration::from_secs(5), got.recv())
            .await
            .unwrap()
            .unwrap();
        saw_ping |= t == "ping";
        saw_resub |= t.contains("\"subscribe\"");
    }
    let s = c.handle.stats.snapshot();
    assert_eq!(s.subscribe_errors, 1);
    assert!(s.pings_sent >= 1);
    assert_eq!(s.reconnects, 0);
    c.stop().await;
}

#[tokio::test]
async fn a_refused_dial_backs_off_and_recovers() {
    // Reserve a port with nothing listening, then start a server there later.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    let mut c = start(bybit_spec(format!("ws://{addr}"), Duration::from_secs(20)));
    c.until(|e| match e {
        FeedEvent::Status(s) if s.state == ConnState::Down => Some(()),
        _ => None,
    })
    .await;
    let l = TcpListener::bind(addr).await.unwrap();
    tokio::spawn(async move {
        let (s, _) = l.accept().await.unwrap();
        let mut ws = tokio_tungstenite::accept_async(s).await.unwrap();
        ws.send(Message::text(LIQ)).await.unwrap();
        while ws.next().await.is_some() {}
    });
    c.wire().await;
    assert!(c.handle.stats.snapshot().reconnects >= 1);
    c.stop().await;
}

#[tokio::test]
async fn a_connection_is_renewed_before_its_lifetime_limit() {
    let (n_tx, mut conns) = mpsc::unbounded_channel::<usize>();
    let url = serve(move |n, mut ws| {
        let n_tx = n_tx.clone();
        async move {
            n_tx.send(n).unwrap();
            loop {
                if ws.send(Message::text(LIQ)).await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    })
    .await;
    let mut spec = bybit_spec(url, Duration::from_secs(20));
    spec.timing.max_lifetime = Some(Duration::from_millis(400));
    let mut c = start(spec);
    assert_eq!(c.gap().await, GapReason::Rotated);
    c.wire().await;
    assert_eq!(conns.recv().await, Some(0));
    assert_eq!(conns.recv().await, Some(1));
    c.stop().await;
}
