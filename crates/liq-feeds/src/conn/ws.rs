//! The connection task: dial (rustls for `wss://`, plain TCP for `ws://`), subscribe, read,
//! keep alive, detect stalls, rotate before the exchange's lifetime limit, reconnect with
//! backoff, and report everything as [`FeedEvent`]s.
//!
//! Server pings: tungstenite queues the pong with the ping's payload as soon as it reads the
//! ping and writes it on the next read or flush; the task flushes right after each ping, and it
//! never stops reading while connected (Binance USD-M: the server pings every 3 minutes and
//! disconnects after 10 minutes without a pong).

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use liq_core::event::{Exchange, Market};
use liq_core::normalize::StreamKind;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep_until, timeout};
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, info, warn};

use super::backoff::{Backoff, BackoffConfig};
use super::plan::{ConnSpec, Heartbeat};
use super::route::{self, Inbound};
use super::stats::{ConnState, ConnStats};
use super::{FeedEvent, Gap, GapReason, StatusChange};
use crate::clock::SharedClock;
use crate::wire::WireMsg;

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A request to a running connection.
#[derive(Clone, Debug, PartialEq)]
pub enum ConnCommand {
    /// Unsubscribe and subscribe these topics again (Bybit/OKX: a fresh book snapshot).
    Resubscribe(Vec<String>),
    /// Drop the connection and reconnect now.
    Reconnect,
}

/// The outside view of a running connection.
#[derive(Clone, Debug)]
pub struct ConnHandle {
    /// What it connects to.
    pub spec: Arc<ConnSpec>,
    /// Its counters.
    pub stats: Arc<ConnStats>,
    /// Commands to it.
    pub commands: mpsc::Sender<ConnCommand>,
}

/// The TLS client configuration: rustls with the ring provider and the webpki root store.
pub fn tls_config() -> Result<Arc<rustls::ClientConfig>, rustls::Error> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Starts the task of one connection.
pub fn spawn_connection(
    spec: ConnSpec,
    tx: mpsc::Sender<FeedEvent>,
    clock: SharedClock,
    tls: Arc<rustls::ClientConfig>,
    backoff: BackoffConfig,
    cancel: CancellationToken,
) -> (ConnHandle, JoinHandle<()>) {
    let stats = Arc::new(ConnStats::new(spec.exchange, spec.name.clone()));
    let (cmd_tx, cmd_rx) = mpsc::channel(16);
    let spec = Arc::new(spec);
    let streams = {
        let mut v: Vec<StreamKind> = spec
            .topics
            .iter()
            .map(|t| topic_stream(spec.exchange, t))
            .collect();
        v.sort();
        v.dedup();
        v
    };
    let task = Task {
        spec: spec.clone(),
        instruments: spec.instruments(),
        streams,
        tx,
        clock,
        tls,
        cancel,
        stats: stats.clone(),
        cmds: cmd_rx,
        backoff: Backoff::new(backoff),
        sub_backoff: Backoff::new(backoff),
    };
    let handle = ConnHandle {
        spec,
        stats,
        commands: cmd_tx,
    };
    (handle, tokio::spawn(task.run()))
}

/// The stream kind of a routing key.
pub fn topic_stream(exchange: Exchange, topic: &str) -> StreamKind {
    match exchange {
        Exchange::Binance => route::binance_stream_kind(topic),
        Exchange::Bybit => route::bybit_stream_kind(topic),
        Exchange::Okx => route::okx_stream_kind(topic.split(':').next().unwrap_or("")),
    }
}

/// What one text frame was, for the session loop.
enum Text {
    Data,
    Other,
    Rejected,
    /// The exchange asked us to reconnect.
    Reconnect,
    /// The engine's receiver is gone or the task was cancelled.
    Closed,
}

/// How a session ended.
enum End {
    Cancelled,
    Closed(String),
    Stalled(Duration),
    Failed(String),
    Rotate,
    Reconnect,
}

