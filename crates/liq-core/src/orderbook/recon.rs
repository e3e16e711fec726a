//! What every reconstructor shares: configuration, the outcome of a message, the
//! [`Reconstructor`] trait, [`AnyReconstructor`] (one per exchange and instrument) and the
//! common state (book, counters, gap flag).
//!
//! A reconstructor is pure: the caller hands it normalized depth events and the receive time.
//! When it cannot follow the exchange's sequence it clears its book, says so
//! ([`SyncState::Resyncing`], [`Reconstructor::needs_snapshot`]) and waits for a new snapshot,
//! which the caller obtains (Binance: a REST snapshot; Bybit and OKX: a resubscription).

use serde::{Deserialize, Serialize};

use crate::event::{Depth, EventKind, Exchange, Market, MarketEvent};
use crate::orderbook::binance::{BinanceReconstructor, BinanceRule};
use crate::orderbook::book::OrderBook;
use crate::orderbook::bybit::BybitReconstructor;
use crate::orderbook::okx::OkxReconstructor;
use crate::orderbook::stats::{ReconStats, SyncState};

/// Configuration shared by the reconstructors.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReconConfig {
    /// Reference behaviour (Binance and Bybit): a gap of at most this many update ids is applied
    /// as if contiguous. 0 (the default) turns it off. A tolerated gap is still counted and
    /// flagged.
    pub gap_tolerance: u64,
    /// Binance: do not store diff levels beyond the snapshot's deepest bid and ask, where a
    /// diff-built book is only partly known (spec O5; DECISIONS zones 3). Default on.
    pub prune_to_snapshot: bool,
    /// Binance: diffs held while waiting for a snapshot; the oldest goes first when full.
    pub buffer_capacity: usize,
    /// Initial key scale of the book (the decimals of the tick size, when known).
    pub price_scale: u32,
}

impl Default for ReconConfig {
    fn default() -> Self {
        ReconConfig {
            gap_tolerance: 0,
            prune_to_snapshot: true,
            buffer_capacity: 1000,
            price_scale: 0,
        }
    }
}

impl ReconConfig {
    /// The reference's settings: the given gap tolerance (1000 for BTC), no pruning, 500 diffs.
    pub fn reference(gap_tolerance: u64) -> Self {
        ReconConfig {
            gap_tolerance,
            prune_to_snapshot: false,
            buffer_capacity: 500,
            price_scale: 0,
        }
    }
}

/// Why a reconstructor gave up its book.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResyncCause {
    /// A sequence gap (or a first diff that does not bridge the snapshot).
    Gap,
    /// An OKX checksum mismatch.
    Checksum,
    /// A message without the fields needed to sequence it.
    Invalid,
}

/// What one message did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// A snapshot replaced the book (and, for Binance, the buffered diffs were replayed).
    Snapshot,
    /// A diff changed the book.
    Applied,
    /// An OKX keep-alive: nothing changed.
    KeepAlive,
    /// A Binance diff held until a snapshot arrives.
    Buffered,
    /// Older than the book: ignored.
    Stale,
    /// Not applied: no book yet, resyncing, or malformed.
    Dropped,
    /// Sync lost: the book was cleared and a new snapshot is needed.
    Resync(ResyncCause),
}

impl Outcome {
    /// Whether the book changed (a frame accumulator should look at it).
    pub fn book_changed(self) -> bool {
        matches!(
            self,
            Outcome::Snapshot | Outcome::Applied | Outcome::Resync(_)
        )
    }
}

/// The interface of every reconstructor.
pub trait Reconstructor {
    /// Handles a snapshot (Binance REST, Bybit/OKX `snapshot`); `now` is the receive time.
    fn on_snapshot(&mut self, depth: &Depth, now: f64) -> Outcome;
    /// Handles a diff; `now` is the receive time.
    fn on_diff(&mut self, depth: &Depth, now: f64) -> Outcome;
    /// The current book (empty unless synced).
    fn book(&self) -> &OrderBook;
    /// The synchronisation state.
    fn state(&self) -> SyncState;
    /// The counters, including the book's rejected and pruned levels.
    fn stats(&self) -> ReconStats;
    /// Whether a gap or checksum failure happened since the last call (and clears the flag).
    fn take_gap_flag(&mut self) -> bool;
    /// The connection carrying this book dropped or stalled: the book can no longer be
    /// trusted; it is cleared, the gap counted and flagged, and a new snapshot awaited.
    fn connection_lost(&mut self);

    /// Whether the caller must provide a new snapshot.
    fn needs_snapshot(&self) -> bool {
        self.state() != SyncState::Synced
    }

    /// Routes a depth event by kind; `None` for other events.
    fn on_event(&mut self, ev: &MarketEvent) -> Option<Outcome> {
        match &ev.kind {
            EventKind::DepthSnapshot(d) => Some(self.on_snapshot(d, ev.receive_ts)),
            EventKind::DepthDiff(d) => Some(self.on_diff(d, ev.receive_ts)),
            _ => None,
        }
    }
}

/// A reconstructor of any exchange.
#[derive(Clone, Debug)]
pub enum AnyReconstructor {
    /// Binance (futures or spot rule).
    Binance(BinanceReconstructor),
    /// Bybit v5.
    Bybit(BybitReconstructor),
    /// OKX v5 `books`.
    Okx(OkxReconstructor),
}

