//! The deterministic market simulator: a [`MarketSource`] that writes the Binance USD-M, Bybit
//! v5 and OKX v5 messages of a synthetic market, byte for byte the same for the same seed and
//! configuration (on one platform: the PRNG is integer arithmetic written here, but `exp`/`ln`
//! of the platform's libm may differ in the last bit elsewhere).
//!
//! # Model
//!
//! Time advances in fixed steps (`step_ms`, default 100 ms) on a grid aligned to the epoch, so
//! the message stream does not depend on how `advance` is called. Each step:
//!
//! - **Prices** ([`market`]): one index ("fair") price per symbol, a log random walk whose
//!   volatility is the symbol's annual volatility (BTC 55 %, ETH 70 %, SOL 90 %) times a
//!   market-wide regime (calm 0.55x, normal 1x, stormy 2.2x; Markov switching with mean stays
//!   of 40, 30 and 12 minutes) times `1 + excitation`, where excitation jumps after price
//!   jumps and liquidation cascades and decays with a 10-minute time constant (volatility
//!   clustering). Market-wide jumps (about 2 per hour, 0.35 % standard deviation, scaled by
//!   each symbol's volatility and beta) and rarer idiosyncratic ones. A common factor with
//!   loadings 0.95/0.85/0.80 correlates the symbols. Each exchange's price is the index times
//!   a small mean-reverting basis (a few basis points); the mark price is the index plus a
//!   3-second average of that premium; funding is 0.01 % plus 1.5 times the 1-hour average
//!   premium, clamped to ±0.3 %.
//! - **Trades**: a Poisson number per step, at most `trades_per_sec` per symbol on average
//!   (all exchanges together, split 45/33/22 % between Binance, Bybit and OKX); the traded
//!   volume (BTC about 250k USD/s) scales with the regime and excitation and is spread over
//!   those trades, so the count stays capped while the volume stays realistic. The taker side
//!   follows the step's price shock (`P(buy) = 0.5 + 0.35 tanh(0.8 z)`), so imbalance and
//!   price moves agree. Trades print at the exchange's best bid or ask.
//! - **Positions** ([`population`]): leveraged positions open at a rate that grows with
//!   activity and with the recent trend, on both sides (trend followers lean with the move),
//!   at the tiers of liq_core's runtime leverage ladder (`10..125`x; configurable weights), with
//!   log-normal sizes (smaller at high leverage) and exponential holding times (shorter at high
//!   leverage). When the price crosses a round number (BTC 1000, ETH 50, SOL 5) a burst of
//!   positions opens *at* that number, so liquidation levels cluster at `round * (1 -/+ 1/L)`.
//!   The start population (opened over the preceding hours) gives zones from the first minute.
//!   Each position has an isolated-margin liquidation price `entry * (1 -/+ 1/L ± mmr)`
//!   (mmr 0.4 %, lower where it would exceed 1/L); when the exchange's mark price crosses it,
//!   the position is liquidated: it prints a taker trade, pushes the price (about 1 bp per
//!   million USD on BTC, excitation too, hence cascades) and goes to its feed.
//! - **Open interest** per exchange = a slowly wandering background (the positions not
//!   modelled, most of it) plus the modelled positions, so OI rises with openings and falls with
//!   closes and liquidations.
//! - **Books** (`book.rs`): per exchange and symbol, levels in whole ticks and lots around the
//!   exchange price (Binance 100, Bybit 50, OKX 100 levels per side by default), re-centred and
//!   churned every `depth_interval_ms`; each update's touched levels are the diff.
//!
//! # Feeds and their sampling
//!
//! - Binance: `<sym>@aggTrade`, `<sym>@depth@100ms` (`U`/`u`/`pu` chained; the REST
//!   `/fapi/v1/depth` snapshot carries the `lastUpdateId` of the last diff generated, so
//!   the documented sync rule holds), `<sym>@markPrice@1s`, and `!forceOrder@arr` with the
//!   documented sampling: per symbol, at most the **latest** liquidation of each 1000 ms
//!   window (aligned to whole seconds), pushed at the window's end; the others are not sent
//!   (the real feed under-counts the same way).
//! - Bybit: `publicTrade`, `orderbook.50` (a snapshot, then deltas with `u` + 1 and a rising
//!   `seq`; a snapshot is re-sent every `snapshot_interval_ms`, which resets the book as the
//!   docs say), `tickers` (snapshot then deltas), `allLiquidation` batched per 500 ms window
//!   with every liquidation of the window; `S` is the liquidated position's side (`Buy` = a long,
//!   v5 docs "All Liquidation", as liq_core's normalizer reads it).
//! - OKX: `trades`, `books` (snapshot with `prevSeqId` -1, then updates whose `prevSeqId` is
//!   the previous `seqId`, each with the CRC32 checksum of the best 25 levels per side),
//!   `open-interest` every 3 s, `funding-rate` every 60 s, `liquidation-orders` (instType SWAP)
//!   once per second with at most the latest order per instrument, sizes in contracts.
//!
//! REST answers (`rest()`) come from the state at `now`: the simulator first runs up to `now`
//! (keeping the messages for the next `advance`), so a snapshot is never older than the stream.
//!
//! # What is not realistic
//!
//! The positions are a modelled minority of the open interest, with synthetic sizes and
//! holding times; liquidations use the simple isolated-margin formula with one maintenance
//! rate, no tiered margin, no cross margin, no insurance fund or ADL. Order books are random
//! levels with no queue dynamics; trades do not consume them; book depth does not react to
//! liquidations. Volume and trade counts are tuned to look plausible, not fitted. The basis is
//! noise, not arbitrage; funding is a formula of the premium. The Bybit ticker's 24-hour fields
//! come from the simulated history only (they start empty).

