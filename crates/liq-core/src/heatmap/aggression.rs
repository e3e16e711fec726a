//! Taker aggression per minute (`spec/heatmap.md` 6.6) and the rollover's taker flow (3.2 step 1.3).
//!
//! The reference reads "the previous minute" as whatever minute was archived last, which lags by
//! one minute when the symbol has not traded yet in the new minute (B12, a race).
//! [`TakerAggression::aggregate_for`] addresses the closing minute explicitly instead (the fix);
//! [`TakerAggression::previous_minute_reference`] keeps the racy behaviour for the reference preset.

use std::collections::VecDeque;

/// Completed minutes kept in the history ring.
pub const HISTORY_LEN: usize = 10;

/// Taker notional of one minute.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MinuteAggregate {
    /// Epoch minute the trades were assigned to.
    pub minute_key: i64,
    /// Sum of `price * qty` over taker buys (buyer not maker), USD.
    pub taker_buy_notional: f64,
    /// Sum of `price * qty` over taker sells (buyer is maker), USD.
    pub taker_sell_notional: f64,
    /// Number of trades.
    pub trade_count: u64,
}

impl MinuteAggregate {
    /// An empty aggregate for `minute_key`.
    pub fn new(minute_key: i64) -> Self {
        Self {
            minute_key,
            taker_buy_notional: 0.0,
            taker_sell_notional: 0.0,
            trade_count: 0,
        }
    }

    /// Adds one trade's notional to the sell side if the buyer is maker, else to the buy side.
    fn add(&mut self, notional: f64, is_buyer_maker: bool) {
        if is_buyer_maker {
            self.taker_sell_notional += notional;
        } else {
            self.taker_buy_notional += notional;
        }
        self.trade_count += 1;
    }
}

/// Taker buy/sell USD fed to `on_minute` at a rollover (spec 3.2 step 1.3).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TakerFlow {
    /// Taker buy notional, USD.
    pub buy_usd: f64,
    /// Taker sell notional, USD.
    pub sell_usd: f64,
    /// The aggregate's minute, or the closing minute when the fallback was used.
    pub minute_key: i64,
    /// The aggregate's trade count (0 with the fallback).
    pub trade_count: u64,
    /// True when no aggregate with trades was found and base volumes × src were used.
    pub fallback_used: bool,
}

/// Per-symbol accumulator: the current minute's aggregate plus the last completed minutes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TakerAggression {
    current: Option<MinuteAggregate>,
    history: VecDeque<MinuteAggregate>,
}

impl TakerAggression {
    /// An empty accumulator.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a trade (`notional = price * qty`) to minute `minute_key`: the wall-clock minute at
    /// processing time in reference mode, the exchange-time minute otherwise.
    ///
    /// A later minute archives the current aggregate. An earlier minute (only possible with
    /// exchange time) goes into that minute's archived aggregate, created in minute order if
    /// absent; the reference, fed a monotonic wall clock, never takes that branch.
    pub fn on_trade(&mut self, minute_key: i64, price: f64, qty: f64, is_buyer_maker: bool) {
        let notional = price * qty;
        match &mut self.current {
            Some(cur) if cur.minute_key == minute_key => cur.add(notional, is_buyer_maker),
            Some(cur) if cur.minute_key > minute_key => {
                self.add_late(minute_key, notional, is_buyer_maker)
            }
            current => {
                let mut fresh = MinuteAggregate::new(minute_key);
                fresh.add(notional, is_buyer_maker);
                if let Some(done) = current.replace(fresh) {
                    self.archive(done);
                }
            }
        }
    }

    /// Merges a trade older than the current minute into the history.
    fn add_late(&mut self, minute_key: i64, notional: f64, is_buyer_maker: bool) {
        let pos = self.history.partition_point(|a| a.minute_key < minute_key);
        match self.history.get_mut(pos) {
            Some(agg) if agg.minute_key == minute_key => agg.add(notional, is_buyer_maker),
            _ => {
                let mut agg = MinuteAggregate::new(minute_key);
                agg.add(notional, is_buyer_maker);
                self.history.insert(pos, agg);
                self.trim();
            }
        }
    }

    /// Appends a completed minute to the history ring.
    fn archive(&mut self, done: MinuteAggregate) {
        self.history.push_back(done);
        self.trim();
    }

    /// Drops the oldest minutes beyond [`HISTORY_LEN`].
    fn trim(&mut self) {
        while self.history.len() > HISTORY_LEN {
            self.history.pop_front();
        }
    }

    /// The aggregate of the minute being accumulated, if any trade arrived yet.
    pub fn current(&self) -> Option<&MinuteAggregate> {
        self.current.as_ref()
    }

    /// Completed minutes, oldest first (at most [`HISTORY_LEN`]).
    pub fn history(&self) -> impl DoubleEndedIterator<Item = &MinuteAggregate> + ExactSizeIterator {
        self.history.iter()
    }

    /// The reference's `previous_minute()`: the last archived minute, which lags by one minute
    /// when no trade of the new minute has arrived yet (B12).
    pub fn previous_minute_reference(&self) -> Option<&MinuteAggregate> {
        self.history.back()
    }

    /// The aggregate of exactly `minute_key`, from the history or the current minute (B12 fix).
    pub fn aggregate_for(&self, minute_key: i64) -> Option<MinuteAggregate> {
        self.current
            .iter()
            .chain(self.history.iter().rev())
            .find(|a| a.minute_key == minute_key)
            .copied()
    }

