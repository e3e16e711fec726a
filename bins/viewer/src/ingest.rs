//! One raw exchange message into the engine, the same way for every mode (raw replays, the
//! demo's pre-simulated history, live feeds): normalize, publish OI to the API, route every
//! event to its symbol's engine, count per exchange.

use std::sync::Arc;

use liq_core::event::{EventKind, Exchange, Market, MarketEvent, RatioKind};
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

    /// One message: normalized, every event to the engine (and OI to the API), shown to
    /// `also` first.
    pub fn message(&mut self, s: &mut Session, raw: &Raw<'_>, also: impl FnMut(&MarketEvent)) {
        self.message_split(s, raw, also, |_| false, &mut Vec::new());
    }

    /// [`Ingest::message`], except that the events `hold` selects are not applied but moved
    /// to `held` (the live loop applies them after the minute closes).
    pub fn message_split(
        &mut self,
        s: &mut Session,
        raw: &Raw<'_>,
        mut also: impl FnMut(&MarketEvent),
        hold: impl Fn(&MarketEvent) -> bool,
        held: &mut Vec<MarketEvent>,
    ) {
        let frame = Frame {
            exchange: raw.exchange,
            market: raw.market,
            stream: raw.stream,
            instrument: raw.instrument.filter(|x| *x != "*"),
            payload: raw.payload,
            receive_ts: raw.ts,
        };
        self.norm.normalize(&frame, &mut self.batch);
        let c = &mut self.counts[slot(raw.exchange)];
        c.messages += 1;
        c.last_ts = Some(raw.ts);
        if !self.batch.errors.is_empty() {
            c.errors += 1;
            tracing::debug!(exchange = %raw.exchange.as_str(), error = ?self.batch.errors[0], "message rejected");
        }
        let events = std::mem::take(&mut self.batch.events);
        for ev in &events {
            if hold(ev) {
                held.push(ev.clone());
            } else {
                self.apply(s, ev, &mut also);
            }
        }
        self.batch.clear();
        self.batch.events = events;
        self.batch.events.clear();
    }

    /// One normalized event: counted, OI to the board and the API, then to the engine.
    pub fn apply(&mut self, s: &mut Session, ev: &MarketEvent, mut also: impl FnMut(&MarketEvent)) {
        also(ev);
        let c = &mut self.counts[slot(ev.exchange)];
        match &ev.kind {
            EventKind::Liquidation(_) => c.liquidations += 1,
            EventKind::TraderRatio(r) if ev.symbol.as_deref() == Some("BTC") => {
                self.ratios.retain(|(k, _, _)| *k != r.kind);
                self.ratios
                    .push((r.kind, r.long_short_ratio, ev.receive_ts));
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
}

/// One raw message's fields.
#[derive(Debug, Clone, Copy)]
pub struct Raw<'a> {
    /// Exchange.
    pub exchange: Exchange,
    /// Market.
    pub market: Market,
    /// Stream, when known.
    pub stream: Option<StreamKind>,
    /// Instrument, when known (`*`: none).
    pub instrument: Option<&'a str>,
    /// Message text.
    pub payload: &'a str,
    /// Receive time.
    pub ts: f64,
}

impl<'a> From<&'a liq_feeds::WireMsg> for Raw<'a> {
    fn from(m: &'a liq_feeds::WireMsg) -> Self {
        Raw {
            exchange: m.exchange,
            market: m.market,
            stream: Some(m.stream),
            instrument: Some(&m.instrument),
            payload: &m.payload,
            ts: m.ts,
        }
    }
}