impl AnyReconstructor {
    /// The reconstructor that follows `exchange`'s documented rule for `market`.
    pub fn new(exchange: Exchange, market: Market, cfg: &ReconConfig) -> Self {
        match exchange {
            Exchange::Binance => AnyReconstructor::Binance(BinanceReconstructor::new(
                BinanceRule::for_market(market),
                cfg,
            )),
            Exchange::Bybit => AnyReconstructor::Bybit(BybitReconstructor::new(cfg)),
            Exchange::Okx => AnyReconstructor::Okx(OkxReconstructor::new(cfg)),
        }
    }

    /// The Binance reconstructor (for its `ob_recon_stats.json`), if this is one.
    pub fn as_binance(&self) -> Option<&BinanceReconstructor> {
        match self {
            AnyReconstructor::Binance(r) => Some(r),
            _ => None,
        }
    }

    /// The exchange this reconstructor follows.
    pub fn exchange(&self) -> Exchange {
        match self {
            AnyReconstructor::Binance(_) => Exchange::Binance,
            AnyReconstructor::Bybit(_) => Exchange::Bybit,
            AnyReconstructor::Okx(_) => Exchange::Okx,
        }
    }

    fn inner(&self) -> &dyn Reconstructor {
        match self {
            AnyReconstructor::Binance(r) => r,
            AnyReconstructor::Bybit(r) => r,
            AnyReconstructor::Okx(r) => r,
        }
    }

    fn inner_mut(&mut self) -> &mut dyn Reconstructor {
        match self {
            AnyReconstructor::Binance(r) => r,
            AnyReconstructor::Bybit(r) => r,
            AnyReconstructor::Okx(r) => r,
        }
    }
}

impl Reconstructor for AnyReconstructor {
    fn on_snapshot(&mut self, depth: &Depth, now: f64) -> Outcome {
        self.inner_mut().on_snapshot(depth, now)
    }
    fn on_diff(&mut self, depth: &Depth, now: f64) -> Outcome {
        self.inner_mut().on_diff(depth, now)
    }
    fn book(&self) -> &OrderBook {
        self.inner().book()
    }
    fn state(&self) -> SyncState {
        self.inner().state()
    }
    fn stats(&self) -> ReconStats {
        self.inner().stats()
    }
    fn take_gap_flag(&mut self) -> bool {
        self.inner_mut().take_gap_flag()
    }
    fn connection_lost(&mut self) {
        self.inner_mut().connection_lost()
    }
}

/// State every reconstructor keeps: the book, the sync state, the counters and the gap flag.
#[derive(Clone, Debug)]
pub(crate) struct Core {
    pub(crate) book: OrderBook,
    pub(crate) state: SyncState,
    pub(crate) stats: ReconStats,
    pub(crate) gap_flag: bool,
}

impl Core {
    pub(crate) fn new(cfg: &ReconConfig) -> Self {
        Core {
            book: OrderBook::with_scale(cfg.price_scale),
            state: SyncState::WaitingSnapshot,
            stats: ReconStats::default(),
            gap_flag: false,
        }
    }

    /// Replaces the book with a snapshot and marks it synced.
    pub(crate) fn load_snapshot(&mut self, d: &Depth) {
        self.book.apply_snapshot(&d.bids, &d.asks);
        self.state = SyncState::Synced;
        self.stats.snapshots += 1;
        self.check_crossed();
    }

    /// Applies a diff's levels and counts it.
    pub(crate) fn apply_diff(&mut self, d: &Depth) {
        self.book.apply_levels(&d.bids, &d.asks);
        self.stats.updates_applied += 1;
        self.check_crossed();
    }

    fn check_crossed(&mut self) {
        if self.book.is_crossed() {
            self.stats.crossed += 1;
        }
    }

    /// Records a detected gap (always counted and flagged, tolerated or not).
    pub(crate) fn gap(&mut self) {
        self.stats.gaps += 1;
        self.gap_flag = true;
    }

    /// The feed dropped: a gap, then a resync.
    pub(crate) fn connection_lost(&mut self) {
        self.gap();
        self.resync();
    }

    /// Clears the book and waits for a new snapshot.
    pub(crate) fn resync(&mut self) {
        self.stats.resyncs += 1;
        self.gap_flag = true;
        self.book.clear();
        self.state = SyncState::Resyncing;
    }

    /// A message without its sequencing fields: dropped; a synced book can no longer be trusted.
    pub(crate) fn invalid(&mut self) -> Outcome {
        self.stats.invalid += 1;
        self.stats.dropped += 1;
        if self.state == SyncState::Synced {
            self.resync();
            Outcome::Resync(ResyncCause::Invalid)
        } else {
            Outcome::Dropped
        }
    }

    /// The counters with the book's level counters merged in.
    pub(crate) fn stats(&self) -> ReconStats {
        ReconStats {
            levels_rejected: self.book.levels_rejected(),
            levels_pruned: self.book.levels_pruned(),
            ..self.stats
        }
    }

    /// Returns and clears the gap flag.
    pub(crate) fn take_gap_flag(&mut self) -> bool {
        std::mem::take(&mut self.gap_flag)
    }
}
