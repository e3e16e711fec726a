//! De-duplication of re-sent liquidations (DECISIONS.md, feeds 4).
//!
//! OKX may re-send the latest order per contract when a connection is re-established; a
//! liquidation is a duplicate when `(exchange, instrument, exchange time, price, size, side)`
//! equals one seen within the window. Events without an exchange time are never de-duplicated.

use std::collections::{HashSet, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};

use crate::event::{Exchange, Side};
use crate::hash::fnv1a;

/// Seconds of exchange time a liquidation is remembered for.
pub const DEDUP_WINDOW_SECS: f64 = 10.0;
const MAX_ENTRIES: usize = 4096;

/// Hasher for keys that are already well-mixed 64-bit fingerprints.
#[derive(Default)]
struct Identity(u64);

impl Hasher for Identity {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) | u64::from(*b);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

/// splitmix64 finalizer: spreads every input bit over the output.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// 64-bit fingerprint of `(exchange, instrument, time, price, size, side)`; a collision between
/// two different liquidations inside one window is practically impossible (p ~ n^2 / 2^64).
fn fingerprint(
    exchange: Exchange,
    instrument: &str,
    ts_ms: i64,
    price: f64,
    qty: f64,
    side: Side,
) -> u64 {
    // Mix after every component, so that no two components can cancel each other out.
    let mut h = mix(fnv1a(instrument) ^ ((exchange as u64) << 1 | side as u64));
    for v in [ts_ms as u64, price.to_bits(), qty.to_bits()] {
        h = mix(h ^ v);
    }
    h
}

/// A short window of recently seen liquidations.
#[derive(Debug, Default)]
pub struct LiquidationDedup {
    order: VecDeque<(f64, u64)>,
    seen: HashSet<u64, BuildHasherDefault<Identity>>,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Identity")
    }
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
        while let Some(&(t, k)) = self.order.front() {
            if t < ts - DEDUP_WINDOW_SECS || self.order.len() >= MAX_ENTRIES {
                self.order.pop_front();
                self.seen.remove(&k);
            } else {
                break;
            }
        }
        let key = fingerprint(exchange, instrument, ts_ms, price, qty, side);
        if !self.seen.insert(key) {
            return true;
        }
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
