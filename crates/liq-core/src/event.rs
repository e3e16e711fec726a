//! Typed, exchange-agnostic market events.
//!
//! Every event carries the exchange, the market, the exchange's own instrument id, the short
//! symbol when the registry maps the instrument (`None` otherwise), the exchange's timestamp and
//! the local receive timestamp, both in Unix seconds. The JSON form (one object per event, used by
//! `audit normalize` and the recorder's reports) is documented in `docs/EVENTS.md`.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Serialize, Serializer};

/// A supported exchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Exchange {
    /// Binance (USD-M futures, also spot and COIN-M message formats).
    Binance,
    /// Bybit v5.
    Bybit,
    /// OKX v5.
    Okx,
}

impl Exchange {
    /// All exchanges, in display order.
    pub const ALL: [Exchange; 3] = [Exchange::Binance, Exchange::Bybit, Exchange::Okx];

    /// Lower-case name, as used in files and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Exchange::Binance => "binance",
            Exchange::Bybit => "bybit",
            Exchange::Okx => "okx",
        }
    }
}

impl fmt::Display for Exchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error for an unknown exchange or market name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {value:?} (expected one of: {expected})")]
pub struct UnknownName {
    /// What was being parsed ("exchange", "market", ...).
    pub what: &'static str,
    /// The rejected text.
    pub value: String,
    /// The accepted names.
    pub expected: &'static str,
}

impl FromStr for Exchange {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "binance" => Ok(Exchange::Binance),
            "bybit" => Ok(Exchange::Bybit),
            "okx" => Ok(Exchange::Okx),
            _ => Err(UnknownName {
                what: "exchange",
                value: s.to_owned(),
                expected: "binance, bybit, okx",
            }),
        }
    }
}

/// Market type of an instrument.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Market {
    /// Perpetual swap (linear or inverse).
    Perp,
    /// Spot.
    Spot,
}

impl Market {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Market::Perp => "perp",
            Market::Spot => "spot",
        }
    }
}

impl FromStr for Market {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "perp" => Ok(Market::Perp),
            "spot" => Ok(Market::Spot),
            _ => Err(UnknownName {
                what: "market",
                value: s.to_owned(),
                expected: "perp, spot",
            }),
        }
    }
}

/// Side of a liquidated position.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// A long position was liquidated (by a forced sell, normally below the market).
    Long,
    /// A short position was liquidated (by a forced buy, normally above the market).
    Short,
}

impl Side {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Long => "long",
            Side::Short => "short",
        }
    }
}

/// Side of the taker (aggressor) of a trade.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TakerSide {
    /// The taker bought.
    Buy,
    /// The taker sold.
    Sell,
}

/// Which price a liquidation event reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PriceKind {
    /// The liquidation order's limit price (Binance `p`).
    Order,
    /// The average fill price of a filled liquidation order (Binance `ap`).
    AverageFill,
    /// The bankruptcy price (Bybit `p`, OKX `bkPx`).
    Bankruptcy,
}

/// The sampling rule of a public liquidation feed: every public feed under-counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sampling {
    /// Binance `!forceOrder@arr`: at most the latest order per symbol in each 1000 ms.
    LatestPerSymbolPer1000ms,
    /// OKX `liquidation-orders`: at most one order per contract per second.
    OnePerContractPerSecond,
    /// Bybit `allLiquidation`: every liquidation, pushed in 500 ms batches.
    Batched500ms,
}

/// Which Binance long/short ratio an observation comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RatioKind {
    /// `/futures/data/topLongShortAccountRatio` (TTA).
    TopAccount,
    /// `/futures/data/topLongShortPositionRatio` (TTP).
    TopPosition,
    /// `/futures/data/globalLongShortAccountRatio` (GTA).
    GlobalAccount,
}

/// A forced liquidation, normalized across exchanges.
#[derive(Clone, Debug, PartialEq)]
pub struct Liquidation {
    /// Side of the liquidated position.
    pub side: Side,
    /// The reported price (see `price_kind`).
    pub price: f64,
    /// Which price `price` is.
    pub price_kind: PriceKind,
    /// The order's limit price when the exchange reports one separately (Binance `p`).
    pub order_price: Option<f64>,
    /// Quantity in base units.
    pub qty: f64,
    /// `price * qty`, in quote currency (USD).
    pub notional_usd: f64,
    /// The feed's sampling rule.
    pub sampling: Sampling,
}

