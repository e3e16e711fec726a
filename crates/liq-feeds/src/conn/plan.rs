//! What to connect to: the connections of each exchange (URL, topics, heartbeat, timing), built
//! from the configured instruments and sharded under each exchange's documented limits, and the
//! subscribe/unsubscribe messages.

use std::time::Duration;

use liq_core::event::Exchange;
use serde_json::json;

/// Application heartbeat of a connection.
#[derive(Clone, Debug, PartialEq)]
pub enum Heartbeat {
    /// A WebSocket protocol ping every interval (Binance: allowed, the server pings too).
    Protocol(Duration),
    /// A text message every interval (Bybit `{"op":"ping"}` every 20 s).
    Interval {
        /// The text.
        text: String,
        /// Interval.
        every: Duration,
    },
    /// A text message after this long without any inbound frame (OKX `ping` when idle).
    Idle {
        /// The text.
        text: String,
        /// Idle time.
        after: Duration,
    },
}

/// Timing of a connection.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ConnTiming {
    /// Dial and handshake timeout.
    pub connect_timeout: Duration,
    /// Silence after which the connection is reported STALE.
    pub stale_after: Duration,
    /// Silence after which the connection is dropped and re-dialled.
    pub read_timeout: Duration,
    /// Proactive reconnect after this long (Binance closes connections at 24 h).
    pub max_lifetime: Option<Duration>,
    /// A session that lasted this long resets the backoff.
    pub healthy_after: Duration,
    /// Delay before re-dialling after a healthy session ended.
    pub quick_reconnect: Duration,
}

impl ConnTiming {
    /// Defaults of an exchange (feeds spec 1.5: read timeout 60 s Binance/Bybit, OKX 25 s idle
    /// ping + 10 s for the pong).
    pub fn for_exchange(exchange: Exchange) -> Self {
        let (stale, read) = match exchange {
            Exchange::Okx => (20, 35),
            _ => (30, 60),
        };
        ConnTiming {
            connect_timeout: Duration::from_secs(10),
            stale_after: Duration::from_secs(stale),
            read_timeout: Duration::from_secs(read),
            // Binance USD-M "Websocket Market Streams": "A single connection is only valid for
            // 24 hours"; reconnect ourselves 10 minutes before.
            max_lifetime: (exchange == Exchange::Binance)
                .then(|| Duration::from_secs(23 * 3600 + 50 * 60)),
            healthy_after: Duration::from_secs(60),
            quick_reconnect: Duration::from_millis(250),
        }
    }
}

/// One WebSocket connection to keep open.
#[derive(Clone, Debug, PartialEq)]
pub struct ConnSpec {
    /// Exchange.
    pub exchange: Exchange,
    /// Name, e.g. `binance-market-0`, `bybit-1`.
    pub name: String,
    /// Full URL (Binance: with the combined `streams=` list).
    pub url: String,
    /// Routing keys in the exchange's naming (`WireMsg::topic`).
    pub topics: Vec<String>,
    /// Application heartbeat.
    pub heartbeat: Heartbeat,
    /// Timing.
    pub timing: ConnTiming,
}

impl ConnSpec {
    /// Messages to send right after connecting (Binance: none, the streams are in the URL).
    pub fn subscribe_messages(&self) -> Vec<String> {
        subscription(self.exchange, "subscribe", &self.topics)
    }

    /// Messages that unsubscribe and subscribe `topics` again (a fresh book snapshot for Bybit
    /// and OKX). Binance books are re-synced from REST instead: none.
    pub fn resubscribe_messages(&self, topics: &[String]) -> Vec<String> {
        if self.exchange == Exchange::Binance {
            return Vec::new();
        }
        let mut v = subscription(self.exchange, "unsubscribe", topics);
        v.extend(subscription(self.exchange, "subscribe", topics));
        v
    }

    /// Instrument ids covered by this connection (`*` for all-instrument channels).
    pub fn instruments(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .topics
            .iter()
            .map(|t| topic_instrument(self.exchange, t))
            .collect();
        v.sort();
        v.dedup();
        v
    }
}

