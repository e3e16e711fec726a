//! WebSocket listener and the task of one connection.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use liq_core::event::Exchange;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior, interval, interval_at};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

use super::counters::Counters;
use super::router::{ConnId, Ctl, Out};
use super::session::{Action, Reject, Session};
use super::{Shared, lock};

/// Accepts WebSocket connections of one exchange until shutdown.
pub(crate) async fn serve_ws(listener: TcpListener, exchange: Exchange, shared: Arc<Shared>) {
    let mut shutdown = shared.shutdown.clone();
    loop {
        tokio::select! {
            r = listener.accept() => match r {
                Ok((tcp, _)) => {
                    tokio::spawn(handle(tcp, exchange, shared.clone()));
                }
                Err(e) => {
                    tracing::warn!(%exchange, error = %e, "mock exchange: accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            },
            _ = shutdown.changed() => return,
        }
    }
}

/// The HTTP error of a refused handshake.
fn error_response(status: StatusCode, body: String) -> ErrorResponse {
    let mut r = ErrorResponse::new(Some(body));
    *r.status_mut() = status;
    r
}

/// Handshake, then the connection loop.
#[allow(clippy::result_large_err)] // the handshake callback's error type is tungstenite's
async fn handle(tcp: TcpStream, exchange: Exchange, shared: Arc<Shared>) {
    let _ = tcp.set_nodelay(true);
    let id = shared
        .next_conn
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut opened = None;
    let admitted = shared.admit_connect(exchange);
    let callback = |req: &Request, resp: Response| {
        if !admitted {
            return Err(error_response(
                StatusCode::TOO_MANY_REQUESTS,
                "too many connection requests".to_owned(),
            ));
        }
        let uri = req.uri();
        match Session::open(
            exchange,
            uri.path(),
            uri.query().unwrap_or(""),
            id,
            &shared.cfg,
        ) {
            Ok(s) => {
                opened = Some(s);
                Ok(resp)
            }
            Err(Reject::NotFound) => Err(error_response(
                StatusCode::NOT_FOUND,
                format!("no such path: {}", uri.path()),
            )),
            Err(Reject::BadRequest(msg)) => Err(error_response(StatusCode::BAD_REQUEST, msg)),
        }
    };
    let ws = match tokio_tungstenite::accept_hdr_async(tcp, callback).await {
        Ok(ws) => ws,
        Err(e) => {
            Counters::inc(&shared.counters(exchange).handshakes_rejected);
            tracing::debug!(%exchange, error = %e, "mock exchange: handshake refused");
            return;
        }
    };
    let Some((session, actions)) = opened else {
        return;
    };
    let c = shared.counters(exchange);
    Counters::inc(&c.connections_accepted);
    Counters::inc(&c.connections_open);
    let (data_tx, data_rx) = mpsc::channel(shared.cfg.client_buffer.max(1));
    let (ctl_tx, ctl_rx) = mpsc::unbounded_channel();
    lock(&shared.router).register(id, exchange, data_tx, ctl_tx);
    let mut conn = Conn {
        ws,
        id,
        exchange,
        shared: shared.clone(),
        session,
        stalled_until: None,
        last_activity: Instant::now(),
        last_pong: Instant::now(),
        last_data: None,
        msg_window: (Instant::now(), 0),
    };
    let end = conn.run(actions, data_rx, ctl_rx).await;
    if lock(&shared.router).unregister(id) {
        shared.sub_changed.notify_waiters();
    }
    Counters::dec(&c.connections_open);
    tracing::debug!(%exchange, id, ?end, "mock exchange: connection ended");
}

/// Why a connection ended.
#[derive(Debug)]
enum End {
    /// The client closed or the socket failed.
    Client,
    /// Server shutdown.
    Shutdown,
    /// A fault or a server rule closed it.
    Server,
}

/// One connection.
struct Conn {
    ws: WebSocketStream<TcpStream>,
    id: ConnId,
    exchange: Exchange,
    shared: Arc<Shared>,
    session: Session,
    stalled_until: Option<Instant>,
    last_activity: Instant,
    last_pong: Instant,
    last_data: Option<Utf8Bytes>,
    /// Start of the current one-second window and the client messages in it.
    msg_window: (Instant, u32),
}

impl Conn {
    fn counters(&self) -> &Counters {
        self.shared.counters(self.exchange)
    }

    fn stalled(&mut self) -> bool {
        match self.stalled_until {
            Some(t) if Instant::now() < t => true,
            Some(_) => {
                self.stalled_until = None;
                false
            }
            None => false,
        }
    }

    /// Counts a client message; `true` when it passes the Binance per-second limit.
    fn over_message_rate(&mut self, cfg: &super::MockConfig) -> bool {
        if !self.session.is_binance() {
            return false;
        }
        let now = Instant::now();
        let (start, n) = &mut self.msg_window;
        if now.duration_since(*start) >= Duration::from_secs(1) {
            *start = now;
            *n = 0;
        }
        *n += 1;
        *n > cfg.binance_max_messages_per_sec
    }

    /// Sends one message within the write timeout; `false` when the connection must end.
    async fn send(&mut self, msg: Message) -> bool {
        let timeout = self.shared.cfg.slow_client_timeout;
        match tokio::time::timeout(timeout, self.ws.send(msg)).await {
            Ok(Ok(())) => {
                self.last_activity = Instant::now();
                true
            }
            Ok(Err(_)) => false,
            Err(_) => {
                Counters::inc(&self.counters().slow_disconnects);
                false
            }
        }
    }

    /// Sends a close frame (bounded wait) and ends.
    async fn close(&mut self, code: CloseCode, reason: &'static str) {
        let frame = CloseFrame {
            code,
            reason: reason.into(),
        };
        let _ = tokio::time::timeout(Duration::from_millis(500), self.ws.close(Some(frame))).await;
    }

    /// Runs the actions of a client message; `false` when the connection must end.
    async fn apply(&mut self, actions: Vec<Action>) -> bool {
        for a in actions {
            let is_error = matches!(a, Action::Error(_));
            match a {
                Action::Reply(text) | Action::Error(text) => {
                    if is_error {
                        Counters::inc(&self.counters().subscribe_errors);
                    }
                    if self.stalled() {
                        Counters::inc(&self.counters().stall_dropped);
                        continue;
                    }
                    Counters::inc(&self.counters().replies_sent);
                    if !self.send(Message::text(text)).await {
                        return false;
                    }
                }
                Action::Subscribe { topics, wrong_path } => {
                    let c = self.counters();
                    Counters::add(&c.wrong_path_subscriptions, wrong_path as u64);
                    Counters::add(&c.subscriptions, (topics.len() + wrong_path) as u64);
                    let keys: Vec<_> = topics
                        .iter()
                        .map(|t| self.session.key(self.exchange, t))
                        .collect();
                    let replay = self.shared.cfg.replay_on_subscribe;
                    let now = self.shared.now();
                    let r = lock(&self.shared.router).subscribe(self.id, &keys, replay, now);
                    self.shared.sub_changed.notify_waiters();
                    if r.overflow {
                        Counters::inc(&self.counters().slow_disconnects);
                        return false;
                    }
                }
                Action::Unsubscribe(topics) => {
                    let keys: Vec<_> = topics
                        .iter()
                        .map(|t| self.session.key(self.exchange, t))
                        .collect();
                    lock(&self.shared.router).unsubscribe(self.id, &keys);
                    self.shared.sub_changed.notify_waiters();
                }
                Action::AppPing => Counters::inc(&self.counters().app_pings),
            }
        }
        true
    }

    /// Sends queued market data.
    async fn send_out(&mut self, out: Out) -> bool {
        let frames = match out {
            Out::Data(f) => vec![f],
            Out::Replay(v) => {
                if !self.stalled() {
                    Counters::add(&self.counters().replayed, v.len() as u64);
                }
                v
            }
        };
        if self.stalled() {
            Counters::add(&self.counters().stall_dropped, frames.len() as u64);
            return true;
        }
        let combined = self.session.combined();
        for f in frames {
            let text = if combined {
                f.wrapped.clone()
            } else {
                f.raw.clone()
            };
            self.last_data = Some(text.clone());
            // Counted before the write so that a client that saw the frame sees the count.
            Counters::inc(&self.counters().messages_sent);
            if !self.send(Message::Text(text)).await {
                return false;
            }
        }
        true
    }

    /// Carries out a fault; `Some(end)` when the connection ends.
    async fn fault(&mut self, ctl: Ctl) -> Option<End> {
        match ctl {
            Ctl::Close => {
                self.close(CloseCode::Away, "mock: connection dropped")
                    .await;
                Some(End::Server)
            }
            Ctl::Reset => {
                // SO_LINGER 0: closing the socket sends a TCP RST instead of a FIN.
                let _ = self.ws.get_ref().set_zero_linger();
                Some(End::Server)
            }
            Ctl::Slow => {
                self.close(CloseCode::Policy, "mock: client too slow").await;
                Some(End::Server)
            }
            Ctl::Stall(d) => {
                self.stalled_until = Some(Instant::now() + d);
                None
            }
            Ctl::Garbage => {
                let ok = self
                    .send(Message::text("mock-garbage ]]{{ not json \u{fffd}"))
                    .await;
                (!ok).then_some(End::Client)
            }
            Ctl::Truncated => {
                let full: String = match &self.last_data {
                    Some(t) => t.as_str().to_owned(),
                    None => canned(self.exchange).to_owned(),
                };
                let mut cut = full.len() / 2;
                while cut > 0 && !full.is_char_boundary(cut) {
                    cut -= 1;
                }
                let ok = self.send(Message::text(&full[..cut])).await;
                (!ok).then_some(End::Client)
            }
        }
    }

    /// The connection loop.
    async fn run(
        &mut self,
        actions: Vec<Action>,
        mut data_rx: mpsc::Receiver<Out>,
        mut ctl_rx: mpsc::UnboundedReceiver<Ctl>,
    ) -> End {
        if !self.apply(actions).await {
            return End::Client;
        }
        let cfg = self.shared.cfg.clone();
        let mut shutdown = self.shared.shutdown.clone();
        let pings = self.session.server_pings();
        let mut ping_iv = interval_at(
            Instant::now() + cfg.binance_ping_interval,
            cfg.binance_ping_interval.max(Duration::from_millis(1)),
        );
        ping_iv.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let idle = self.session.idle_timeout(&cfg);
        let check_every = [idle, cfg.max_connection_age]
            .into_iter()
            .flatten()
            .map(|d| d / 4)
            .min()
            .unwrap_or(Duration::from_secs(1))
            .clamp(Duration::from_millis(5), Duration::from_secs(1));
        let mut check_iv = interval(check_every);
        check_iv.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let opened = Instant::now();
        loop {
            tokio::select! {
                biased;
                _ = shutdown.changed() => {
                    self.close(CloseCode::Away, "mock: shutdown").await;
                    return End::Shutdown;
                }
                ctl = ctl_rx.recv() => {
                    let Some(ctl) = ctl else { return End::Server };
                    if let Some(end) = self.fault(ctl).await {
                        return end;
                    }
                }
                // Timers before traffic: a busy queue must not starve pings and the idle check.
                _ = ping_iv.tick(), if pings => {
                    if self.last_pong.elapsed() > cfg.binance_pong_timeout {
                        Counters::inc(&self.counters().idle_closes);
                        self.close(CloseCode::Away, "mock: no pong").await;
                        return End::Server;
                    }
                    if !self.stalled() {
                        let payload = format!("{}", (self.shared.now() * 1000.0) as i64);
                        Counters::inc(&self.counters().pings_sent);
                        if !self.send(Message::Ping(payload.into_bytes().into())).await {
                            return End::Client;
                        }
                    }
                }
                _ = check_iv.tick() => {
                    if let Some(limit) = idle
                        && self.last_activity.elapsed() > limit
                    {
                        Counters::inc(&self.counters().idle_closes);
                        self.close(CloseCode::Away, "mock: idle").await;
                        return End::Server;
                    }
                    if let Some(age) = cfg.max_connection_age
                        && opened.elapsed() > age
                    {
                        Counters::inc(&self.counters().age_closes);
                        self.close(CloseCode::Away, "mock: connection age").await;
                        return End::Server;
                    }
                }
                msg = self.ws.next() => {
                    let Some(Ok(msg)) = msg else { return End::Client };
                    self.last_activity = Instant::now();
                    match msg {
                        Message::Text(t) => {
                            if self.over_message_rate(&cfg) {
                                Counters::inc(&self.counters().rate_limit_closes);
                                self.close(CloseCode::Policy, "mock: too many messages").await;
                                return End::Server;
                            }
                            let actions = self.session.on_text(t.as_str());
                            if !self.apply(actions).await {
                                return End::Client;
                            }
                        }
                        Message::Pong(_) => {
                            self.last_pong = Instant::now();
                            Counters::inc(&self.counters().pongs_received);
                        }
                        Message::Ping(_) => {
                            // tungstenite queued the Pong; push it out now.
                            if !self.stalled() && self.ws.flush().await.is_err() {
                                return End::Client;
                            }
                        }
                        Message::Close(_) => return End::Client,
                        Message::Binary(_) | Message::Frame(_) => {}
                    }
                }
                out = data_rx.recv() => {
                    let Some(out) = out else { return End::Server };
                    if !self.send_out(out).await {
                        return End::Client;
                    }
                }
            }
        }
    }
}

/// A canned data frame per exchange, for a truncation before any data was sent.
fn canned(exchange: Exchange) -> &'static str {
    match exchange {
        Exchange::Binance => {
            r#"{"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","E":1706607141237,"s":"BTCUSDT","p":"43370.00","q":"0.004","m":true}}"#
        }
        Exchange::Bybit => {
            r#"{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1706607141139,"data":[{"T":1706607141138,"s":"BTCUSDT","S":"Buy","v":"0.003","p":"43365.90"}]}"#
        }
        Exchange::Okx => {
            r#"{"arg":{"channel":"trades","instId":"BTC-USDT-SWAP"},"data":[{"instId":"BTC-USDT-SWAP","px":"43390.7","sz":"3","side":"sell","ts":"1706607140566"}]}"#
        }
    }
}