mod binance;
mod book;
mod bybit;
pub mod config;
mod fmt;
mod inst;
pub mod market;
mod okx;
pub mod population;
mod rest;
mod rng;
mod run;
mod setup;
mod streams;

use std::collections::VecDeque;

use liq_core::event::Exchange;

use crate::wire::{MarketSource, RestAnswer, WireMsg};

pub use config::{DEFAULT_START_TS, InstrumentFormat, SimConfig, SimConfigError, SymbolParams};
pub use population::{LiquidationRecord, Position, RatioCounts};

use book::Change;
use inst::{Inst, TradeOut};
use market::Market;
use population::Population;
use rng::Rng;

/// Counters of a simulation run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SimStats {
    /// Steps simulated.
    pub steps: u64,
    /// WebSocket messages generated.
    pub messages: u64,
    /// Trades printed (including liquidation fills).
    pub trades: u64,
    /// Positions opened (after the start population).
    pub positions_opened: u64,
    /// Positions closed by their holder.
    pub positions_closed: u64,
    /// Positions liquidated per exchange (Binance, Bybit, OKX).
    pub liquidations: [u64; 3],
    /// Liquidations that reached their feed (after Binance's and OKX's sampling).
    pub liquidations_pushed: [u64; 3],
    /// Liquidated notional per exchange, USD.
    pub liquidated_usd: [f64; 3],
}

/// The market simulator (see the module docs for the model).
#[derive(Debug)]
pub struct Simulator {
    cfg: SimConfig,
    insts: Vec<Inst>,
    by_sym: Vec<[Option<usize>; 3]>,
    market: Market,
    pop: Population,
    rng_flow: Rng,
    rng_book: Rng,
    start_ms: i64,
    now_ms: i64,
    pending: VecDeque<(i64, WireMsg)>,
    liq_log: Vec<LiquidationRecord>,
    prev_mark: Vec<[f64; 3]>,
    ratio_hist: Vec<VecDeque<(i64, RatioCounts)>>,
    stats: SimStats,
    trades: Vec<TradeOut>,
    changes: Vec<Change>,
    liquidated: Vec<Position>,
    scratch: String,
    uuid_counter: u64,
}

impl Simulator {
    /// The simulator's time: the end of the last simulated step, Unix ms.
    pub fn now_ms(&self) -> i64 {
        self.now_ms
    }

    /// The configuration in use (intervals rounded to whole steps).
    pub fn config(&self) -> &SimConfig {
        &self.cfg
    }

