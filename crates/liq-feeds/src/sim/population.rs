//! The population of modelled leveraged positions: opened at the ladder's leverages on both
//! sides, closed after a random holding time, liquidated when the exchange's mark price
//! crosses their liquidation price (isolated margin: `entry * (1 - 1/L + mmr)` for a long,
//! `entry * (1 + 1/L - mmr)` for a short). Each (symbol, exchange, side) keeps its positions
//! ordered by liquidation price, so a step checks only the positions the mark crossed.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap};

/// Maintenance margin rate of a leverage tier (0.4 % as Binance's first BTC tier, lower for
/// tiers where that would exceed the initial margin).
pub fn mmr(leverage: u32) -> f64 {
    (0.4 / f64::from(leverage)).min(0.004)
}

/// Liquidation price of an isolated position.
pub fn liquidation_price(entry: f64, long: bool, leverage: u32) -> f64 {
    let off = 1.0 / f64::from(leverage) - mmr(leverage);
    if long {
        entry * (1.0 - off)
    } else {
        entry * (1.0 + off)
    }
}

/// Bankruptcy price (margin exhausted): `entry * (1 -/+ 1/L)`.
pub fn bankruptcy_price(entry: f64, long: bool, leverage: u32) -> f64 {
    let off = 1.0 / f64::from(leverage);
    if long {
        entry * (1.0 - off)
    } else {
        entry * (1.0 + off)
    }
}

/// One open position.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Position {
    /// Entry price.
    pub entry: f64,
    /// Liquidation price.
    pub liq: f64,
    /// Size, base units.
    pub qty: f64,
    /// Leverage tier.
    pub leverage: u32,
    /// Long (true) or short.
    pub long: bool,
    /// Exchange index (Binance 0, Bybit 1, OKX 2).
    pub ex: u8,
    /// Symbol index.
    pub sym: u16,
    /// Counted among the "top traders" of the ratio endpoints.
    pub top: bool,
}

#[derive(Clone, Copy, Debug)]
struct Slot {
    pos: Position,
    generation: u32,
    alive: bool,
}

/// A liquidated position, as the simulator's own log keeps it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LiquidationRecord {
    /// Time of the liquidation, Unix ms.
    pub ts_ms: i64,
    /// The position.
    pub position: Position,
    /// The mark price that triggered it.
    pub mark: f64,
    /// The mark price at the previous check (the crossing happened in between).
    pub prev_mark: f64,
}

/// Long/short counts of one symbol's positions on Binance (for the ratio endpoints).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RatioCounts {
    /// Accounts long, short.
    pub accounts: [f64; 2],
    /// Top-trader accounts long, short.
    pub top_accounts: [f64; 2],
    /// Top-trader position size long, short (base units).
    pub top_qty: [f64; 2],
}

/// Every modelled position.
#[derive(Debug, Default)]
pub struct Population {
    slots: Vec<Slot>,
    free: Vec<u32>,
    // Per (symbol * 3 + exchange): [longs, shorts] keyed by (liq price bits, slot).
    by_liq: Vec<[BTreeSet<(u64, u32)>; 2]>,
    expiry: BinaryHeap<Reverse<(i64, u32, u32)>>,
    /// Modelled open interest per symbol and exchange, base units.
    pub oi: Vec<[f64; 3]>,
    /// Binance ratio counts per symbol.
    pub ratios: Vec<RatioCounts>,
    /// Positions open now.
    pub open_count: usize,
}

fn side_ix(long: bool) -> usize {
    usize::from(!long)
}

impl Population {
    /// An empty population for `symbols` symbols.
    pub fn new(symbols: usize) -> Self {
        Population {
            by_liq: (0..symbols * 3).map(|_| Default::default()).collect(),
            oi: vec![[0.0; 3]; symbols],
            ratios: vec![RatioCounts::default(); symbols],
            ..Default::default()
        }
    }

    fn account(&mut self, p: &Position, sign: f64) {
        let oi = &mut self.oi[usize::from(p.sym)][usize::from(p.ex)];
        *oi = (*oi + sign * p.qty).max(0.0);
        if p.ex == 0 {
            let r = &mut self.ratios[usize::from(p.sym)];
            let s = side_ix(p.long);
            r.accounts[s] += sign;
            if p.top {
                r.top_accounts[s] += sign;
                r.top_qty[s] = (r.top_qty[s] + sign * p.qty).max(0.0);
            }
        }
    }

    /// Opens a position that closes by itself at `expires_ms` unless liquidated first.
    pub fn open(&mut self, pos: Position, expires_ms: i64) {
        let (ix, generation) = match self.free.pop() {
            Some(ix) => {
                let s = &mut self.slots[ix as usize];
                s.generation = s.generation.wrapping_add(1);
                s.pos = pos;
                s.alive = true;
                (ix, s.generation)
            }
            None => {
                self.slots.push(Slot {
                    pos,
                    generation: 0,
                    alive: true,
                });
                ((self.slots.len() - 1) as u32, 0)
            }
        };
        let key = usize::from(pos.sym) * 3 + usize::from(pos.ex);
        self.by_liq[key][side_ix(pos.long)].insert((pos.liq.to_bits(), ix));
        self.expiry.push(Reverse((expires_ms, ix, generation)));
        self.account(&pos, 1.0);
        self.open_count += 1;
    }

