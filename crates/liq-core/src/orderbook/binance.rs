//! Binance local order book: REST snapshot plus the diff stream.
//!
//! Futures (USD-M and COIN-M), "How to manage a local order book correctly"
//! (developers.binance.com, derivatives): buffer the diffs, take a REST snapshot with
//! `lastUpdateId` L, drop diffs with `u < L`, the first diff processed must have
//! `U <= L <= u`, and each later diff's `pu` must equal the previous diff's `u`, otherwise
//! restart from the snapshot. Spot (`/api/v3/depth`, diffs without `pu`): drop diffs with
//! `u <= L`, the first must have `U <= L + 1 <= u`, later ones are ignored when `u` is below
//! the local id and restart the sync when `U > local id + 1`.
//!
//! Differences from the reference (zones_orderbook.md B3/B4): the first-diff rule is the
//! documented one and is also applied to a bridging diff that arrives after the snapshot (O2,
//! O4); buffered diffs are chain-checked; the gap tolerance is off by default (O3) and a gap is
//! always counted and flagged; a snapshot older than the buffered diffs is refused and the
//! buffer kept (the spot procedure's "fetch again"); a snapshot newer than a synced book
//! replaces it (a periodic re-snapshot needs no resync); levels beyond the snapshot's deepest
//! bid and ask are pruned by default (O5).

use std::collections::VecDeque;

use crate::event::{Depth, Market};
use crate::grid::py_round;
use crate::orderbook::book::OrderBook;
use crate::orderbook::recon::{Core, Outcome, ReconConfig, Reconstructor, ResyncCause};
use crate::orderbook::stats::{ObReconStats, ReconStats, SyncState};

/// Which of Binance's two documented procedures applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinanceRule {
    /// USD-M and COIN-M futures: `pu` chaining, first diff `U <= L <= u`.
    Futures,
    /// Spot: `U == previous u + 1`, first diff `U <= L + 1 <= u`.
    Spot,
}

impl BinanceRule {
    /// Futures for perpetuals, spot for spot.
    pub fn for_market(market: Market) -> Self {
        match market {
            Market::Perp => BinanceRule::Futures,
            Market::Spot => BinanceRule::Spot,
        }
    }
}

/// The kind of the last gap, as in `ob_recon_stats.json`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum GapKind {
    /// No gap yet.
    #[default]
    None,
    /// Futures: `pu` differs from the previous `u`.
    PuMismatch,
    /// Spot: `U` beyond the previous `u + 1`; or a first diff that does not bridge the snapshot.
    UGap,
}

impl GapKind {
    /// The file's text: `""`, `pu_mismatch` or `u_gap`.
    pub fn as_str(self) -> &'static str {
        match self {
            GapKind::None => "",
            GapKind::PuMismatch => "pu_mismatch",
            GapKind::UGap => "u_gap",
        }
    }
}

/// Details of the gaps seen, for `ob_recon_stats.json`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GapInfo {
    /// Kind of the last gap.
    pub last_kind: GapKind,
    /// The offending `pu` (or `U`).
    pub last_value: i64,
    /// The value the rule expected.
    pub last_expected: i64,
    /// `pu` mismatches seen.
    pub pu_count: u64,
    /// `U` gaps seen (including non-bridging first diffs).
    pub u_count: u64,
}

/// The sequencing fields of a diff.
#[derive(Clone, Copy, Debug)]
struct Seq {
    first: i64,
    last: i64,
    prev: Option<i64>,
}

/// Binance order-book reconstructor (one instrument).
#[derive(Clone, Debug)]
pub struct BinanceReconstructor {
    rule: BinanceRule,
    cfg: ReconConfig,
    core: Core,
    buffer: VecDeque<Depth>,
    snapshot_id: i64,
    last_u: i64,
    expect_first: bool,
    first_applied: (i64, i64),
    diffs_in_sync: u64,
    diffs_discarded: u64,
    last_update_ts: f64,
    synced_at: f64,
    max_sync_s: f64,
    gaps: GapInfo,
}

impl BinanceReconstructor {
    /// A reconstructor waiting for its first snapshot.
    pub fn new(rule: BinanceRule, cfg: &ReconConfig) -> Self {
        BinanceReconstructor {
            rule,
            cfg: *cfg,
            core: Core::new(cfg),
            buffer: VecDeque::new(),
            snapshot_id: 0,
            last_u: 0,
            expect_first: false,
            first_applied: (0, 0),
            diffs_in_sync: 0,
            diffs_discarded: 0,
            last_update_ts: 0.0,
            synced_at: 0.0,
            max_sync_s: 0.0,
            gaps: GapInfo::default(),
        }
    }

    /// The rule in use.
    pub fn rule(&self) -> BinanceRule {
        self.rule
    }

