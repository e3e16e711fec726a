//! The mock exchange: a loopback server that speaks the Binance USD-M, Bybit v5 and OKX v5
//! public WebSocket and REST protocols closely enough for the real connectors, serving any
//! [`MarketSource`] (a capture file, the simulator, or a hand-made [`VecSource`]).
//!
//! # Layout
//!
//! Two listeners per exchange on `127.0.0.1:0` (ephemeral ports), like the real split between
//! stream and REST hosts (`fstream`/`fapi.binance.com`, `stream`/`api.bybit.com`,
//! `ws`/`www.okx.com`):
//!
//! | exchange | [`MockHandle::ws_url`] + path | [`MockHandle::rest_url`] + path |
//! |---|---|---|
//! | Binance | `/public/ws`, `/market/ws`, `/public/stream?streams=a/b`, `/market/stream?streams=..` (legacy `/ws`, `/stream`: public tier only) | `/fapi/v1/depth`, `/fapi/v1/openInterest`, `/futures/data/*` |
//! | Bybit | `/v5/public/linear`, `/v5/public/spot` | `/v5/market/open-interest`, `/v5/market/tickers` |
//! | OKX | `/ws/v5/public` | `/api/v5/public/open-interest`, `/api/v5/public/instruments` |
//!
//! WebSocket connections are accepted with tokio-tungstenite directly on the TCP stream (so a
//! fault can reset the socket); REST is a small axum fallback handler that forwards every GET to
//! [`MarketSource::rest`].
//!
//! # Protocols (each module in `src/mock/` cites the documentation it follows)
//!
//! - Binance USD-M: combined streams in the URL (frames `{"stream":..,"data":..}`) or live
//!   `{"method":"SUBSCRIBE","params":[..],"id":N}` -> `{"result":null,"id":N}` (also
//!   `UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`, `SET_PROPERTY combined`); the 2026-04-23 tier split
//!   (`@depth`/`@bookTicker`/`@trade` on `/public`, the rest on `/market`; a stream on the wrong
//!   tier is acknowledged and never served); WebSocket Pings every
//!   [`MockConfig::binance_ping_interval`], closed without a Pong for
//!   [`MockConfig::binance_pong_timeout`]; at most 200 streams and 10 client messages per second
//!   per connection.
//! - Bybit v5: `{"op":"subscribe","args":[..],"req_id":..}` ->
//!   `{"success":true,"ret_msg":"","conn_id":..,"req_id":..,"op":"subscribe"}`, failures with
//!   `"success":false` (unknown topic, already subscribed, `args` over 21,000 characters);
//!   `{"op":"ping"}` -> `{"success":true,"ret_msg":"pong",..,"op":"ping"}`; idle close.
//! - OKX v5: one `{"event":"subscribe","arg":..,"connId":..}` per arg, `{"event":"error",
//!   "code":"60018"|"60012",..}` for bad args or JSON; text `ping` -> `pong`; idle close (30 s).
//!
//! # Example
//!
//! ```
//! use liq_core::event::Exchange;
//! use liq_feeds::mock::{DropMode, MockConfig, MockExchange, VecSource};
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let cfg = MockConfig { speed: f64::INFINITY, ..MockConfig::default() };
//! let mock = MockExchange::start(Box::new(VecSource::default()), cfg).await.unwrap();
//! // Point a connector at the mock:
//! let url = format!("{}/market/stream?streams=!forceOrder@arr", mock.ws_url(Exchange::Binance));
//! assert!(url.starts_with("ws://127.0.0.1:"));
//! let rest = format!("{}/fapi/v1/openInterest?symbol=BTCUSDT", mock.rest_url(Exchange::Binance));
//! assert!(rest.starts_with("http://127.0.0.1:"));
//! // Faults apply to the connections open now.
//! assert_eq!(mock.drop_connections(Exchange::Binance, DropMode::Reset), 0);
//! assert_eq!(mock.counters(Exchange::Binance).connections_accepted, 0);
//! mock.shutdown().await;
//! # });
//! ```
//!
//! # Time
//!
//! A driver task maps wall time to source time, starting at [`MarketSource::start_ts`] once
//! [`MockConfig::min_subscriptions`] subscriptions exist: at a finite
//! [`MockConfig::speed`] source time runs `speed` times faster than the wall clock (advanced
//! every [`MockConfig::tick`]); at `f64::INFINITY` (and while source time is before
//! [`MockConfig::fast_forward_until`]) it advances by [`MockConfig::step`] as fast as the
//! subscribers read, pausing while nobody is subscribed. Each connection has a bounded queue
//! ([`MockConfig::client_buffer`]); a client that cannot keep up (queue full at finite speed,
//! blocked longer than [`MockConfig::slow_client_timeout`] when fast) is disconnected and counted
//! in [`MockCounters::slow_disconnects`]; nothing is dropped silently.
//!
//! # Routing and replay
//!
//! Every [`WireMsg`] goes to the connections subscribed to its `(exchange, market, topic)`.
//! The last [`MockConfig::replay_secs`] of source time of every topic are kept; with
//! [`MockConfig::replay_on_subscribe`] a subscription first receives the buffered frames of its
//! topics (a client proves it lost no liquidation across a reconnect by de-duplicating).
//!
//! # Faults
//!
//! [`MockHandle`] injects faults mid-stream: drop every connection of an exchange with a close
//! frame or a TCP reset, stall, a garbage text frame, a truncated JSON frame, a skipped depth
//! diff, and the next K REST answers as 429 (with `Retry-After`) or 500. Binance REST also keeps
//! the documented request-weight budget: `X-MBX-USED-WEIGHT-1M` on every answer, 429 with
//! `Retry-After` past the budget, 418 for a client that does not wait.