struct Task {
    spec: Arc<ConnSpec>,
    instruments: Vec<String>,
    streams: Vec<StreamKind>,
    tx: mpsc::Sender<FeedEvent>,
    clock: SharedClock,
    tls: Arc<rustls::ClientConfig>,
    cancel: CancellationToken,
    stats: Arc<ConnStats>,
    cmds: mpsc::Receiver<ConnCommand>,
    backoff: Backoff,
    sub_backoff: Backoff,
}

impl Task {
    async fn run(mut self) {
        let mut first = true;
        loop {
            if self.cancel.is_cancelled() {
                break;
            }
            if !first {
                self.stats.on_reconnect();
            }
            first = false;
            self.set_state(ConnState::Connecting).await;
            let connect = tokio_tungstenite::connect_async_tls_with_config(
                self.spec.url.as_str(),
                None,
                true,
                Some(Connector::Rustls(self.tls.clone())),
            );
            let result = tokio::select! {
                _ = self.cancel.cancelled() => break,
                r = timeout(self.spec.timing.connect_timeout, connect) => r,
            };
            let ws = match result {
                Ok(Ok((ws, _))) => ws,
                Ok(Err(e)) => {
                    let limited = matches!(&e, tungstenite::Error::Http(r)
                        if r.status().as_u16() == 429 || r.status().as_u16() == 418);
                    self.dial_failed(&e.to_string(), limited).await;
                    let d = self.backoff.next_delay(limited);
                    if !self.pause(d).await {
                        break;
                    }
                    continue;
                }
                Err(_) => {
                    self.dial_failed("connect timeout", false).await;
                    let d = self.backoff.next_delay(false);
                    if !self.pause(d).await {
                        break;
                    }
                    continue;
                }
            };
            info!(connection = %self.spec.name, url = %self.spec.url, "connected");
            let started = Instant::now();
            let (end, got_data) = self.session(ws).await;
            let quick = matches!(end, End::Rotate | End::Reconnect);
            let reason = match end {
                End::Cancelled => break,
                End::Closed(s) => GapReason::Disconnected(s),
                End::Failed(s) => GapReason::Disconnected(s),
                End::Stalled(d) => GapReason::Stalled(d.as_secs_f64()),
                End::Rotate => GapReason::Rotated,
                End::Reconnect => {
                    GapReason::Disconnected("reconnect requested or advised".to_owned())
                }
            };
            warn!(connection = %self.spec.name, reason = ?reason, "connection lost");
            self.set_state(ConnState::Down).await;
            self.gap(reason.clone()).await;
            let healthy = got_data && started.elapsed() >= self.spec.timing.healthy_after;
            let delay = if healthy || quick {
                self.backoff.reset();
                self.spec.timing.quick_reconnect
            } else {
                self.backoff.next_delay(false)
            };
            if !self.pause(delay).await {
                break;
            }
        }
        self.stats.set_state(ConnState::Down);
        debug!(connection = %self.spec.name, "stopped");
    }

    async fn dial_failed(&mut self, why: &str, rate_limited: bool) {
        // Repeated failures of an outage are logged at debug after the fifth.
        if self.backoff.attempt() < 5 {
            warn!(connection = %self.spec.name, url = %self.spec.url, rate_limited, "connect failed: {why}");
        } else {
            debug!(connection = %self.spec.name, "connect failed again: {why}");
        }
        self.set_state(ConnState::Down).await;
    }

    /// Sleeps unless cancelled; `false` when cancelled.
    async fn pause(&self, d: Duration) -> bool {
        tokio::select! {
            _ = self.cancel.cancelled() => false,
            _ = tokio::time::sleep(d) => true,
        }
    }

    async fn emit(&self, ev: FeedEvent) -> bool {
        tokio::select! {
            _ = self.cancel.cancelled() => false,
            r = self.tx.send(ev) => r.is_ok(),
        }
    }

