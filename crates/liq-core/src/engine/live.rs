//! The live minute of one symbol, built from market events (feeds_and_service.md, heatmap.md
//! 3.2 and 3.3, DECISIONS feeds 6): the price bars (order-book mid where the symbol has a fresh
//! book, mark price otherwise), taker flow, base volumes and open interest per exchange, turned
//! into a [`MinuteClose`] at each minute boundary and reset.

use indexmap::IndexMap;

use crate::event::Exchange;
use crate::heatmap::MinuteInput;
use crate::heatmap::aggression::TakerAggression;
use crate::pipeline::MinuteClose;

/// A mid older than this (seconds) no longer drives the minute: the mark price does.
pub const MID_STALE_SECONDS: f64 = 60.0;

/// One minute's OHLC of a price series; at reset open, high and low restart at the last close.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PriceBar {
    /// First price of the minute (or the previous close).
    pub open: f64,
    /// Highest.
    pub high: f64,
    /// Lowest.
    pub low: f64,
    /// Last.
    pub close: f64,
    /// Time of the last tick.
    pub last_ts: f64,
}

impl PriceBar {
    /// A tick.
    pub fn tick(&mut self, price: f64, ts: f64) {
        if !(price > 0.0 && price.is_finite()) {
            return;
        }
        if self.close <= 0.0 {
            self.open = price;
            self.high = price;
            self.low = price;
        }
        self.high = self.high.max(price);
        self.low = if self.low > 0.0 {
            self.low.min(price)
        } else {
            price
        };
        self.close = price;
        self.last_ts = self.last_ts.max(ts);
    }

    /// `(open + high + low + close) / 4`, or 0 before any tick.
    pub fn ohlc4(&self) -> f64 {
        if self.close > 0.0 {
            (self.open + self.high + self.low + self.close) / 4.0
        } else {
            0.0
        }
    }

    /// Restarts the bar at the last close.
    pub fn reset(&mut self) {
        if self.close > 0.0 {
            self.open = self.close;
            self.high = self.close;
            self.low = self.close;
        }
    }
}

/// Open interest per exchange, in base units, and the per-minute change summed over the
/// exchanges that reported at both ends of the minute (never a difference of totals over a
/// changing set of exchanges).
#[derive(Clone, Debug, Default)]
pub struct OiTracker {
    latest: IndexMap<Exchange, f64>,
    at_close: IndexMap<Exchange, f64>,
    series: f64,
    last_partial: bool,
}

/// The OI part of a minute close.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OiMinute {
    /// A continuous aggregate (the first total, then plus each minute's change) for the
    /// heatmap, which differences consecutive values.
    pub series: f64,
    /// The change over the minute, when at least one exchange reported at both ends.
    pub change: Option<f64>,
    /// Some exchange was missing at one end.
    pub partial: bool,
}

impl OiTracker {
    /// The latest OI of one exchange.
    pub fn on_oi(&mut self, exchange: Exchange, oi_base: f64) {
        if oi_base > 0.0 && oi_base.is_finite() {
            self.latest.insert(exchange, oi_base);
        }
    }

    /// The sum of every exchange's latest OI (`None` before the first).
    pub fn last_total(&self) -> Option<f64> {
        (!self.latest.is_empty()).then(|| self.latest.values().sum())
    }

    /// Whether the last minute close missed an exchange at one end.
    pub fn last_partial(&self) -> bool {
        self.last_partial
    }

    /// Continues the aggregate series from a restored value (the heatmap's last OI), so the
    /// first minute after a restart is not read as a jump from that value to the new total.
    pub fn resume(&mut self, series: f64) {
        if series > 0.0 && series.is_finite() {
            self.series = series;
        }
    }

    /// Closes the minute.
    pub fn close(&mut self) -> OiMinute {
        let mut change = None;
        let mut partial = false;
        for (ex, now) in &self.latest {
            match self.at_close.get(ex) {
                Some(then) => *change.get_or_insert(0.0) += now - then,
                None => partial = true,
            }
        }
        partial |= self.at_close.keys().any(|ex| !self.latest.contains_key(ex));
        if self.series == 0.0 {
            self.series = self.latest.values().sum();
        } else if let Some(c) = change {
            self.series += c;
        }
        self.at_close = self.latest.clone();
        self.last_partial = partial;
        OiMinute {
            series: self.series,
            change,
            partial,
        }
    }
}

