//! The feeds facade: [`Feeds::start`] opens every connection and poller of the configured
//! exchanges and symbols; the [`FeedsHandle`] reports status, fetches book snapshots on request
//! and shuts everything down.

pub mod config;

use std::sync::Arc;

use liq_core::event::{Exchange, Market, RatioKind};
use liq_core::normalize::{Frame, StreamKind};
use liq_core::symbols::SymbolRegistry;
use serde::Serialize;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::clock::SharedClock;
use crate::conn::plan::{BinancePlan, binance_connections, bybit_connections, okx_connections};
use crate::conn::ws::topic_stream;
use crate::conn::{
    ConnCommand, ConnHandle, ConnSnapshot, ConnSpec, ConnState, ConnStats, FeedEvent, Heartbeat,
    spawn_connection, tls_config,
};
use crate::rest::endpoints::{
    binance_open_interest, binance_ratio, bybit_tickers, okx_instruments_url, okx_open_interest,
};
use crate::rest::{
    Gate, LimitSnapshot, OkxContracts, PollerSpec, RestClient, SnapshotFetcher,
    parse_okx_instruments, spawn_poller,
};
use crate::wire::WireMsg;

use config::secs;
pub use config::{BinanceConfig, BybitConfig, FeedsConfig, OkxConfig};

/// The normalizer's view of a feed message: stream and instrument hints from the connection
/// (REST answers do not always name their instrument; `*` gives no hint).
pub fn frame_of(m: &WireMsg) -> Frame<'_> {
    Frame {
        exchange: m.exchange,
        market: m.market,
        stream: (m.stream != StreamKind::Unknown).then_some(m.stream),
        instrument: (m.instrument != "*").then_some(m.instrument.as_str()),
        payload: &m.payload,
        receive_ts: m.ts,
    }
}

/// Why the feeds could not start.
#[derive(Debug, thiserror::Error)]
pub enum FeedsError {
    /// The TLS configuration failed.
    #[error("TLS: {0}")]
    Tls(#[from] rustls::Error),
    /// The REST client could not be built.
    #[error("REST client: {0}")]
    Rest(#[from] crate::rest::RestError),
    /// OKX instruments could not be read.
    #[error("OKX instruments: {0}")]
    Instruments(String),
}

/// Status of one exchange.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExchangeStatus {
    /// Exchange.
    pub exchange: Exchange,
    /// LIVE when every connection is live, DOWN when none is, STALE otherwise.
    pub state: ConnState,
    /// WebSocket connections.
    pub connections: Vec<ConnSnapshot>,
    /// REST pollers.
    pub pollers: Vec<ConnSnapshot>,
    /// REST rate-limit accounting.
    pub rest: LimitSnapshot,
}

/// The feeds entry point.
#[derive(Debug)]
pub struct Feeds;

/// The running feeds.
#[derive(Debug)]
pub struct FeedsHandle {
    connections: Vec<ConnHandle>,
    pollers: Vec<Arc<ConnStats>>,
    tasks: Vec<JoinHandle<()>>,
    cancel: CancellationToken,
    client: RestClient,
    snapshots: Option<SnapshotFetcher>,
    exchanges: Vec<Exchange>,
}

fn ids(registry: &SymbolRegistry, ex: Exchange) -> Vec<String> {
    registry
        .instruments_of(ex, Market::Perp)
        .iter()
        .map(|i| i.id.to_string())
        .collect()
}

/// The aggregate state of several connections.
pub fn aggregate_state(states: &[ConnState]) -> ConnState {
    if states.is_empty() || states.iter().all(|s| *s == ConnState::Live) {
        if states.is_empty() {
            ConnState::Down
        } else {
            ConnState::Live
        }
    } else if states
        .iter()
        .all(|s| matches!(s, ConnState::Down | ConnState::Connecting))
    {
        ConnState::Down
    } else {
        ConnState::Stale
    }
}

impl Feeds {
    /// The WebSocket connections the configuration asks for (no I/O).
    pub fn plan(config: &FeedsConfig, registry: &SymbolRegistry) -> Vec<ConnSpec> {
        let mut specs = Vec::new();
        if config.binance.enabled {
            let b = &config.binance;
            let base = b.ws.trim_end_matches('/');
            let plan = BinancePlan {
                public_base: format!("{base}/public"),
                market_base: format!("{base}/market"),
                max_streams: b.max_streams,
                depth_stream: b.depth_stream.clone(),
            };
            let mut conns = binance_connections(&plan, &ids(registry, Exchange::Binance));
            for c in &mut conns {
                c.timing.max_lifetime =
                    (b.max_lifetime_secs > 0.0).then(|| secs(b.max_lifetime_secs));
            }
            specs.extend(conns);
        }
        if config.bybit.enabled {
            let c = &config.bybit;
            let syms = ids(registry, Exchange::Bybit);
            specs.extend(bybit_connections(
                &c.ws,
                &syms,
                c.book_depth,
                c.max_args_chars,
            ));
        }
        if config.okx.enabled {
            let c = &config.okx;
            specs.extend(okx_connections(
                &c.ws,
                &ids(registry, Exchange::Okx),
                &c.book_channel,
            ));
        }
        for s in &mut specs {
            if let Some(t) = config.timing {
                s.timing = t;
            }
            if let Some(d) = config.heartbeat {
                match &mut s.heartbeat {
                    Heartbeat::Protocol(every) | Heartbeat::Interval { every, .. } => *every = d,
                    Heartbeat::Idle { after, .. } => *after = d,
                }
            }
        }
        specs
    }

