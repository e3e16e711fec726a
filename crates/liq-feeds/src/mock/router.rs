//! Subscriptions, routing and the per-topic replay buffer.
//!
//! One [`Router`] behind a mutex (never held across an `await`) maps each subscription key to
//! the connections that subscribed to it. Routing a message and subscribing are both done under
//! the lock, so a subscriber gets every message exactly once: either from the replay buffer
//! (it subscribed after the message was routed) or live (before).

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use liq_core::event::{Exchange, Market};
use liq_core::normalize::StreamKind;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Utf8Bytes;

use crate::wire::WireMsg;

/// Connection id (unique per mock).
pub(crate) type ConnId = u64;

/// One market-data frame, ready to send.
#[derive(Debug)]
pub(crate) struct Frame {
    /// Source time of the message.
    pub(crate) ts: f64,
    /// The payload as the exchange sends it on a raw stream (Binance `/ws`, Bybit, OKX).
    pub(crate) raw: Utf8Bytes,
    /// Binance combined-stream envelope `{"stream":..,"data":..}`; equals `raw` elsewhere.
    pub(crate) wrapped: Utf8Bytes,
}

/// What the router queues for a connection.
#[derive(Debug)]
pub(crate) enum Out {
    /// One live frame.
    Data(Arc<Frame>),
    /// Buffered frames re-sent on subscribe (one queue slot for the whole batch).
    Replay(Vec<Arc<Frame>>),
}

/// Commands to one connection (faults, shutdown of a slow client).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Ctl {
    /// Send a close frame and end the connection.
    Close,
    /// Abort the TCP connection (RST, no close frame).
    Reset,
    /// Send nothing (data, replies, pings) for this long; the connection stays open.
    Stall(Duration),
    /// Send a text frame that is not JSON.
    Garbage,
    /// Send the first half of the last data frame (truncated JSON).
    Truncated,
    /// The client cannot keep up: close it (counted as a slow disconnect).
    Slow,
}

/// The routing key: exchange, market (Bybit linear vs spot share topic names) and topic.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct RouteKey {
    /// Exchange.
    pub(crate) exchange: Exchange,
    /// Market.
    pub(crate) market: Market,
    /// Topic in the exchange's naming (see [`WireMsg::topic`]).
    pub(crate) topic: String,
}

/// A connection's queues.
#[derive(Debug)]
struct ConnEntry {
    data: mpsc::Sender<Out>,
    ctl: mpsc::UnboundedSender<Ctl>,
    exchange: Exchange,
    keys: HashSet<RouteKey>,
}

/// Result of [`Router::subscribe`].
#[derive(Debug, Default)]
pub(crate) struct Subscribed {
    /// Keys newly added.
    pub(crate) added: usize,
    /// Frames queued from the replay buffer.
    pub(crate) replayed: usize,
    /// The replay batch did not fit the queue: the caller closes the connection as slow.
    pub(crate) overflow: bool,
}

/// Subscriptions and replay buffers.
#[derive(Debug)]
pub(crate) struct Router {
    conns: HashMap<ConnId, ConnEntry>,
    subs: HashMap<RouteKey, Vec<ConnId>>,
    buffers: HashMap<RouteKey, VecDeque<Arc<Frame>>>,
    skip_depth: HashSet<(Exchange, String)>,
    replay_secs: f64,
    replay_max: usize,
}

/// A message ready to deliver: its frame and the queues to put it in.
pub(crate) type Delivery = (Arc<Frame>, Vec<(ConnId, mpsc::Sender<Out>)>);

impl Router {
    /// An empty router keeping `replay_secs` of source time (at most `replay_max` frames) per key.
    pub(crate) fn new(replay_secs: f64, replay_max: usize) -> Self {
        Router {
            conns: HashMap::new(),
            subs: HashMap::new(),
            buffers: HashMap::new(),
            skip_depth: HashSet::new(),
            replay_secs,
            replay_max,
        }
    }

    /// Registers a connection's queues.
    pub(crate) fn register(
        &mut self,
        id: ConnId,
        exchange: Exchange,
        data: mpsc::Sender<Out>,
        ctl: mpsc::UnboundedSender<Ctl>,
    ) {
        self.conns.insert(
            id,
            ConnEntry {
                data,
                ctl,
                exchange,
                keys: HashSet::new(),
            },
        );
    }

    /// Removes a connection and its subscriptions; returns whether it was registered.
    pub(crate) fn unregister(&mut self, id: ConnId) -> bool {
        let Some(entry) = self.conns.remove(&id) else {
            return false;
        };
        for key in entry.keys {
            if let Some(v) = self.subs.get_mut(&key) {
                v.retain(|c| *c != id);
                if v.is_empty() {
                    self.subs.remove(&key);
                }
            }
        }
        true
    }

    /// Removes a connection that cannot keep up and tells it to close.
    pub(crate) fn kick_slow(&mut self, id: ConnId) -> bool {
        let ctl = self.conns.get(&id).map(|e| e.ctl.clone());
        let removed = self.unregister(id);
        if let Some(ctl) = ctl {
            let _ = ctl.send(Ctl::Slow);
        }
        removed
    }

