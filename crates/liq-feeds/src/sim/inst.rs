//! Per-instrument state: identity, formats, the book and its sequence numbers, trade ids, the
//! liquidations waiting for their feed's push window, open-interest history and 24-hour stats.

use std::collections::VecDeque;

use liq_core::event::Exchange;

use super::book::{Lvl, SimBook};
use super::config::InstrumentFormat;
use super::fmt::push_dec;

/// A trade to print.
#[derive(Clone, Copy, Debug)]
pub struct TradeOut {
    /// Trade time, ms.
    pub ts: i64,
    /// Instrument index.
    pub inst: usize,
    /// Price, ticks.
    pub px: i64,
    /// Size, lots.
    pub lots: i64,
    /// Taker bought.
    pub buy: bool,
}

/// A liquidation waiting for its feed's push window.
#[derive(Clone, Copy, Debug)]
pub struct LiqOut {
    /// Liquidation time, ms.
    pub ts: i64,
    /// A long position was liquidated.
    pub long: bool,
    /// Size, lots.
    pub lots: i64,
    /// Bankruptcy price, ticks.
    pub bankrupt: i64,
    /// Average fill price, ticks.
    pub fill: i64,
}

/// One minute of a rolling 24-hour window.
#[derive(Clone, Copy, Debug)]
pub struct MinuteStat {
    /// Minute start, ms.
    pub start: i64,
    /// First, high, low, last trade price (ticks).
    pub open: i64,
    /// High.
    pub high: i64,
    /// Low.
    pub low: i64,
    /// Volume, base units.
    pub volume: f64,
    /// Turnover, USD.
    pub turnover: f64,
}

/// The subscription keys of one instrument (wire.rs naming).
#[derive(Clone, Debug)]
pub struct Topics {
    /// Trades.
    pub trades: String,
    /// Depth.
    pub depth: String,
    /// Binance mark price or Bybit tickers.
    pub mark: String,
    /// OKX open interest.
    pub oi: String,
    /// OKX funding rate.
    pub funding: String,
    /// Liquidations.
    pub liq: String,
}

/// State of one simulated instrument.
#[derive(Clone, Debug)]
pub struct Inst {
    /// Exchange.
    pub ex: Exchange,
    /// Exchange index (Binance 0, Bybit 1, OKX 2).
    pub exi: usize,
    /// Symbol index.
    pub sym: usize,
    /// Instrument id.
    pub id: String,
    /// Formats.
    pub fmt: InstrumentFormat,
    /// Base units per size unit (OKX `ctVal * ctMult`; 1 elsewhere).
    pub ct: f64,
    /// Topics.
    pub topics: Topics,
    /// The book.
    pub book: SimBook,
    /// Median level size, lots.
    pub median_lots: f64,
    /// Binance `u` / Bybit `u` / OKX `seqId` of the last book message.
    pub update_id: i64,
    /// Bybit cross sequence `seq`.
    pub cross_seq: i64,
    /// Last trade id (Binance: of the last aggregate's last fill).
    pub trade_id: u64,
    /// Last aggregate-trade id (Binance).
    pub agg_id: u64,
    /// Last trade price (ticks) and the tick direction (-2..=2, Bybit style).
    pub last_px: i64,
    /// Tick direction: 2 plus, 1 zero-plus, -1 zero-minus, -2 minus.
    pub tick_dir: i8,
    /// Liquidations waiting for the push window.
    pub liq_window: Vec<LiqOut>,
    /// Open interest not carried by modelled positions, base units.
    pub background_oi: f64,
    /// Its long-run level.
    pub background_base: f64,
    /// Open interest every 5 minutes (ms, base units), oldest first, at most 200 points.
    pub oi_hist: VecDeque<(i64, f64)>,
    /// Per-minute stats of the last 24 hours, oldest first.
    pub minutes: VecDeque<MinuteStat>,
}

impl Inst {
    /// Appends a price given in ticks.
    pub fn push_px(&self, s: &mut String, ticks: i64) {
        push_dec(s, ticks * self.fmt.tick, self.fmt.price_dp, self.fmt.trim);
    }

