//! The open-interest snapshot `/oi` serves (api.md 5.2): per exchange, base-asset units.

use serde::Serialize;
use serde::ser::SerializeMap;

/// One symbol's open interest as the poller last saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct OiSnapshot {
    /// Per exchange (`binance`, `bybit`, `okx`, in that order): base-asset units.
    pub per_exchange: Vec<(&'static str, f64)>,
    /// When the snapshot was taken, Unix seconds.
    pub ts: f64,
}

impl OiSnapshot {
    /// The sum over the exchanges.
    pub fn aggregated(&self) -> f64 {
        self.per_exchange.iter().map(|(_, v)| v).sum()
    }
}

/// The `/oi` body: `{"symbol","aggregated_oi","per_exchange","ts"}`.
pub(crate) struct OiBody<'a> {
    pub symbol: &'a str,
    pub snap: &'a OiSnapshot,
}

struct PerExchange<'a>(&'a [(&'static str, f64)]);

impl Serialize for PerExchange<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl Serialize for OiBody<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(4))?;
        m.serialize_entry("symbol", self.symbol)?;
        m.serialize_entry("aggregated_oi", &self.snap.aggregated())?;
        m.serialize_entry("per_exchange", &PerExchange(&self.snap.per_exchange))?;
        m.serialize_entry("ts", &self.snap.ts)?;
        m.end()
    }
}