    fn remove(&mut self, ix: u32) -> Position {
        let s = &mut self.slots[ix as usize];
        s.alive = false;
        let pos = s.pos;
        let key = usize::from(pos.sym) * 3 + usize::from(pos.ex);
        self.by_liq[key][side_ix(pos.long)].remove(&(pos.liq.to_bits(), ix));
        self.free.push(ix);
        self.account(&pos, -1.0);
        self.open_count -= 1;
        pos
    }

    /// Closes the positions whose holding time ended at or before `now_ms`; returns how many.
    pub fn expire(&mut self, now_ms: i64) -> usize {
        let mut n = 0;
        while let Some(Reverse((t, ix, generation))) = self.expiry.peek().copied() {
            if t > now_ms {
                break;
            }
            self.expiry.pop();
            let s = self.slots[ix as usize];
            if s.alive && s.generation == generation {
                self.remove(ix);
                n += 1;
            }
        }
        n
    }

    /// Liquidates the positions of (`sym`, `ex`) whose liquidation price `mark` crossed:
    /// longs with `liq >= mark`, shorts with `liq <= mark`. Appends them to `out`.
    pub fn liquidate(&mut self, sym: usize, ex: usize, mark: f64, out: &mut Vec<Position>) {
        let key = sym * 3 + ex;
        while let Some(&(bits, ix)) = self.by_liq[key][0].last() {
            if f64::from_bits(bits) < mark {
                break;
            }
            out.push(self.remove(ix));
        }
        while let Some(&(bits, ix)) = self.by_liq[key][1].first() {
            if f64::from_bits(bits) > mark {
                break;
            }
            out.push(self.remove(ix));
        }
    }

    /// Positions of (`sym`, `ex`) whose liquidation price `mark` has crossed (0 after a check).
    pub fn crossed(&self, sym: usize, ex: usize, mark: f64) -> usize {
        let key = sym * 3 + ex;
        let longs = self.by_liq[key][0]
            .iter()
            .rev()
            .take_while(|(b, _)| f64::from_bits(*b) >= mark)
            .count();
        let shorts = self.by_liq[key][1]
            .iter()
            .take_while(|(b, _)| f64::from_bits(*b) <= mark)
            .count();
        longs + shorts
    }

    /// Open positions of (`sym`, `ex`), longs then shorts, ordered by liquidation price.
    pub fn positions(&self, sym: usize, ex: usize) -> impl Iterator<Item = &Position> + '_ {
        let key = sym * 3 + ex;
        self.by_liq[key]
            .iter()
            .flat_map(|set| set.iter())
            .map(|(_, ix)| &self.slots[*ix as usize].pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(entry: f64, long: bool, leverage: u32) -> Position {
        Position {
            entry,
            liq: liquidation_price(entry, long, leverage),
            qty: 1.0,
            leverage,
            long,
            ex: 0,
            sym: 0,
            top: true,
        }
    }

    #[test]
    fn liquidation_prices_follow_isolated_margin() {
        let l = liquidation_price(100_000.0, true, 50);
        assert!((l - 100_000.0 * (1.0 - 0.02 + 0.004)).abs() < 1e-6);
        let s = liquidation_price(100_000.0, false, 125);
        assert!((s - 100_000.0 * (1.0 + 0.008 - 0.0032)).abs() < 1e-6);
        for lev in [10, 20, 25, 50, 75, 100, 125] {
            assert!(liquidation_price(1.0, true, lev) < 1.0);
            assert!(liquidation_price(1.0, false, lev) > 1.0);
            assert!(bankruptcy_price(1.0, true, lev) < liquidation_price(1.0, true, lev));
        }
    }

    #[test]
    fn only_crossed_positions_are_liquidated_and_expiry_skips_them() {
        let mut p = Population::new(1);
        p.open(pos(100.0, true, 50), 1_000); // liq 98.4
        p.open(pos(100.0, true, 20), 5_000); // liq 95.4
        p.open(pos(100.0, false, 50), 1_000); // liq 101.6
        assert_eq!(p.oi[0][0], 3.0);
        assert_eq!(p.ratios[0].accounts, [2.0, 1.0]);
        let mut out = Vec::new();
        p.liquidate(0, 0, 99.0, &mut out);
        assert!(out.is_empty());
        assert_eq!(p.crossed(0, 0, 98.0), 1);
        p.liquidate(0, 0, 98.0, &mut out);
        assert_eq!(out.len(), 1);
        assert!(out[0].long && out[0].leverage == 50);
        assert_eq!(p.crossed(0, 0, 98.0), 0);
        // The liquidated long's expiry is skipped; the short expires.
        assert_eq!(p.expire(1_000), 1);
        assert_eq!(p.open_count, 1);
        assert_eq!(p.oi[0][0], 1.0);
        // A reused slot is not closed by the old generation's expiry.
        p.open(pos(100.0, false, 25), 9_000);
        assert_eq!(p.expire(5_000), 1);
        assert_eq!(p.open_count, 1);
        assert_eq!(p.positions(0, 0).count(), 1);
    }
}
