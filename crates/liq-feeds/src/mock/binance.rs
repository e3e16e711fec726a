//! Binance USD-M WebSocket protocol of the mock.
//!
//! Documented behaviour reproduced (Binance USD-M "Websocket Market Streams" and the
//! 2026-04-23 host split, spec feeds_and_service.md 1.2):
//! - paths `/public/ws`, `/market/ws` (raw streams, live `SUBSCRIBE`), `/public/stream?streams=a/b`,
//!   `/market/stream?streams=..` (combined streams: frames `{"stream":..,"data":..}`), and raw
//!   streams in the path (`/market/ws/btcusdt@aggTrade`). The legacy unrouted `/ws` and `/stream`
//!   still connect but only serve the public tier.
//! - tiers: `@depth`, `@bookTicker`, `@trade` are public; `@aggTrade`, `@markPrice`,
//!   `@forceOrder`, klines and the rest are market. A stream on the wrong tier is acknowledged but
//!   never delivers data (counted as `wrong_path_subscriptions`).
//! - `{"method":"SUBSCRIBE","params":[..],"id":N}` -> `{"result":null,"id":N}` (`id` an
//!   unsigned integer, as documented); `UNSUBSCRIBE`,
//!   `LIST_SUBSCRIPTIONS`, `SET_PROPERTY`/`GET_PROPERTY` (`combined`); errors as
//!   `{"error":{"code":C,"msg":".."},"id":N}` (codes 0..3 of the docs' error table).
//! - at most `binance_max_streams` (200) streams per connection: more in the URL refuses the
//!   handshake (HTTP 400), more by `SUBSCRIBE` answers error code 2 and subscribes nothing;
//! - more than 10 client messages in one second closes the connection (code 1008);
//! - only `Market::Perp` messages are served (spot and COIN-M hosts are not modelled; COIN-M
//!   instruments recorded as `perp` are served like USD-M ones).

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::session::{Action, Reject};

/// The path tier of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tier {
    /// `/public/...`: depth, bookTicker, trade.
    Public,
    /// `/market/...`: aggTrade, markPrice, forceOrder, klines, tickers.
    Market,
    /// Legacy `/ws`, `/stream`: connects, public tier only.
    Legacy,
}

/// The tier that serves a stream name.
pub(crate) fn stream_tier(stream: &str) -> Tier {
    let public = stream.contains("@depth")
        || stream.contains("@bookTicker")
        || stream == "!bookTicker"
        || stream.ends_with("@trade");
    if public { Tier::Public } else { Tier::Market }
}

/// State of one Binance connection.
#[derive(Debug)]
pub(crate) struct BinanceSession {
    tier: Tier,
    /// Combined-stream envelopes (path `/stream`, or `SET_PROPERTY combined true`).
    pub(crate) combined: bool,
    streams: BTreeSet<String>,
    max_streams: usize,
}

/// Minimal percent-decoding of a URL component (`%40` -> `@`, `%21` -> `!`).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len() + 1
            && let Some(h) = s.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(h, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl BinanceSession {
    /// Parses the handshake path; returns the session and the streams named in the URL.
    pub(crate) fn from_path(
        path: &str,
        query: &str,
        max_streams: usize,
    ) -> Result<(Self, Vec<String>), Reject> {
        let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let (tier, rest) = match segs.first().copied() {
            Some("public") => (Tier::Public, &segs[1..]),
            Some("market") => (Tier::Market, &segs[1..]),
            _ => (Tier::Legacy, &segs[..]),
        };
        let (combined, streams): (bool, Vec<String>) = match rest.first().copied() {
            Some("ws") => (
                false,
                rest[1..]
                    .iter()
                    .filter(|s| !s.is_empty())
                    .map(|s| percent_decode(s))
                    .collect(),
            ),
            Some("stream") => {
                let list = query
                    .split('&')
                    .find_map(|kv| kv.strip_prefix("streams="))
                    .unwrap_or("");
                let list = percent_decode(list);
                (
                    true,
                    list.split('/')
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect(),
                )
            }
            _ => return Err(Reject::NotFound),
        };
        if streams.len() > max_streams {
            return Err(Reject::BadRequest(format!(
                "too many streams: {} (max {max_streams})",
                streams.len()
            )));
        }
        Ok((
            BinanceSession {
                tier,
                combined,
                streams: BTreeSet::new(),
                max_streams,
            },
            streams,
        ))
    }

    /// Whether this connection's tier serves `stream`.
    pub(crate) fn serves(&self, stream: &str) -> bool {
        match self.tier {
            Tier::Public | Tier::Legacy => stream_tier(stream) == Tier::Public,
            Tier::Market => stream_tier(stream) == Tier::Market,
        }
    }

    /// Adds streams (URL or `SUBSCRIBE`); returns the routed and the wrong-tier ones, or an
    /// error text when the stream limit would be exceeded.
    pub(crate) fn add_streams(
        &mut self,
        streams: &[String],
    ) -> Result<(Vec<String>, usize), String> {
        let new: BTreeSet<&String> = streams
            .iter()
            .filter(|s| !self.streams.contains(*s))
            .collect();
        if self.streams.len() + new.len() > self.max_streams {
            return Err(format!(
                "Invalid request: too many streams (max {})",
                self.max_streams
            ));
        }
        let mut routed = Vec::new();
        let mut wrong = 0;
        for s in new {
            self.streams.insert(s.clone());
            if self.serves(s) {
                routed.push(s.clone());
            } else {
                wrong += 1;
            }
        }
        Ok((routed, wrong))
    }

    /// Handles one client text frame.
    pub(crate) fn on_text(&mut self, text: &str) -> Vec<Action> {
        let req: Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => return vec![error_reply(3, &format!("Invalid JSON: {e}"), &Value::Null)],
        };
        let id = req.get("id").cloned().unwrap_or(Value::Null);
        if !id.is_u64() {
            return vec![error_reply(
                2,
                "Invalid request: request ID must be an unsigned integer",
                &Value::Null,
            )];
        }
        let method = req.get("method").and_then(Value::as_str).unwrap_or("");
        let params: Vec<String> = req
            .get("params")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        match method {
            "SUBSCRIBE" => {
                if params.is_empty() {
                    return vec![error_reply(2, "Invalid request: no streams", &id)];
                }
                match self.add_streams(&params) {
                    Ok((routed, wrong)) => vec![
                        Action::Subscribe {
                            topics: routed,
                            wrong_path: wrong,
                        },
                        Action::Reply(json!({"result": null, "id": id}).to_string()),
                    ],
                    Err(msg) => vec![error_reply(2, &msg, &id)],
                }
            }
            "UNSUBSCRIBE" => {
                for p in &params {
                    self.streams.remove(p);
                }
                vec![
                    Action::Unsubscribe(params),
                    Action::Reply(json!({"result": null, "id": id}).to_string()),
                ]
            }
            "LIST_SUBSCRIPTIONS" => {
                let list: Vec<&String> = self.streams.iter().collect();
                vec![Action::Reply(json!({"result": list, "id": id}).to_string())]
            }
            "SET_PROPERTY" => {
                let p = req.get("params").and_then(Value::as_array);
                match p.map(|a| (a.first().and_then(Value::as_str), a.get(1))) {
                    Some((Some("combined"), Some(Value::Bool(b)))) => {
                        self.combined = *b;
                        vec![Action::Reply(json!({"result": null, "id": id}).to_string())]
                    }
                    Some((Some("combined"), _)) => {
                        vec![error_reply(1, "Invalid value type: expected Boolean", &id)]
                    }
                    _ => vec![error_reply(0, "Unknown property", &id)],
                }
            }
            "GET_PROPERTY" => {
                vec![Action::Reply(
                    json!({"result": self.combined, "id": id}).to_string(),
                )]
            }
            _ => vec![error_reply(
                2,
                &format!(
                    "Invalid request: unknown variant {method}, expected one of SUBSCRIBE, \
                     UNSUBSCRIBE, LIST_SUBSCRIPTIONS, SET_PROPERTY, GET_PROPERTY"
                ),
                &id,
            )],
        }
    }
}