mod binance;
mod bybit;
mod conn;
mod counters;
mod driver;
mod okx;
mod rest;
mod router;
mod session;
mod vec_source;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use liq_core::event::Exchange;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

pub use counters::MockCounters;
pub use rest::RestFault;
pub use vec_source::VecSource;

pub(crate) use okx::arg_key as okx_arg_key;

use crate::wire::{MarketSource, WireMsg};
use counters::Counters;
use router::{Ctl, Router};

/// Settings of the mock exchange. `Default` gives the documented exchange values and a real-time
/// clock; tests shorten the timers.
#[derive(Clone, Debug)]
pub struct MockConfig {
    /// Source seconds per wall second; `f64::INFINITY` = as fast as the clients read.
    pub speed: f64,
    /// Run as fast as the clients read until source time reaches this, then at `speed`.
    pub fast_forward_until: Option<f64>,
    /// The clock starts once this many topic subscriptions exist (0: at once).
    pub min_subscriptions: usize,
    /// How often the clock advances the source at a finite speed.
    pub tick: Duration,
    /// Source seconds per advance when running fast.
    pub step: f64,
    /// Bounded queue length per connection (frames).
    pub client_buffer: usize,
    /// How long a full queue or a blocked socket write may last before the client is dropped.
    pub slow_client_timeout: Duration,
    /// Source seconds of messages kept per topic for replay.
    pub replay_secs: f64,
    /// At most this many frames kept per topic.
    pub replay_max_per_topic: usize,
    /// Re-send a topic's buffered frames when a client subscribes to it.
    pub replay_on_subscribe: bool,
    /// Binance server Ping interval (documented: every 3 minutes).
    pub binance_ping_interval: Duration,
    /// Binance closes a connection without a Pong for this long (documented: 10 minutes).
    pub binance_pong_timeout: Duration,
    /// Binance streams per connection (docs: 1024 on the current page, 200 on an older one).
    pub binance_max_streams: usize,
    /// Binance closes a connection that sends more messages than this in one second
    /// (documented: 10 incoming messages per second per connection).
    pub binance_max_messages_per_sec: u32,
    /// Bybit closes a connection with no traffic either way for this long (documented: 10 min).
    pub bybit_idle_timeout: Duration,
    /// Bybit: total characters of one connection's subscribed `args` (documented: 21,000).
    pub bybit_max_args_chars: usize,
    /// OKX closes a connection with no traffic either way for this long (documented: 30 s).
    pub okx_idle_timeout: Duration,
    /// Close every connection at this age (Binance: 24 h); `None`: never.
    pub max_connection_age: Option<Duration>,
    /// Refuse a WebSocket handshake with HTTP 429 past this many per second per exchange
    /// (OKX documents 3 connection requests per second per IP); `None`: no limit.
    pub max_connects_per_sec: Option<u32>,
    /// Binance request-weight budget per window (documented: 2400 per minute per IP).
    pub rest_weight_limit: u32,
    /// Length of the Binance weight window (documented: 1 minute).
    pub rest_weight_window: Duration,
    /// Binance ban (418) length for a client that ignores a 429's `Retry-After`.
    pub rest_ban: Duration,
}

