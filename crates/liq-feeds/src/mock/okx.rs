//! OKX v5 public WebSocket protocol of the mock.
//!
//! Documented behaviour reproduced (OKX v5 API "WebSocket" overview, subscribe and error codes;
//! spec feeds_and_service.md 1.4):
//! - path `/ws/v5/public`;
//! - `{"op":"subscribe","args":[{"channel":..,"instId"|"instType"|"instFamily":..},..]}` ->
//!   one `{"event":"subscribe","arg":{..},"connId":".."}` per arg (with `"id"` echoed when the
//!   request had one); an unknown channel or an arg without an instrument key gets
//!   `{"event":"error","code":"60018","msg":"Wrong URL or channel:..","connId":".."}`, invalid
//!   JSON `{"event":"error","code":"60012","msg":"Invalid request: ..","connId":".."}`;
//! - text `ping` -> text `pong`;
//! - the server closes a connection with no traffic for 30 s (configurable).
//!
//! Routing key: `channel:instId`, else `channel:instType`, else `channel:instFamily`.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use super::session::Action;

/// Public channels the mock accepts.
const CHANNELS: [&str; 16] = [
    "books",
    "books5",
    "bbo-tbt",
    "books-l2-tbt",
    "books50-l2-tbt",
    "trades",
    "trades-all",
    "tickers",
    "open-interest",
    "funding-rate",
    "mark-price",
    "index-tickers",
    "liquidation-orders",
    "price-limit",
    "instruments",
    "estimated-price",
];

/// State of one OKX connection.
#[derive(Debug)]
pub(crate) struct OkxSession {
    conn_id: String,
    keys: BTreeSet<String>,
}

/// The routing key of a subscription arg, `None` when it names no instrument.
pub(crate) fn arg_key(arg: &Map<String, Value>) -> Option<String> {
    let channel = arg.get("channel")?.as_str()?;
    let inst = ["instId", "instType", "instFamily"]
        .iter()
        .find_map(|k| arg.get(*k).and_then(Value::as_str))?;
    Some(format!("{channel}:{inst}"))
}

impl OkxSession {
    /// A session for a handshake path; `None` for other paths.
    pub(crate) fn from_path(path: &str, conn_no: u64) -> Option<Self> {
        if path.trim_end_matches('/') != "/ws/v5/public" {
            return None;
        }
        Some(OkxSession {
            conn_id: format!("{:08x}", conn_no.wrapping_mul(0x9e37_79b9) & 0xffff_ffff),
            keys: BTreeSet::new(),
        })
    }

    fn error(&self, code: &str, msg: &str) -> Action {
        Action::Error(
            json!({"event": "error", "code": code, "msg": msg, "connId": self.conn_id}).to_string(),
        )
    }

    /// Handles one client text frame.
    pub(crate) fn on_text(&mut self, text: &str) -> Vec<Action> {
        if text == "ping" {
            return vec![Action::AppPing, Action::Reply("pong".to_owned())];
        }
        let req: Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(_) => return vec![self.error("60012", &format!("Invalid request: {text}"))],
        };
        let op = req.get("op").and_then(Value::as_str).unwrap_or("");
        if op != "subscribe" && op != "unsubscribe" {
            return vec![self.error("60012", &format!("Invalid request: {text}"))];
        }
        let Some(args) = req.get("args").and_then(Value::as_array) else {
            return vec![self.error("60013", "Invalid args")];
        };
        let id = req.get("id").cloned();
        let mut out = Vec::new();
        let mut keys = Vec::new();
        for arg in args {
            let Some(obj) = arg.as_object() else {
                out.push(self.error("60013", "Invalid args"));
                continue;
            };
            let channel = obj.get("channel").and_then(Value::as_str).unwrap_or("");
            let key = arg_key(obj);
            let (true, Some(key)) = (CHANNELS.contains(&channel), key) else {
                let inst = obj.get("instId").and_then(Value::as_str).unwrap_or("");
                out.push(self.error(
                    "60018",
                    &format!(
                        "Wrong URL or channel:{channel},instId:{inst} doesn't exist. Please use \
                         the correct URL, channel and parameters referring to API document."
                    ),
                ));
                continue;
            };
            let mut ev = Map::new();
            if let Some(id) = &id {
                ev.insert("id".into(), id.clone());
            }
            ev.insert("event".into(), Value::String(op.to_owned()));
            ev.insert("arg".into(), arg.clone());
            ev.insert("connId".into(), Value::String(self.conn_id.clone()));
            out.push(Action::Reply(Value::Object(ev).to_string()));
            if op == "subscribe" {
                self.keys.insert(key.clone());
            } else {
                self.keys.remove(&key);
            }
            keys.push(key);
        }
        if !keys.is_empty() {
            out.push(if op == "subscribe" {
                Action::Subscribe {
                    topics: keys,
                    wrong_path: 0,
                }
            } else {
                Action::Unsubscribe(keys)
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscribe_acks_per_arg() {
        let mut s = OkxSession::from_path("/ws/v5/public", 3).unwrap();
        let a = s.on_text(
            r#"{"op":"subscribe","args":[{"channel":"books","instId":"BTC-USDT-SWAP"},{"channel":"liquidation-orders","instType":"SWAP"},{"channel":"nope","instId":"X"}]}"#,
        );
        assert_eq!(a.len(), 4);
        assert!(
            matches!(&a[0], Action::Reply(r) if r.contains(r#""event":"subscribe""#) && r.contains("BTC-USDT-SWAP"))
        );
        assert!(matches!(&a[2], Action::Error(r) if r.contains("60018")));
        assert!(
            matches!(&a[3], Action::Subscribe { topics, .. } if topics == &["books:BTC-USDT-SWAP", "liquidation-orders:SWAP"])
        );
        assert!(matches!(&s.on_text("ping")[1], Action::Reply(r) if r == "pong"));
        assert!(matches!(&s.on_text("{x")[0], Action::Error(r) if r.contains("60012")));
        assert!(OkxSession::from_path("/ws/v5/business", 1).is_none());
    }
}