    /// `lastUpdateId` of the snapshot in use (0 while not synced).
    pub fn snapshot_update_id(&self) -> i64 {
        self.snapshot_id
    }

    /// `u` of the last applied diff (the snapshot's id right after it).
    pub fn last_update_id(&self) -> i64 {
        self.last_u
    }

    /// Whether the diff that bridges the snapshot is still awaited.
    pub fn awaiting_bridge(&self) -> bool {
        self.expect_first
    }

    /// Details of the gaps seen.
    pub fn gap_info(&self) -> GapInfo {
        self.gaps
    }

    /// The reference's status file (B11) as of `written_at`.
    pub fn file_stats(&self, written_at: f64) -> ObReconStats {
        let state = match self.core.state {
            SyncState::WaitingSnapshot => "unsynced",
            SyncState::Resyncing => "syncing",
            SyncState::Synced => "synced",
        };
        let price = |l: Option<&crate::event::Level>| {
            l.and_then(|l| rust_decimal::prelude::ToPrimitive::to_f64(&l.price))
                .unwrap_or(0.0)
        };
        let book = &self.core.book;
        ObReconStats {
            state: state.to_owned(),
            synced: self.core.state == SyncState::Synced,
            snapshot_last_update_id: self.snapshot_id,
            last_applied_u: self.last_u,
            first_diff_applied_upper: self.first_applied.0,
            first_diff_applied_u: self.first_applied.1,
            levels_bid: book.bid_levels() as u64,
            levels_ask: book.ask_levels() as u64,
            best_bid: price(book.best_bid()),
            best_ask: price(book.best_ask()),
            resyncs: self.core.stats.resyncs,
            diffs_buffered: self.buffer.len() as u64,
            diffs_applied: self.core.stats.updates_applied,
            diffs_discarded: self.diffs_discarded,
            last_update_ts: self.last_update_ts,
            gap_tolerance: self.cfg.gap_tolerance,
            last_gap_type: self.gaps.last_kind.as_str().to_owned(),
            last_gap_pu: self.gaps.last_value,
            last_gap_expected: self.gaps.last_expected,
            pu_gap_count: self.gaps.pu_count,
            u_gap_count: self.gaps.u_count,
            max_sync_duration_s: self.max_sync_s,
            diffs_in_current_sync: self.diffs_in_sync,
            written_at,
        }
    }

    fn seq(&self, d: &Depth) -> Option<Seq> {
        let s = Seq {
            first: d.first_update_id?,
            last: d.last_update_id?,
            prev: d.prev_update_id,
        };
        match self.rule {
            BinanceRule::Futures if s.prev.is_none() => None,
            _ => Some(s),
        }
    }

    /// Whether a diff ends before the snapshot `l` (the rule's "drop" test).
    fn is_stale(&self, s: Seq, l: i64) -> bool {
        match self.rule {
            BinanceRule::Futures => s.last < l,
            BinanceRule::Spot => s.last <= l,
        }
    }

    /// The id the first diff must contain: L (futures) or L + 1 (spot).
    fn bridge_id(&self, l: i64) -> i64 {
        match self.rule {
            BinanceRule::Futures => l,
            BinanceRule::Spot => l.saturating_add(1),
        }
    }

    fn push_buffer(&mut self, d: Depth) {
        if self.buffer.len() >= self.cfg.buffer_capacity.max(1) {
            self.buffer.pop_front();
            self.core.stats.dropped += 1;
            self.core.stats.buffer_overflows += 1;
        }
        self.buffer.push_back(d);
        self.core.stats.buffered = self.buffer.len() as u64;
    }

    fn stale(&mut self) -> Outcome {
        self.core.stats.stale += 1;
        self.diffs_discarded += 1;
        Outcome::Stale
    }

    /// A diff while synced: first-diff rule, then chaining.
    fn live(&mut self, d: &Depth, now: f64) -> Outcome {
        let Some(s) = self.seq(d) else {
            return self.invalid(now);
        };
        let (kind, got, expected, distance) = if self.expect_first {
            let l = self.snapshot_id;
            if self.is_stale(s, l) {
                return self.stale();
            }
            // `U <= L <= u` (spot: L + 1); a futures diff whose `pu` is L continues exactly
            // from the snapshot's state as well (the diff ending at L was already applied or
            // never received).
            let want = self.bridge_id(l);
            if s.first <= want || (self.rule == BinanceRule::Futures && s.prev == Some(l)) {
                return self.apply(d, s, now);
            }
            (GapKind::UGap, s.first, want, s.first.abs_diff(want))
        } else {
            match (self.rule, s.prev) {
                (BinanceRule::Futures, Some(pu)) if pu == self.last_u => {
                    return self.apply(d, s, now);
                }
                (BinanceRule::Futures, pu) => {
                    let pu = pu.unwrap_or(0);
                    (
                        GapKind::PuMismatch,
                        pu,
                        self.last_u,
                        pu.abs_diff(self.last_u),
                    )
                }
                (BinanceRule::Spot, _) if s.last < self.last_u => return self.stale(),
                (BinanceRule::Spot, _) => {
                    let want = self.last_u.saturating_add(1);
                    if s.first <= want {
                        return self.apply(d, s, now);
                    }
                    (GapKind::UGap, s.first, want, s.first.abs_diff(want))
                }
            }
        };
        self.core.gap();
        self.gaps.last_kind = kind;
        self.gaps.last_value = got;
        self.gaps.last_expected = expected;
        match kind {
            GapKind::PuMismatch => self.gaps.pu_count += 1,
            _ => self.gaps.u_count += 1,
        }
        if self.cfg.gap_tolerance > 0 && distance <= self.cfg.gap_tolerance {
            self.core.stats.gaps_tolerated += 1;
            return self.apply(d, s, now);
        }
        self.resync(now);
        // The diff that revealed the gap is the first one a new snapshot may bridge.
        self.push_buffer(d.clone());
        Outcome::Resync(ResyncCause::Gap)
    }

