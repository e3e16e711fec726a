//! Building a simulator: validating the configuration, resolving instruments through the
//! registry, filling the books, seeding the start population and the first messages.

use std::collections::VecDeque;

use liq_core::event::{Exchange, Market as MarketKind};
use liq_core::symbols::{Contract, SymbolRegistry};

use super::book::SimBook;
use super::config::{EXCHANGE_SHARE, SimConfig, SimConfigError};
use super::inst::{Inst, Topics};
use super::market::Market;
use super::population::{Population, Position, bankruptcy_price, liquidation_price};
use super::rng::Rng;
use super::{SimStats, Simulator};

fn range(field: &str, value: f64, ok: bool) -> Result<(), SimConfigError> {
    if ok && value.is_finite() {
        Ok(())
    } else {
        Err(SimConfigError::Range {
            field: field.to_owned(),
            value,
        })
    }
}

/// Rounds an interval up to a whole number of steps (at least one).
fn whole_steps(interval: u64, step: u64) -> u64 {
    interval.div_ceil(step).max(1) * step
}

fn validate(cfg: &mut SimConfig) -> Result<(), SimConfigError> {
    let step = cfg.step_ms;
    range("step_ms", step as f64, step > 0 && 500 % step == 0)?;
    cfg.depth_interval_ms = whole_steps(cfg.depth_interval_ms, step);
    cfg.ticker_interval_ms = whole_steps(cfg.ticker_interval_ms, step);
    cfg.okx_oi_interval_ms = whole_steps(cfg.okx_oi_interval_ms, step);
    cfg.okx_funding_interval_ms = whole_steps(cfg.okx_funding_interval_ms, step);
    if cfg.snapshot_interval_ms > 0 {
        cfg.snapshot_interval_ms = whole_steps(cfg.snapshot_interval_ms, cfg.depth_interval_ms);
    }
    range(
        "start_ts",
        cfg.start_ts,
        cfg.start_ts >= 0.0 && cfg.start_ts < 1e11,
    )?;
    range(
        "trades_per_sec",
        cfg.trades_per_sec,
        cfg.trades_per_sec > 0.0,
    )?;
    range(
        "book_band",
        cfg.book_band,
        cfg.book_band > 0.0 && cfg.book_band <= 0.5,
    )?;
    range("mean_hold_s", cfg.mean_hold_s, cfg.mean_hold_s > 0.0)?;
    if cfg.symbols.is_empty() {
        return Err(SimConfigError::Empty("no symbol"));
    }
    if cfg.exchanges.is_empty() {
        return Err(SimConfigError::Empty("no exchange"));
    }
    let total: f64 = cfg.leverage_weights.iter().map(|(_, w)| *w).sum();
    if cfg.leverage_weights.is_empty() || total.is_nan() || total <= 0.0 {
        return Err(SimConfigError::Empty("no leverage tier with a weight"));
    }
    for (tier, w) in &cfg.leverage_weights {
        range("leverage tier", f64::from(*tier), *tier >= 2)?;
        range("leverage weight", *w, *w >= 0.0)?;
    }
    for p in &cfg.symbols {
        range("start_price", p.start_price, p.start_price > 0.0)?;
        range(
            "annual_vol",
            p.annual_vol,
            (0.0..10.0).contains(&p.annual_vol),
        )?;
        range("round_step", p.round_step, p.round_step > 0.0)?;
        range(
            "volume_usd_per_sec",
            p.volume_usd_per_sec,
            p.volume_usd_per_sec > 0.0,
        )?;
        range("background_oi", p.background_oi, p.background_oi >= 0.0)?;
        range(
            "positions_per_sec",
            p.positions_per_sec,
            p.positions_per_sec >= 0.0,
        )?;
        range(
            "position_median_usd",
            p.position_median_usd,
            p.position_median_usd > 0.0,
        )?;
        for f in &p.formats {
            range("tick", f.tick as f64, f.tick > 0 && f.price_dp <= 12)?;
            range("lot", f.lot as f64, f.lot > 0 && f.qty_dp <= 12)?;
        }
    }
    Ok(())
}

