//! The streams due on a step: book diffs and snapshots, mark prices and tickers, OKX open
//! interest and funding, the liquidation feeds with their sampling, and the 5-minute history
//! behind the REST series.

use liq_core::event::Exchange;
use liq_core::normalize::StreamKind;

use super::bybit::TickerVals;
use super::inst::{LiqOut, next_funding_ms};
use super::{Simulator, binance, bybit, okx};
use crate::wire::WireMsg;

impl Simulator {
    /// Updates book `ix` and sends its diff (or a snapshot when `snapshot` is set and the
    /// exchange sends book snapshots on the stream).
    pub(super) fn depth(&mut self, ix: usize, t: i64, snapshot: bool) {
        let mut changes = std::mem::take(&mut self.changes);
        changes.clear();
        let churn = self.cfg.book_churn;
        let inst = &mut self.insts[ix];
        let mid = self.market.syms[inst.sym].mid[inst.exi];
        let center = inst.ticks_f(mid);
        inst.book.update(
            center,
            inst.median_lots,
            churn,
            &mut self.rng_book,
            &mut changes,
        );
        let topic = inst.topics.depth.clone();
        let msg = match inst.ex {
            Exchange::Binance => {
                if changes.is_empty() {
                    None
                } else {
                    let prev = inst.update_id;
                    let first = prev + 1;
                    let steps = 1 + self.rng_book.below(4) as i64;
                    inst.update_id = prev + changes.len() as i64 * steps;
                    Some(binance::depth_update(
                        inst,
                        t,
                        first,
                        inst.update_id,
                        prev,
                        &changes,
                    ))
                }
            }
            Exchange::Bybit => {
                inst.update_id += 1;
                inst.cross_seq += 1 + self.rng_book.below(64) as i64;
                if snapshot {
                    Some(bybit::orderbook(inst, t, self.cfg.book_levels[1], None))
                } else if changes.is_empty() {
                    inst.update_id -= 1;
                    None
                } else {
                    Some(bybit::orderbook(
                        inst,
                        t,
                        self.cfg.book_levels[1],
                        Some(&changes),
                    ))
                }
            }
            Exchange::Okx => {
                let prev = inst.update_id;
                if !changes.is_empty() || snapshot {
                    inst.update_id += 1 + self.rng_book.below(24) as i64;
                }
                let sum = okx::checksum(inst, &mut self.scratch);
                if snapshot {
                    Some(okx::books(inst, t, -1, None, sum))
                } else {
                    Some(okx::books(inst, t, prev, Some(&changes), sum))
                }
            }
        };
        self.changes = changes;
        if let Some(payload) = msg {
            let m = self.msg(ix, t, StreamKind::Depth, &topic, payload);
            self.push(t, m);
        }
    }

    /// The current book snapshot of a Bybit or OKX instrument (a Binance book is fetched over
    /// REST), consistent with the last diff.
    pub(super) fn book_snapshot_msg(&mut self, ix: usize, t: i64) -> WireMsg {
        let inst = &self.insts[ix];
        let payload = match inst.ex {
            Exchange::Okx => {
                let sum = okx::checksum(inst, &mut self.scratch);
                okx::books(inst, t, -1, None, sum)
            }
            _ => bybit::orderbook(inst, t, self.cfg.book_levels[1], None),
        };
        let topic = inst.topics.depth.clone();
        self.msg(ix, t, StreamKind::Depth, &topic, payload)
    }

    /// Ticker values of instrument `ix` now.
    pub(super) fn ticker_vals(&self, ix: usize, t: i64) -> TickerVals {
        let inst = &self.insts[ix];
        let m = &self.market.syms[inst.sym];
        TickerVals {
            ts: t,
            mark: m.mark[inst.exi],
            index: m.fair,
            oi: self.oi_of(ix),
            funding: m.funding[inst.exi],
            next_funding: next_funding_ms(t),
        }
    }

    /// A Bybit `tickers` message.
    pub(super) fn ticker_msg(&mut self, ix: usize, t: i64, snapshot: bool) -> WireMsg {
        let v = self.ticker_vals(ix, t);
        self.insts[ix].cross_seq += 1;
        let inst = &self.insts[ix];
        let payload = bybit::ticker(inst, &v, snapshot);
        let topic = inst.topics.mark.clone();
        self.msg(ix, t, StreamKind::Ticker, &topic, payload)
    }