    fn invalid(&mut self, now: f64) -> Outcome {
        self.core.stats.invalid += 1;
        self.core.stats.dropped += 1;
        if self.core.state == SyncState::Synced {
            self.resync(now);
            Outcome::Resync(ResyncCause::Invalid)
        } else {
            Outcome::Dropped
        }
    }

    fn apply(&mut self, d: &Depth, s: Seq, now: f64) -> Outcome {
        if self.expect_first {
            self.expect_first = false;
            self.first_applied = (s.first, s.last);
        }
        self.core.apply_diff(d);
        self.last_u = s.last;
        self.diffs_in_sync += 1;
        self.last_update_ts = now;
        Outcome::Applied
    }

    fn resync(&mut self, now: f64) {
        if self.core.state == SyncState::Synced {
            self.max_sync_s = self.max_sync_s.max(py_round(now - self.synced_at, 3));
        }
        self.core.resync();
        self.snapshot_id = 0;
        self.last_u = 0;
        self.expect_first = false;
    }

    /// Whether the snapshot `l` leaves out events the buffer needs: the first buffered diff
    /// that is not stale starts after the bridge id.
    fn snapshot_too_old(&self, l: i64) -> bool {
        let want = self.bridge_id(l);
        self.buffer
            .iter()
            .filter_map(|d| self.seq(d))
            .find(|s| !self.is_stale(*s, l))
            .is_some_and(|s| s.first > want)
    }
}

impl Reconstructor for BinanceReconstructor {
    fn on_snapshot(&mut self, d: &Depth, now: f64) -> Outcome {
        self.core.stats.messages += 1;
        let Some(l) = d.last_update_id else {
            // A snapshot without its id cannot be aligned; the book (if any) is unaffected.
            self.core.stats.invalid += 1;
            self.core.stats.dropped += 1;
            return Outcome::Dropped;
        };
        let synced = self.core.state == SyncState::Synced;
        if (synced && l < self.last_u) || self.snapshot_too_old(l) {
            self.core.stats.stale += 1;
            return Outcome::Stale;
        }
        self.core.load_snapshot(d);
        if self.cfg.prune_to_snapshot {
            self.core.book.set_floors_at_deepest();
        }
        // A re-snapshot at exactly the applied id changes nothing in the chain.
        self.expect_first = !(synced && l == self.last_u);
        self.snapshot_id = l;
        self.last_u = l;
        self.first_applied = (0, 0);
        self.diffs_in_sync = 0;
        if !synced {
            self.synced_at = now;
        }
        let buffered = std::mem::take(&mut self.buffer);
        self.core.stats.buffered = 0;
        for b in buffered {
            if self.core.state == SyncState::Synced {
                self.live(&b, now);
            } else {
                self.push_buffer(b);
            }
        }
        if self.core.state == SyncState::Synced {
            Outcome::Snapshot
        } else {
            Outcome::Resync(ResyncCause::Gap)
        }
    }

    fn on_diff(&mut self, d: &Depth, now: f64) -> Outcome {
        self.core.stats.messages += 1;
        if self.seq(d).is_none() {
            return self.invalid(now);
        }
        if self.core.state == SyncState::Synced {
            self.live(d, now)
        } else {
            self.push_buffer(d.clone());
            Outcome::Buffered
        }
    }

    fn book(&self) -> &OrderBook {
        &self.core.book
    }

    fn state(&self) -> SyncState {
        self.core.state
    }

    fn stats(&self) -> ReconStats {
        self.core.stats()
    }

    fn take_gap_flag(&mut self) -> bool {
        self.core.take_gap_flag()
    }
    fn connection_lost(&mut self) {
        self.buffer.clear();
        self.core.connection_lost();
    }
}