    /// Fetches OKX contract values (`/api/v5/public/instruments?instType=SWAP`); apply them to
    /// the registry configuration with [`crate::rest::apply_okx_contracts`] before building the
    /// registry. On error keep the configured values (and log a warning).
    pub async fn fetch_okx_contracts(
        config: &FeedsConfig,
        clock: SharedClock,
    ) -> Result<OkxContracts, FeedsError> {
        let client = RestClient::new(tls_config()?, secs(config.rest_timeout_secs), clock)?;
        let url = okx_instruments_url(&config.okx.rest);
        let reply = client.get(Exchange::Okx, &url, 1).await?;
        parse_okx_instruments(&reply.body).map_err(FeedsError::Instruments)
    }

    /// Starts every connection and poller; events go to `tx`. Must run inside a tokio runtime.
    pub fn start(
        config: &FeedsConfig,
        registry: &SymbolRegistry,
        tx: mpsc::Sender<FeedEvent>,
        clock: SharedClock,
    ) -> Result<FeedsHandle, FeedsError> {
        let tls = tls_config()?;
        let client = RestClient::new(tls.clone(), secs(config.rest_timeout_secs), clock.clone())?;
        let cancel = CancellationToken::new();
        let mut h = FeedsHandle {
            connections: Vec::new(),
            pollers: Vec::new(),
            tasks: Vec::new(),
            cancel: cancel.clone(),
            client: client.clone(),
            snapshots: None,
            exchanges: Vec::new(),
        };
        for spec in Self::plan(config, registry) {
            info!(connection = %spec.name, url = %spec.url, topics = spec.topics.len(), "starting connection");
            let (handle, task) = spawn_connection(
                spec,
                tx.clone(),
                clock.clone(),
                tls.clone(),
                config.backoff,
                cancel.child_token(),
            );
            h.connections.push(handle);
            h.tasks.push(task);
        }
        let mut polls: Vec<PollerSpec> = Vec::new();
        let spacing = std::time::Duration::from_millis(100);
        if config.binance.enabled {
            let b = &config.binance;
            h.exchanges.push(Exchange::Binance);
            let syms = ids(registry, Exchange::Binance);
            polls.push(PollerSpec {
                name: "binance-oi".into(),
                exchange: Exchange::Binance,
                requests: syms
                    .iter()
                    .map(|s| binance_open_interest(&b.rest, s))
                    .collect(),
                every: secs(b.oi_every_secs),
                spacing,
                gate: None,
            });
            if b.ratios_every_secs > 0.0 {
                let kinds = [
                    RatioKind::TopAccount,
                    RatioKind::TopPosition,
                    RatioKind::GlobalAccount,
                ];
                polls.push(PollerSpec {
                    name: "binance-ratios".into(),
                    exchange: Exchange::Binance,
                    requests: kinds
                        .iter()
                        .map(|k| binance_ratio(&b.rest, *k, &b.ratio_symbol, &b.ratio_period))
                        .collect(),
                    every: secs(b.ratios_every_secs),
                    spacing,
                    gate: None,
                });
            }
            h.snapshots = Some(SnapshotFetcher::new(
                client.clone(),
                b.rest.clone(),
                b.depth_limit,
                secs(b.snapshot_min_interval_secs),
                tx.clone(),
                cancel.child_token(),
            ));
        }
        if config.bybit.enabled {
            let c = &config.bybit;
            h.exchanges.push(Exchange::Bybit);
            // DECISIONS feeds 5: OI from the tickers stream; REST at start-up and while the
            // stream is stale.
            let ticker_conns: Vec<Arc<ConnStats>> = h
                .connections
                .iter()
                .filter(|c| {
                    c.spec.exchange == Exchange::Bybit
                        && c.spec.topics.iter().any(|t| t.starts_with("tickers."))
                })
                .map(|c| c.stats.clone())
                .collect();
            let stale_after = c.tickers_stale_secs;
            let gclock = clock.clone();
            let gate: Gate = Arc::new(move || {
                let now = gclock.now();
                ticker_conns.iter().any(|s| {
                    s.state() != ConnState::Live
                        || s.last_stream_ts(StreamKind::Ticker)
                            .is_none_or(|t| now - t > stale_after)
                })
            });
            let syms = ids(registry, Exchange::Bybit);
            polls.push(PollerSpec {
                name: "bybit-oi".into(),
                exchange: Exchange::Bybit,
                requests: syms.iter().map(|s| bybit_tickers(&c.rest, s)).collect(),
                every: secs(c.oi_fallback_every_secs),
                spacing,
                gate: Some(gate),
            });
        }
        if config.okx.enabled {
            let c = &config.okx;
            h.exchanges.push(Exchange::Okx);
            let syms = ids(registry, Exchange::Okx);
            polls.push(PollerSpec {
                name: "okx-oi".into(),
                exchange: Exchange::Okx,
                requests: syms.iter().map(|s| okx_open_interest(&c.rest, s)).collect(),
                every: secs(c.oi_every_secs),
                spacing,
                gate: None,
            });
        }
        for p in polls {
            if p.requests.is_empty() || p.every.is_zero() {
                continue;
            }
            let (stats, task) = spawn_poller(p, client.clone(), tx.clone(), cancel.child_token());
            h.pollers.push(stats);
            h.tasks.push(task);
        }
        Ok(h)
    }
}

impl FeedsHandle {
    /// Status per started exchange.
    pub fn status(&self) -> Vec<ExchangeStatus> {
        self.exchanges
            .iter()
            .map(|ex| {
                let connections: Vec<ConnSnapshot> = self
                    .connections
                    .iter()
                    .filter(|c| c.spec.exchange == *ex)
                    .map(|c| c.stats.snapshot())
                    .collect();
                let pollers: Vec<ConnSnapshot> = self
                    .pollers
                    .iter()
                    .filter(|p| p.exchange == *ex)
                    .map(|p| p.snapshot())
                    .collect();
                let states: Vec<ConnState> = connections.iter().map(|c| c.state).collect();
                ExchangeStatus {
                    exchange: *ex,
                    state: aggregate_state(&states),
                    connections,
                    pollers,
                    rest: self.client.limits(*ex),
                }
            })
            .collect()
    }

