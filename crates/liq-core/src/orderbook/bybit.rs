//! Bybit v5 `orderbook.{depth}.{symbol}` reconstructor.
//!
//! Bybit's documentation ("Orderbook", "Process snapshot/delta"): the first message after
//! subscribing is a `snapshot`; `delta` messages follow; any new snapshot replaces the local
//! book; in a delta, size 0 deletes a level and any other size inserts or replaces it. `u` is
//! the update id and normally increases by one per message; "occasionally you'll receive
//! `u` = 1, which is a snapshot data due to the restart of the service": such a message resets
//! the book whatever its `type`. `seq` is a cross sequence for comparing depths, not a
//! continuity counter, so it is not checked.
//!
//! A gap in `u` is not documented as an error; the safe reaction is a resubscription (a new
//! snapshot), so a gap clears the book ([`SyncState::Resyncing`]) unless the configured
//! tolerance accepts it. A delta with a `u` at or below the last one is stale (dropped). Deltas
//! before any snapshot are dropped. A REST snapshot is accepted like a stream snapshot, but
//! Bybit documents no way to bridge it to the stream (its `u` is not the stream's: in the
//! BTCUSDC recording the REST `u` is ahead of the stream snapshot taken after it), so the
//! deltas after it normally reveal a gap.

use crate::event::Depth;
use crate::orderbook::book::OrderBook;
use crate::orderbook::recon::{Core, Outcome, ReconConfig, Reconstructor, ResyncCause};
use crate::orderbook::stats::{ReconStats, SyncState};

/// Bybit order-book reconstructor (one instrument).
#[derive(Clone, Debug)]
pub struct BybitReconstructor {
    cfg: ReconConfig,
    core: Core,
    last_u: Option<i64>,
    last_seq: Option<i64>,
}

impl BybitReconstructor {
    /// A reconstructor waiting for its first snapshot.
    pub fn new(cfg: &ReconConfig) -> Self {
        BybitReconstructor {
            cfg: *cfg,
            core: Core::new(cfg),
            last_u: None,
            last_seq: None,
        }
    }

    /// `u` of the last applied message.
    pub fn last_update_id(&self) -> Option<i64> {
        self.last_u
    }

    /// `seq` (cross sequence) of the last applied message.
    pub fn last_cross_seq(&self) -> Option<i64> {
        self.last_seq
    }

    fn reset(&mut self, d: &Depth) -> Outcome {
        self.core.load_snapshot(d);
        self.last_u = d.last_update_id;
        self.last_seq = d.cross_seq;
        Outcome::Snapshot
    }
}

impl Reconstructor for BybitReconstructor {
    fn on_snapshot(&mut self, d: &Depth, _now: f64) -> Outcome {
        self.core.stats.messages += 1;
        self.reset(d)
    }

    fn on_diff(&mut self, d: &Depth, _now: f64) -> Outcome {
        self.core.stats.messages += 1;
        let Some(u) = d.last_update_id else {
            let out = self.core.invalid();
            if out != Outcome::Dropped {
                self.last_u = None;
            }
            return out;
        };
        if u == 1 {
            return self.reset(d);
        }
        if self.core.state != SyncState::Synced {
            self.core.stats.dropped += 1;
            return Outcome::Dropped;
        }
        let apply = match self.last_u {
            // A snapshot without `u`: the chain starts here.
            None => true,
            Some(prev) if u == prev.saturating_add(1) => true,
            Some(prev) if u <= prev => {
                self.core.stats.stale += 1;
                return Outcome::Stale;
            }
            Some(prev) => {
                self.core.gap();
                let missed = u.abs_diff(prev) - 1;
                let tolerated = self.cfg.gap_tolerance > 0 && missed <= self.cfg.gap_tolerance;
                if tolerated {
                    self.core.stats.gaps_tolerated += 1;
                }
                tolerated
            }
        };
        if !apply {
            self.core.resync();
            self.core.stats.dropped += 1;
            self.last_u = None;
            return Outcome::Resync(ResyncCause::Gap);
        }
        self.core.apply_diff(d);
        self.last_u = Some(u);
        self.last_seq = d.cross_seq.or(self.last_seq);
        Outcome::Applied
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
        self.last_u = None;
        self.last_seq = None;
        self.core.connection_lost();
    }
}
