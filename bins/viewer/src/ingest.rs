//! One raw exchange message into the engine, the same way for every mode (raw replays, the
//! demo's pre-simulated history, live feeds): normalize, publish OI to the API, route every
//! event to its symbol's engine, count per exchange.

use std::sync::Arc;

use liq_core::event::{EventKind, Exchange, Market, RatioKind};
use liq_core::normalize::{Batch, Frame, Normalizer, StreamKind};
use liq_core::symbols::SymbolRegistry;

use crate::session::Session;

/// Counters of one exchange.
#[derive(Debug, Default, Clone, Copy)]
pub struct ExchangeCounts {
    /// Messages in.
    pub messages: u64,
    /// Messages (or items) the normalizer rejected.
    pub errors: u64,
    /// Liquidation events.
    pub liquidations: u64,
    /// Receive time of the last message.
    pub last_ts: Option<f64>,
}

/// The normalizer with its reusable batch and counters.
pub struct Ingest {
    norm: Normalizer,
    batch: Batch,
    registry: Arc<SymbolRegistry>,
    /// Per exchange, in [`Exchange::ALL`] order.
    pub counts: [ExchangeCounts; 3],
    /// The last BTC trader ratios `(kind, ratio, ts)`.
    pub ratios: Vec<(RatioKind, f64, f64)>,
}

fn slot(e: Exchange) -> usize {
    Exchange::ALL.iter().position(|x| *x == e).unwrap_or(0)
}

impl Ingest {
    /// A normalizer over the default symbol registry.
    pub fn new() -> Self {
        let registry = Arc::new(SymbolRegistry::default_registry());
        Ingest {
            norm: Normalizer::new(Arc::clone(&registry)),
            batch: Batch::default(),
            registry,
            counts: [ExchangeCounts::default(); 3],
            ratios: Vec::new(),
        }
    }

    /// The registry (the engine converts contract sizes with it).
    pub fn registry(&self) -> Arc<SymbolRegistry> {
        Arc::clone(&self.registry)
    }

    /// One message: normalized, every event to the engine (and OI to the API).
    #[allow(clippy::too_many_arguments)]
    pub fn message(
        &mut self,
        s: &mut Session,
        exchange: Exchange,
        market: Market,
        stream: Option<StreamKind>,
        instrument: Option<&str>,
        payload: &str,
        ts: f64,
    ) {
        self.message_with(s, exchange, market, stream, instrument, payload, ts, |_| {});
    }

    /// [`Ingest::message`], showing every event to `also` first.
    #[allow(clippy::too_many_arguments)]
    pub fn message_with(
        &mut self,
        s: &mut Session,
        exchange: Exchange,
        market: Market,
        stream: Option<StreamKind>,
        instrument: Option<&str>,
        payload: &str,
        ts: f64,
        mut also: impl FnMut(&liq_core::event::MarketEvent),
    ) {
        let frame = Frame {
            exchange,
            market,
            stream,
            instrument: instrument.filter(|x| *x != "*"),
            payload,
            receive_ts: ts,
        };
        self.norm.normalize(&frame, &mut self.batch);
        let c = &mut self.counts[slot(exchange)];
        c.messages += 1;
        c.last_ts = Some(ts);
        if !self.batch.errors.is_empty() {
            c.errors += 1;
            tracing::debug!(exchange = %exchange.as_str(), error = ?self.batch.errors[0], "message rejected");
        }
        for ev in &self.batch.events {
            also(ev);
            match &ev.kind {
                EventKind::Liquidation(_) => c.liquidations += 1,
                EventKind::TraderRatio(r) if ev.symbol.as_deref() == Some("BTC") => {
                    self.ratios.retain(|(k, _, _)| *k != r.kind);
                    self.ratios.push((r.kind, r.long_short_ratio, ts));
                }
                _ => {}
            }
            if let Some((sym, snap)) = s.oi.on_event(ev)
                && let Some(p) = s.publisher.as_ref()
            {
                p.set_oi(&sym, snap);
            }
            s.engine.on_event(ev);
        }
        self.batch.clear();
    }
}
