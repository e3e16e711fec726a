//! The REST requests the feeds make: URL, Binance request weight, and how the answer is routed
//! to the normalizer (stream kind and instrument: REST answers do not always name the
//! instrument, so `Frame.instrument` comes from here).

use liq_core::event::{Exchange, Market, RatioKind};
use liq_core::normalize::StreamKind;

use crate::wire::WireMsg;

/// One REST request and the routing of its answer.
#[derive(Clone, Debug, PartialEq)]
pub struct RestRequest {
    /// Exchange.
    pub exchange: Exchange,
    /// Full URL.
    pub url: String,
    /// Path (the answer's `WireMsg::topic`).
    pub path: String,
    /// Request weight (Binance; 1 elsewhere).
    pub weight: u32,
    /// Stream of the answer.
    pub stream: StreamKind,
    /// Instrument id of the answer.
    pub instrument: String,
}

impl RestRequest {
    fn new(
        exchange: Exchange,
        base: &str,
        path: &str,
        query: String,
        weight: u32,
        stream: StreamKind,
        instrument: &str,
    ) -> Self {
        RestRequest {
            exchange,
            url: format!("{}{path}?{query}", base.trim_end_matches('/')),
            path: path.to_owned(),
            weight,
            stream,
            instrument: instrument.to_owned(),
        }
    }

    /// The answer as a wire message received at `ts`.
    pub fn answer(&self, ts: f64, body: String) -> WireMsg {
        WireMsg {
            ts,
            exchange: self.exchange,
            market: Market::Perp,
            instrument: self.instrument.clone(),
            stream: self.stream,
            topic: self.path.clone(),
            payload: body,
        }
    }
}

/// Binance USD-M "Order Book" weight by `limit`: 5/10/20/50 -> 2, 100 -> 5, 500 -> 10, 1000 -> 20.
pub fn binance_depth_weight(limit: u32) -> u32 {
    match limit {
        0..=50 => 2,
        51..=100 => 5,
        101..=500 => 10,
        _ => 20,
    }
}

/// Binance `GET /fapi/v1/depth?symbol=&limit=` (the snapshot that syncs a book).
pub fn binance_depth(base: &str, symbol: &str, limit: u32) -> RestRequest {
    RestRequest::new(
        Exchange::Binance,
        base,
        "/fapi/v1/depth",
        format!("symbol={symbol}&limit={limit}"),
        binance_depth_weight(limit),
        StreamKind::Depth,
        symbol,
    )
}

/// Binance `GET /fapi/v1/openInterest?symbol=` (weight 1; base units).
pub fn binance_open_interest(base: &str, symbol: &str) -> RestRequest {
    RestRequest::new(
        Exchange::Binance,
        base,
        "/fapi/v1/openInterest",
        format!("symbol={symbol}"),
        1,
        StreamKind::OpenInterest,
        symbol,
    )
}

/// The path of a Binance long/short ratio endpoint.
pub fn binance_ratio_path(kind: RatioKind) -> &'static str {
    match kind {
        RatioKind::TopAccount => "/futures/data/topLongShortAccountRatio",
        RatioKind::TopPosition => "/futures/data/topLongShortPositionRatio",
        RatioKind::GlobalAccount => "/futures/data/globalLongShortAccountRatio",
    }
}

/// Binance trader ratio, newest point of `period` (documented periods: 5m, 15m, 30m, 1h, ...;
/// spec F21: `5m`).
pub fn binance_ratio(base: &str, kind: RatioKind, symbol: &str, period: &str) -> RestRequest {
    RestRequest::new(
        Exchange::Binance,
        base,
        binance_ratio_path(kind),
        format!("symbol={symbol}&period={period}&limit=1"),
        1,
        StreamKind::TraderRatio(kind),
        symbol,
    )
}

/// Bybit `GET /v5/market/tickers?category=linear&symbol=` (real-time `openInterest` in base
/// units; DECISIONS feeds 5 and spec F19 prefer it to the 5-minute `open-interest` series).
pub fn bybit_tickers(base: &str, symbol: &str) -> RestRequest {
    RestRequest::new(
        Exchange::Bybit,
        base,
        "/v5/market/tickers",
        format!("category=linear&symbol={symbol}"),
        1,
        StreamKind::Ticker,
        symbol,
    )
}

/// Bybit `GET /v5/market/open-interest?category=linear&symbol=&intervalTime=5min&limit=1`.
pub fn bybit_open_interest(base: &str, symbol: &str) -> RestRequest {
    RestRequest::new(
        Exchange::Bybit,
        base,
        "/v5/market/open-interest",
        format!("category=linear&symbol={symbol}&intervalTime=5min&limit=1"),
        1,
        StreamKind::OpenInterest,
        symbol,
    )
}

/// OKX `GET /api/v5/public/open-interest?instType=SWAP&instId=` (`oiCcy` is base units;
/// `instType` is required by the v5 docs, "Get open interest").
pub fn okx_open_interest(base: &str, inst_id: &str) -> RestRequest {
    RestRequest::new(
        Exchange::Okx,
        base,
        "/api/v5/public/open-interest",
        format!("instType=SWAP&instId={inst_id}"),
        1,
        StreamKind::OpenInterest,
        inst_id,
    )
}

/// OKX `GET /api/v5/public/instruments?instType=SWAP` (contract values).
pub fn okx_instruments_url(base: &str) -> String {
    format!(
        "{}/api/v5/public/instruments?instType=SWAP",
        base.trim_end_matches('/')
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_weights_and_routing() {
        let d = binance_depth("https://fapi.binance.com/", "BTCUSDT", 1000);
        assert_eq!(
            d.url,
            "https://fapi.binance.com/fapi/v1/depth?symbol=BTCUSDT&limit=1000"
        );
        assert_eq!(d.weight, 20);
        assert_eq!(binance_depth_weight(100), 5);
        assert_eq!(binance_depth_weight(500), 10);
        let r = binance_ratio("http://x", RatioKind::TopPosition, "BTCUSDT", "5m");
        assert_eq!(
            r.url,
            "http://x/futures/data/topLongShortPositionRatio?symbol=BTCUSDT&period=5m&limit=1"
        );
        assert_eq!(r.stream, StreamKind::TraderRatio(RatioKind::TopPosition));
        let o = okx_open_interest("https://www.okx.com", "BTC-USDT-SWAP");
        assert_eq!(
            o.url,
            "https://www.okx.com/api/v5/public/open-interest?instType=SWAP&instId=BTC-USDT-SWAP"
        );
        let m = o.answer(5.0, "{}".into());
        assert_eq!(m.instrument, "BTC-USDT-SWAP");
        assert_eq!(m.topic, "/api/v5/public/open-interest");
        assert_eq!(m.stream, StreamKind::OpenInterest);
        let b = bybit_tickers("https://api.bybit.com", "ETHUSDT");
        assert_eq!(
            b.url,
            "https://api.bybit.com/v5/market/tickers?category=linear&symbol=ETHUSDT"
        );
    }
}