/// The instrument id of a routing key.
pub fn topic_instrument(exchange: Exchange, topic: &str) -> String {
    match exchange {
        Exchange::Binance => super::route::binance_instrument(topic),
        Exchange::Bybit => topic.rsplit('.').next().unwrap_or("").to_owned(),
        Exchange::Okx => {
            let key = topic.split_once(':').map(|(_, k)| k).unwrap_or("");
            if is_okx_inst_type(key) {
                "*".to_owned()
            } else {
                key.to_owned()
            }
        }
    }
}

fn is_okx_inst_type(s: &str) -> bool {
    matches!(s, "SPOT" | "MARGIN" | "SWAP" | "FUTURES" | "OPTION" | "ANY")
}

/// Bybit: at most this many topics in one subscribe request (Bybit v5 "Connect" limits spot to
/// 10 args per request; we use it for every category).
const BYBIT_ARGS_PER_REQUEST: usize = 10;

fn subscription(exchange: Exchange, op: &str, topics: &[String]) -> Vec<String> {
    match exchange {
        Exchange::Binance => Vec::new(),
        Exchange::Bybit => topics
            .chunks(BYBIT_ARGS_PER_REQUEST)
            .map(|c| json!({"op": op, "args": c}).to_string())
            .collect(),
        Exchange::Okx => {
            if topics.is_empty() {
                return Vec::new();
            }
            let args: Vec<serde_json::Value> = topics.iter().map(|t| okx_arg(t)).collect();
            vec![json!({"op": op, "args": args}).to_string()]
        }
    }
}

/// OKX subscription argument of a routing key `channel:instId` / `channel:instType`.
pub fn okx_arg(topic: &str) -> serde_json::Value {
    let (channel, key) = topic.split_once(':').unwrap_or((topic, ""));
    if is_okx_inst_type(key) {
        json!({"channel": channel, "instType": key})
    } else {
        json!({"channel": channel, "instId": key})
    }
}

