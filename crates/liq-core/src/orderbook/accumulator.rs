//! The 30-second order-book accumulator of one symbol (zones_orderbook.md B6-B7; DECISIONS zones
//! 2 and 8).
//!
//! Each book update of an exchange replaces that exchange's contribution: the resting notional
//! `price × size` of every level within `mid·(1 ± range_pct)` (raw bounds, inclusive), summed in
//! the iterator's order into integer bucket keys `half_even(price / step)`. When an update (or
//! [`Accumulator::tick`]) arrives in a later slot, the pending slot is emitted as a [`Frame`] whose
//! grid is the index-built band around the last mid and whose cells sum the configured exchanges'
//! latest contributions. Sizes must be in base units (contracts converted by the caller).
//!
//! Differences from the reference, all deliberate: several exchanges are summed (the reference
//! preset is Binance only); a band wider than 1000 cells uses the smallest multiple of the step
//! that fits instead of truncating (the header's `step` says which, a wider cell sums the
//! base-step buckets whose index rounds half-even into it); an update whose slot goes backwards
//! counts for the current slot instead of rewinding it; a detected gap marks the next frame.

use thiserror::Error;

use super::frame::{ExchangeSet, Frame, FrameGrid, FrameMarks, MAX_CELLS, SLOT_SECS};
use crate::event::Exchange;
use crate::grid::{BucketStep, GridError};

/// Most base-step buckets one band may span (a guard against absurd step/range settings).
pub const MAX_BAND_CELLS: usize = 1 << 20;

/// Settings of one symbol's accumulator.
#[derive(Clone, Debug, PartialEq)]
pub struct AccumulatorConfig {
    /// Configured bucket step (BTC 20, ETH 1, SOL 0.1).
    pub step: f64,
    /// Half-width of the band around the mid, as a fraction (0.10).
    pub range_pct: f64,
    /// Most cells per frame; a wider band widens the step (1000, the record's capacity).
    pub max_cells: usize,
    /// The exchanges whose books are summed; updates from others are ignored.
    pub exchanges: ExchangeSet,
    /// A contribution older than this many seconds at the slot's start is left out of a frame.
    pub max_book_age_secs: f64,
}

impl AccumulatorConfig {
    /// `step` and `range_pct` with every exchange, the 1000-cell cap and a 60 s book age.
    pub fn new(step: f64, range_pct: f64) -> Self {
        AccumulatorConfig {
            step,
            range_pct,
            max_cells: MAX_CELLS,
            exchanges: ExchangeSet::ALL,
            max_book_age_secs: 60.0,
        }
    }

    /// The reference's BTC setting: step 20, ±10 %, Binance only.
    pub fn reference() -> Self {
        AccumulatorConfig {
            exchanges: ExchangeSet::single(Exchange::Binance),
            ..Self::new(20.0, 0.10)
        }
    }
}

/// Why a configuration or an update was rejected (a rejected update changes nothing).
#[derive(Debug, Clone, PartialEq, Error)]
pub enum AccumulatorError {
    /// The step is not a valid bucket step.
    #[error("bad step: {0}")]
    Step(#[from] GridError),
    /// `range_pct` is not in (0, 1).
    #[error("range_pct {0} must be in (0, 1)")]
    Range(f64),
    /// `max_cells` is 0 or above the record's 1000.
    #[error("max_cells {0} must be in 1..=1000")]
    MaxCells(usize),
    /// The mid is not a positive finite number.
    #[error("mid {0} must be positive and finite")]
    Mid(f64),
    /// The update time is not finite.
    #[error("update time {0} is not finite")]
    Time(f64),
    /// The band around this mid spans more than [`MAX_BAND_CELLS`] buckets.
    #[error("band of {0} buckets is too wide")]
    BandTooWide(i64),
}

/// Resting notional per base-step bucket key `k_lo + i`.
#[derive(Clone, Debug, Default)]
struct SideCells {
    k_lo: i64,
    values: Vec<f64>,
}

impl SideCells {
    /// Rebuilds from `levels` within `[lo, hi]`; keys `k_lo..=k_hi` are those of `lo` and `hi`.
    fn rebuild(
        &mut self,
        step: &BucketStep,
        levels: impl IntoIterator<Item = (f64, f64)>,
        lo: f64,
        hi: f64,
    ) {
        self.k_lo = step.key(lo);
        let n = (step.key(hi) - self.k_lo + 1).max(0) as usize;
        self.values.clear();
        self.values.resize(n, 0.0);
        for (p, q) in levels {
            // NaN fails both comparisons; sizes must be positive and finite.
            if !(lo <= p && p <= hi && q > 0.0 && q.is_finite()) {
                continue;
            }
            // lo <= p <= hi, so k_lo <= key(p) <= k_hi (division and rounding are monotone).
            let i = (step.key(p) - self.k_lo) as usize;
            if let Some(v) = self.values.get_mut(i) {
                *v += p * q;
            }
        }
    }