impl Default for MockConfig {
    fn default() -> Self {
        MockConfig {
            speed: 1.0,
            fast_forward_until: None,
            min_subscriptions: 1,
            tick: Duration::from_millis(10),
            step: 1.0,
            client_buffer: 4096,
            slow_client_timeout: Duration::from_secs(5),
            replay_secs: 30.0,
            replay_max_per_topic: 10_000,
            replay_on_subscribe: false,
            binance_ping_interval: Duration::from_secs(180),
            binance_pong_timeout: Duration::from_secs(600),
            binance_max_streams: 200,
            binance_max_messages_per_sec: 10,
            bybit_idle_timeout: Duration::from_secs(600),
            bybit_max_args_chars: 21_000,
            okx_idle_timeout: Duration::from_secs(30),
            max_connection_age: None,
            max_connects_per_sec: None,
            rest_weight_limit: 2400,
            rest_weight_window: Duration::from_secs(60),
            rest_ban: Duration::from_secs(120),
        }
    }
}

/// Errors of the mock exchange.
#[derive(Debug, thiserror::Error)]
pub enum MockError {
    /// A listener could not be bound.
    #[error("cannot bind the mock exchange on 127.0.0.1: {0}")]
    Bind(#[from] std::io::Error),
}

/// How [`MockHandle::drop_connections`] ends the connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropMode {
    /// A WebSocket close frame (code 1001, going away), then the socket closes.
    Close,
    /// An abrupt TCP reset (no close frame).
    Reset,
}

/// State shared by the mock's tasks.
pub(crate) struct Shared {
    pub(crate) cfg: MockConfig,
    pub(crate) router: Mutex<Router>,
    counters: [Counters; 3],
    pub(crate) source: Mutex<Box<dyn MarketSource>>,
    now_bits: AtomicU64,
    speed_bits: AtomicU64,
    pub(crate) exhausted: AtomicBool,
    /// Notified when subscriptions change.
    pub(crate) sub_changed: Notify,
    pub(crate) next_conn: AtomicU64,
    pub(crate) rest: Mutex<[rest::RestState; 3]>,
    /// Recent handshake times per exchange (for `max_connects_per_sec`).
    pub(crate) connects: Mutex<[std::collections::VecDeque<tokio::time::Instant>; 3]>,
    pub(crate) shutdown: watch::Receiver<bool>,
}

/// Locks a mutex, recovering from poisoning (the state stays usable for a test double).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Index of an exchange in per-exchange arrays.
pub(crate) fn idx(exchange: Exchange) -> usize {
    match exchange {
        Exchange::Binance => 0,
        Exchange::Bybit => 1,
        Exchange::Okx => 2,
    }
}

impl Shared {
    /// Records a connection attempt; `false` when it passes `max_connects_per_sec`.
    pub(crate) fn admit_connect(&self, exchange: Exchange) -> bool {
        let Some(limit) = self.cfg.max_connects_per_sec else {
            return true;
        };
        let now = tokio::time::Instant::now();
        let mut all = lock(&self.connects);
        let q = &mut all[idx(exchange)];
        while q
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
        {
            q.pop_front();
        }
        if q.len() >= limit as usize {
            return false;
        }
        q.push_back(now);
        true
    }

    /// The counters of an exchange.
    pub(crate) fn counters(&self, exchange: Exchange) -> &Counters {
        &self.counters[idx(exchange)]
    }