fn topics(ex: Exchange, id: &str, book_depth: usize) -> Topics {
    match ex {
        Exchange::Binance => {
            let l = id.to_lowercase();
            Topics {
                trades: format!("{l}@aggTrade"),
                depth: format!("{l}@depth@100ms"),
                mark: format!("{l}@markPrice@1s"),
                oi: String::new(),
                funding: String::new(),
                liq: "!forceOrder@arr".into(),
            }
        }
        Exchange::Bybit => Topics {
            trades: format!("publicTrade.{id}"),
            depth: format!("orderbook.{book_depth}.{id}"),
            mark: format!("tickers.{id}"),
            oi: String::new(),
            funding: String::new(),
            liq: format!("allLiquidation.{id}"),
        },
        Exchange::Okx => Topics {
            trades: format!("trades:{id}"),
            depth: format!("books:{id}"),
            mark: String::new(),
            oi: format!("open-interest:{id}"),
            funding: format!("funding-rate:{id}"),
            liq: "liquidation-orders:SWAP".into(),
        },
    }
}

impl Simulator {
    /// A simulator for `config`; fails on a configuration it cannot simulate.
    pub fn new(config: SimConfig) -> Result<Self, SimConfigError> {
        let mut cfg = config;
        validate(&mut cfg)?;
        let registry = SymbolRegistry::new(cfg.registry.clone())?;
        let seed = cfg.seed;
        let mut rng_setup = Rng::new(seed, 1);
        let mut rng_book = Rng::new(seed, 2);
        let step = cfg.step_ms as i64;
        let start_ms = super::to_ms(cfg.start_ts).div_euclid(step) * step;
        let market = Market::new(&cfg.symbols, Rng::new(seed, 3));
        let mut insts = Vec::new();
        let mut by_sym = Vec::new();
        for (s, p) in cfg.symbols.iter().enumerate() {
            let sc = registry
                .symbol(&p.symbol)
                .ok_or_else(|| SimConfigError::UnknownSymbol(p.symbol.clone()))?;
            let mut slots = [None; 3];
            for ex in Exchange::ALL {
                if !cfg.exchanges.contains(&ex) {
                    continue;
                }
                let found = sc.instruments.iter().find(|i| {
                    i.exchange == ex
                        && i.market == MarketKind::Perp
                        && matches!(i.contract, Contract::Linear { .. })
                });
                let Some(ic) = found else { continue };
                let ct = match ic.contract {
                    Contract::Linear { ct_val, ct_mult } => ct_val * ct_mult,
                    Contract::Inverse { .. } => continue,
                };
                let exi = ex as usize;
                let levels = cfg.book_levels[exi].max(2);
                let levels = if ex == Exchange::Bybit {
                    levels.min(500)
                } else {
                    levels
                };
                let depth = [50, 200, 500]
                    .into_iter()
                    .find(|d| *d >= levels)
                    .unwrap_or(500);
                let fmt = p.formats[exi];
                let mut inst = Inst {
                    ex,
                    exi,
                    sym: s,
                    id: ic.id.clone(),
                    fmt,
                    ct,
                    topics: topics(ex, &ic.id, depth),
                    book: SimBook::new(levels, cfg.book_band),
                    median_lots: 1.0,
                    update_id: 0,
                    cross_seq: 0,
                    trade_id: 0,
                    agg_id: 0,
                    last_px: 0,
                    tick_dir: 2,
                    liq_window: Vec::new(),
                    background_oi: p.background_oi * EXCHANGE_SHARE[exi],
                    background_base: p.background_oi * EXCHANGE_SHARE[exi],
                    oi_hist: VecDeque::new(),
                    minutes: VecDeque::new(),
                };
                let mid = market.syms[s].mid[exi];
                let level_usd = p.volume_usd_per_sec * EXCHANGE_SHARE[exi] * 0.1;
                inst.median_lots = (level_usd / mid / inst.ct / fmt.lot_size()).max(1.0);
                inst.last_px = inst.ticks(mid);
                let mut scratch = Vec::new();
                let center = inst.ticks_f(mid);
                inst.book
                    .update(center, inst.median_lots, 0, &mut rng_book, &mut scratch);
                let r = &mut rng_setup;
                (inst.update_id, inst.cross_seq) = match ex {
                    Exchange::Binance => (3_000_000_000_000 + r.below(1 << 40) as i64, 0),
                    Exchange::Bybit => (
                        10_000_000 + r.below(1 << 24) as i64,
                        100_000_000_000 + r.below(1 << 32) as i64,
                    ),
                    Exchange::Okx => (10_000_000_000 + r.below(1 << 32) as i64, 0),
                };
                inst.trade_id = 1_000_000_000 + r.below(1 << 32);
                inst.agg_id = 1_000_000_000 + r.below(1 << 30);
                slots[exi] = Some(insts.len());
                insts.push(inst);
            }
            by_sym.push(slots);
        }
        if insts.is_empty() {
            return Err(SimConfigError::Empty(
                "no instrument of the exchanges in the registry",
            ));
        }
        let n_sym = cfg.symbols.len();
        let prev_mark = market.syms.iter().map(|m| m.mark).collect();
        let mut sim = Simulator {
            insts,
            by_sym,
            market,
            pop: Population::new(n_sym),
            rng_flow: Rng::new(seed, 4),
            rng_book,
            start_ms,
            now_ms: start_ms,
            pending: VecDeque::new(),
            liq_log: Vec::new(),
            prev_mark,
            ratio_hist: vec![VecDeque::new(); n_sym],
            stats: SimStats::default(),
            trades: Vec::new(),
            changes: Vec::new(),
            liquidated: Vec::new(),
            scratch: String::new(),
            uuid_counter: seed,
            cfg,
        };
        sim.seed_population(&mut rng_setup);
        sim.first_messages();
        Ok(sim)
    }