    /// The running connections.
    pub fn connections(&self) -> &[ConnHandle] {
        &self.connections
    }

    /// The REST client (shared accounting).
    pub fn rest_client(&self) -> &RestClient {
        &self.client
    }

    /// A book of `instrument` needs a new snapshot (liq_core's `needing_snapshot`): Binance
    /// fetches the REST depth snapshot (throttled per symbol); Bybit and OKX resubscribe the
    /// book topic, which makes the exchange send a snapshot. `false` when nothing carries it.
    pub fn request_book_snapshot(&self, exchange: Exchange, instrument: &str) -> bool {
        if exchange == Exchange::Binance {
            return match &self.snapshots {
                Some(f) => {
                    f.request(instrument);
                    true
                }
                None => false,
            };
        }
        for c in self
            .connections
            .iter()
            .filter(|c| c.spec.exchange == exchange)
        {
            let topics: Vec<String> = c
                .spec
                .topics
                .iter()
                .filter(|t| {
                    topic_stream(exchange, t) == StreamKind::Depth
                        && crate::conn::plan::topic_instrument(exchange, t) == instrument
                })
                .cloned()
                .collect();
            if !topics.is_empty() {
                if c.commands
                    .try_send(ConnCommand::Resubscribe(topics))
                    .is_err()
                {
                    warn!(connection = %c.spec.name, "resubscribe request dropped (busy)");
                }
                return true;
            }
        }
        false
    }

    /// Stops every connection (closing them cleanly) and poller, and waits for the tasks.
    pub async fn shutdown(mut self) {
        self.cancel.cancel();
        for t in std::mem::take(&mut self.tasks) {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(3), t).await;
        }
    }
}

impl Drop for FeedsHandle {
    /// Dropping the handle stops the tasks too (without waiting for them).
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_covers_the_three_exchanges_for_the_default_symbols() {
        let reg = SymbolRegistry::default_registry();
        let specs = Feeds::plan(&FeedsConfig::default(), &reg);
        let names: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            ["binance-public-0", "binance-market-0", "bybit-0", "okx-0"]
        );
        assert!(
            specs[0]
                .url
                .starts_with("wss://fstream.binance.com/public/stream?streams=")
        );
        assert!(specs[1].url.contains("!forceOrder@arr"));
        assert_eq!(
            specs[1].timing.max_lifetime,
            Some(std::time::Duration::from_secs(85_800))
        );
        assert_eq!(specs[2].topics.len(), 12);
        assert_eq!(specs[3].topics.len(), 13);
        assert!(specs[3].topics.contains(&"books:SOL-USDT-SWAP".to_string()));
        let mut cfg = FeedsConfig::pointed_at("ws://127.0.0.1:9", "http://127.0.0.1:9");
        cfg.okx.enabled = false;
        let specs = Feeds::plan(&cfg, &reg);
        assert_eq!(specs.len(), 3);
        assert!(
            specs[0]
                .url
                .starts_with("ws://127.0.0.1:9/public/stream?streams=")
        );
        assert_eq!(specs[2].url, "ws://127.0.0.1:9/v5/public/linear");
    }

    #[test]
    fn aggregate_states() {
        use ConnState::*;
        assert_eq!(aggregate_state(&[Live, Live]), Live);
        assert_eq!(aggregate_state(&[Live, Down]), Stale);
        assert_eq!(aggregate_state(&[Live, Stale]), Stale);
        assert_eq!(aggregate_state(&[Down, Connecting]), Down);
        assert_eq!(aggregate_state(&[]), Down);
    }
}
