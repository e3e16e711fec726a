//! Turning raw Binance, Bybit and OKX messages into typed [`MarketEvent`]s.
//!
//! One [`Normalizer`] per feed consumer: it owns the symbol registry, the Bybit ticker merge state,
//! the liquidation de-duplication window and per-stream counters. Each message goes in as a
//! [`Frame`] (exchange, market, optional stream and instrument hints, the JSON text, the receive
//! time); events and per-item errors come out in a reusable [`Batch`]. Nothing panics on any input.
//!
//! Exchange documentation wins over the reference (DESIGN.md rule 5); where the two differ the
//! exchange modules cite the documentation.

mod binance;
mod bybit;
mod dedup;
mod invariants;
mod okx;
mod wire;

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use crate::event::{
    EventKind, Exchange, Liquidation, Market, MarketEvent, PriceKind, RatioKind, Sampling, Side,
    UnknownName, secs_from_ms,
};
use crate::symbols::{Contract, SymbolRegistry};

pub use dedup::LiquidationDedup;

/// The kind of stream a message belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StreamKind {
    /// Forced liquidations.
    Liquidations,
    /// Public trades.
    Trades,
    /// Mark price (Binance `markPriceUpdate`).
    MarkPrice,
    /// Order-book snapshots and diffs.
    Depth,
    /// Open interest (REST polls or OKX channel).
    OpenInterest,
    /// Funding (Binance funding history, OKX `funding-rate`).
    Funding,
    /// Bybit `tickers` (mark, index, funding, open interest).
    Ticker,
    /// A Binance long/short ratio endpoint.
    TraderRatio(RatioKind),
    /// Not known yet (detected from the message).
    Unknown,
}

impl StreamKind {
    /// Every stream kind, in counter order.
    pub const ALL: [StreamKind; 11] = [
        StreamKind::Liquidations,
        StreamKind::Trades,
        StreamKind::MarkPrice,
        StreamKind::Depth,
        StreamKind::OpenInterest,
        StreamKind::Funding,
        StreamKind::Ticker,
        StreamKind::TraderRatio(RatioKind::TopAccount),
        StreamKind::TraderRatio(RatioKind::TopPosition),
        StreamKind::TraderRatio(RatioKind::GlobalAccount),
        StreamKind::Unknown,
    ];

    fn index(self) -> usize {
        match self {
            StreamKind::Liquidations => 0,
            StreamKind::Trades => 1,
            StreamKind::MarkPrice => 2,
            StreamKind::Depth => 3,
            StreamKind::OpenInterest => 4,
            StreamKind::Funding => 5,
            StreamKind::Ticker => 6,
            StreamKind::TraderRatio(RatioKind::TopAccount) => 7,
            StreamKind::TraderRatio(RatioKind::TopPosition) => 8,
            StreamKind::TraderRatio(RatioKind::GlobalAccount) => 9,
            StreamKind::Unknown => 10,
        }
    }

    /// The name used in capture files and counters.
    pub fn as_str(self) -> &'static str {
        match self {
            StreamKind::Liquidations => "liquidations",
            StreamKind::Trades => "trades",
            StreamKind::MarkPrice => "mark_price",
            StreamKind::Depth => "depth",
            StreamKind::OpenInterest => "open_interest",
            StreamKind::Funding => "funding",
            StreamKind::Ticker => "ticker",
            StreamKind::TraderRatio(RatioKind::TopAccount) => "top_account_ratio",
            StreamKind::TraderRatio(RatioKind::TopPosition) => "top_position_ratio",
            StreamKind::TraderRatio(RatioKind::GlobalAccount) => "global_account_ratio",
            StreamKind::Unknown => "unknown",
        }
    }
}

impl fmt::Display for StreamKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for StreamKind {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "liquidations" => StreamKind::Liquidations,
            "trades" => StreamKind::Trades,
            "mark_price" | "markprice" => StreamKind::MarkPrice,
            "depth" => StreamKind::Depth,
            "open_interest" => StreamKind::OpenInterest,
            "funding" => StreamKind::Funding,
            "ticker" => StreamKind::Ticker,
            "top_account_ratio" => StreamKind::TraderRatio(RatioKind::TopAccount),
            "top_position_ratio" => StreamKind::TraderRatio(RatioKind::TopPosition),
            "global_account_ratio" => StreamKind::TraderRatio(RatioKind::GlobalAccount),
            _ => {
                return Err(UnknownName {
                    what: "stream",
                    value: s.to_owned(),
                    expected: "liquidations, trades, mark_price, depth, open_interest, funding, \
                               ticker, top_account_ratio, top_position_ratio, global_account_ratio",
                });
            }
        })
    }
}

