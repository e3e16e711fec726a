//! Per-connection counters and state, shared between the connection task and readers
//! (status, dashboard) through atomics.

use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};

use liq_core::event::Exchange;
use liq_core::normalize::StreamKind;
use serde::Serialize;

/// The state of one connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ConnState {
    /// Dialling or subscribing.
    Connecting,
    /// Connected and receiving.
    Live,
    /// Connected but silent for longer than the stale threshold.
    Stale,
    /// Disconnected, waiting to reconnect (or shut down).
    Down,
}

impl ConnState {
    fn from_u8(v: u8) -> Self {
        match v {
            0 => ConnState::Connecting,
            1 => ConnState::Live,
            2 => ConnState::Stale,
            _ => ConnState::Down,
        }
    }

    fn as_u8(self) -> u8 {
        match self {
            ConnState::Connecting => 0,
            ConnState::Live => 1,
            ConnState::Stale => 2,
            ConnState::Down => 3,
        }
    }

    /// Upper-case name (`LIVE`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ConnState::Connecting => "CONNECTING",
            ConnState::Live => "LIVE",
            ConnState::Stale => "STALE",
            ConnState::Down => "DOWN",
        }
    }
}

/// Live counters of one connection (or REST poller).
#[derive(Debug)]
pub struct ConnStats {
    /// Exchange.
    pub exchange: Exchange,
    /// Connection name, e.g. `binance-market-0`.
    pub name: String,
    state: AtomicU8,
    messages: AtomicU64,
    bytes: AtomicU64,
    parse_errors: AtomicU64,
    reconnects: AtomicU64,
    gaps: AtomicU64,
    subscribe_errors: AtomicU64,
    pings_sent: AtomicU64,
    pings_received: AtomicU64,
    last_message_ts: AtomicU64,
    last_by_stream: [AtomicU64; StreamKind::ALL.len()],
}

fn stream_slot(kind: StreamKind) -> usize {
    StreamKind::ALL
        .iter()
        .position(|k| *k == kind)
        .unwrap_or(StreamKind::ALL.len() - 1)
}

/// A copy of [`ConnStats`] at one moment.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConnSnapshot {
    /// Exchange.
    pub exchange: Exchange,
    /// Connection name.
    pub name: String,
    /// State.
    pub state: ConnState,
    /// Text (or REST) messages received.
    pub messages: u64,
    /// Payload bytes received.
    pub bytes: u64,
    /// Messages that were not valid JSON (skipped).
    pub parse_errors: u64,
    /// Reconnects (or failed polls for a REST poller).
    pub reconnects: u64,
    /// Gap events sent.
    pub gaps: u64,
    /// Rejected subscriptions (or REST error answers).
    pub subscribe_errors: u64,
    /// Heartbeats sent (application or protocol pings).
    pub pings_sent: u64,
    /// Server pings answered.
    pub pings_received: u64,
    /// Receive time of the last message, Unix s (`None` before the first).
    pub last_message_ts: Option<f64>,
}

impl ConnStats {
    /// Fresh counters in state `Down`.
    pub fn new(exchange: Exchange, name: impl Into<String>) -> Self {
        ConnStats {
            exchange,
            name: name.into(),
            state: AtomicU8::new(ConnState::Down.as_u8()),
            messages: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            parse_errors: AtomicU64::new(0),
            reconnects: AtomicU64::new(0),
            gaps: AtomicU64::new(0),
            subscribe_errors: AtomicU64::new(0),
            pings_sent: AtomicU64::new(0),
            pings_received: AtomicU64::new(0),
            last_message_ts: AtomicU64::new(0),
            last_by_stream: Default::default(),
        }
    }

    /// The current state.
    pub fn state(&self) -> ConnState {
        ConnState::from_u8(self.state.load(Ordering::Relaxed))
    }

    /// Sets the state; returns the previous one.
    pub fn set_state(&self, s: ConnState) -> ConnState {
        ConnState::from_u8(self.state.swap(s.as_u8(), Ordering::Relaxed))
    }

    /// Counts one received message of `len` bytes at `ts`.
    pub fn on_message(&self, len: usize, ts: f64) {
        self.messages.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(len as u64, Ordering::Relaxed);
        self.last_message_ts.store(ts.to_bits(), Ordering::Relaxed);
    }

    /// Records the receive time of a data message of `kind`.
    pub fn on_stream(&self, kind: StreamKind, ts: f64) {
        self.last_by_stream[stream_slot(kind)].store(ts.to_bits(), Ordering::Relaxed);
    }

    /// Receive time of the last data message of `kind`.
    pub fn last_stream_ts(&self, kind: StreamKind) -> Option<f64> {
        let bits = self.last_by_stream[stream_slot(kind)].load(Ordering::Relaxed);
        (bits != 0).then(|| f64::from_bits(bits))
    }

    /// Counts a message that was not JSON.
    pub fn on_parse_error(&self) {
        self.parse_errors.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a reconnect.
    pub fn on_reconnect(&self) {
        self.reconnects.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a gap event.
    pub fn on_gap(&self) {
        self.gaps.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a rejected subscription or an error answer.
    pub fn on_subscribe_error(&self) {
        self.subscribe_errors.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a heartbeat sent.
    pub fn on_ping_sent(&self) {
        self.pings_sent.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a server ping received (and answered).
    pub fn on_ping_received(&self) {
        self.pings_received.fetch_add(1, Ordering::Relaxed);
    }

    /// Receive time of the last message.
    pub fn last_message_ts(&self) -> Option<f64> {
        let bits = self.last_message_ts.load(Ordering::Relaxed);
        (bits != 0).then(|| f64::from_bits(bits))
    }

    /// A consistent-enough copy of every counter.
    pub fn snapshot(&self) -> ConnSnapshot {
        let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
        ConnSnapshot {
            exchange: self.exchange,
            name: self.name.clone(),
            state: self.state(),
            messages: l(&self.messages),
            bytes: l(&self.bytes),
            parse_errors: l(&self.parse_errors),
            reconnects: l(&self.reconnects),
            gaps: l(&self.gaps),
            subscribe_errors: l(&self.subscribe_errors),
            pings_sent: l(&self.pings_sent),
            pings_received: l(&self.pings_received),
            last_message_ts: self.last_message_ts(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_and_state_round_trip() {
        let s = ConnStats::new(Exchange::Okx, "okx-0");
        assert_eq!(s.state(), ConnState::Down);
        assert_eq!(s.set_state(ConnState::Live), ConnState::Down);
        s.on_message(10, 1.5);
        s.on_message(5, 2.5);
        s.on_parse_error();
        s.on_reconnect();
        let snap = s.snapshot();
        assert_eq!(snap.state, ConnState::Live);
        assert_eq!((snap.messages, snap.bytes), (2, 15));
        assert_eq!((snap.parse_errors, snap.reconnects), (1, 1));
        assert_eq!(snap.last_message_ts, Some(2.5));
        let j = serde_json::to_string(&snap.state).unwrap();
        assert_eq!(j, "\"LIVE\"");
    }
}