    /// Adds every non-zero cell into `out`, whose cell `j` is the key `(k_min + j)` at step
    /// multiple `m` (cell key `round_half_even(k / m)`).
    fn add_into(&self, out: &mut [f64], k_range: (i64, i64), m: i64, out_k0: i64) {
        for (i, &v) in self.values.iter().enumerate() {
            let k = self.k_lo + i as i64;
            if v == 0.0 || k < k_range.0 || k > k_range.1 {
                continue;
            }
            let j = (div_half_even(k, m) - out_k0) as usize;
            if let Some(cell) = out.get_mut(j) {
                *cell += v;
            }
        }
    }
}

/// One exchange's latest contribution.
#[derive(Clone, Debug, Default)]
struct ExchangeBook {
    live: bool,
    ts: f64,
    bids: SideCells,
    asks: SideCells,
}

/// The accumulator of one symbol.
#[derive(Clone, Debug)]
pub struct Accumulator {
    cfg: AccumulatorConfig,
    step: BucketStep,
    books: [ExchangeBook; 3],
    current_slot: Option<i64>,
    pending: bool,
    src: f64,
    last_update_ts: f64,
    gaps: ExchangeSet,
    skipped_updates: u64,
}

/// `round_half_even(k / m)` for `m >= 1`, in integers.
pub fn div_half_even(k: i64, m: i64) -> i64 {
    let (q, r) = (k.div_euclid(m), k.rem_euclid(m));
    match (2 * r).cmp(&m) {
        std::cmp::Ordering::Less => q,
        std::cmp::Ordering::Greater => q + 1,
        std::cmp::Ordering::Equal => q + (q & 1),
    }
}

/// Index of an exchange in the accumulator's book array.
fn slot_of(ex: Exchange) -> usize {
    match ex {
        Exchange::Binance => 0,
        Exchange::Bybit => 1,
        Exchange::Okx => 2,
    }
}

impl Accumulator {
    /// A new accumulator; validates the step, range and cell cap.
    pub fn new(cfg: AccumulatorConfig) -> Result<Self, AccumulatorError> {
        let step = BucketStep::new(cfg.step)?;
        if !(cfg.range_pct > 0.0 && cfg.range_pct < 1.0) {
            return Err(AccumulatorError::Range(cfg.range_pct));
        }
        if cfg.max_cells == 0 || cfg.max_cells > MAX_CELLS {
            return Err(AccumulatorError::MaxCells(cfg.max_cells));
        }
        Ok(Accumulator {
            cfg,
            step,
            books: Default::default(),
            current_slot: None,
            pending: false,
            src: 0.0,
            last_update_ts: 0.0,
            gaps: ExchangeSet::EMPTY,
            skipped_updates: 0,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &AccumulatorConfig {
        &self.cfg
    }

    /// The raw inclusion band `(mid·(1 − range_pct), mid·(1 + range_pct))`; a caller may pass
    /// only the levels inside it.
    pub fn band(&self, mid: f64) -> (f64, f64) {
        (
            mid * (1.0 - self.cfg.range_pct),
            mid * (1.0 + self.cfg.range_pct),
        )
    }

    /// The slot of the pending frame (`floor(ts / 30)`), if any update arrived yet.
    pub fn current_slot(&self) -> Option<i64> {
        self.current_slot
    }

    /// Updates ignored because their exchange is not configured.
    pub fn skipped_updates(&self) -> u64 {
        self.skipped_updates
    }

    /// Replaces `exchange`'s contribution with its book as of wall clock `ts` (levels as
    /// `(price, size in base units)`, bids and asks in book order), centred on `mid`. `gap` says a
    /// gap or resync happened on that exchange since its previous update; the next emitted frame
    /// is marked. Returns the frame of the previous slot when this update starts a later slot.
    pub fn add_book<B, A>(
        &mut self,
        exchange: Exchange,
        bids: B,
        asks: A,
        mid: f64,
        ts: f64,
        gap: bool,
    ) -> Result<Option<Frame>, AccumulatorError>
    where
        B: IntoIterator<Item = (f64, f64)>,
        A: IntoIterator<Item = (f64, f64)>,
    {
        if !(mid.is_finite() && mid > 0.0) {
            return Err(AccumulatorError::Mid(mid));
        }
        if !ts.is_finite() {
            return Err(AccumulatorError::Time(ts));
        }
        if !self.cfg.exchanges.contains(exchange) {
            self.skipped_updates += 1;
            return Ok(None);
        }
        let (lo, hi) = self.band(mid);
        let width = self
            .step
            .key(hi)
            .saturating_sub(self.step.key(lo))
            .saturating_add(1);
        if width > MAX_BAND_CELLS as i64 {
            return Err(AccumulatorError::BandTooWide(width));
        }
        let emitted = self.enter_slot(ts);
        let step = self.step;
        let book = &mut self.books[slot_of(exchange)];
        book.bids.rebuild(&step, bids, lo, hi);
        book.asks.rebuild(&step, asks, lo, hi);
        book.live = true;
        book.ts = ts;
        self.src = mid;
        self.last_update_ts = ts;
        self.pending = true;
        if gap {
            self.gaps.insert(exchange);
        }
        Ok(emitted)
    }

    /// Records a gap detected on `exchange` at `ts` without a book update (e.g. a resync
    /// started); the next emitted frame is marked. Emits the pending slot if `ts` is past it.
    pub fn mark_gap(&mut self, exchange: Exchange, ts: f64) -> Option<Frame> {
        let emitted = if ts.is_finite() {
            self.enter_slot(ts)
        } else {
            None
        };
        self.gaps.insert(exchange);
        emitted
    }

    /// Drops `exchange`'s contribution (its book is no longer synced) and marks the gap.
    pub fn book_lost(&mut self, exchange: Exchange, ts: f64) -> Option<Frame> {
        let emitted = self.mark_gap(exchange, ts);
        self.books[slot_of(exchange)].live = false;
        emitted
    }

    /// Emits the pending slot if wall clock `now` is past its end (the timer emission of O11);
    /// the slot of `now` becomes current, so a late update cannot emit the same `ts` twice.
    pub fn tick(&mut self, now: f64) -> Option<Frame> {
        let slot = (now / SLOT_SECS).floor();
        match self.current_slot {
            Some(c) if self.pending && slot > c as f64 => {
                let frame = self.flush();
                // Saturating cast, as in `enter_slot`.
                self.current_slot = Some(slot as i64);
                frame
            }
            _ => None,
        }
    }

    /// Emits the pending slot now, whatever the time (a forced emission).
    pub fn flush(&mut self) -> Option<Frame> {
        let slot = self.current_slot?;
        if !self.pending {
            return None;
        }
        self.pending = false;
        Some(self.build_frame(slot))
    }

    /// Moves to the slot of `ts`, emitting the pending one if `ts` is in a later slot. A slot
    /// that goes backwards keeps the current one.
    fn enter_slot(&mut self, ts: f64) -> Option<Frame> {
        // Saturating cast: times beyond i64 seconds are clamped (not reachable with real clocks).
        let slot = (ts / SLOT_SECS).floor() as i64;
        match self.current_slot {
            Some(c) if slot > c => {
                let frame = self.flush();
                self.current_slot = Some(slot);
                frame
            }
            Some(_) => None,
            None => {
                self.current_slot = Some(slot);
                None
            }
        }
    }

    /// The frame of `slot` from the latest contributions and mid (B7).
    fn build_frame(&mut self, slot: i64) -> Frame {
        let ts = slot as f64 * SLOT_SECS;
        let (lo, hi) = self.band(self.src);
        let (k_min, k_max) = (self.step.key(lo), self.step.key(hi));
        let (m, grid_step) = self.fit_step(k_min, k_max);
        let (c_min, c_max) = (div_half_even(k_min, m), div_half_even(k_max, m));
        let n = ((c_max - c_min + 1).max(1) as usize).min(self.cfg.max_cells);
        let (mut bid_raw, mut ask_raw) = (vec![0.0; n], vec![0.0; n]);
        let mut exchanges = ExchangeSet::EMPTY;
        let oldest = ts - self.cfg.max_book_age_secs;
        for ex in self.cfg.exchanges.iter() {
            let book = &self.books[slot_of(ex)];
            if !book.live || book.ts < oldest {
                continue;
            }
            exchanges.insert(ex);
            book.bids.add_into(&mut bid_raw, (k_min, k_max), m, c_min);
            book.asks.add_into(&mut ask_raw, (k_min, k_max), m, c_min);
        }
        let marks = FrameMarks {
            gap: !self.gaps.is_empty(),
            gap_exchanges: self.gaps,
            exchanges,
            step_widened: m > 1,
            last_update_ts: self.last_update_ts,
        };
        self.gaps = ExchangeSet::EMPTY;
        let grid = FrameGrid {
            ts,
            src: self.src,
            step: grid_step.step(),
            price_min: grid_step.price(c_min),
            price_max: grid_step.price(c_min + n as i64 - 1),
        };
        Frame::from_raw(grid, bid_raw, ask_raw, marks)
    }

    /// The smallest step multiple `m` whose grid over keys `k_min..=k_max` fits the cell cap,
    /// with that step. Falls back to the base step when the multiple is not a valid step
    /// (unreachable for real prices); the grid is then cut at the cap.
    fn fit_step(&self, k_min: i64, k_max: i64) -> (i64, BucketStep) {
        let cap = self.cfg.max_cells as i64;
        let n = k_max - k_min + 1;
        if n <= cap {
            return (1, self.step);
        }
        let mut m = ((n - 1) / cap).max(2);
        while div_half_even(k_max, m) - div_half_even(k_min, m) + 1 > cap {
            m += 1;
        }
        // step·m as an exact decimal: (scaled·m) / 10^nd is `price(m)`.
        match BucketStep::with_ndigits(self.step.price(m), self.step.ndigits()) {
            Ok(s) => (m, s),
            Err(e) => {
                tracing::warn!(error = %e, m, "widened step rejected; frame cut at the cap");
                (1, self.step)
            }
        }
    }
}