/// Why a message or one item of it was rejected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Reason {
    /// The text is not JSON, or a field has a JSON type the format does not allow.
    #[error("malformed message: {0}")]
    Json(String),
    /// A required field is absent.
    #[error("missing field `{0}`")]
    Missing(&'static str),
    /// A numeric field does not parse.
    #[error("field `{field}` is not a number: {value:?}")]
    BadNumber {
        /// Field name.
        field: &'static str,
        /// The offending text (truncated).
        value: String,
    },
    /// A field that must be finite and positive is not.
    #[error("field `{field}` must be finite and > 0, got {value}")]
    NotPositive {
        /// Field name.
        field: &'static str,
        /// The value.
        value: f64,
    },
    /// A field that must be finite is not.
    #[error("field `{field}` must be finite, got {value}")]
    NotFinite {
        /// Field name.
        field: &'static str,
        /// The value.
        value: f64,
    },
    /// A side field has a value the exchange does not document.
    #[error("field `{field}` has an undocumented side {value:?}")]
    BadSide {
        /// Field name.
        field: &'static str,
        /// The offending text (truncated).
        value: String,
    },
    /// The exchange answered with an error (rejected subscription, REST error code).
    #[error("exchange error {code}: {message}")]
    ExchangeError {
        /// The exchange's code.
        code: String,
        /// The exchange's message (truncated).
        message: String,
    },
    /// A batch item is not a JSON object.
    #[error("batch item is {0}, not an object")]
    NotAnObject(&'static str),
    /// The message is valid JSON but of no format this stream knows.
    #[error("unrecognised message ({0})")]
    Unrecognised(&'static str),
}

impl Reason {
    /// A short, stable label for counters.
    pub fn label(&self) -> &'static str {
        match self {
            Reason::Json(_) | Reason::NotAnObject(_) => "malformed",
            Reason::Missing(_) => "missing_field",
            Reason::BadNumber { .. } => "bad_number",
            Reason::NotPositive { .. } | Reason::NotFinite { .. } => "bad_value",
            Reason::BadSide { .. } => "bad_side",
            Reason::ExchangeError { .. } => "exchange_error",
            Reason::Unrecognised(_) => "unrecognised",
        }
    }
}

impl From<serde_json::Error> for Reason {
    fn from(e: serde_json::Error) -> Self {
        Reason::Json(e.to_string())
    }
}

/// A rejected message or item, naming the exchange and stream.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{exchange} {stream}: {reason}")]
pub struct NormalizeError {
    /// The exchange.
    pub exchange: Exchange,
    /// The stream (as hinted or detected).
    pub stream: StreamKind,
    /// Why.
    pub reason: Reason,
}

/// One raw message to normalize.
#[derive(Clone, Copy, Debug)]
pub struct Frame<'a> {
    /// Source exchange.
    pub exchange: Exchange,
    /// Market of the connection (registry lookups are per market).
    pub market: Market,
    /// The stream, when the caller knows it (connection or capture); detected otherwise.
    pub stream: Option<StreamKind>,
    /// The instrument id, when the caller knows it and the message may not say (REST answers).
    pub instrument: Option<&'a str>,
    /// The message text (one JSON value, or OKX's bare `pong`).
    pub payload: &'a str,
    /// Local receive time, Unix seconds.
    pub receive_ts: f64,
}

/// The output of one [`Normalizer::normalize`] call; reuse it across calls.
#[derive(Debug, Default)]
pub struct Batch {
    /// Normalized events, in message order.
    pub events: Vec<MarketEvent>,
    /// Rejected message or items (the rest of a batch message is still normalized).
    pub errors: Vec<NormalizeError>,
    /// The message was a control frame (subscription ack, pong): no events, no error.
    pub control: bool,
    /// The stream the message was attributed to.
    pub stream: Option<StreamKind>,
}

impl Batch {
    /// Empties the batch, keeping its allocations.
    pub fn clear(&mut self) {
        self.events.clear();
        self.errors.clear();
        self.control = false;
        self.stream = None;
    }
}

