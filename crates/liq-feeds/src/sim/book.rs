//! A simulated order book: price levels in whole ticks and sizes in whole lots around the
//! exchange's mid. Each update re-centres the book on the mid (levels the new spread crosses
//! are removed, the best levels are set), drops levels beyond its band, changes a few random
//! levels (more near the top), and tops the book up; it reports every level it touched with
//! the level's final size (0 = deleted), which is exactly an exchange's diff.

use std::collections::BTreeMap;

use super::rng::Rng;

/// One resting level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lvl {
    /// Size in lots.
    pub lots: i64,
    /// Number of orders (OKX reports it).
    pub orders: u32,
}

/// One level of a diff (`lots == 0` deletes it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Change {
    /// Bid side.
    pub bid: bool,
    /// Price in ticks.
    pub px: i64,
    /// Level after the update.
    pub lvl: Lvl,
}

/// The book of one instrument.
#[derive(Clone, Debug)]
pub struct SimBook {
    /// Bids by price (ticks).
    pub bids: BTreeMap<i64, Lvl>,
    /// Asks by price (ticks).
    pub asks: BTreeMap<i64, Lvl>,
    cap: usize,
    band_frac: f64,
    band: i64,
    touched: Vec<(bool, i64)>,
}

impl SimBook {
    /// An empty book with at most `cap` levels per side, spread over `band_frac` of the price
    /// on each side (log-uniformly: dense near the top, sparse far away).
    pub fn new(cap: usize, band_frac: f64) -> Self {
        let cap = cap.max(2);
        SimBook {
            bids: BTreeMap::new(),
            asks: BTreeMap::new(),
            cap,
            band_frac: band_frac.clamp(0.0, 0.5),
            band: 2 * cap as i64,
            touched: Vec::new(),
        }
    }

    /// A distance from the best level in `0..=band` ticks, log-uniform.
    fn distance(&self, rng: &mut Rng) -> i64 {
        let d = ((self.band as f64 + 1.0).ln() * rng.f64()).exp().floor() as i64 - 1;
        d.clamp(0, self.band)
    }

    /// Best bid and ask, ticks.
    #[cfg(test)]
    pub fn best(&self) -> Option<(i64, i64)> {
        Some((*self.bids.keys().next_back()?, *self.asks.keys().next()?))
    }

    fn level(rng: &mut Rng, median_lots: f64, depth_frac: f64) -> Lvl {
        let lots = rng
            .lognormal(median_lots * (1.0 + 2.0 * depth_frac), 1.0)
            .round()
            .clamp(1.0, 1e15) as i64;
        let orders = 1 + rng.below(1 + (lots as f64).sqrt().min(40.0) as u64) as u32;
        Lvl { lots, orders }
    }

    fn set(&mut self, bid: bool, px: i64, lvl: Option<Lvl>) {
        let side = if bid { &mut self.bids } else { &mut self.asks };
        match lvl {
            Some(l) => {
                side.insert(px, l);
            }
            None => {
                side.remove(&px);
            }
        }
        self.touched.push((bid, px));
    }