    /// Binance `markPriceUpdate` of instrument `ix`.
    pub(super) fn binance_mark(&mut self, ix: usize, t: i64) {
        let inst = &self.insts[ix];
        let m = &self.market.syms[inst.sym];
        let payload = binance::mark_price(
            inst,
            t,
            m.mark[inst.exi],
            m.fair,
            m.funding[inst.exi],
            next_funding_ms(t),
        );
        let topic = inst.topics.mark.clone();
        let msg = self.msg(ix, t, StreamKind::MarkPrice, &topic, payload);
        self.push(t, msg);
    }

    /// Binance `forceOrder`: the latest liquidation of the 1000 ms window ending at `t`.
    pub(super) fn binance_force_order(&mut self, ix: usize, t: i64) {
        let Some(latest) = self.insts[ix].liq_window.last().copied() else {
            return;
        };
        self.insts[ix].liq_window.clear();
        let inst = &self.insts[ix];
        let payload = binance::force_order(inst, t, &latest);
        let topic = inst.topics.liq.clone();
        self.stats.liquidations_pushed[0] += 1;
        let msg = self.msg(ix, t, StreamKind::Liquidations, &topic, payload);
        self.push(t, msg);
    }

    /// Bybit `allLiquidation`: every liquidation of the 500 ms window ending at `t`.
    pub(super) fn bybit_liquidations(&mut self, ix: usize, t: i64) {
        if self.insts[ix].liq_window.is_empty() {
            return;
        }
        let window = std::mem::take(&mut self.insts[ix].liq_window);
        let inst = &self.insts[ix];
        let payload = bybit::all_liquidation(inst, t, &window);
        let topic = inst.topics.liq.clone();
        self.stats.liquidations_pushed[1] += window.len() as u64;
        let msg = self.msg(ix, t, StreamKind::Liquidations, &topic, payload);
        self.push(t, msg);
        let mut window = window;
        window.clear();
        self.insts[ix].liq_window = window;
    }

    /// OKX `liquidation-orders`: per instrument, the latest order of the second ending at `t`.
    pub(super) fn okx_liquidations(&mut self, t: i64) {
        let mut items: Vec<(usize, LiqOut)> = Vec::new();
        for (ix, inst) in self.insts.iter_mut().enumerate() {
            if inst.ex == Exchange::Okx
                && let Some(l) = inst.liq_window.last().copied()
            {
                inst.liq_window.clear();
                items.push((ix, l));
            }
        }
        let Some(&(first, _)) = items.first() else {
            return;
        };
        let refs: Vec<_> = items.iter().map(|(ix, l)| (&self.insts[*ix], *l)).collect();
        let payload = okx::liquidation_orders(&refs);
        self.stats.liquidations_pushed[2] += items.len() as u64;
        let msg = self.msg(
            first,
            t,
            StreamKind::Liquidations,
            "liquidation-orders:SWAP",
            payload,
        );
        self.push(t, msg);
    }

    /// OKX `open-interest` of instrument `ix`.
    pub(super) fn okx_oi(&mut self, ix: usize, t: i64) {
        let oi = self.oi_of(ix);
        let inst = &self.insts[ix];
        let mark = self.market.syms[inst.sym].mark[inst.exi];
        let payload = okx::open_interest(inst, t, oi, mark);
        let topic = inst.topics.oi.clone();
        let msg = self.msg(ix, t, StreamKind::OpenInterest, &topic, payload);
        self.push(t, msg);
    }

    /// OKX `funding-rate` of instrument `ix`.
    pub(super) fn okx_funding(&mut self, ix: usize, t: i64) {
        let inst = &self.insts[ix];
        let rate = self.market.syms[inst.sym].funding[inst.exi];
        let payload = okx::funding_rate(inst, t, rate, next_funding_ms(t));
        let topic = inst.topics.funding.clone();
        let msg = self.msg(ix, t, StreamKind::Funding, &topic, payload);
        self.push(t, msg);
    }

    /// Records the open interest of every instrument and the Binance ratio counts.
    pub(super) fn record_history(&mut self, t: i64) {
        for ix in 0..self.insts.len() {
            let oi = self.oi_of(ix);
            let h = &mut self.insts[ix].oi_hist;
            h.push_back((t, oi));
            if h.len() > 200 {
                h.pop_front();
            }
        }
        for (s, h) in self.ratio_hist.iter_mut().enumerate() {
            h.push_back((t, self.pop.ratios[s]));
            if h.len() > 500 {
                h.pop_front();
            }
        }
    }
}