/// Counters of one exchange and stream.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct StreamStats {
    /// Messages seen.
    pub messages: u64,
    /// Events produced.
    pub events: u64,
    /// Control frames (acks, pongs).
    pub control: u64,
    /// Rejected messages and items.
    pub invalid: u64,
    /// Liquidations of instruments the registry does not know (skipped, not errors).
    pub unknown_instrument: u64,
    /// Liquidations dropped as re-sent duplicates.
    pub duplicates: u64,
    /// Liquidations whose exchange time was missing or invalid (receive time used).
    pub time_fallback: u64,
}

/// The stateful normalizer.
#[derive(Debug)]
pub struct Normalizer {
    registry: Arc<SymbolRegistry>,
    bybit_tickers: bybit::TickerState,
    dedup: LiquidationDedup,
    stats: [[StreamStats; StreamKind::ALL.len()]; Exchange::ALL.len()],
}

/// Instrument resolution result.
pub(crate) struct Resolved {
    pub(crate) instrument: Arc<str>,
    pub(crate) symbol: Option<Arc<str>>,
    pub(crate) contract: Option<Contract>,
}

/// Inputs of a liquidation before registry lookup, validation and de-duplication.
pub(crate) struct RawLiquidation<'a> {
    pub(crate) instrument: &'a str,
    pub(crate) side: Side,
    pub(crate) price: f64,
    pub(crate) price_kind: PriceKind,
    pub(crate) order_price: Option<f64>,
    /// Size as reported (converted with the instrument's contract).
    pub(crate) size: f64,
    pub(crate) ts_ms: Option<i64>,
    pub(crate) sampling: Sampling,
}

impl Normalizer {
    /// A normalizer over a registry.
    pub fn new(registry: Arc<SymbolRegistry>) -> Self {
        Normalizer {
            registry,
            bybit_tickers: bybit::TickerState::default(),
            dedup: LiquidationDedup::default(),
            stats: Default::default(),
        }
    }

    /// The registry in use.
    pub fn registry(&self) -> &SymbolRegistry {
        &self.registry
    }

    /// Counters of the exchanges and streams that saw anything, in a stable order.
    pub fn stats(&self) -> Vec<((Exchange, StreamKind), StreamStats)> {
        let mut v = Vec::new();
        for ex in Exchange::ALL {
            for k in StreamKind::ALL {
                let st = *self.stream_stats(ex, k);
                if st != StreamStats::default() {
                    v.push(((ex, k), st));
                }
            }
        }
        v
    }

    /// Counters of one exchange and stream.
    pub fn stream_stats(&self, exchange: Exchange, stream: StreamKind) -> &StreamStats {
        &self.stats[exchange as usize][stream.index()]
    }

    /// Normalizes one message into `out` (which is cleared first).
    pub fn normalize(&mut self, frame: &Frame<'_>, out: &mut Batch) {
        out.clear();
        let hint = frame.stream.unwrap_or(StreamKind::Unknown);
        let result = match frame.exchange {
            Exchange::Binance => binance::normalize(self, frame, hint, out),
            Exchange::Bybit => bybit::normalize(self, frame, hint, out),
            Exchange::Okx => okx::normalize(self, frame, hint, out),
        };
        let stream = match &result {
            Ok(s) | Err((s, _)) => *s,
        };
        out.stream = Some(stream);
        if let Err((_, reason)) = result {
            out.errors.push(NormalizeError {
                exchange: frame.exchange,
                stream,
                reason,
            });
        }
        let st = self.stat(frame.exchange, stream);
        st.messages += 1;
        st.events += out.events.len() as u64;
        st.control += u64::from(out.control);
        st.invalid += out.errors.len() as u64;
    }

    pub(crate) fn stat(&mut self, exchange: Exchange, stream: StreamKind) -> &mut StreamStats {
        &mut self.stats[exchange as usize][stream.index()]
    }

    /// Resolves an instrument id through the registry (unknown ids keep `symbol: None`).
    pub(crate) fn resolve(&self, exchange: Exchange, market: Market, id: &str) -> Resolved {
        match self.registry.instrument(exchange, market, id) {
            Some(i) => Resolved {
                instrument: i.id.clone(),
                symbol: Some(i.symbol.clone()),
                contract: Some(i.contract),
            },
            None => Resolved {
                instrument: Arc::from(id),
                symbol: None,
                contract: if market == Market::Spot {
                    Some(Contract::BASE)
                } else {
                    None
                },
            },
        }
    }

