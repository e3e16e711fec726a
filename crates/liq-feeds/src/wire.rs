//! The contract between market-data sources (a capture file, the market simulator) and the
//! mock exchange that serves them, and between connectors and the engine/recorder: one raw
//! exchange message with its routing key.

use liq_core::event::{Exchange, Market};
use liq_core::normalize::StreamKind;

/// How a message travelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Via {
    /// A WebSocket text frame.
    Ws,
    /// A REST response body.
    Rest,
}

impl Via {
    /// The capture-v1 name (`ws`, `rest`).
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Ws => "ws",
            Via::Rest => "rest",
        }
    }
}

/// One raw exchange message: what a connector received or what the mock exchange sends
/// (the fields of a capture-v1 `raw` line plus the subscription key that routes it).
#[derive(Clone, Debug, PartialEq)]
pub struct WireMsg {
    /// When it became available (receive time; for a source, the time the mock sends it), Unix s.
    pub ts: f64,
    /// Exchange.
    pub exchange: Exchange,
    /// Market (always `Perp` for the connectors we run).
    pub market: Market,
    /// The exchange's instrument id (`BTCUSDT`, `BTC-USDT-SWAP`), `*` for an all-instrument channel.
    pub instrument: String,
    /// Stream kind (capture-v1 `stream`).
    pub stream: StreamKind,
    /// The subscription key in the exchange's own naming, which routes the message to the
    /// connections that subscribed to it:
    /// - Binance: the combined-stream name, e.g. `btcusdt@depth@100ms`, `btcusdt@aggTrade`,
    ///   `btcusdt@markPrice@1s`, `!forceOrder@arr`; the payload is the inner event object
    ///   (`{"e":"depthUpdate",...}`), the mock wraps it as `{"stream":..,"data":..}`.
    /// - Bybit: the topic, e.g. `orderbook.50.BTCUSDT`, `publicTrade.BTCUSDT`,
    ///   `tickers.BTCUSDT`, `allLiquidation.BTCUSDT`; the payload is the whole frame.
    /// - OKX: `channel:instId` or `channel:instType`, e.g. `books:BTC-USDT-SWAP`,
    ///   `trades:BTC-USDT-SWAP`, `open-interest:BTC-USDT-SWAP`, `funding-rate:BTC-USDT-SWAP`,
    ///   `liquidation-orders:SWAP`; the payload is the whole frame (`{"arg":..,"data":..}`).
    pub topic: String,
    /// The message text exactly as the exchange sends it.
    pub payload: String,
}

/// A REST answer from a source.
#[derive(Clone, Debug, PartialEq)]
pub struct RestAnswer {
    /// HTTP status.
    pub status: u16,
    /// JSON body.
    pub body: String,
}

/// Market data the mock exchange serves: a capture file or the simulator.
///
/// Time is the source's own clock (Unix seconds); the mock maps wall time to it with its
/// speed factor. Sources are deterministic: the same calls give the same messages.
pub trait MarketSource: Send + 'static {
    /// Appends to `out`, in order, every WebSocket message with `ts <= until` not given yet.
    /// Returns `false` once the source is exhausted (a capture at its end; never for the simulator).
    fn advance(&mut self, until: f64, out: &mut Vec<WireMsg>) -> bool;

    /// Answers a REST request (`path` such as `/fapi/v1/depth`, `query` the raw query string,
    /// e.g. `symbol=BTCUSDT&limit=1000`) at source time `now`; `None` is a 404.
    /// Paths served: Binance `/fapi/v1/depth`, `/fapi/v1/openInterest`,
    /// `/futures/data/{topLongShortAccountRatio,topLongShortPositionRatio,globalLongShortAccountRatio}`;
    /// Bybit `/v5/market/open-interest`, `/v5/market/tickers`; OKX `/api/v5/public/open-interest`,
    /// `/api/v5/public/instruments`. Answers follow the exchanges' documented shapes.
    fn rest(&mut self, exchange: Exchange, path: &str, query: &str, now: f64)
    -> Option<RestAnswer>;

    /// The source time of its first message (where a replay or a demo starts).
    fn start_ts(&self) -> f64;
}
