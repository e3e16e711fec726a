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

/// The file a viewer writes each minute for readers (`api-only`): the `/oi` body.
pub fn oi_file_name(symbol: &str) -> String {
    format!("oi_snapshot_{symbol}.json")
}

/// The `/oi` body of `snap` (also the file's content).
pub fn encode_oi(symbol: &str, snap: &OiSnapshot) -> Vec<u8> {
    crate::json::to_json(&OiBody { symbol, snap }).unwrap_or_default()
}

/// Reads an OI file's body back (`None`: not an OI body); unknown exchanges are skipped.
pub fn parse_oi(bytes: &[u8]) -> Option<OiSnapshot> {
    #[derive(serde::Deserialize)]
    struct Body {
        per_exchange: indexmap::IndexMap<String, f64>,
        ts: f64,
    }
    let b: Body = serde_json::from_slice(bytes).ok()?;
    let per_exchange = b
        .per_exchange
        .into_iter()
        .filter_map(|(k, v)| {
            liq_core::event::Exchange::ALL
                .iter()
                .find(|e| e.as_str() == k)
                .map(|e| (e.as_str(), v))
        })
        .collect();
    Some(OiSnapshot {
        per_exchange,
        ts: b.ts,
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_reads_back() {
        let s = OiSnapshot {
            per_exchange: vec![("binance", 80000.5), ("okx", 52653.571)],
            ts: 1772245195.5,
        };
        let bytes = encode_oi("BTC", &s);
        assert_eq!(
            String::from_utf8(bytes.clone()).unwrap(),
            r#"{"symbol":"BTC","aggregated_oi":132654.071,"per_exchange":{"binance":80000.5,"okx":52653.571},"ts":1772245195.5}"#
        );
        assert_eq!(parse_oi(&bytes), Some(s));
        assert_eq!(parse_oi(b"[]"), None);
    }
}
