//! One symbol's order books: a reconstructor per (exchange, instrument) of the perpetual
//! markets, following each exchange's sync rule; their mid drives the minute's price bar while
//! fresh; the 30-second accumulator sums them into frames; the calibrator reads their notional
//! within ±2 % of the minute's price.

use std::sync::Arc;

use indexmap::IndexMap;
use rust_decimal::prelude::ToPrimitive;

use crate::event::{EventKind, Exchange, Market, MarketEvent};
use crate::grid::BucketStep;
use crate::orderbook::accumulator::{Accumulator, AccumulatorConfig};
use crate::orderbook::frame::{ExchangeSet, Frame};
use crate::orderbook::recon::{AnyReconstructor, ReconConfig, Reconstructor};
use crate::symbols::Contract;

/// Half-width of the calibrator's depth band around the minute's price.
pub const DEPTH_BAND_PCT: f64 = 0.02;

struct Book {
    recon: AnyReconstructor,
    contract: Contract,
}

/// The books and frames of one symbol.
pub struct Books {
    step: BucketStep,
    books: IndexMap<(Exchange, Arc<str>), Book>,
    accumulator: Option<Accumulator>,
    frames: Vec<Frame>,
    cfg: ReconConfig,
}

/// A book event's effect on the symbol.
pub struct BookUpdate {
    /// The combined mid after the update, when the updated book is synced.
    pub mid: Option<f64>,
}

fn f(d: rust_decimal::Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

impl Books {
    /// Books on `step`; frames over `exchanges` (the reference preset: Binance only).
    pub fn new(step: f64, exchanges: ExchangeSet) -> Self {
        let accumulator = Accumulator::new(AccumulatorConfig {
            exchanges,
            ..AccumulatorConfig::new(step, 0.10)
        })
        .ok();
        Books {
            step: BucketStep::new(step)
                .unwrap_or_else(|_| BucketStep::new(1.0).expect("step 1 is valid")),
            books: IndexMap::new(),
            accumulator,
            frames: Vec::new(),
            cfg: ReconConfig::default(),
        }
    }

    /// Whether the symbol has any book.
    pub fn is_empty(&self) -> bool {
        self.books.is_empty()
    }

    /// A depth event of this symbol (perpetual markets only); `contract` converts its sizes to
    /// base units.
    pub fn on_event(&mut self, ev: &MarketEvent, contract: Contract) -> Option<BookUpdate> {
        if ev.market != Market::Perp
            || !matches!(
                ev.kind,
                EventKind::DepthSnapshot(_) | EventKind::DepthDiff(_)
            )
        {
            return None;
        }
        let key = (ev.exchange, Arc::clone(&ev.instrument));
        let cfg = self.cfg;
        let book = self.books.entry(key).or_insert_with(|| Book {
            recon: AnyReconstructor::new(ev.exchange, Market::Perp, &cfg),
            contract,
        });
        let outcome = book.recon.on_event(ev)?;
        let gap = book.recon.take_gap_flag();
        let ts = ev.receive_ts;
        let b = book.recon.book();
        let mid = match (b.best_bid(), b.best_ask()) {
            (Some(bid), Some(ask)) if !book.recon.needs_snapshot() => {
                Some((f(bid.price) + f(ask.price)) / 2.0)
            }
            _ => None,
        };
        if let Some(acc) = self.accumulator.as_mut() {
            let frame = if book.recon.needs_snapshot() {
                acc.book_lost(ev.exchange, ts)
            } else if let (true, Some(m)) = (outcome.book_changed(), mid) {
                let c = book.contract;
                let side = |it: &mut dyn Iterator<Item = &crate::event::Level>| -> Vec<(f64, f64)> {
                    it.map(|l| {
                        let p = f(l.price);
                        (p, c.base_qty(f(l.size), p))
                    })
                    .collect()
                };
                let bids = side(&mut b.bids());
                let asks = side(&mut b.asks());
                acc.add_book(ev.exchange, bids, asks, m, ts, gap)
                    .ok()
                    .flatten()
            } else {
                None
            };
            self.frames.extend(frame);
        }
        Some(BookUpdate { mid })
    }

    /// A feed of `exchange` dropped or stalled at `ts`: its books wait for a new snapshot and
    /// the open frame is marked (DECISIONS zones/order books: a gap is never hidden).
    pub fn connection_lost(&mut self, exchange: Exchange, ts: f64) {
        let mut any = false;
        for ((ex, _), book) in self.books.iter_mut() {
            if *ex == exchange {
                book.recon.connection_lost();
                any = true;
            }
        }
        if any && let Some(acc) = self.accumulator.as_mut() {
            self.frames.extend(acc.book_lost(exchange, ts));
        }
    }

    /// The frames emitted since the last call.
    pub fn take_frames(&mut self) -> Vec<Frame> {
        std::mem::take(&mut self.frames)
    }

    /// A frame still open (at the end of a replay).
    pub fn flush(&mut self) -> Option<Frame> {
        self.accumulator.as_mut()?.flush()
    }

    /// The calibrator's depth band: notional (`price x base size`, bids and asks of every synced
    /// book) per bucket within ±2 % of `src`; `None` when the symbol has no book at all.
    pub fn depth_band(&self, src: f64) -> Option<Vec<(f64, f64)>> {
        if self.books.is_empty() {
            return None;
        }
        let (lo, hi) = (src * (1.0 - DEPTH_BAND_PCT), src * (1.0 + DEPTH_BAND_PCT));
        let mut band: IndexMap<i64, f64> = IndexMap::new();
        for book in self.books.values().filter(|b| !b.recon.needs_snapshot()) {
            let b = book.recon.book();
            for l in b.bids().chain(b.asks()) {
                let p = f(l.price);
                if lo <= p && p <= hi {
                    *band.entry(self.step.key(p)).or_insert(0.0) +=
                        p * book.contract.base_qty(f(l.size), p);
                }
            }
        }
        Some(
            band.into_iter()
                .map(|(k, v)| (self.step.price(k), v))
                .collect(),
        )
    }

    /// Books waiting for a snapshot (the feeds fetch one for Binance).
    pub fn needing_snapshot(&self) -> Vec<(Exchange, Arc<str>)> {
        self.books
            .iter()
            .filter(|(_, b)| b.recon.needs_snapshot())
            .map(|(k, _)| k.clone())
            .collect()
    }
}