    /// Current source time.
    pub(crate) fn now(&self) -> f64 {
        f64::from_bits(self.now_bits.load(Ordering::Relaxed))
    }

    /// Publishes the source time.
    pub(crate) fn set_now(&self, t: f64) {
        self.now_bits.store(t.to_bits(), Ordering::Relaxed);
    }

    /// Current speed.
    pub(crate) fn speed(&self) -> f64 {
        f64::from_bits(self.speed_bits.load(Ordering::Relaxed))
    }
}

/// The mock exchange.
pub struct MockExchange;

impl MockExchange {
    /// Binds the listeners (127.0.0.1, ephemeral ports), starts the clock and returns the
    /// handle. Must run inside a tokio runtime.
    pub async fn start(
        source: Box<dyn MarketSource>,
        config: MockConfig,
    ) -> Result<MockHandle, MockError> {
        let start = source.start_ts();
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let shared = Arc::new(Shared {
            router: Mutex::new(Router::new(config.replay_secs, config.replay_max_per_topic)),
            counters: Default::default(),
            source: Mutex::new(source),
            now_bits: AtomicU64::new(start.to_bits()),
            speed_bits: AtomicU64::new(config.speed.to_bits()),
            exhausted: AtomicBool::new(false),
            sub_changed: Notify::new(),
            next_conn: AtomicU64::new(1),
            rest: Mutex::new(Default::default()),
            connects: Mutex::new(Default::default()),
            shutdown: shutdown_rx,
            cfg: config,
        });
        let mut ws = Vec::new();
        let mut rest_addrs = Vec::new();
        let mut tasks = Vec::new();
        for ex in Exchange::ALL {
            let l = TcpListener::bind("127.0.0.1:0").await?;
            ws.push(l.local_addr()?);
            tasks.push(tokio::spawn(conn::serve_ws(l, ex, shared.clone())));
            let l = TcpListener::bind("127.0.0.1:0").await?;
            rest_addrs.push(l.local_addr()?);
            tasks.push(tokio::spawn(rest::serve_rest(l, ex, shared.clone())));
        }
        tasks.push(tokio::spawn(driver::run(shared.clone())));
        tracing::debug!(?ws, ?rest_addrs, "mock exchange started");
        Ok(MockHandle {
            shared,
            ws: [ws[0], ws[1], ws[2]],
            rest: [rest_addrs[0], rest_addrs[1], rest_addrs[2]],
            shutdown_tx,
            tasks,
        })
    }
}