    /// Builds an event for a resolved instrument.
    pub(crate) fn event(
        frame: &Frame<'_>,
        r: &Resolved,
        exchange_ts_ms: Option<i64>,
        kind: EventKind,
    ) -> MarketEvent {
        MarketEvent {
            exchange: frame.exchange,
            market: frame.market,
            instrument: r.instrument.clone(),
            symbol: r.symbol.clone(),
            exchange_ts: exchange_ts_ms.map(secs_from_ms),
            receive_ts: frame.receive_ts,
            kind,
        }
    }

    /// A trade event: registry lookup and base-unit conversion of the size.
    pub(crate) fn trade_event(
        &self,
        frame: &Frame<'_>,
        instrument: &str,
        trade: (f64, f64, crate::event::TakerSide),
        ts_ms: Option<i64>,
    ) -> MarketEvent {
        let (price, size, taker_side) = trade;
        let r = self.resolve(frame.exchange, frame.market, instrument);
        let qty = r.contract.map(|c| c.base_qty(size, price));
        let kind = EventKind::Trade(crate::event::Trade {
            price,
            size,
            qty,
            taker_side,
        });
        Self::event(frame, &r, ts_ms, kind)
    }

    /// Registry lookup, base-unit conversion, validation, time fallback and de-duplication of
    /// one liquidation; pushes the event or counts why not.
    pub(crate) fn push_liquidation(
        &mut self,
        frame: &Frame<'_>,
        raw: RawLiquidation<'_>,
        out: &mut Batch,
    ) {
        let ex = frame.exchange;
        // Liquidation feeds are derivatives feeds: look up the perpetual instrument.
        let Some(inst) = self.registry.instrument(ex, Market::Perp, raw.instrument) else {
            self.stat(ex, StreamKind::Liquidations).unknown_instrument += 1;
            return;
        };
        let (symbol, id, contract) = (inst.symbol.clone(), inst.id.clone(), inst.contract);
        let qty = contract.base_qty(raw.size, raw.price);
        let notional_usd = raw.price * qty;
        // Each factor was checked; their products can still overflow or underflow (fuzzing).
        for (field, value) in [("qty", qty), ("notional", notional_usd)] {
            if !(value.is_finite() && value > 0.0) {
                let reason = Reason::NotPositive { field, value };
                item_error(frame, StreamKind::Liquidations, reason, out);
                return;
            }
        }
        let exchange_ts = match raw.ts_ms {
            Some(ms) => secs_from_ms(ms),
            None => {
                self.stat(ex, StreamKind::Liquidations).time_fallback += 1;
                frame.receive_ts
            }
        };
        if self
            .dedup
            .is_duplicate(ex, &id, raw.ts_ms, exchange_ts, raw.price, qty, raw.side)
        {
            self.stat(ex, StreamKind::Liquidations).duplicates += 1;
            return;
        }
        out.events.push(MarketEvent {
            exchange: ex,
            market: Market::Perp,
            instrument: id,
            symbol: Some(symbol),
            exchange_ts: Some(exchange_ts),
            receive_ts: frame.receive_ts,
            kind: EventKind::Liquidation(Liquidation {
                side: raw.side,
                price: raw.price,
                price_kind: raw.price_kind,
                order_price: raw.order_price,
                qty,
                notional_usd,
                sampling: raw.sampling,
            }),
        });
    }
}

/// Maps a side field through the documented spellings (F15: nothing else is accepted).
pub(crate) fn side_field<T: Copy>(
    value: Option<&str>,
    field: &'static str,
    documented: &[(&str, T)],
) -> Result<T, Reason> {
    let v = value.ok_or(Reason::Missing(field))?;
    documented
        .iter()
        .find(|(name, _)| *name == v)
        .map(|(_, side)| *side)
        .ok_or_else(|| Reason::BadSide {
            field,
            value: wire::truncate(v),
        })
}

/// Open interest in base units when the instrument is linear (an inverse contract's base
/// amount needs a price).
pub(crate) fn linear_base(contract: Option<Contract>, size: f64) -> Option<f64> {
    match contract {
        Some(c @ Contract::Linear { .. }) => Some(c.base_qty(size, 1.0)),
        _ => None,
    }
}

/// Pushes an item-level error.
pub(crate) fn item_error(frame: &Frame<'_>, stream: StreamKind, reason: Reason, out: &mut Batch) {
    out.errors.push(NormalizeError {
        exchange: frame.exchange,
        stream,
        reason,
    });
}

/// Frame-level result: the attributed stream, or the stream and why the frame failed.
pub(crate) type FrameResult = Result<StreamKind, (StreamKind, Reason)>;

#[cfg(test)]
mod tests;