    /// Appends a size given in lots.
    pub fn push_qty(&self, s: &mut String, lots: i64) {
        push_dec(s, lots * self.fmt.lot, self.fmt.qty_dp, self.fmt.trim);
    }

    /// A price in ticks (rounded).
    pub fn ticks(&self, price: f64) -> i64 {
        (price / self.fmt.tick_size()).round().max(1.0) as i64
    }

    /// A price in ticks as a float (for centring the book).
    pub fn ticks_f(&self, price: f64) -> f64 {
        price / self.fmt.tick_size()
    }

    /// Ticks back to a price.
    pub fn price(&self, ticks: i64) -> f64 {
        ticks as f64 * self.fmt.tick_size()
    }

    /// A base quantity in lots (at least one lot).
    pub fn lots(&self, base: f64) -> i64 {
        (base / self.ct / self.fmt.lot_size())
            .round()
            .clamp(1.0, 1e15) as i64
    }

    /// Lots back to base units.
    pub fn base(&self, lots: i64) -> f64 {
        lots as f64 * self.fmt.lot_size() * self.ct
    }

    /// Records a trade in the tick direction and the 24-hour stats.
    pub fn record_trade(&mut self, ts: i64, px: i64, lots: i64) {
        self.tick_dir = match px.cmp(&self.last_px) {
            std::cmp::Ordering::Greater => 2,
            std::cmp::Ordering::Less => -2,
            std::cmp::Ordering::Equal => {
                if self.tick_dir > 0 {
                    1
                } else {
                    -1
                }
            }
        };
        self.last_px = px;
        let base = self.base(lots);
        let usd = base * self.price(px);
        let minute = ts - ts.rem_euclid(60_000);
        match self.minutes.back_mut() {
            Some(m) if m.start == minute => {
                m.high = m.high.max(px);
                m.low = m.low.min(px);
                m.volume += base;
                m.turnover += usd;
            }
            _ => {
                self.minutes.push_back(MinuteStat {
                    start: minute,
                    open: px,
                    high: px,
                    low: px,
                    volume: base,
                    turnover: usd,
                });
                while self
                    .minutes
                    .front()
                    .is_some_and(|m| m.start <= minute - 86_400_000)
                {
                    self.minutes.pop_front();
                }
            }
        }
    }

    /// 24-hour (open, high, low, volume, turnover), from the recorded minutes.
    pub fn stats_24h(&self) -> (i64, i64, i64, f64, f64) {
        let open = self.minutes.front().map_or(self.last_px, |m| m.open);
        let mut hi = self.last_px;
        let mut lo = self.last_px;
        let (mut v, mut t) = (0.0, 0.0);
        for m in &self.minutes {
            hi = hi.max(m.high);
            lo = lo.min(m.low);
            v += m.volume;
            t += m.turnover;
        }
        (open, hi, lo, v, t)
    }

    /// The first price of the minute an hour ago (or the oldest known).
    pub fn price_1h_ago(&self, now: i64) -> i64 {
        self.minutes
            .iter()
            .find(|m| m.start >= now - 3_600_000)
            .map_or(self.last_px, |m| m.open)
    }

    /// Best levels (ticks, level), bids then asks, best first, at most `n` per side.
    pub fn top(&self, n: usize) -> (Levels, Levels) {
        let bids = self
            .book
            .bids
            .iter()
            .rev()
            .take(n)
            .map(|(p, l)| (*p, *l))
            .collect();
        let asks = self
            .book
            .asks
            .iter()
            .take(n)
            .map(|(p, l)| (*p, *l))
            .collect();
        (bids, asks)
    }
}

/// Levels as (price in ticks, level), best first.
pub type Levels = Vec<(i64, Lvl)>;

/// The next funding time after `ts` (every 8 hours from 00:00 UTC), ms.
pub fn next_funding_ms(ts: i64) -> i64 {
    (ts.div_euclid(28_800_000) + 1) * 28_800_000
}