    /// Picks an instrument of `sym` by exchange share.
    pub(super) fn pick_inst(&mut self, sym: usize) -> Option<usize> {
        let slots = self.by_sym[sym];
        let w: [f64; 3] = std::array::from_fn(|e| {
            if slots[e].is_some() {
                EXCHANGE_SHARE[e]
            } else {
                0.0
            }
        });
        slots[self.rng_flow.weighted(&w)]
    }

    /// Draws a position of `sym` on instrument `ix` entering at `entry`.
    pub(super) fn draw_position(
        rng: &mut Rng,
        cfg: &SimConfig,
        inst: &Inst,
        entry: f64,
        long: bool,
    ) -> Position {
        let weights: Vec<f64> = cfg.leverage_weights.iter().map(|(_, w)| *w).collect();
        let leverage = cfg.leverage_weights[rng.weighted(&weights)].0;
        let p = &cfg.symbols[inst.sym];
        let lev_factor = (20.0 / f64::from(leverage)).powf(0.3);
        let notional = rng.lognormal(p.position_median_usd, 1.1) * lev_factor;
        Position {
            entry,
            liq: liquidation_price(entry, long, leverage),
            qty: notional / entry,
            leverage,
            long,
            ex: inst.exi as u8,
            sym: inst.sym as u16,
            top: notional >= p.position_median_usd * (0.84f64 * 1.1).exp(),
        }
    }

    /// Holding time of a position, ms (shorter at high leverage).
    pub(super) fn draw_hold_ms(rng: &mut Rng, cfg: &SimConfig, leverage: u32) -> i64 {
        let mean = cfg.mean_hold_s * (20.0 / f64::from(leverage)).powf(0.8);
        (rng.exp() * mean * 1000.0) as i64 + 1
    }

    fn seed_population(&mut self, rng: &mut Rng) {
        for s in 0..self.cfg.symbols.len() {
            let p = self.cfg.symbols[s].clone();
            let m = &self.market.syms[s];
            let (p0, hourly) = (m.fair, m.hourly_sd());
            for _ in 0..p.initial_positions {
                let Some(ix) = self.pick_inst(s) else { break };
                let long = rng.chance(0.5);
                let entry = if rng.chance(0.15) {
                    p.round_step * ((p0 / p.round_step).round() + (2.0 * rng.normal()).round())
                } else {
                    let age_h = rng.exp() * 3.0;
                    p0 * (hourly * age_h.sqrt() * rng.normal()).exp()
                };
                if entry.is_nan() || entry <= 0.0 {
                    continue;
                }
                let inst = &self.insts[ix];
                let pos = Self::draw_position(rng, &self.cfg, inst, entry, long);
                let mark = self.market.syms[s].mark[inst.exi];
                let safe = if long {
                    pos.liq < mark * 0.999
                } else {
                    pos.liq > mark * 1.001
                };
                if !safe || bankruptcy_price(entry, long, pos.leverage) <= 0.0 {
                    continue;
                }
                let expires = self.start_ms + Self::draw_hold_ms(rng, &self.cfg, pos.leverage);
                self.pop.open(pos, expires);
            }
        }
    }

    fn first_messages(&mut self) {
        let t = self.start_ms;
        for ix in 0..self.insts.len() {
            match self.insts[ix].ex {
                Exchange::Binance => self.binance_mark(ix, t),
                Exchange::Bybit => {
                    let m = self.book_snapshot_msg(ix, t);
                    self.push(t, m);
                    let m = self.ticker_msg(ix, t, true);
                    self.push(t, m);
                }
                Exchange::Okx => {
                    let m = self.book_snapshot_msg(ix, t);
                    self.push(t, m);
                    self.okx_oi(ix, t);
                    self.okx_funding(ix, t);
                }
            }
        }
        self.record_history(t - t.rem_euclid(300_000));
    }
}
