//! One simulation step: prices, trades, new positions, liquidations, closes, then the
//! streams that are due on this step.

use liq_core::event::{Exchange, Market as MarketKind};
use liq_core::normalize::StreamKind;

use super::inst::{LiqOut, TradeOut};
use super::population::{LiquidationRecord, bankruptcy_price};
use super::{Simulator, binance, bybit, okx};
use crate::wire::WireMsg;

/// Taker-buy probability for a price shock of `z` standard deviations.
fn buy_probability(z: f64) -> f64 {
    0.5 + 0.35 * (0.8 * z).tanh()
}

impl Simulator {
    /// Queues a message.
    pub(super) fn push(&mut self, ts: i64, msg: WireMsg) {
        self.stats.messages += 1;
        self.pending.push_back((ts, msg));
    }

    /// A message of instrument `ix`.
    pub(super) fn msg(
        &self,
        ix: usize,
        ts: i64,
        stream: StreamKind,
        topic: &str,
        payload: String,
    ) -> WireMsg {
        let i = &self.insts[ix];
        let all = topic == "!forceOrder@arr" || topic == "liquidation-orders:SWAP";
        WireMsg {
            ts: ts as f64 / 1000.0,
            exchange: i.ex,
            market: MarketKind::Perp,
            instrument: if all { "*".to_owned() } else { i.id.clone() },
            stream,
            topic: topic.to_owned(),
            payload,
        }
    }

    /// Simulates one step.
    pub(super) fn step(&mut self) {
        let step = self.cfg.step_ms as i64;
        let t0 = self.now_ms;
        let t = t0 + step;
        let dt = step as f64 / 1000.0;
        self.market.step(dt);
        self.gen_trades(t0, t, dt);
        self.open_new_positions(t, dt);
        self.check_liquidations(t);
        self.stats.positions_closed += self.pop.expire(t) as u64;
        if t % 1000 == 0 {
            self.drift_background_oi();
            for ix in 0..self.insts.len() {
                if self.insts[ix].ex == Exchange::Binance {
                    self.binance_mark(ix, t);
                    self.binance_force_order(ix, t);
                }
            }
            self.okx_liquidations(t);
        }
        if t % 500 == 0 {
            for ix in 0..self.insts.len() {
                if self.insts[ix].ex == Exchange::Bybit {
                    self.bybit_liquidations(ix, t);
                }
            }
        }
        let c = &self.cfg;
        let snapshot = c.snapshot_interval_ms > 0 && t % c.snapshot_interval_ms as i64 == 0;
        let (depth, ticker) = (
            t % c.depth_interval_ms as i64 == 0,
            t % c.ticker_interval_ms as i64 == 0,
        );
        let (oi, funding) = (
            t % c.okx_oi_interval_ms as i64 == 0,
            t % c.okx_funding_interval_ms as i64 == 0,
        );
        for ix in 0..self.insts.len() {
            if depth {
                self.depth(ix, t, snapshot);
            }
            match self.insts[ix].ex {
                Exchange::Bybit if ticker => {
                    let m = self.ticker_msg(ix, t, snapshot);
                    self.push(t, m);
                }
                Exchange::Okx => {
                    if oi {
                        self.okx_oi(ix, t);
                    }
                    if funding {
                        self.okx_funding(ix, t);
                    }
                }
                _ => {}
            }
        }
        if t % 300_000 == 0 {
            self.record_history(t);
        }
        self.stats.steps += 1;
        self.now_ms = t;
    }

    fn gen_trades(&mut self, t0: i64, t: i64, dt: f64) {
        let step = (t - t0).max(1) as u64;
        let mut trades = std::mem::take(&mut self.trades);
        trades.clear();
        for s in 0..self.cfg.symbols.len() {
            let act = self.market.activity(s);
            let rate = self.cfg.trades_per_sec * (0.4 + 0.3 * act).min(1.0);
            let cap = (self.cfg.trades_per_sec * dt * 4.0).ceil().max(1.0) as u32;
            let n = self.rng_flow.poisson(rate * dt).min(cap);
            if n == 0 {
                continue;
            }
            let per_trade = self.cfg.symbols[s].volume_usd_per_sec * act / rate;
            let p_buy = buy_probability(self.market.syms[s].shock_z);
            for _ in 0..n {
                let Some(ix) = self.pick_inst(s) else { break };
                let r = &mut self.rng_flow;
                let ts = t0 + 1 + r.below(step) as i64;
                let buy = r.chance(p_buy);
                // Log-normal around the mean trade size (mean of lognormal(1, 0.9) is e^0.405).
                let usd = per_trade * r.lognormal(1.0, 0.9) / 0.405f64.exp();
                let inst = &self.insts[ix];
                let mid = self.market.syms[s].mid[inst.exi];
                let bid = inst.ticks_f(mid).floor() as i64;
                let px = if buy { bid + 1 } else { bid };
                let lots = inst.lots(usd / mid);
                trades.push(TradeOut {
                    ts,
                    inst: ix,
                    px,
                    lots,
                    buy,
                });
            }
        }
        trades.sort_by_key(|tr| tr.ts);
        for tr in &trades {
            self.emit_trade(tr);
        }
        self.trades = trades;
    }