    async fn set_state(&self, s: ConnState) {
        if self.stats.set_state(s) != s {
            let ev = FeedEvent::Status(StatusChange {
                exchange: self.spec.exchange,
                connection: self.spec.name.clone(),
                state: s,
                ts: self.clock.now(),
            });
            self.emit(ev).await;
        }
    }

    async fn gap(&self, reason: GapReason) {
        self.stats.on_gap();
        let ev = FeedEvent::Gap(Gap {
            exchange: self.spec.exchange,
            connection: self.spec.name.clone(),
            reason,
            ts: self.clock.now(),
            instruments: self.instruments.clone(),
            streams: self.streams.clone(),
        });
        self.emit(ev).await;
    }

    async fn send_all(&self, ws: &mut Ws, msgs: Vec<String>) -> Result<(), String> {
        for m in msgs {
            ws.send(Message::text(m)).await.map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    async fn session(&mut self, mut ws: Ws) -> (End, bool) {
        if let Err(e) = self.send_all(&mut ws, self.spec.subscribe_messages()).await {
            return (End::Failed(format!("subscribe: {e}")), false);
        }
        self.set_state(ConnState::Live).await;
        let timing = self.spec.timing;
        let started = Instant::now();
        let mut last_rx = started;
        let mut last_hb = started;
        let mut idle_ping_sent = false;
        let mut got_data = false;
        let mut resub_at: Option<Instant> = None;
        let far = started + Duration::from_secs(365 * 86_400);
        loop {
            let read_deadline = last_rx + timing.read_timeout;
            let hb_deadline = match &self.spec.heartbeat {
                Heartbeat::Protocol(every) | Heartbeat::Interval { every, .. } => last_hb + *every,
                Heartbeat::Idle { after, .. } if !idle_ping_sent => last_rx + *after,
                Heartbeat::Idle { .. } => far,
            };
            let life = timing.max_lifetime.map_or(far, |d| started + d);
            let mut next = read_deadline.min(hb_deadline).min(life);
            if let Some(t) = resub_at {
                next = next.min(t);
            }
            if self.stats.state() == ConnState::Live {
                next = next.min(last_rx + timing.stale_after);
            }
            tokio::select! {
                biased;
                _ = self.cancel.cancelled() => {
                    let _ = timeout(Duration::from_secs(1), ws.close(None)).await;
                    return (End::Cancelled, got_data);
                }
                Some(cmd) = self.cmds.recv() => match cmd {
                    ConnCommand::Reconnect => return (End::Reconnect, got_data),
                    ConnCommand::Resubscribe(topics) => {
                        info!(connection = %self.spec.name, ?topics, "resubscribing");
                        let msgs = self.spec.resubscribe_messages(&topics);
                        if let Err(e) = self.send_all(&mut ws, msgs).await {
                            return (End::Failed(format!("resubscribe: {e}")), got_data);
                        }
                    }
                },
                msg = ws.next() => {
                    let now = Instant::now();
                    let msg = match msg {
                        None => return (End::Closed("stream ended".to_owned()), got_data),
                        Some(Err(e)) => return (End::Failed(e.to_string()), got_data),
                        Some(Ok(m)) => m,
                    };
                    // A pong answering our own protocol ping proves the socket, not the feed:
                    // only frames the server sends on its own count as inbound.
                    if matches!(msg, Message::Pong(_)) {
                        continue;
                    }
                    last_rx = now;
                    idle_ping_sent = false;
                    if self.stats.state() == ConnState::Stale {
                        self.set_state(ConnState::Live).await;
                    }
                    match msg {
                        Message::Text(t) => {
                            match self.on_text(t.as_str()).await {
                                Text::Data => got_data = true,
                                Text::Other => {}
                                Text::Rejected => {
                                    let d = self.sub_backoff.next_delay(false);
                                    resub_at.get_or_insert(now + d);
                                }
                                Text::Reconnect => return (End::Reconnect, got_data),
                                Text::Closed => return (End::Cancelled, got_data),
                            }
                        }
                        Message::Binary(b) => {
                            self.stats.on_message(b.len(), self.clock.now());
                            self.stats.on_parse_error();
                            debug!(connection = %self.spec.name, "binary frame skipped");
                        }
                        Message::Ping(_) => {
                            self.stats.on_ping_received();
                            // The pong is queued by tungstenite; write it now.
                            if let Err(e) = ws.flush().await {
                                return (End::Failed(format!("pong: {e}")), got_data);
                            }
                        }
                        Message::Pong(_) | Message::Frame(_) => {}
                        Message::Close(f) => {
                            let why = f.map_or_else(
                                || "closed by server".to_owned(),
                                |f| format!("closed by server: {} {}", f.code, f.reason),
                            );
                            return (End::Closed(why), got_data);
                        }
                    }
                }
                _ = sleep_until(next) => {
                    let now = Instant::now();
                    if now >= read_deadline {
                        return (End::Stalled(now - last_rx), got_data);
                    }
                    if now >= life {
                        info!(connection = %self.spec.name, "renewing before the lifetime limit");
                        let _ = timeout(Duration::from_secs(1), ws.close(None)).await;
                        return (End::Rotate, got_data);
                    }
                    if self.stats.state() == ConnState::Live && now >= last_rx + timing.stale_after {
                        self.set_state(ConnState::Stale).await;
                    }
                    if now >= hb_deadline {
                        let m = match &self.spec.heartbeat {
                            Heartbeat::Protocol(_) => Message::Ping(Default::default()),
                            Heartbeat::Interval { text, .. } | Heartbeat::Idle { text, .. } => {
                                Message::text(text.clone())
                            }
                        };
                        if let Err(e) = ws.send(m).await {
                            return (End::Failed(format!("heartbeat: {e}")), got_data);
                        }
                        self.stats.on_ping_sent();
                        last_hb = now;
                        idle_ping_sent = true;
                    }
                    if resub_at.is_some_and(|t| now >= t) {
                        resub_at = None;
                        let msgs = self.spec.subscribe_messages();
                        if let Err(e) = self.send_all(&mut ws, msgs).await {
                            return (End::Failed(format!("subscribe: {e}")), got_data);
                        }
                    }
                }
            }
        }
    }

    async fn on_text(&mut self, text: &str) -> Text {
        let ts = self.clock.now();
        self.stats.on_message(text.len(), ts);
        let ex = self.spec.exchange;
        match route::classify(ex, text) {
            Inbound::Data {
                topic,
                instrument,
                stream,
                payload,
            } => {
                self.stats.on_stream(stream, ts);
                let msg = WireMsg {
                    ts,
                    exchange: ex,
                    market: Market::Perp,
                    instrument,
                    stream,
                    topic,
                    payload: payload.to_owned(),
                };
                if self.emit(FeedEvent::Wire(msg)).await {
                    Text::Data
                } else {
                    Text::Closed
                }
            }
            Inbound::Pong | Inbound::Control => Text::Other,
            Inbound::Rejected(why) => {
                self.stats.on_subscribe_error();
                error!(connection = %self.spec.name, "subscription rejected: {why}");
                Text::Rejected
            }
            Inbound::ReconnectAdvised(why) => {
                info!(connection = %self.spec.name, "exchange advises a reconnect: {why}");
                Text::Reconnect
            }
            Inbound::Unknown => {
                debug!(connection = %self.spec.name, "frame of unknown shape skipped");
                Text::Other
            }
            Inbound::Invalid => {
                self.stats.on_parse_error();
                let n = self.stats.snapshot().parse_errors;
                // Rate-limited: the first ten, then every hundredth.
                if n <= 10 || n.is_multiple_of(100) {
                    let sample: String = text.chars().take(120).collect();
                    warn!(connection = %self.spec.name, parse_errors = n, "frame is not JSON, skipped: {sample:?}");
                }
                self.gap(GapReason::Malformed).await;
                if self.cancel.is_cancelled() || self.tx.is_closed() {
                    Text::Closed
                } else {
                    Text::Other
                }
            }
        }
    }
}
