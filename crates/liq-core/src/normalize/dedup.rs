//! De-duplication of re-sent liquidations (DECISIONS.md, feeds 4).
//!
//! OKX may re-send the latest order per contract when a connection is re-established; a
//! liquidation is a duplicate when `(exchange, instrument, exchange time, price, size, side)`
//! equals one seen within the window. Events without an exchange time are never de-duplicated.

use crate::event::{Exchange, Side};
use crate::hash::{FnvBuild, fnv1a};
use std::collections::{HashSet, VecDeque};

/// Seconds of exchange time a liquidation is remembered for.
pub const DEDUP_WINDOW_SECS: f64 = 10.0;
const MAX_ENTRIES: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    exchange: Exchange,
    /// FNV-1a of the instrument id.
    instrument: u64,
    ts_ms: i64,
    price: u64,
    qty: u64,
    side: Side,
}

/// A short window of recently seen liquidations.
#[derive(Debug, Default)]
pub struct LiquidationDedup {
    order: VecDeque<(f64, Key)>,
    seen: HashSet<Key, FnvBuild>,
}

impl LiquidationDedup {
    /// Records the liquidation and tells whether it was already seen within the window.
    #[allow(clippy::too_many_arguments)]
    pub fn is_duplicate(
        &mut self,
        exchange: Exchange,
        instrument: &str,
        ts_ms: Option<i64>,
        ts: f64,
        price: f64,
        qty: f64,
        side: Side,
    ) -> bool {
        let Some(ts_ms) = ts_ms else {
            return false;
        };
        while let Some((t, _)) = self.order.front() {
            if *t < ts - DEDUP_WINDOW_SECS || self.order.len() >= MAX_ENTRIES {
                if let Some((_, k)) = self.order.pop_front() {
                    self.seen.remove(&k);
                }
            } else {
                break;
            }
        }
        let key = Key {
            exchange,
            instrument: fnv1a(instrument),
            ts_ms,
            price: price.to_bits(),
            qty: qty.to_bits(),
            side,
        };
        if self.seen.contains(&key) {
            return true;
        }
        self.seen.insert(key);
        self.order.push_back((ts, key));
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_order_twice_is_a_duplicate_within_the_window_only() {
        let mut d = LiquidationDedup::default();
        let id = "BTC-USDT-SWAP";
        let ex = Exchange::Okx;
        assert!(!d.is_duplicate(ex, id, Some(1000), 1.0, 65000.0, 0.12, Side::Long));
        assert!(d.is_duplicate(ex, id, Some(1000), 1.0, 65000.0, 0.12, Side::Long));
        assert!(!d.is_duplicate(ex, id, Some(1000), 1.0, 65000.0, 0.12, Side::Short));
        assert!(!d.is_duplicate(ex, id, Some(1001), 1.001, 65000.0, 0.12, Side::Long));
        assert!(!d.is_duplicate(ex, id, None, 1.0, 65000.0, 0.12, Side::Long));
        assert!(!d.is_duplicate(ex, id, None, 1.0, 65000.0, 0.12, Side::Long));
        // After the window, the first order is forgotten.
        assert!(!d.is_duplicate(ex, id, Some(30000), 30.0, 1.0, 1.0, Side::Long));
        assert!(!d.is_duplicate(ex, id, Some(1000), 1.0, 65000.0, 0.12, Side::Long));
    }
}