    /// Changes the interval of book diffs from the next step on (rounded up to whole steps),
    /// e.g. a demo that pre-simulated its history at 1000 ms and goes live at 100 ms. The
    /// stream stays deterministic for the same calls.
    pub fn set_depth_interval_ms(&mut self, ms: u64) {
        let step = self.cfg.step_ms;
        self.cfg.depth_interval_ms = ms.div_ceil(step).max(1) * step;
        if self.cfg.snapshot_interval_ms > 0 {
            let d = self.cfg.depth_interval_ms;
            self.cfg.snapshot_interval_ms = self.cfg.snapshot_interval_ms.div_ceil(d) * d;
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> &SimStats {
        &self.stats
    }

    /// Every liquidation so far, when `keep_liquidation_log` is set.
    pub fn liquidation_log(&self) -> &[LiquidationRecord] {
        &self.liq_log
    }

    /// Index price of each symbol, in configuration order.
    pub fn index_prices(&self) -> Vec<(String, f64)> {
        self.cfg
            .symbols
            .iter()
            .zip(&self.market.syms)
            .map(|(p, m)| (p.symbol.clone(), m.fair))
            .collect()
    }

    /// Mark price of a symbol (configuration index) on an exchange.
    pub fn mark_price(&self, sym: usize, exchange: Exchange) -> Option<f64> {
        self.market.syms.get(sym).map(|m| m.mark[exchange as usize])
    }

    /// Open modelled positions whose liquidation price the current mark has crossed (always 0
    /// between steps: a crossed position is liquidated in the step that crossed it).
    pub fn crossed_positions(&self) -> usize {
        let mut n = 0;
        for (s, slots) in self.by_sym.iter().enumerate() {
            for (e, slot) in slots.iter().enumerate() {
                if slot.is_some() {
                    n += self.pop.crossed(s, e, self.market.syms[s].mark[e]);
                }
            }
        }
        n
    }

    /// Open modelled positions.
    pub fn open_positions(&self) -> usize {
        self.pop.open_count
    }

    /// Open interest of a symbol on an exchange, base units.
    pub fn open_interest(&self, sym: usize, exchange: Exchange) -> Option<f64> {
        let ix = (*self.by_sym.get(sym)?)[exchange as usize]?;
        Some(self.oi_of(ix))
    }

    fn oi_of(&self, ix: usize) -> f64 {
        let i = &self.insts[ix];
        i.background_oi + self.pop.oi[i.sym][i.exi]
    }

    /// Queues a snapshot of a book or ticker subscription (Bybit `orderbook.*` or `tickers.*`,
    /// OKX `books:*`) at the current end of the stream, consistent with the sequence numbers of
    /// the messages before and after it; `advance` hands it out like any message, to every
    /// subscriber of the topic (a snapshot mid-stream resets a book to the state it already
    /// has). A mock exchange calls it when a client subscribes, so the client syncs at once
    /// instead of waiting for the periodic snapshot. Returns `false` for an unknown topic.
    pub fn request_snapshot(&mut self, exchange: Exchange, topic: &str) -> bool {
        let found = self.insts.iter().position(|i| {
            i.ex == exchange
                && exchange != Exchange::Binance
                && (i.topics.depth == topic
                    || (i.topics.mark == topic && exchange == Exchange::Bybit))
        });
        let Some(ix) = found else { return false };
        let ts = self.now_ms;
        let msg = if self.insts[ix].topics.depth == topic {
            self.book_snapshot_msg(ix, ts)
        } else {
            self.ticker_msg(ix, ts, true)
        };
        self.push(ts, msg);
        true
    }

    /// Every subscription key the simulator sends on, with its exchange (wire.rs naming).
    pub fn topics(&self) -> Vec<(Exchange, String)> {
        let mut v: Vec<(Exchange, String)> = Vec::new();
        for i in &self.insts {
            let t = &i.topics;
            for topic in [&t.trades, &t.depth, &t.mark, &t.oi, &t.funding, &t.liq] {
                if !topic.is_empty() && !v.iter().any(|(e, x)| *e == i.ex && x == topic) {
                    v.push((i.ex, topic.clone()));
                }
            }
        }
        v
    }

    /// Runs the simulation up to `until_ms` without handing out messages (at most
    /// [`MAX_RUN_MS`] per call, so an infinite or absurd time cannot hang the caller).
    fn run_to(&mut self, until_ms: i64) {
        let until_ms = until_ms.min(self.now_ms.saturating_add(MAX_RUN_MS));
        while self.now_ms < until_ms {
            self.step();
        }
    }
}

/// The most simulated time one `advance` or `rest` call runs (31 days).
pub const MAX_RUN_MS: i64 = 31 * 86_400_000;

fn to_ms(ts: f64) -> i64 {
    // A tenth of a microsecond absorbs the binary representation of whole milliseconds.
    (ts * 1000.0 + 1e-4).floor() as i64
}

impl MarketSource for Simulator {
    fn advance(&mut self, until: f64, out: &mut Vec<WireMsg>) -> bool {
        let until_ms = to_ms(until);
        self.run_to(until_ms);
        while let Some((ts, _)) = self.pending.front() {
            if *ts > until_ms {
                break;
            }
            if let Some((_, m)) = self.pending.pop_front() {
                out.push(m);
            }
        }
        true
    }

    fn rest(
        &mut self,
        exchange: Exchange,
        path: &str,
        query: &str,
        now: f64,
    ) -> Option<RestAnswer> {
        self.run_to(to_ms(now));
        rest::answer(self, exchange, path, query)
    }

    fn start_ts(&self) -> f64 {
        self.start_ms as f64 / 1000.0
    }
}
