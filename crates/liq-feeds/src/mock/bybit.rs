//! Bybit v5 public WebSocket protocol of the mock.
//!
//! Documented behaviour reproduced (Bybit v5 "WebSocket Connect" page and spec
//! feeds_and_service.md 1.3; reply shapes as in the recorded frames of
//! `fixtures/raw/bybit_*`):
//! - paths `/v5/public/linear` (perpetuals) and `/v5/public/spot`;
//! - `{"op":"subscribe","args":[..],"req_id":".."}` ->
//!   `{"success":true,"ret_msg":"","conn_id":"..","req_id":"..","op":"subscribe"}` (spot:
//!   `"ret_msg":"subscribe"`); a bad or already-subscribed topic fails the request with
//!   `"success":false` and `ret_msg` `error:handler not found,topic:..` /
//!   `error:already subscribed,topic:..`;
//! - the `args` of one connection must stay under 21,000 characters (configurable): a request
//!   that would pass it fails and subscribes nothing;
//! - `{"op":"ping"}` -> `{"success":true,"ret_msg":"pong","conn_id":"..","req_id":"..","op":"ping"}`;
//! - a connection with neither ping-pong nor data for the idle timeout (10 minutes documented,
//!   configurable) is closed by the connection task.

use std::collections::BTreeSet;

use liq_core::event::Market;
use serde_json::{Map, Value, json};

use super::session::Action;

/// Topic prefixes the mock accepts (public v5 topics).
const TOPICS: [&str; 7] = [
    "orderbook",
    "publicTrade",
    "tickers",
    "allLiquidation",
    "liquidation",
    "kline",
    "tickers_lt",
];

/// Whether a topic is a valid public topic name (`prefix[.param].SYMBOL`).
fn valid_topic(topic: &str) -> bool {
    let parts: Vec<&str> = topic.split('.').collect();
    if parts.len() < 2 || !TOPICS.contains(&parts[0]) {
        return false;
    }
    let sym = parts[parts.len() - 1];
    let sym_ok = !sym.is_empty()
        && sym
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
    let depth_ok = parts[0] != "orderbook"
        || (parts.len() == 3 && ["1", "50", "200", "500", "1000"].contains(&parts[1]));
    sym_ok && depth_ok
}

/// State of one Bybit connection.
#[derive(Debug)]
pub(crate) struct BybitSession {
    /// `Perp` on `/v5/public/linear`, `Spot` on `/v5/public/spot`.
    pub(crate) market: Market,
    conn_id: String,
    topics: BTreeSet<String>,
    max_args_chars: usize,
}

impl BybitSession {
    /// A session for a handshake path; `None` for other paths.
    pub(crate) fn from_path(path: &str, conn_no: u64, max_args_chars: usize) -> Option<Self> {
        let market = match path.trim_end_matches('/') {
            "/v5/public/linear" => Market::Perp,
            "/v5/public/spot" => Market::Spot,
            _ => return None,
        };
        Some(BybitSession {
            market,
            conn_id: format!("{conn_no:08x}-0000-4000-8000-6d6f636b6279"),
            topics: BTreeSet::new(),
            max_args_chars,
        })
    }

    fn reply(&self, success: bool, ret_msg: &str, req_id: Option<&str>, op: &str) -> String {
        let mut m = Map::new();
        m.insert("success".into(), Value::Bool(success));
        m.insert("ret_msg".into(), Value::String(ret_msg.to_owned()));
        m.insert("conn_id".into(), Value::String(self.conn_id.clone()));
        // Linear replies carry req_id ("" when the request had none); spot only when given.
        if self.market == Market::Perp || req_id.is_some() {
            m.insert(
                "req_id".into(),
                Value::String(req_id.unwrap_or("").to_owned()),
            );
        }
        m.insert("op".into(), Value::String(op.to_owned()));
        Value::Object(m).to_string()
    }