/// A running mock exchange: its addresses, counters and the fault-injection controls.
/// Dropping it stops the server (as [`MockHandle::shutdown`] without waiting).
pub struct MockHandle {
    shared: Arc<Shared>,
    ws: [SocketAddr; 3],
    rest: [SocketAddr; 3],
    shutdown_tx: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl MockHandle {
    /// WebSocket base URL of an exchange, e.g. `ws://127.0.0.1:PORT` (append the exchange path).
    pub fn ws_url(&self, exchange: Exchange) -> String {
        format!("ws://{}", self.ws[idx(exchange)])
    }

    /// REST base URL of an exchange, e.g. `http://127.0.0.1:PORT`.
    pub fn rest_url(&self, exchange: Exchange) -> String {
        format!("http://{}", self.rest[idx(exchange)])
    }

    /// WebSocket listener address of an exchange.
    pub fn ws_addr(&self, exchange: Exchange) -> SocketAddr {
        self.ws[idx(exchange)]
    }

    /// REST listener address of an exchange.
    pub fn rest_addr(&self, exchange: Exchange) -> SocketAddr {
        self.rest[idx(exchange)]
    }

    /// A snapshot of an exchange's counters.
    pub fn counters(&self, exchange: Exchange) -> MockCounters {
        self.shared.counters(exchange).snapshot()
    }

    /// The source time the clock has reached.
    pub fn source_time(&self) -> f64 {
        self.shared.now()
    }

    /// Whether the source has given its last message.
    pub fn source_exhausted(&self) -> bool {
        self.shared.exhausted.load(Ordering::Relaxed)
    }

    /// Changes the clock speed (takes effect at the next advance; source time stays continuous).
    pub fn set_speed(&self, speed: f64) {
        self.shared
            .speed_bits
            .store(speed.to_bits(), Ordering::Relaxed);
    }

    fn send_ctl(&self, exchange: Exchange, ctl: Ctl) -> usize {
        let targets = lock(&self.shared.router).ctl_of(exchange);
        let n = targets.iter().filter(|t| t.send(ctl).is_ok()).count();
        Counters::add(&self.shared.counters(exchange).faults_injected, n as u64);
        n
    }

    /// Ends every WebSocket connection of an exchange; returns how many.
    pub fn drop_connections(&self, exchange: Exchange, mode: DropMode) -> usize {
        let ctl = match mode {
            DropMode::Close => Ctl::Close,
            DropMode::Reset => Ctl::Reset,
        };
        self.send_ctl(exchange, ctl)
    }

    /// Every connection of an exchange sends nothing (data, replies, pings) for `duration`,
    /// without closing; frames routed meanwhile are dropped and counted in `stall_dropped`.
    pub fn stall(&self, exchange: Exchange, duration: Duration) -> usize {
        self.send_ctl(exchange, Ctl::Stall(duration))
    }

    /// Every connection of an exchange receives a text frame that is not JSON.
    pub fn send_garbage(&self, exchange: Exchange) -> usize {
        self.send_ctl(exchange, Ctl::Garbage)
    }

    /// Every connection of an exchange receives a truncated JSON frame (the first half of the
    /// last data frame it was sent, or of a canned one).
    pub fn send_truncated(&self, exchange: Exchange) -> usize {
        self.send_ctl(exchange, Ctl::Truncated)
    }

    /// Drops the next depth diff (not a snapshot) of `instrument`, so clients see a sequence gap.
    pub fn skip_next_depth(&self, exchange: Exchange, instrument: &str) {
        lock(&self.shared.router).skip_next_depth(exchange, instrument);
    }

    /// The next `count` REST answers of an exchange are this fault.
    pub fn fail_rest(&self, exchange: Exchange, count: u32, fault: RestFault) {
        let mut st = lock(&self.shared.rest);
        for _ in 0..count {
            st[idx(exchange)].faults.push_back(fault);
        }
    }

    /// Waits until `pred` holds for an exchange's counters, polling every 5 ms; `false` after
    /// `timeout` (a deadline against hangs, not a timing check).
    pub async fn wait_until(
        &self,
        exchange: Exchange,
        timeout: Duration,
        pred: impl Fn(&MockCounters) -> bool,
    ) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if pred(&self.counters(exchange)) {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Stops every task and closes every connection, waiting for the tasks to end.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown_tx.send(true);
        for t in self.tasks.drain(..) {
            let _ = t.await;
        }
    }
}

impl Drop for MockHandle {
    fn drop(&mut self) {
        let _ = self.shutdown_tx.send(true);
    }
}

/// Hands messages to their subscribers (used by the driver).
pub(crate) async fn deliver(shared: &Shared, msgs: &mut Vec<WireMsg>, fast: bool) {
    for msg in msgs.drain(..) {
        let routed = lock(&shared.router).route(&msg);
        let Some((frame, targets)) = routed else {
            Counters::inc(&shared.counters(msg.exchange).depth_skipped);
            continue;
        };
        for (id, tx) in targets {
            let item = router::Out::Data(frame.clone());
            let full = if fast {
                matches!(
                    tx.send_timeout(item, shared.cfg.slow_client_timeout).await,
                    Err(tokio::sync::mpsc::error::SendTimeoutError::Timeout(_))
                )
            } else {
                matches!(
                    tx.try_send(item),
                    Err(tokio::sync::mpsc::error::TrySendError::Full(_))
                )
            };
            if full && lock(&shared.router).kick_slow(id) {
                Counters::inc(&shared.counters(msg.exchange).slow_disconnects);
                shared.sub_changed.notify_waiters();
            }
        }
    }
}