/// `{"error":{"code":..,"msg":..},"id":..}`: the codes and messages of the docs' "Error
/// Messages" table (USD-M "Live Subscribing/Unsubscribing to streams"), in the envelope the
/// server sends.
fn error_reply(code: i64, msg: &str, id: &Value) -> Action {
    Action::Error(json!({"error": {"code": code, "msg": msg}, "id": id}).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_tiers() {
        let (s, streams) = BinanceSession::from_path(
            "/market/stream",
            "streams=btcusdt@aggTrade/%21forceOrder@arr",
            200,
        )
        .unwrap();
        assert!(s.combined);
        assert_eq!(streams, vec!["btcusdt@aggTrade", "!forceOrder@arr"]);
        assert!(s.serves("!forceOrder@arr"));
        assert!(!s.serves("btcusdt@depth@100ms"));
        let (s, streams) = BinanceSession::from_path("/public/ws", "", 200).unwrap();
        assert!(!s.combined && streams.is_empty());
        assert!(s.serves("btcusdt@depth@100ms"));
        let (s, _) = BinanceSession::from_path("/ws", "", 200).unwrap();
        assert!(!s.serves("btcusdt@markPrice@1s"));
        assert!(matches!(
            BinanceSession::from_path("/foo", "", 200),
            Err(Reject::NotFound)
        ));
        assert!(matches!(
            BinanceSession::from_path("/market/stream", "streams=a@x/b@x/c@x", 2),
            Err(Reject::BadRequest(_))
        ));
    }

    #[test]
    fn subscribe_limit_and_errors() {
        let (mut s, _) = BinanceSession::from_path("/market/ws", "", 2).unwrap();
        let a = s.on_text(r#"{"method":"SUBSCRIBE","params":["a@aggTrade","b@depth"],"id":1}"#);
        assert!(
            matches!(&a[0], Action::Subscribe { topics, wrong_path: 1 } if topics == &["a@aggTrade"])
        );
        assert!(
            matches!(&a[1], Action::Reply(r) if r == r#"{"id":1,"result":null}"# || r == r#"{"result":null,"id":1}"#)
        );
        let a = s.on_text(r#"{"method":"SUBSCRIBE","params":["c@aggTrade"],"id":2}"#);
        assert!(matches!(&a[0], Action::Error(e) if e.contains("too many streams")));
        let a = s.on_text(r#"{"method":"SUBSCRIBE","params":["c@aggTrade"],"id":"x"}"#);
        assert!(matches!(&a[0], Action::Error(e) if e.contains("unsigned integer")));
        let a = s.on_text(r#"{"method":"SUBSCRIB","id":5}"#);
        assert!(matches!(&a[0], Action::Error(e) if e.contains("unknown variant SUBSCRIB")));
        let a = s.on_text("{nope");
        assert!(matches!(&a[0], Action::Error(e) if e.contains("\"code\":3")));
    }
}