/// One public trade (or aggregated trade).
#[derive(Clone, Debug, PartialEq)]
pub struct Trade {
    /// Trade price.
    pub price: f64,
    /// Size as the exchange reported it (contracts for contract-sized instruments).
    pub size: f64,
    /// Size in base units, when the instrument's contract size is known.
    pub qty: Option<f64>,
    /// Side of the taker.
    pub taker_side: TakerSide,
}

/// Mark price, index price and funding information; every field is optional.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MarkPrice {
    /// Mark price.
    pub mark_price: Option<f64>,
    /// Index price.
    pub index_price: Option<f64>,
    /// Last traded price, where the message carries it.
    pub last_price: Option<f64>,
    /// Funding rate (current or of the funding time below).
    pub funding_rate: Option<f64>,
    /// Time (Unix seconds) the funding rate applies to (next or settled funding time).
    pub funding_ts: Option<f64>,
}

/// One order-book price level, parsed exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Level {
    /// Price.
    pub price: Decimal,
    /// Resting size as the exchange reports it; zero deletes the level in a diff.
    pub size: Decimal,
}

/// An order-book snapshot or diff, with the exchange's sequencing fields.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Depth {
    /// Bid levels as sent.
    pub bids: Vec<Level>,
    /// Ask levels as sent.
    pub asks: Vec<Level>,
    /// Binance `U` (first update id of a diff).
    pub first_update_id: Option<i64>,
    /// Binance `lastUpdateId`/`u`, Bybit `u`, OKX `seqId`.
    pub last_update_id: Option<i64>,
    /// Binance futures `pu`, OKX `prevSeqId`.
    pub prev_update_id: Option<i64>,
    /// Bybit cross sequence `seq`.
    pub cross_seq: Option<i64>,
    /// OKX CRC32 checksum of the top 25 levels (signed 32-bit).
    pub checksum: Option<i64>,
}

/// Open interest of one instrument.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OpenInterest {
    /// Open interest as the exchange reported it (contracts for contract-sized instruments).
    pub size: Option<f64>,
    /// Open interest in base units, when known.
    pub oi_base: Option<f64>,
    /// Open interest value in USD, when the exchange reports it.
    pub oi_usd: Option<f64>,
}

/// A Binance long/short ratio observation.
#[derive(Clone, Debug, PartialEq)]
pub struct TraderRatio {
    /// Which ratio endpoint.
    pub kind: RatioKind,
    /// `longShortRatio`.
    pub long_short_ratio: f64,
    /// Long share (`longAccount` or `longPosition`), when present.
    pub long_share: Option<f64>,
    /// Short share (`shortAccount` or `shortPosition`), when present.
    pub short_share: Option<f64>,
}

/// The payload of a market event.
#[derive(Clone, Debug, PartialEq)]
pub enum EventKind {
    /// A forced liquidation.
    Liquidation(Liquidation),
    /// A public trade.
    Trade(Trade),
    /// Mark price and/or funding.
    MarkPrice(MarkPrice),
    /// A full order-book snapshot.
    DepthSnapshot(Depth),
    /// An incremental order-book update.
    DepthDiff(Depth),
    /// Open interest.
    OpenInterest(OpenInterest),
    /// A long/short trader ratio.
    TraderRatio(TraderRatio),
}

impl EventKind {
    /// The `type` tag of the JSON form.
    pub fn type_name(&self) -> &'static str {
        match self {
            EventKind::Liquidation(_) => "liquidation",
            EventKind::Trade(_) => "trade",
            EventKind::MarkPrice(_) => "mark_price",
            EventKind::DepthSnapshot(_) => "depth_snapshot",
            EventKind::DepthDiff(_) => "depth_diff",
            EventKind::OpenInterest(_) => "open_interest",
            EventKind::TraderRatio(_) => "trader_ratio",
        }
    }
}