    /// Subscribes a connection to `keys`; with `replay`, queues the buffered frames of those
    /// keys from the last `replay_secs` before source time `now` (in time order) ahead of any
    /// live frame.
    pub(crate) fn subscribe(
        &mut self,
        id: ConnId,
        keys: &[RouteKey],
        replay: bool,
        now: f64,
    ) -> Subscribed {
        let mut out = Subscribed::default();
        let Some(entry) = self.conns.get_mut(&id) else {
            return out;
        };
        let mut batch: Vec<Arc<Frame>> = Vec::new();
        for key in keys {
            if entry.keys.insert(key.clone()) {
                self.subs.entry(key.clone()).or_default().push(id);
                out.added += 1;
            }
            if replay && let Some(buf) = self.buffers.get(key) {
                let oldest = now - self.replay_secs;
                batch.extend(buf.iter().filter(|f| f.ts >= oldest).cloned());
            }
        }
        if !batch.is_empty() {
            batch.sort_by(|a, b| a.ts.total_cmp(&b.ts));
            out.replayed = batch.len();
            if entry.data.try_send(Out::Replay(batch)).is_err() {
                out.overflow = true;
                out.replayed = 0;
            }
        }
        out
    }

    /// Removes subscriptions; returns how many existed.
    pub(crate) fn unsubscribe(&mut self, id: ConnId, keys: &[RouteKey]) -> usize {
        let Some(entry) = self.conns.get_mut(&id) else {
            return 0;
        };
        let mut n = 0;
        for key in keys {
            if entry.keys.remove(key) {
                n += 1;
                if let Some(v) = self.subs.get_mut(key) {
                    v.retain(|c| *c != id);
                    if v.is_empty() {
                        self.subs.remove(key);
                    }
                }
            }
        }
        n
    }

    /// Number of (connection, key) subscriptions now.
    pub(crate) fn active_subscriptions(&self) -> usize {
        self.subs.values().map(Vec::len).sum()
    }

    /// The control queues of every connection of an exchange.
    pub(crate) fn ctl_of(&self, exchange: Exchange) -> Vec<mpsc::UnboundedSender<Ctl>> {
        self.conns
            .values()
            .filter(|e| e.exchange == exchange)
            .map(|e| e.ctl.clone())
            .collect()
    }

    /// Arms the skip-depth fault: the next depth diff of `instrument` is dropped.
    pub(crate) fn skip_next_depth(&mut self, exchange: Exchange, instrument: &str) {
        self.skip_depth.insert((exchange, instrument.to_owned()));
    }

    /// Buffers a message and returns where it goes; `None` when the skip-depth fault ate it.
    pub(crate) fn route(&mut self, msg: &WireMsg) -> Option<Delivery> {
        if !self.skip_depth.is_empty()
            && msg.stream == StreamKind::Depth
            && is_depth_diff(msg)
            && self
                .skip_depth
                .remove(&(msg.exchange, msg.instrument.clone()))
        {
            return None;
        }
        let frame = Arc::new(make_frame(msg));
        let key = RouteKey {
            exchange: msg.exchange,
            market: msg.market,
            topic: msg.topic.clone(),
        };
        if self.replay_secs > 0.0 && self.replay_max > 0 {
            let buf = self.buffers.entry(key.clone()).or_default();
            buf.push_back(frame.clone());
            let oldest = msg.ts - self.replay_secs;
            while buf.len() > self.replay_max || buf.front().is_some_and(|f| f.ts < oldest) {
                buf.pop_front();
            }
        }
        let targets = self
            .subs
            .get(&key)
            .map(|ids| {
                ids.iter()
                    .filter_map(|id| self.conns.get(id).map(|e| (*id, e.data.clone())))
                    .collect()
            })
            .unwrap_or_default();
        Some((frame, targets))
    }
}

/// Builds the frame texts of a message.
fn make_frame(msg: &WireMsg) -> Frame {
    let raw = Utf8Bytes::from(msg.payload.clone());
    let wrapped = if msg.exchange == Exchange::Binance {
        // Combined streams wrap the event: {"stream":"<streamName>","data":<rawPayload>}
        // (Binance USD-M "WebSocket Market Streams", combined streams).
        let stream = serde_json::to_string(&msg.topic).unwrap_or_else(|_| "\"\"".to_owned());
        Utf8Bytes::from(format!("{{\"stream\":{stream},\"data\":{}}}", msg.payload))
    } else {
        raw.clone()
    };
    Frame {
        ts: msg.ts,
        raw,
        wrapped,
    }
}

/// Whether a depth message is an incremental diff (not a snapshot): every Binance depth stream
/// event is a diff; Bybit marks `"type":"delta"`, OKX `"action":"update"`.
fn is_depth_diff(msg: &WireMsg) -> bool {
    match msg.exchange {
        Exchange::Binance => true,
        Exchange::Bybit | Exchange::Okx => {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(&msg.payload) else {
                return false;
            };
            match msg.exchange {
                Exchange::Bybit => v.get("type").and_then(|t| t.as_str()) == Some("delta"),
                _ => v.get("action").and_then(|t| t.as_str()) == Some("update"),
            }
        }
    }
}
