//! Open interest per symbol and exchange as `/oi` serves it (api.md 5.2): the last value of
//! each exchange, the exchanges whose value is under two minutes old, base units.

use std::collections::HashMap;

use liq_api::OiSnapshot;
use liq_core::event::{EventKind, Exchange, MarketEvent};

/// How long an exchange's last open-interest value counts as current.
pub const OI_FRESH_S: f64 = 120.0;

/// The latest OI per symbol and exchange.
#[derive(Debug, Default)]
pub struct OiBoard {
    rows: HashMap<String, [Option<(f64, f64)>; 3]>,
}

impl OiBoard {
    /// An event: when it is open interest in base units, the symbol's new snapshot.
    pub fn on_event(&mut self, ev: &MarketEvent) -> Option<(String, OiSnapshot)> {
        let (EventKind::OpenInterest(oi), Some(symbol)) = (&ev.kind, ev.symbol.as_deref()) else {
            return None;
        };
        let base = oi.oi_base.filter(|v| v.is_finite() && *v >= 0.0)?;
        let idx = Exchange::ALL.iter().position(|e| *e == ev.exchange)?;
        self.rows.entry(symbol.to_string()).or_default()[idx] = Some((base, ev.receive_ts));
        Some((symbol.to_string(), self.snapshot(symbol, ev.receive_ts)?))
    }

    /// The symbol's snapshot at `now` (`None` before any value or when every one is stale).
    pub fn snapshot(&self, symbol: &str, now: f64) -> Option<OiSnapshot> {
        let row = self.rows.get(symbol)?;
        let per_exchange: Vec<_> = Exchange::ALL
            .iter()
            .zip(row.iter())
            .filter_map(|(e, v)| {
                let (value, at) = (*v)?;
                (now - at <= OI_FRESH_S).then_some((e.as_str(), value))
            })
            .collect();
        let ts = row
            .iter()
            .flatten()
            .map(|(_, t)| *t)
            .fold(f64::MIN, f64::max);
        (!per_exchange.is_empty()).then_some(OiSnapshot { per_exchange, ts })
    }
}