    /// Prints one trade on its exchange's trade stream.
    pub(super) fn emit_trade(&mut self, tr: &TradeOut) {
        let ix = tr.inst;
        let (payload, topic) = {
            let inst = &mut self.insts[ix];
            inst.record_trade(tr.ts, tr.px, tr.lots);
            let payload = match inst.ex {
                Exchange::Binance => {
                    let first = inst.trade_id + 1;
                    inst.trade_id += 1 + self.rng_flow.below(3);
                    inst.agg_id += 1;
                    binance::agg_trade(inst, tr, first)
                }
                Exchange::Bybit => {
                    self.uuid_counter = self.uuid_counter.wrapping_add(0x9E37_79B9_7F4A_7C15);
                    let mut x = self.uuid_counter;
                    let hi = u128::from(mix(&mut x));
                    let lo = u128::from(mix(&mut x));
                    bybit::public_trade(inst, tr, (hi << 64) | lo)
                }
                Exchange::Okx => {
                    inst.trade_id += 1;
                    okx::trade(inst, tr)
                }
            };
            (payload, inst.topics.trades.clone())
        };
        self.stats.trades += 1;
        let m = self.msg(ix, tr.ts, StreamKind::Trades, &topic, payload);
        self.push(tr.ts, m);
    }

    fn open_new_positions(&mut self, t: i64, dt: f64) {
        for s in 0..self.cfg.symbols.len() {
            let rv = self.market.regime_vol();
            let mom = self.market.syms[s].momentum_z(rv);
            let act = self.market.activity(s);
            let p = &self.cfg.symbols[s];
            let (rate, round) = (p.positions_per_sec, p.round_step);
            let n = self
                .rng_flow
                .poisson(rate * act * (1.0 + 0.3 * mom.abs().min(3.0)) * dt);
            let p_long = self.market.syms[s].sentiment + 0.2 * (mom / 2.0).tanh();
            for _ in 0..n {
                let long = self.rng_flow.chance(p_long);
                self.open_one(s, None, long, t);
            }
            let m = &self.market.syms[s];
            let (a, b) = ((m.prev_fair / round).floor(), (m.fair / round).floor());
            if a != b {
                let level = a.max(b) * round;
                let k = self.rng_flow.poisson(rate * 15.0);
                for _ in 0..k {
                    let long = self.rng_flow.chance(0.5);
                    self.open_one(s, Some(level), long, t);
                }
            }
        }
    }

    fn open_one(&mut self, sym: usize, level: Option<f64>, long: bool, t: i64) {
        let Some(ix) = self.pick_inst(sym) else {
            return;
        };
        let inst = &self.insts[ix];
        let m = &self.market.syms[sym];
        let mid = m.mid[inst.exi];
        let entry = level.map_or(mid, |l| l * mid / m.fair);
        let pos = Self::draw_position(&mut self.rng_flow, &self.cfg, inst, entry, long);
        let mark = m.mark[inst.exi];
        // A limit entry the price has already run through far enough is not opened.
        if (long && pos.liq >= mark) || (!long && pos.liq <= mark) {
            return;
        }
        let hold = Self::draw_hold_ms(&mut self.rng_flow, &self.cfg, pos.leverage);
        self.pop.open(pos, t + hold);
        self.stats.positions_opened += 1;
    }

    fn check_liquidations(&mut self, t: i64) {
        let mut out = std::mem::take(&mut self.liquidated);
        for s in 0..self.by_sym.len() {
            for e in 0..3 {
                let Some(ix) = self.by_sym[s][e] else {
                    continue;
                };
                let mark = self.market.syms[s].mark[e];
                out.clear();
                self.pop.liquidate(s, e, mark, &mut out);
                let mut signed_usd = 0.0;
                for pos in &out {
                    if self.cfg.keep_liquidation_log {
                        self.liq_log.push(LiquidationRecord {
                            ts_ms: t,
                            position: *pos,
                            mark,
                            prev_mark: self.prev_mark[s][e],
                        });
                    }
                    let usd = pos.qty * mark;
                    signed_usd += if pos.long { -usd } else { usd };
                    self.stats.liquidations[e] += 1;
                    self.stats.liquidated_usd[e] += usd;
                    let inst = &self.insts[ix];
                    let lots = inst.lots(pos.qty);
                    let slip = if pos.long { 1.0 - 2e-4 } else { 1.0 + 2e-4 };
                    let fill = inst.ticks(mark * slip);
                    let bankrupt = inst.ticks(bankruptcy_price(pos.entry, pos.long, pos.leverage));
                    // Two positions of one price level and tier liquidated in one step would
                    // print identical items, which a consumer's de-duplication (of re-sent
                    // orders) would drop: such a size is nudged by one lot.
                    let mut lots = lots;
                    while inst
                        .liq_window
                        .iter()
                        .rev()
                        .take_while(|l| l.ts == t)
                        .any(|l| l.long == pos.long && l.bankrupt == bankrupt && l.lots == lots)
                    {
                        lots += 1;
                    }
                    let liq = LiqOut {
                        ts: t,
                        long: pos.long,
                        lots,
                        bankrupt,
                        fill,
                    };
                    let mid = self.market.syms[s].mid[e];
                    let bid = inst.ticks_f(mid).floor() as i64;
                    let px = if pos.long { bid } else { bid + 1 };
                    self.insts[ix].liq_window.push(liq);
                    self.emit_trade(&TradeOut {
                        ts: t,
                        inst: ix,
                        px,
                        lots,
                        buy: !pos.long,
                    });
                }
                if signed_usd != 0.0 {
                    let depth_usd = 1e6 * self.cfg.symbols[s].volume_usd_per_sec / 250_000.0;
                    self.market.add_impact(s, signed_usd, depth_usd);
                }
                self.prev_mark[s][e] = mark;
            }
        }
        self.liquidated = out;
    }

    fn drift_background_oi(&mut self) {
        for i in &mut self.insts {
            let x = (i.background_oi / i.background_base.max(1e-12))
                .max(1e-9)
                .ln();
            let x = x - x / 3600.0 + 0.0006 * self.rng_flow.normal();
            i.background_oi = i.background_base * x.exp();
        }
    }
}

/// SplitMix64 step (trade uuids).
fn mix(x: &mut u64) -> u64 {
    *x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
