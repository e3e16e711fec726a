//! Helpers of the connector tests against the mock exchange: a feeds configuration pointed at
//! the mock with short timers, and an event sink with deadline waits (deadlines guard against
//! hangs; nothing asserts on timing).
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use liq_core::event::{EventKind, Exchange};
use liq_core::normalize::{Batch, Normalizer};
use liq_core::symbols::SymbolRegistry;
use liq_feeds::clock::system_clock;
use liq_feeds::conn::{BackoffConfig, ConnTiming, FeedEvent};
use liq_feeds::mock::{MockConfig, MockExchange, MockHandle, VecSource};
use liq_feeds::{Feeds, FeedsConfig, FeedsHandle, frame_of};
use tokio::sync::mpsc;

/// Deadline of every wait.
pub const DEADLINE: Duration = Duration::from_secs(30);

/// Mock settings: 10x speed.
pub fn mock_config() -> MockConfig {
    MockConfig {
        speed: 10.0,
        ..MockConfig::default()
    }
}

/// Starts the mock over `source`.
pub async fn mock(source: VecSource, cfg: MockConfig) -> MockHandle {
    MockExchange::start(Box::new(source), cfg).await.unwrap()
}

/// Feeds configuration for one exchange of the mock, with short timers.
pub fn feeds_config(m: &MockHandle, only: Exchange) -> FeedsConfig {
    let mut c = FeedsConfig::default();
    c.binance.enabled = only == Exchange::Binance;
    c.bybit.enabled = only == Exchange::Bybit;
    c.okx.enabled = only == Exchange::Okx;
    c.binance.ws = m.ws_url(Exchange::Binance);
    c.binance.rest = m.rest_url(Exchange::Binance);
    c.bybit.ws = format!("{}/v5/public/linear", m.ws_url(Exchange::Bybit));
    c.bybit.rest = m.rest_url(Exchange::Bybit);
    c.okx.ws = format!("{}/ws/v5/public", m.ws_url(Exchange::Okx));
    c.okx.rest = m.rest_url(Exchange::Okx);
    c.binance.oi_every_secs = 0.3;
    c.binance.ratios_every_secs = 0.0;
    c.binance.snapshot_min_interval_secs = 0.2;
    c.bybit.oi_fallback_every_secs = 0.3;
    c.okx.oi_every_secs = 0.3;
    c.timing = Some(ConnTiming {
        connect_timeout: Duration::from_secs(2),
        stale_after: Duration::from_millis(700),
        read_timeout: Duration::from_millis(1500),
        max_lifetime: None,
        healthy_after: Duration::from_secs(60),
        quick_reconnect: Duration::from_millis(20),
    });
    c.backoff = BackoffConfig {
        initial: Duration::from_millis(50),
        cap: Duration::from_millis(200),
        rate_limited_cap: Duration::from_millis(500),
    };
    c.heartbeat = Some(Duration::from_millis(300));
    c
}

/// The running feeds and everything they sent.
pub struct Run {
    /// The feeds.
    pub feeds: FeedsHandle,
    rx: mpsc::Receiver<FeedEvent>,
    /// Every event received so far.
    pub events: Vec<FeedEvent>,
}

/// Starts the feeds.
pub fn start(cfg: &FeedsConfig) -> Run {
    let (tx, rx) = mpsc::channel(4096);
    let reg = SymbolRegistry::default_registry();
    let feeds = Feeds::start(cfg, &reg, tx, system_clock()).unwrap();
    Run {
        feeds,
        rx,
        events: Vec::new(),
    }
}

impl Run {
    /// Receives until `pred` holds for an event; returns its index in `events`.
    pub async fn until(&mut self, what: &str, mut pred: impl FnMut(&FeedEvent) -> bool) -> usize {
        let deadline = tokio::time::Instant::now() + DEADLINE;
        loop {
            let ev = match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(ev)) => ev,
                Ok(None) => panic!("channel closed waiting for {what}"),
                Err(_) => panic!(
                    "no {what} before the deadline; got {} events",
                    self.events.len()
                ),
            };
            let hit = pred(&ev);
            self.events.push(ev);
            if hit {
                return self.events.len() - 1;
            }
        }
    }

    /// Receives until a WebSocket message whose topic is `topic` arrives.
    pub async fn wire_on(&mut self, topic: &str) -> usize {
        self.until(
            topic,
            |e| matches!(e, FeedEvent::Wire(m) if m.topic == topic),
        )
        .await
    }

    /// Receives until a gap of `exchange` arrives.
    pub async fn gap(&mut self, exchange: Exchange) -> usize {
        self.until(
            "gap",
            |e| matches!(e, FeedEvent::Gap(g) if g.exchange == exchange),
        )
        .await
    }

    /// Stops the feeds.
    pub async fn stop(self) -> Vec<FeedEvent> {
        self.feeds.shutdown().await;
        self.events
    }
}

/// Normalizes every exchange message of `events` (in order) and returns the liquidation
/// events' exchange times, and the duplicates the normalizer dropped.
pub fn liquidations(events: &[FeedEvent], ex: Exchange) -> (Vec<f64>, u64) {
    let mut n = Normalizer::new(Arc::new(SymbolRegistry::default_registry()));
    let mut b = Batch::default();
    let mut out = Vec::new();
    for e in events {
        if let Some((m, _)) = e.wire() {
            n.normalize(&frame_of(m), &mut b);
            for ev in &b.events {
                if let EventKind::Liquidation(_) = ev.kind {
                    out.push(ev.exchange_ts.unwrap_or(f64::NAN));
                }
            }
        }
    }
    let dups = n
        .stream_stats(ex, liq_core::normalize::StreamKind::Liquidations)
        .duplicates;
    (out, dups)
}