    /// Handles one client text frame.
    pub(crate) fn on_text(&mut self, text: &str) -> Vec<Action> {
        let req: Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(_) => {
                return vec![Action::Error(self.reply(
                    false,
                    "error:request not json",
                    None,
                    "",
                ))];
            }
        };
        let op = req.get("op").and_then(Value::as_str).unwrap_or("");
        let req_id = req.get("req_id").and_then(Value::as_str);
        let args: Vec<String> = req
            .get("args")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        match op {
            "ping" => vec![
                Action::AppPing,
                Action::Reply(self.reply(true, "pong", req_id, "ping")),
            ],
            "subscribe" => {
                if let Some(bad) = args.iter().find(|t| !valid_topic(t)) {
                    let msg = format!("error:handler not found,topic:{bad}");
                    return vec![Action::Error(self.reply(false, &msg, req_id, "subscribe"))];
                }
                if let Some(dup) = args.iter().find(|t| self.topics.contains(*t)) {
                    let msg = format!("error:already subscribed,topic:{dup}");
                    return vec![Action::Error(self.reply(false, &msg, req_id, "subscribe"))];
                }
                let chars: usize = self.topics.iter().chain(args.iter()).map(String::len).sum();
                if chars > self.max_args_chars {
                    let msg = format!(
                        "error:args length {chars} exceeds the limit of {} characters",
                        self.max_args_chars
                    );
                    return vec![Action::Error(self.reply(false, &msg, req_id, "subscribe"))];
                }
                self.topics.extend(args.iter().cloned());
                let ret = if self.market == Market::Spot {
                    "subscribe"
                } else {
                    ""
                };
                vec![
                    Action::Reply(self.reply(true, ret, req_id, "subscribe")),
                    Action::Subscribe {
                        topics: args,
                        wrong_path: 0,
                    },
                ]
            }
            "unsubscribe" => {
                for t in &args {
                    self.topics.remove(t);
                }
                let ret = if self.market == Market::Spot {
                    "unsubscribe"
                } else {
                    ""
                };
                vec![
                    Action::Unsubscribe(args),
                    Action::Reply(self.reply(true, ret, req_id, "unsubscribe")),
                ]
            }
            _ => {
                let msg = format!("error:unknown op {op:?}");
                vec![Action::Error(
                    json!({"success": false, "ret_msg": msg, "conn_id": self.conn_id, "op": op})
                        .to_string(),
                )]
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_and_replies() {
        assert!(valid_topic("orderbook.50.BTCUSDT"));
        assert!(valid_topic("allLiquidation.BTCUSDT"));
        assert!(!valid_topic("orderbook.7.BTCUSDT"));
        assert!(!valid_topic("foo.BTCUSDT"));
        assert!(!valid_topic("tickers.btcusdt"));
        let mut s = BybitSession::from_path("/v5/public/linear", 1, 40).unwrap();
        let a = s.on_text(r#"{"op":"subscribe","args":["tickers.BTCUSDT"],"req_id":"7"}"#);
        assert!(
            matches!(&a[0], Action::Reply(r) if r.contains(r#""success":true"#) && r.contains(r#""req_id":"7""#))
        );
        let a = s.on_text(r#"{"op":"subscribe","args":["tickers.BTCUSDT"]}"#);
        assert!(matches!(&a[0], Action::Error(r) if r.contains("already subscribed")));
        let a = s.on_text(
            r#"{"op":"subscribe","args":["allLiquidation.BTCUSDT","allLiquidation.ETHUSDT"]}"#,
        );
        assert!(matches!(&a[0], Action::Error(r) if r.contains("exceeds")));
        let a = s.on_text(r#"{"op":"ping"}"#);
        assert!(
            matches!(&a[1], Action::Reply(r) if r.contains(r#""ret_msg":"pong""#) && r.contains(r#""op":"ping""#))
        );
        assert!(BybitSession::from_path("/v5/public/option", 1, 10).is_none());
    }
}