    /// Taker flow for the rollover closing `closing_minute` (= M−1): the aggregate (the last
    /// archived one if `reference_b12`, else exactly `closing_minute`) when it has trades,
    /// otherwise `base_buy_vol * src` and `base_sell_vol * src`.
    pub fn taker_flow_for_rollover(
        &self,
        closing_minute: i64,
        reference_b12: bool,
        base_buy_vol: f64,
        base_sell_vol: f64,
        src: f64,
    ) -> TakerFlow {
        let agg = if reference_b12 {
            self.previous_minute_reference().copied()
        } else {
            self.aggregate_for(closing_minute)
        };
        match agg {
            Some(a) if a.trade_count > 0 => TakerFlow {
                buy_usd: a.taker_buy_notional,
                sell_usd: a.taker_sell_notional,
                minute_key: a.minute_key,
                trade_count: a.trade_count,
                fallback_used: false,
            },
            _ => TakerFlow {
                buy_usd: base_buy_vol * src,
                sell_usd: base_sell_vol * src,
                minute_key: closing_minute,
                trade_count: 0,
                fallback_used: true,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Flow without base volumes, to read which aggregate was picked.
    fn flow(t: &TakerAggression, closing: i64, reference_b12: bool) -> TakerFlow {
        t.taker_flow_for_rollover(closing, reference_b12, 2.0, 3.0, 100.0)
    }

    #[test]
    fn notional_and_side_routing() {
        let mut t = TakerAggression::new();
        t.on_trade(7, 50000.0, 0.5, false);
        t.on_trade(7, 50000.0, 0.25, true);
        t.on_trade(7, 40000.0, 0.25, true);
        let cur = t.current().copied().expect("a current minute");
        assert_eq!(cur.minute_key, 7);
        assert_eq!(cur.taker_buy_notional, 25000.0);
        assert_eq!(cur.taker_sell_notional, 12500.0 + 10000.0);
        assert_eq!(cur.trade_count, 3);
        assert_eq!(t.history().len(), 0);
        assert_eq!(t.previous_minute_reference(), None);
        assert_eq!(t.aggregate_for(7), Some(cur));
    }

    #[test]
    fn history_keeps_ten_minutes() {
        let mut t = TakerAggression::new();
        for m in 0..15 {
            t.on_trade(m, 10.0, 1.0, m % 2 == 0);
        }
        let keys: Vec<i64> = t.history().map(|a| a.minute_key).collect();
        assert_eq!(keys, (4..14).collect::<Vec<_>>());
        assert_eq!(t.current().map(|a| a.minute_key), Some(14));
        assert_eq!(t.aggregate_for(3), None);
        assert_eq!(t.aggregate_for(4).map(|a| a.trade_count), Some(1));
    }

    #[test]
    fn b12_reference_lags_when_the_new_minute_has_no_trade_yet() {
        let mut t = TakerAggression::new();
        t.on_trade(100, 50000.0, 1.0, false); // minute 100: a taker buy
        t.on_trade(101, 50000.0, 2.0, true); // minute 101: a taker sell
        // Rollover of M = 102 before BTC traded in 102: the two modes differ.
        let reference = flow(&t, 101, true);
        assert_eq!((reference.minute_key, reference.buy_usd), (100, 50000.0));
        assert_eq!(reference.sell_usd, 0.0);
        let fixed = flow(&t, 101, false);
        assert_eq!((fixed.minute_key, fixed.sell_usd), (101, 100000.0));
        assert_eq!(fixed.buy_usd, 0.0);
        assert!(!reference.fallback_used && !fixed.fallback_used);
        // Once a trade of 102 arrived first, both read minute 101.
        t.on_trade(102, 50000.0, 1.0, false);
        assert_eq!(flow(&t, 101, true), flow(&t, 101, false));
        assert_eq!(flow(&t, 101, true).minute_key, 101);
    }

    #[test]
    fn fallback_when_the_closing_minute_had_no_trades() {
        let mut t = TakerAggression::new();
        t.on_trade(100, 50000.0, 1.0, false);
        t.on_trade(102, 50000.0, 1.0, true);
        // Minute 101 had no trade: the fix falls back, the reference reuses minute 100.
        let fixed = flow(&t, 101, false);
        let want = TakerFlow {
            buy_usd: 200.0,
            sell_usd: 300.0,
            minute_key: 101,
            trade_count: 0,
            fallback_used: true,
        };
        assert_eq!(fixed, want);
        assert_eq!(flow(&t, 101, true).minute_key, 100);
        // Nothing traded at all: both modes fall back.
        let empty = TakerAggression::new();
        assert_eq!(flow(&empty, 101, true), want);
        assert_eq!(flow(&empty, 101, false), want);
    }

    #[test]
    fn late_trades_merge_into_their_minute() {
        let mut t = TakerAggression::new();
        t.on_trade(100, 10.0, 1.0, false);
        t.on_trade(102, 10.0, 1.0, false);
        t.on_trade(100, 10.0, 1.0, true); // late, merged into 100
        t.on_trade(101, 10.0, 2.0, true); // late, inserted between 100 and 102
        let keys: Vec<i64> = t.history().map(|a| a.minute_key).collect();
        assert_eq!(keys, [100, 101]);
        assert_eq!(t.aggregate_for(100).map(|a| a.trade_count), Some(2));
        assert_eq!(
            t.aggregate_for(101).map(|a| a.taker_sell_notional),
            Some(20.0)
        );
        assert_eq!(t.current().map(|a| a.minute_key), Some(102));
        // A late trade older than a full history is dropped.
        for m in 103..=113 {
            t.on_trade(m, 1.0, 1.0, false);
        }
        t.on_trade(90, 1.0, 1.0, false);
        assert_eq!(t.aggregate_for(90), None);
        assert_eq!(t.history().len(), HISTORY_LEN);
    }
}
