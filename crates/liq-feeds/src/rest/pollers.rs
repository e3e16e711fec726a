//! Periodic REST pollers (open interest, trader ratios) and the depth-snapshot fetcher.
//!
//! Each answer goes to the engine as [`FeedEvent::Rest`] with the request's stream and
//! instrument, so the normalizer turns it into an `OpenInterest` / `TraderRatio` / depth
//! snapshot event. A failing exchange is logged (first failure of a streak at WARN, the rest at
//! DEBUG), skipped, and shown as DOWN in the poller's status; the poller keeps its period.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use liq_core::event::Exchange;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use super::client::{RestClient, RestError};
use super::endpoints::{RestRequest, binance_depth};
use crate::conn::{ConnState, ConnStats, FeedEvent, StatusChange};

/// Decides, at each tick after the first, whether the poller runs (e.g. only while a
/// WebSocket source of the same data is stale).
pub type Gate = Arc<dyn Fn() -> bool + Send + Sync>;

/// One periodic poller.
#[derive(Clone)]
pub struct PollerSpec {
    /// Name, e.g. `binance-oi`.
    pub name: String,
    /// Exchange.
    pub exchange: Exchange,
    /// Requests of one round, in order.
    pub requests: Vec<RestRequest>,
    /// Period (fixed rate; missed ticks are skipped, spec F22).
    pub every: Duration,
    /// Pause between the requests of a round.
    pub spacing: Duration,
    /// Optional gate (the first round always runs).
    pub gate: Option<Gate>,
}

impl std::fmt::Debug for PollerSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PollerSpec")
            .field("name", &self.name)
            .field("requests", &self.requests.len())
            .field("every", &self.every)
            .finish()
    }
}

async fn send(tx: &mpsc::Sender<FeedEvent>, cancel: &CancellationToken, ev: FeedEvent) -> bool {
    tokio::select! {
        _ = cancel.cancelled() => false,
        r = tx.send(ev) => r.is_ok(),
    }
}

async fn set_state(
    stats: &ConnStats,
    tx: &mpsc::Sender<FeedEvent>,
    cancel: &CancellationToken,
    s: ConnState,
    ts: f64,
) {
    if stats.set_state(s) != s {
        let ev = FeedEvent::Status(StatusChange {
            exchange: stats.exchange,
            connection: stats.name.clone(),
            state: s,
            ts,
        });
        send(tx, cancel, ev).await;
    }
}

/// Starts a poller; returns its counters (`messages` = answers, `subscribe_errors` = failed
/// requests).
pub fn spawn_poller(
    spec: PollerSpec,
    client: RestClient,
    tx: mpsc::Sender<FeedEvent>,
    cancel: CancellationToken,
) -> (Arc<ConnStats>, JoinHandle<()>) {
    let stats = Arc::new(ConnStats::new(spec.exchange, spec.name.clone()));
    stats.set_state(ConnState::Connecting);
    let st = stats.clone();
    let task = async move {
        let mut tick = tokio::time::interval(spec.every);
        tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
        let mut first = true;
        let mut failing = false;
        loop {
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = tick.tick() => {}
            }
            if !first && spec.gate.as_ref().is_some_and(|g| !g()) {
                continue;
            }
            first = false;
            let mut ok = 0usize;
            let mut last_err: Option<RestError> = None;
            for (i, req) in spec.requests.iter().enumerate() {
                if i > 0 && !spec.spacing.is_zero() {
                    tokio::select! {
                        _ = cancel.cancelled() => return,
                        _ = tokio::time::sleep(spec.spacing) => {}
                    }
                }
                let r = tokio::select! {
                    _ = cancel.cancelled() => return,
                    r = client.get(req.exchange, &req.url, req.weight) => r,
                };
                match r {
                    Ok(reply) => {
                        ok += 1;
                        st.on_message(reply.body.len(), reply.ts);
                        let ev = FeedEvent::Rest(req.answer(reply.ts, reply.body));
                        if !send(&tx, &cancel, ev).await {
                            return;
                        }
                    }
                    Err(e) => {
                        st.on_subscribe_error();
                        debug!(poller = %spec.name, url = %req.url, "poll failed: {e}");
                        last_err = Some(e);
                    }
                }
            }
            let now = client.now();
            match (ok, last_err) {
                (_, None) => {
                    if failing {
                        info!(poller = %spec.name, "polling recovered");
                    }
                    failing = false;
                    set_state(&st, &tx, &cancel, ConnState::Live, now).await;
                }
                (n, Some(e)) => {
                    if !failing {
                        warn!(poller = %spec.name, succeeded = n, of = spec.requests.len(), "polling failed (skipped until it recovers): {e}");
                    }
                    failing = true;
                    st.on_reconnect();
                    let s = if n == 0 {
                        ConnState::Down
                    } else {
                        ConnState::Stale
                    };
                    set_state(&st, &tx, &cancel, s, now).await;
                }
            }
        }
        st.set_state(ConnState::Down);
    };
    (stats, tokio::spawn(task))
}

/// Fetches Binance depth snapshots on request, at most one per symbol per `min_interval`.
#[derive(Clone, Debug)]
pub struct SnapshotFetcher {
    client: RestClient,
    base: String,
    limit: u32,
    min_interval: Duration,
    last: Arc<Mutex<HashMap<String, Instant>>>,
    tx: mpsc::Sender<FeedEvent>,
    cancel: CancellationToken,
}

impl SnapshotFetcher {
    /// A fetcher against `base` (e.g. `https://fapi.binance.com`) with `limit` levels.
    pub fn new(
        client: RestClient,
        base: String,
        limit: u32,
        min_interval: Duration,
        tx: mpsc::Sender<FeedEvent>,
        cancel: CancellationToken,
    ) -> Self {
        SnapshotFetcher {
            client,
            base,
            limit,
            min_interval,
            last: Arc::new(Mutex::new(HashMap::new())),
            tx,
            cancel,
        }
    }

    /// Whether a request for `symbol` is allowed now (and records it).
    fn admit(&self, symbol: &str) -> bool {
        let mut g = match self.last.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        let now = Instant::now();
        match g.get(symbol) {
            Some(t) if now < *t + self.min_interval => false,
            _ => {
                g.insert(symbol.to_owned(), now);
                true
            }
        }
    }

    /// Fetches one snapshot and sends it as [`FeedEvent::Rest`]; `Ok(false)` when throttled.
    pub async fn fetch(&self, symbol: &str) -> Result<bool, RestError> {
        if !self.admit(symbol) {
            return Ok(false);
        }
        let req = binance_depth(&self.base, symbol, self.limit);
        let reply = self.client.get(req.exchange, &req.url, req.weight).await?;
        let ev = FeedEvent::Rest(req.answer(reply.ts, reply.body));
        tokio::select! {
            _ = self.cancel.cancelled() => {}
            _ = self.tx.send(ev) => {}
        }
        Ok(true)
    }

    /// Fetches in the background (failures are logged; the book asks again).
    pub fn request(&self, symbol: &str) {
        let me = self.clone();
        let symbol = symbol.to_owned();
        tokio::spawn(async move {
            match me.fetch(&symbol).await {
                Ok(true) => debug!(%symbol, "depth snapshot fetched"),
                Ok(false) => debug!(%symbol, "depth snapshot throttled"),
                Err(e) => warn!(%symbol, "depth snapshot failed: {e}"),
            }
        });
    }
}