/// The live state of one symbol's current minute.
#[derive(Clone, Debug, Default)]
pub struct LiveMinute {
    /// Mark-price bar.
    pub mark: PriceBar,
    /// Order-book mid bar.
    pub mid: PriceBar,
    /// Taker aggression by minute (notional).
    pub aggression: TakerAggression,
    /// Taker buy volume of the minute, base units.
    pub buy_base: f64,
    /// Taker sell volume of the minute, base units.
    pub sell_base: f64,
    /// Open interest.
    pub oi: OiTracker,
}

impl LiveMinute {
    /// The mid when it is fresh at `now`, else the mark (0 when neither is known).
    pub fn reference_price(&self, now: f64) -> f64 {
        if self.mid.close > 0.0 && now - self.mid.last_ts <= MID_STALE_SECONDS {
            self.mid.close
        } else {
            self.mark.close
        }
    }

    /// The close of minute `minute_key - 1` at `now` (the minute `minute_key` starts): the
    /// fresh book's mid bar, else the mark bar; `None` without any price. Resets the minute.
    pub fn close(&mut self, minute_key: i64, now: f64, reference_b12: bool) -> Option<MinuteClose> {
        let book_fresh = self.mid.close > 0.0 && now - self.mid.last_ts <= MID_STALE_SECONDS;
        let bar = if book_fresh { self.mid } else { self.mark };
        let oi = self.oi.close();
        let src = bar.ohlc4();
        let (buy, sell) = (self.buy_base, self.sell_base);
        self.mark.reset();
        self.mid.reset();
        self.buy_base = 0.0;
        self.sell_base = 0.0;
        if src <= 0.0 {
            return None;
        }
        let flow =
            self.aggression
                .taker_flow_for_rollover(minute_key - 1, reference_b12, buy, sell, src);
        Some(MinuteClose {
            input: MinuteInput {
                minute_key,
                src,
                high: bar.high,
                low: bar.low,
                oi: oi.series,
                taker_buy_usd: flow.buy_usd,
                taker_sell_usd: flow.sell_usd,
            },
            ts: now,
            open: Some(bar.open),
            close: Some(bar.close),
            buy_qty: Some(buy),
            sell_qty: Some(sell),
            oi_change: oi.change,
            depth_band: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oi_change_is_summed_over_exchanges_present_at_both_ends() {
        let mut t = OiTracker::default();
        t.on_oi(Exchange::Binance, 100.0);
        t.on_oi(Exchange::Bybit, 50.0);
        let first = t.close();
        assert_eq!(
            (first.series, first.change, first.partial),
            (150.0, None, true)
        );
        t.on_oi(Exchange::Binance, 101.0);
        t.on_oi(Exchange::Bybit, 49.0);
        t.on_oi(Exchange::Okx, 1000.0); // a new exchange: no jump of the aggregate
        let m = t.close();
        assert_eq!((m.series, m.change, m.partial), (150.0, Some(0.0), true));
        t.on_oi(Exchange::Okx, 1002.0);
        let m = t.close();
        assert_eq!((m.series, m.change, m.partial), (152.0, Some(2.0), false));
    }

    #[test]
    fn a_resumed_series_does_not_jump_to_the_new_total() {
        let mut t = OiTracker::default();
        t.resume(150.0);
        t.on_oi(Exchange::Binance, 400.0);
        let m = t.close();
        assert_eq!((m.series, m.change), (150.0, None));
        t.on_oi(Exchange::Binance, 401.0);
        assert_eq!(t.close().series, 151.0);
    }

    #[test]
    fn price_bars_reset_at_the_last_close_and_the_book_falls_back_to_the_mark() {
        let mut m = LiveMinute::default();
        m.mark.tick(100.0, 1.0);
        m.mark.tick(102.0, 2.0);
        m.mark.tick(101.0, 3.0);
        let c = m.close(1, 60.0, false).unwrap();
        assert_eq!(
            (c.input.high, c.input.low, c.close),
            (102.0, 100.0, Some(101.0))
        );
        assert_eq!(c.input.src, (100.0 + 102.0 + 100.0 + 101.0) / 4.0);
        assert_eq!(
            (m.mark.open, m.mark.high, m.mark.low),
            (101.0, 101.0, 101.0)
        );
        m.mid.tick(200.0, 61.0);
        assert_eq!(
            m.close(2, 120.0, false).unwrap().close,
            Some(200.0),
            "fresh book"
        );
        assert_eq!(
            m.close(3, 200.0, false).unwrap().close,
            Some(101.0),
            "stale book: mark"
        );
        let mut empty = LiveMinute::default();
        assert!(empty.close(1, 60.0, false).is_none());
    }
}
