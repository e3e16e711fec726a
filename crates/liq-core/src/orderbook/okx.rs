//! OKX v5 `books` reconstructor (also `books-l2-tbt`, `books50-l2-tbt`).
//!
//! OKX's documentation ("Order book channel", "Sequence ID", "Checksum"): the first push is a
//! `snapshot` (`prevSeqId` = -1), later pushes are `update`s whose `prevSeqId` equals the
//! previous message's `seqId`; levels are absolute and size "0" deletes. Exceptions: without
//! changes for a while OKX sends an update with empty sides and `seqId == prevSeqId` (a
//! keep-alive); after a maintenance the sequence may be reset, and an update arrives with
//! `seqId < prevSeqId` (its `prevSeqId` still chains), after which the usual rule resumes. A
//! `prevSeqId` that does not chain means messages were lost: resubscribe. The CRC32 checksum of
//! the best 25 levels per side (prices and sizes as sent) is verified after every message,
//! snapshot, update and keep-alive alike; a mismatch means resubscribing too.
//!
//! There is no gap tolerance here: OKX sequence ids advance by irregular steps, so the size of
//! a gap means nothing, and the checksum would reject a tolerated book anyway.

use crate::event::{Depth, Level};
use crate::orderbook::book::OrderBook;
use crate::orderbook::recon::{Core, Outcome, ReconConfig, Reconstructor, ResyncCause};
use crate::orderbook::stats::{ReconStats, SyncState};

/// OKX order-book reconstructor (one instrument).
#[derive(Clone, Debug)]
pub struct OkxReconstructor {
    core: Core,
    last_seq: i64,
    top_bids: Vec<Level>,
    top_asks: Vec<Level>,
}

impl OkxReconstructor {
    /// A reconstructor waiting for its first snapshot.
    pub fn new(cfg: &ReconConfig) -> Self {
        OkxReconstructor {
            core: Core::new(cfg),
            last_seq: 0,
            top_bids: Vec::with_capacity(25),
            top_asks: Vec::with_capacity(25),
        }
    }

    /// `seqId` of the last applied message.
    pub fn last_seq_id(&self) -> i64 {
        self.last_seq
    }

    /// The checksum of the current book (signed CRC32 of the best 25 levels per side).
    pub fn book_checksum(&mut self) -> i32 {
        self.core
            .book
            .okx_checksum(&mut self.top_bids, &mut self.top_asks)
    }

    /// Verifies the message's checksum against the book; a mismatch resyncs.
    fn verify(&mut self, d: &Depth, ok: Outcome) -> Outcome {
        let Some(expected) = d.checksum else {
            self.core.stats.checksum_missing += 1;
            return ok;
        };
        let got = self.book_checksum();
        // The documented value is signed; accept its unsigned spelling as well.
        if i64::from(got) == expected || i64::from(got as u32) == expected {
            self.core.stats.checksum_ok += 1;
            ok
        } else {
            self.core.stats.checksum_failed += 1;
            self.core.resync();
            Outcome::Resync(ResyncCause::Checksum)
        }
    }
}

impl Reconstructor for OkxReconstructor {
    fn on_snapshot(&mut self, d: &Depth, _now: f64) -> Outcome {
        self.core.stats.messages += 1;
        let Some(seq) = d.last_update_id else {
            // Without `seqId` the updates cannot be chained to it; the book is unaffected.
            self.core.stats.invalid += 1;
            self.core.stats.dropped += 1;
            return Outcome::Dropped;
        };
        self.core.load_snapshot(d);
        self.last_seq = seq;
        self.verify(d, Outcome::Snapshot)
    }

    fn on_diff(&mut self, d: &Depth, _now: f64) -> Outcome {
        self.core.stats.messages += 1;
        let (Some(seq), Some(prev)) = (d.last_update_id, d.prev_update_id) else {
            return self.core.invalid();
        };
        if self.core.state != SyncState::Synced {
            self.core.stats.dropped += 1;
            return Outcome::Dropped;
        }
        if prev != self.last_seq {
            self.core.gap();
            self.core.resync();
            self.core.stats.dropped += 1;
            return Outcome::Resync(ResyncCause::Gap);
        }
        if seq == prev && d.bids.is_empty() && d.asks.is_empty() {
            self.core.stats.keepalives += 1;
            return self.verify(d, Outcome::KeepAlive);
        }
        if seq < prev {
            self.core.stats.seq_resets += 1;
        }
        self.core.apply_diff(d);
        self.last_seq = seq;
        self.verify(d, Outcome::Applied)
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
        self.last_seq = 0;
        self.core.connection_lost();
    }
}