/// A normalized market event.
#[derive(Clone, Debug, PartialEq)]
pub struct MarketEvent {
    /// Source exchange.
    pub exchange: Exchange,
    /// Market of the instrument.
    pub market: Market,
    /// The exchange's instrument id (`BTCUSDT`, `BTC-USDT-SWAP`, ...).
    pub instrument: Arc<str>,
    /// Short symbol (`BTC`) when the registry maps the instrument.
    pub symbol: Option<Arc<str>>,
    /// Exchange timestamp, Unix seconds.
    pub exchange_ts: Option<f64>,
    /// Local receive timestamp, Unix seconds.
    pub receive_ts: f64,
    /// The payload.
    pub kind: EventKind,
}

/// Converts integer milliseconds to Unix seconds (`ms / 1000` in f64, as the reference does).
pub fn secs_from_ms(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

struct Num(Decimal);

impl Serialize for Num {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // A decimal with at most 15 significant digits prints back as itself through the
        // shortest round-trip f64 representation; wider values are rounded for display only.
        match self.0.to_f64() {
            Some(v) => s.serialize_f64(v),
            None => s.serialize_none(),
        }
    }
}

struct Levels<'a>(&'a [Level]);

impl Serialize for Levels<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for l in self.0 {
            seq.serialize_element(&(Num(l.price), Num(l.size)))?;
        }
        seq.end()
    }
}

fn write_depth<M: SerializeMap>(m: &mut M, d: &Depth) -> Result<(), M::Error> {
    m.serialize_entry("bids", &Levels(&d.bids))?;
    m.serialize_entry("asks", &Levels(&d.asks))?;
    m.serialize_entry("first_update_id", &d.first_update_id)?;
    m.serialize_entry("last_update_id", &d.last_update_id)?;
    m.serialize_entry("prev_update_id", &d.prev_update_id)?;
    m.serialize_entry("cross_seq", &d.cross_seq)?;
    m.serialize_entry("checksum", &d.checksum)
}

impl Serialize for MarketEvent {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("type", self.kind.type_name())?;
        m.serialize_entry("exchange", &self.exchange)?;
        m.serialize_entry("market", &self.market)?;
        m.serialize_entry("symbol", &self.symbol.as_deref())?;
        m.serialize_entry("instrument", &*self.instrument)?;
        match &self.kind {
            EventKind::Liquidation(l) => {
                m.serialize_entry("side", &l.side)?;
                m.serialize_entry("price", &l.price)?;
                m.serialize_entry("price_kind", &l.price_kind)?;
                m.serialize_entry("order_price", &l.order_price)?;
                m.serialize_entry("qty", &l.qty)?;
                m.serialize_entry("notional_usd", &l.notional_usd)?;
            }
            EventKind::Trade(t) => {
                m.serialize_entry("taker_side", &t.taker_side)?;
                m.serialize_entry("price", &t.price)?;
                m.serialize_entry("size", &t.size)?;
                m.serialize_entry("qty", &t.qty)?;
            }
            EventKind::MarkPrice(p) => {
                m.serialize_entry("mark_price", &p.mark_price)?;
                m.serialize_entry("index_price", &p.index_price)?;
                m.serialize_entry("last_price", &p.last_price)?;
                m.serialize_entry("funding_rate", &p.funding_rate)?;
                m.serialize_entry("funding_ts", &p.funding_ts)?;
            }
            EventKind::DepthSnapshot(d) | EventKind::DepthDiff(d) => write_depth(&mut m, d)?,
            EventKind::OpenInterest(o) => {
                m.serialize_entry("size", &o.size)?;
                m.serialize_entry("oi_base", &o.oi_base)?;
                m.serialize_entry("oi_usd", &o.oi_usd)?;
            }
            EventKind::TraderRatio(r) => {
                m.serialize_entry("ratio", &r.kind)?;
                m.serialize_entry("long_short_ratio", &r.long_short_ratio)?;
                m.serialize_entry("long_share", &r.long_share)?;
                m.serialize_entry("short_share", &r.short_share)?;
            }
        }
        m.serialize_entry("exchange_ts", &self.exchange_ts)?;
        m.serialize_entry("receive_ts", &self.receive_ts)?;
        if let EventKind::Liquidation(l) = &self.kind {
            m.serialize_entry("sampling", &l.sampling)?;
        }
        m.end()
    }
}