/// Splits `items` into consecutive groups whose summed `cost` stays within `limit` and that hold
/// at most `max_items` each (an item costlier than the limit gets a group of its own).
pub fn shard<T: Clone>(
    items: &[T],
    max_items: usize,
    limit: usize,
    cost: impl Fn(&T) -> usize,
) -> Vec<Vec<T>> {
    let mut out: Vec<Vec<T>> = Vec::new();
    let mut cur: Vec<T> = Vec::new();
    let mut used = 0usize;
    for it in items {
        let c = cost(it);
        if !cur.is_empty() && (cur.len() >= max_items.max(1) || used + c > limit) {
            out.push(std::mem::take(&mut cur));
            used = 0;
        }
        used += c;
        cur.push(it.clone());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Binance connection limits and URLs.
#[derive(Clone, Debug, PartialEq)]
pub struct BinancePlan {
    /// Base of the public (depth) host, e.g. `wss://fstream.binance.com/public`.
    pub public_base: String,
    /// Base of the market host, e.g. `wss://fstream.binance.com/market`.
    pub market_base: String,
    /// Streams per connection (the USD-M page says 1024, older pages 200: spec 1.2 says 200).
    pub max_streams: usize,
    /// Depth stream suffix, e.g. `depth@100ms`.
    pub depth_stream: String,
}

/// Binance: the depth connections (public host) and the market connections (aggTrade,
/// markPrice@1s, `!forceOrder@arr`). Since 2026-04-23 the USD-M host is split by stream class
/// (feeds spec 1.2, F3): depth on `/public`, the rest on `/market`; combined streams at
/// `{base}/stream?streams=a/b/c`.
pub fn binance_connections(plan: &BinancePlan, symbols: &[String]) -> Vec<ConnSpec> {
    let lower: Vec<String> = symbols.iter().map(|s| s.to_ascii_lowercase()).collect();
    let depth: Vec<String> = lower
        .iter()
        .map(|s| format!("{s}@{}", plan.depth_stream))
        .collect();
    let mut market: Vec<String> = Vec::new();
    for s in &lower {
        market.push(format!("{s}@aggTrade"));
        market.push(format!("{s}@markPrice@1s"));
    }
    market.push("!forceOrder@arr".to_owned());
    let mut out = Vec::new();
    for (class, base, streams) in [
        ("public", &plan.public_base, depth),
        ("market", &plan.market_base, market),
    ] {
        if symbols.is_empty() && class == "public" {
            continue;
        }
        for (i, group) in shard(&streams, plan.max_streams, usize::MAX, |_| 1)
            .into_iter()
            .enumerate()
        {
            let url = format!(
                "{}/stream?streams={}",
                base.trim_end_matches('/'),
                group.join("/")
            );
            out.push(ConnSpec {
                exchange: Exchange::Binance,
                name: format!("binance-{class}-{i}"),
                url,
                topics: group,
                heartbeat: Heartbeat::Protocol(Duration::from_secs(30)),
                timing: ConnTiming::for_exchange(Exchange::Binance),
            });
        }
    }
    out
}

/// Bybit: `orderbook.{depth}.{S}`, `publicTrade.{S}`, `tickers.{S}`, `allLiquidation.{S}` per
/// symbol, sharded so that the `args` of one connection stay under `max_args_chars` (Bybit v5
/// "Connect": 21,000 characters per connection), with `{"op":"ping"}` every 20 s.
pub fn bybit_connections(
    url: &str,
    symbols: &[String],
    book_depth: u32,
    max_args_chars: usize,
) -> Vec<ConnSpec> {
    let mut topics = Vec::new();
    for s in symbols {
        topics.push(format!("allLiquidation.{s}"));
        topics.push(format!("orderbook.{book_depth}.{s}"));
        topics.push(format!("publicTrade.{s}"));
        topics.push(format!("tickers.{s}"));
    }
    // Cost of a topic inside the JSON args array: the text, two quotes and a comma; the array
    // `["a","b"]` is the summed cost + 1 characters, which must stay below the limit.
    shard(&topics, usize::MAX, max_args_chars.saturating_sub(2), |t| {
        t.len() + 3
    })
    .into_iter()
    .enumerate()
    .map(|(i, group)| ConnSpec {
        exchange: Exchange::Bybit,
        name: format!("bybit-{i}"),
        url: url.to_owned(),
        topics: group,
        heartbeat: Heartbeat::Interval {
            text: r#"{"op":"ping"}"#.to_owned(),
            every: Duration::from_secs(20),
        },
        timing: ConnTiming::for_exchange(Exchange::Bybit),
    })
    .collect()
}

/// OKX: `liquidation-orders` (instType SWAP) plus `{book_channel}`, `trades`, `open-interest`,
/// `funding-rate` per instrument; sharded under the 64 KB subscribe payload limit; text `ping`
/// after 25 s idle (OKX v5 "Connect": the server closes a connection idle for 30 s).
pub fn okx_connections(url: &str, inst_ids: &[String], book_channel: &str) -> Vec<ConnSpec> {
    let mut topics = vec!["liquidation-orders:SWAP".to_owned()];
    for id in inst_ids {
        for ch in [book_channel, "trades", "open-interest", "funding-rate"] {
            topics.push(format!("{ch}:{id}"));
        }
    }
    let cost = |t: &String| okx_arg(t).to_string().len() + 1;
    shard(&topics, usize::MAX, 60_000, cost)
        .into_iter()
        .enumerate()
        .map(|(i, group)| ConnSpec {
            exchange: Exchange::Okx,
            name: format!("okx-{i}"),
            url: url.to_owned(),
            topics: group,
            heartbeat: Heartbeat::Idle {
                text: "ping".to_owned(),
                after: Duration::from_secs(25),
            },
            timing: ConnTiming::for_exchange(Exchange::Okx),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn syms(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn plan(max: usize) -> BinancePlan {
        BinancePlan {
            public_base: "wss://fstream.binance.com/public".into(),
            market_base: "wss://fstream.binance.com/market/".into(),
            max_streams: max,
            depth_stream: "depth@100ms".into(),
        }
    }

    #[test]
    fn binance_uses_the_split_hosts_with_combined_streams() {
        let c = binance_connections(&plan(200), &syms(&["BTCUSDT", "ETHUSDT", "SOLUSDT"]));
        assert_eq!(c.len(), 2);
        assert_eq!(
            c[0].url,
            "wss://fstream.binance.com/public/stream?streams=btcusdt@depth@100ms/ethusdt@depth@100ms/solusdt@depth@100ms"
        );
        assert_eq!(
            c[1].url,
            "wss://fstream.binance.com/market/stream?streams=btcusdt@aggTrade/btcusdt@markPrice@1s/ethusdt@aggTrade/ethusdt@markPrice@1s/solusdt@aggTrade/solusdt@markPrice@1s/!forceOrder@arr"
        );
        assert!(c[1].subscribe_messages().is_empty());
        assert_eq!(
            c[1].instruments(),
            syms(&["*", "BTCUSDT", "ETHUSDT", "SOLUSDT"])
        );
        assert!(c[0].timing.max_lifetime.unwrap() < Duration::from_secs(24 * 3600));
    }

    #[test]
    fn binance_shards_beyond_max_streams() {
        let many: Vec<String> = (0..250).map(|i| format!("S{i}USDT")).collect();
        let c = binance_connections(&plan(200), &many);
        let public: Vec<_> = c.iter().filter(|c| c.name.contains("public")).collect();
        let market: Vec<_> = c.iter().filter(|c| c.name.contains("market")).collect();
        assert_eq!(public.len(), 2);
        assert_eq!(public[0].topics.len(), 200);
        assert_eq!(public[1].topics.len(), 50);
        // 500 market streams + forceOrder = 501 -> 3 connections.
        assert_eq!(market.len(), 3);
        assert!(market.iter().all(|m| m.topics.len() <= 200));
        let total: usize = market.iter().map(|m| m.topics.len()).sum();
        assert_eq!(total, 501);
    }

    #[test]
    fn bybit_subscriptions_are_chunked_and_sharded_by_args_length() {
        let c = bybit_connections(
            "wss://stream.bybit.com/v5/public/linear",
            &syms(&["BTCUSDT", "ETHUSDT", "SOLUSDT"]),
            50,
            21_000,
        );
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].topics.len(), 12);
        let msgs = c[0].subscribe_messages();
        assert_eq!(msgs.len(), 2, "10 args per request");
        let first: serde_json::Value = serde_json::from_str(&msgs[0]).unwrap();
        assert_eq!(first["op"], "subscribe");
        assert_eq!(first["args"][0], "allLiquidation.BTCUSDT");
        assert_eq!(first["args"][1], "orderbook.50.BTCUSDT");
        let many: Vec<String> = (0..2000).map(|i| format!("SYM{i}USDT")).collect();
        let c = bybit_connections("wss://x", &many, 50, 21_000);
        assert!(c.len() > 1);
        for conn in &c {
            let args = serde_json::to_string(&conn.topics).unwrap();
            assert!(args.len() < 21_000, "{}", args.len());
        }
        let total: usize = c.iter().map(|c| c.topics.len()).sum();
        assert_eq!(total, 8000);
        match &c[0].heartbeat {
            Heartbeat::Interval { text, every } => {
                assert_eq!(text, r#"{"op":"ping"}"#);
                assert_eq!(*every, Duration::from_secs(20));
            }
            h => panic!("{h:?}"),
        }
    }

    #[test]
    fn okx_args_and_resubscribe() {
        let c = okx_connections(
            "wss://ws.okx.com:8443/ws/v5/public",
            &syms(&["BTC-USDT-SWAP"]),
            "books",
        );
        assert_eq!(c.len(), 1);
        let m: serde_json::Value = serde_json::from_str(&c[0].subscribe_messages()[0]).unwrap();
        assert_eq!(
            m["args"][0],
            json!({"channel": "liquidation-orders", "instType": "SWAP"})
        );
        assert_eq!(
            m["args"][1],
            json!({"channel": "books", "instId": "BTC-USDT-SWAP"})
        );
        let r = c[0].resubscribe_messages(&["books:BTC-USDT-SWAP".to_owned()]);
        assert_eq!(r.len(), 2);
        assert!(r[0].contains("unsubscribe") && r[1].contains("\"subscribe\""));
        assert_eq!(c[0].instruments(), syms(&["*", "BTC-USDT-SWAP"]));
        assert!(
            matches!(c[0].heartbeat, Heartbeat::Idle { ref text, after } if text == "ping" && after == Duration::from_secs(25))
        );
    }

    #[test]
    fn shard_respects_both_limits() {
        let v: Vec<u32> = (0..10).collect();
        assert_eq!(shard(&v, 3, usize::MAX, |_| 1).len(), 4);
        assert_eq!(shard(&v, usize::MAX, 5, |_| 2).len(), 5);
        assert_eq!(
            shard(&v, usize::MAX, 1, |_| 7).len(),
            10,
            "oversized items alone"
        );
        assert!(shard::<u32>(&[], 3, 3, |_| 1).is_empty());
    }
}
