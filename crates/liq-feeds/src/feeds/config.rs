//! Configuration of the live feeds (TOML/JSON-deserializable; every key has a default).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::conn::{BackoffConfig, ConnTiming};

/// Binance USD-M.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BinanceConfig {
    /// Connect to Binance.
    pub enabled: bool,
    /// WebSocket base; depth goes to `{ws}/public/stream`, the rest to `{ws}/market/stream`.
    pub ws: String,
    /// REST base.
    pub rest: String,
    /// Streams per connection.
    pub max_streams: usize,
    /// Depth stream suffix.
    pub depth_stream: String,
    /// Depth snapshot levels (`limit`).
    pub depth_limit: u32,
    /// At most one snapshot per symbol per this many seconds.
    pub snapshot_min_interval_secs: f64,
    /// Open-interest poll period, s.
    pub oi_every_secs: f64,
    /// Trader-ratio poll period, s (0 turns the ratio poller off).
    pub ratios_every_secs: f64,
    /// Symbol of the trader ratios.
    pub ratio_symbol: String,
    /// Renew each connection after this many seconds (Binance closes them at 24 h).
    pub max_lifetime_secs: f64,
    /// Ratio period.
    pub ratio_period: String,
}

impl Default for BinanceConfig {
    fn default() -> Self {
        BinanceConfig {
            enabled: true,
            ws: "wss://fstream.binance.com".into(),
            rest: "https://fapi.binance.com".into(),
            max_streams: 200,
            depth_stream: "depth@100ms".into(),
            depth_limit: 1000,
            snapshot_min_interval_secs: 5.0,
            oi_every_secs: 15.0,
            ratios_every_secs: 300.0,
            ratio_symbol: "BTCUSDT".into(),
            max_lifetime_secs: 23.0 * 3600.0 + 50.0 * 60.0,
            ratio_period: "5m".into(),
        }
    }
}

/// Bybit v5 linear.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BybitConfig {
    /// Connect to Bybit.
    pub enabled: bool,
    /// WebSocket URL.
    pub ws: String,
    /// REST base.
    pub rest: String,
    /// Order-book depth of `orderbook.{depth}.{symbol}` (linear: 1, 50, 200, 500).
    pub book_depth: u32,
    /// Longest `args` text per connection.
    pub max_args_chars: usize,
    /// REST open-interest fallback period while the tickers stream is stale, s.
    pub oi_fallback_every_secs: f64,
    /// The tickers stream counts as stale after this many silent seconds.
    pub tickers_stale_secs: f64,
}

impl Default for BybitConfig {
    fn default() -> Self {
        BybitConfig {
            enabled: true,
            ws: "wss://stream.bybit.com/v5/public/linear".into(),
            rest: "https://api.bybit.com".into(),
            book_depth: 50,
            max_args_chars: 21_000,
            oi_fallback_every_secs: 15.0,
            tickers_stale_secs: 30.0,
        }
    }
}

/// OKX v5 public.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OkxConfig {
    /// Connect to OKX.
    pub enabled: bool,
    /// WebSocket URL.
    pub ws: String,
    /// REST base.
    pub rest: String,
    /// Book channel (`books`: 400 levels with checksums, which the reconstructor follows).
    pub book_channel: String,
    /// REST open-interest poll period, s.
    pub oi_every_secs: f64,
}

impl Default for OkxConfig {
    fn default() -> Self {
        OkxConfig {
            enabled: true,
            ws: "wss://ws.okx.com:8443/ws/v5/public".into(),
            rest: "https://www.okx.com".into(),
            book_channel: "books".into(),
            oi_every_secs: 15.0,
        }
    }
}

/// Everything the feeds need besides the symbol registry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FeedsConfig {
    /// Binance.
    pub binance: BinanceConfig,
    /// Bybit.
    pub bybit: BybitConfig,
    /// OKX.
    pub okx: OkxConfig,
    /// REST request timeout, s.
    pub rest_timeout_secs: f64,
    /// Reconnect backoff (not from files).
    #[serde(skip)]
    pub backoff: BackoffConfig,
    /// Connection timing for every connection instead of the exchange defaults (tests).
    #[serde(skip)]
    pub timing: Option<ConnTiming>,
    /// Heartbeat interval (or idle time) for every connection instead of the documented ones
    /// (tests).
    #[serde(skip)]
    pub heartbeat: Option<Duration>,
}

impl Default for FeedsConfig {
    fn default() -> Self {
        FeedsConfig {
            binance: BinanceConfig::default(),
            bybit: BybitConfig::default(),
            okx: OkxConfig::default(),
            rest_timeout_secs: 10.0,
            backoff: BackoffConfig::default(),
            timing: None,
            heartbeat: None,
        }
    }
}

/// Seconds to a duration (non-finite or negative values give 0).
pub(crate) fn secs(s: f64) -> Duration {
    if s.is_finite() && s > 0.0 {
        Duration::from_secs_f64(s)
    } else {
        Duration::ZERO
    }
}

impl FeedsConfig {
    /// Every base URL pointed at one mock server (`ws://host:port`, `http://host:port`).
    pub fn pointed_at(ws_base: &str, http_base: &str) -> Self {
        let mut c = FeedsConfig::default();
        c.binance.ws = ws_base.to_owned();
        c.binance.rest = http_base.to_owned();
        c.bybit.ws = format!("{ws_base}/v5/public/linear");
        c.bybit.rest = http_base.to_owned();
        c.okx.ws = format!("{ws_base}/ws/v5/public");
        c.okx.rest = http_base.to_owned();
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_real_endpoints_and_partial_files_parse() {
        let c = FeedsConfig::default();
        assert_eq!(c.binance.ws, "wss://fstream.binance.com");
        assert_eq!(c.okx.rest, "https://www.okx.com");
        let j: FeedsConfig =
            serde_json::from_str(r#"{"bybit":{"book_depth":200},"okx":{"enabled":false}}"#)
                .unwrap();
        assert_eq!(j.bybit.book_depth, 200);
        assert_eq!(j.bybit.ws, "wss://stream.bybit.com/v5/public/linear");
        assert!(!j.okx.enabled);
        assert!(j.binance.enabled);
        assert_eq!(secs(-1.0), Duration::ZERO);
    }
}