    /// Moves the book to `center` (the mid, in ticks) and churns it; appends the diff to `out`
    /// (bids best first, then asks best first). `median_lots` scales the level sizes.
    pub fn update(
        &mut self,
        center: f64,
        median_lots: f64,
        churn: usize,
        rng: &mut Rng,
        out: &mut Vec<Change>,
    ) {
        self.touched.clear();
        self.band = ((self.band_frac * center) as i64).max(2 * self.cap as i64);
        let spread = if rng.chance(0.85) { 1 } else { 2 };
        // The mid lies inside the spread: best bid <= centre < best ask.
        let best_ask = center.floor() as i64 + 1;
        let best_bid = best_ask - spread;
        // Levels the new spread crosses.
        let crossed_bids: Vec<i64> = self.bids.range(best_bid + 1..).map(|(p, _)| *p).collect();
        for p in crossed_bids {
            self.set(true, p, None);
        }
        let crossed_asks: Vec<i64> = self.asks.range(..best_ask).map(|(p, _)| *p).collect();
        for p in crossed_asks {
            self.set(false, p, None);
        }
        // Levels beyond the band.
        let far_bids: Vec<i64> = self
            .bids
            .range(..best_bid - self.band)
            .map(|(p, _)| *p)
            .collect();
        for p in far_bids {
            self.set(true, p, None);
        }
        let far_asks: Vec<i64> = self
            .asks
            .range(best_ask + self.band + 1..)
            .map(|(p, _)| *p)
            .collect();
        for p in far_asks {
            self.set(false, p, None);
        }
        // The best levels.
        if !self.bids.contains_key(&best_bid) {
            let l = Self::level(rng, median_lots, 0.0);
            self.set(true, best_bid, Some(l));
        }
        if !self.asks.contains_key(&best_ask) {
            let l = Self::level(rng, median_lots, 0.0);
            self.set(false, best_ask, Some(l));
        }
        // Churn, concentrated near the top.
        for _ in 0..churn {
            let bid = rng.chance(0.5);
            let d = self.distance(rng);
            let (px, len) = if bid {
                (best_bid - d, self.bids.len())
            } else {
                (best_ask + d, self.asks.len())
            };
            let side = if bid { &self.bids } else { &self.asks };
            let exists = side.contains_key(&px);
            let frac = d as f64 / self.band as f64;
            if exists && d > 0 && rng.chance(0.3) {
                self.set(bid, px, None);
            } else if exists || len < self.cap {
                let l = Self::level(rng, median_lots, frac);
                self.set(bid, px, Some(l));
            }
        }
        // Top up to about 90 % of the cap, then trim to the cap.
        for bid in [true, false] {
            let mut tries = 0;
            while self.side_len(bid) < self.cap * 9 / 10 && tries < 4 * self.cap {
                tries += 1;
                let d = self.distance(rng).max(1);
                let px = if bid { best_bid - d } else { best_ask + d };
                let side = if bid { &self.bids } else { &self.asks };
                if !side.contains_key(&px) {
                    let l = Self::level(rng, median_lots, d as f64 / self.band as f64);
                    self.set(bid, px, Some(l));
                }
            }
            while self.side_len(bid) > self.cap {
                let deepest = if bid {
                    self.bids.keys().next().copied()
                } else {
                    self.asks.keys().next_back().copied()
                };
                if let Some(p) = deepest {
                    self.set(bid, p, None);
                }
            }
        }
        // The diff: each touched level once, with its final size.
        self.touched.sort_unstable_by(|a, b| {
            b.0.cmp(&a.0)
                .then(if a.0 { b.1.cmp(&a.1) } else { a.1.cmp(&b.1) })
        });
        self.touched.dedup();
        for &(bid, px) in &self.touched {
            let side = if bid { &self.bids } else { &self.asks };
            let lvl = side.get(&px).copied().unwrap_or(Lvl { lots: 0, orders: 0 });
            out.push(Change { bid, px, lvl });
        }
    }

    fn side_len(&self, bid: bool) -> usize {
        if bid {
            self.bids.len()
        } else {
            self.asks.len()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diffs_rebuild_the_book_and_it_never_crosses() {
        let mut rng = Rng::new(9, 9);
        let mut book = SimBook::new(50, 0.01);
        let mut mirror = SimBook::new(50, 0.01);
        let mut center = 10_000.0;
        let mut out = Vec::new();
        for i in 0..2_000 {
            center += rng.normal() * if i % 100 == 0 { 400.0 } else { 3.0 };
            out.clear();
            book.update(center, 20.0, 6, &mut rng, &mut out);
            for c in &out {
                let side = if c.bid {
                    &mut mirror.bids
                } else {
                    &mut mirror.asks
                };
                if c.lvl.lots == 0 {
                    side.remove(&c.px);
                } else {
                    side.insert(c.px, c.lvl);
                }
            }
            assert_eq!(mirror.bids, book.bids);
            assert_eq!(mirror.asks, book.asks);
            let (b, a) = book.best().unwrap();
            assert!(b < a);
            assert!(book.bids.len() <= 50 && book.asks.len() <= 50);
            assert!((b as f64) <= center && (a as f64) >= center);
        }
    }
}
