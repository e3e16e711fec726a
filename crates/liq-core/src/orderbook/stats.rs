//! Reconstructor state and statistics: the counters every reconstructor keeps, and the
//! reference's status file `ob_recon_stats.json` (zones_orderbook.md B11).
//!
//! **Counter identity.** Every message handed to a reconstructor ends in exactly one bucket, so
//! `messages == snapshots + updates_applied + keepalives + stale + dropped + buffered` holds after
//! every call ([`ReconStats::is_consistent`]). `buffered` is the number of Binance diffs held
//! while waiting for a snapshot; when one is resolved it moves to another bucket.

use serde::{Deserialize, Serialize};

use crate::pyfmt::py_float_repr;

/// Synchronisation state of a reconstructor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncState {
    /// No snapshot applied yet: the book is empty.
    WaitingSnapshot,
    /// The book follows the exchange's sequence.
    Synced,
    /// Sync was lost (gap, checksum failure, malformed message): the book is empty until a new
    /// snapshot arrives (Binance: a REST snapshot; Bybit, OKX: a resubscription).
    Resyncing,
}

impl SyncState {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            SyncState::WaitingSnapshot => "waiting_snapshot",
            SyncState::Synced => "synced",
            SyncState::Resyncing => "resyncing",
        }
    }
}

/// Counters of one reconstructor, monotonic except `buffered` (a gauge).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconStats {
    /// Messages received (snapshots and diffs).
    pub messages: u64,
    /// Snapshots applied (including Bybit `u == 1` resets).
    pub snapshots: u64,
    /// Diffs applied to the book (including tolerated gaps and diffs that failed a checksum).
    pub updates_applied: u64,
    /// OKX keep-alive messages (no change, same `seqId`).
    pub keepalives: u64,
    /// Messages older than the book (diffs before the snapshot, duplicates, old snapshots).
    pub stale: u64,
    /// Messages not applied: before any snapshot, while resyncing, the diff that revealed a gap,
    /// malformed ones, buffer overflow.
    pub dropped: u64,
    /// Binance diffs currently held until a snapshot arrives.
    pub buffered: u64,
    /// Sequence gaps detected, tolerated or not.
    pub gaps: u64,
    /// Gaps accepted because of the configured tolerance (the book may be wrong).
    pub gaps_tolerated: u64,
    /// Times the book was cleared to wait for a new snapshot.
    pub resyncs: u64,
    /// OKX checksums that matched.
    pub checksum_ok: u64,
    /// OKX checksums that did not match (each triggers a resync).
    pub checksum_failed: u64,
    /// OKX messages without a checksum (nothing to verify).
    pub checksum_missing: u64,
    /// Messages without the sequencing fields the exchange's rule needs (also in `dropped`).
    pub invalid: u64,
    /// OKX sequence resets after maintenance (`seqId < prevSeqId`), applied as documented.
    pub seq_resets: u64,
    /// Levels whose price could not be keyed.
    pub levels_rejected: u64,
    /// Levels not stored because they lay beyond the snapshot's price range (Binance pruning).
    pub levels_pruned: u64,
    /// Buffered diffs discarded because the buffer was full (also in `dropped`).
    pub buffer_overflows: u64,
    /// Messages after which the book was crossed (best bid >= best ask).
    pub crossed: u64,
}

impl ReconStats {
    /// The sum of the buckets a message can end in (must equal `messages`).
    pub fn accounted(&self) -> u64 {
        self.snapshots
            + self.updates_applied
            + self.keepalives
            + self.stale
            + self.dropped
            + self.buffered
    }

    /// Whether the counter identities hold: every message is accounted for once, every resync
    /// has a cause, sub-counts do not exceed their totals.
    pub fn is_consistent(&self) -> bool {
        self.messages == self.accounted()
            && self.resyncs <= self.gaps + self.checksum_failed + self.invalid
            && self.gaps_tolerated <= self.gaps
            && self.invalid <= self.dropped
            && self.buffer_overflows <= self.dropped
            && self.checksum_ok + self.checksum_failed + self.checksum_missing
                <= self.snapshots + self.updates_applied + self.keepalives
    }
}

/// The reference's `ob_recon_stats.json` (B11): one object on one line, Python separators.
///
/// Field order and names are the file's. `first_diff_applied_U` / `_u` keep their case.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ObReconStats {
    /// `unsynced`, `syncing` or `synced`.
    pub state: String,
    /// `state == "synced"`.
    pub synced: bool,
    /// `lastUpdateId` of the last snapshot (0 during a resync).
    pub snapshot_last_update_id: i64,
    /// `u` of the last applied diff.
    pub last_applied_u: i64,
    /// `U` of the first diff applied after the last snapshot (0 if none).
    #[serde(rename = "first_diff_applied_U")]
    pub first_diff_applied_upper: i64,
    /// `u` of the first diff applied after the last snapshot (0 if none).
    pub first_diff_applied_u: i64,
    /// Bid levels.
    pub levels_bid: u64,
    /// Ask levels.
    pub levels_ask: u64,
    /// Best bid (0.0 when empty).
    pub best_bid: f64,
    /// Best ask (0.0 when empty).
    pub best_ask: f64,
    /// Gap-triggered resyncs since start.
    pub resyncs: u64,
    /// Diffs currently buffered.
    pub diffs_buffered: u64,
    /// Buffered plus live diffs applied since start.
    pub diffs_applied: u64,
    /// Diffs dropped as older than a snapshot.
    pub diffs_discarded: u64,
    /// Time of the last live apply (Unix seconds).
    pub last_update_ts: f64,
    /// Configured gap tolerance (0 = off).
    pub gap_tolerance: u64,
    /// `""`, `pu_mismatch` or `u_gap`.
    pub last_gap_type: String,
    /// The offending `pu` (or `U`).
    pub last_gap_pu: i64,
    /// The expected value.
    pub last_gap_expected: i64,
    /// `pu` mismatches seen, tolerated or not.
    pub pu_gap_count: u64,
    /// `U` gaps seen (spot rule), tolerated or not.
    pub u_gap_count: u64,
    /// Longest synced period that ended in a gap resync, seconds (3 decimals).
    pub max_sync_duration_s: f64,
    /// Diffs applied since the last snapshot.
    pub diffs_in_current_sync: u64,
    /// Time of the write (Unix seconds).
    pub written_at: f64,
}

impl ObReconStats {
    /// The file's exact text: Python `json.dumps(obj)` (`", "` and `": "`, float `repr`), no
    /// trailing newline.
    pub fn to_python_json(&self) -> String {
        let s = |v: &str| serde_json::to_string(v).unwrap_or_else(|_| "\"\"".to_owned());
        let f = py_float_repr;
        let b = |v: bool| if v { "true" } else { "false" };
        let fields: [(&str, String); 24] = [
            ("state", s(&self.state)),
            ("synced", b(self.synced).to_owned()),
            (
                "snapshot_last_update_id",
                self.snapshot_last_update_id.to_string(),
            ),
            ("last_applied_u", self.last_applied_u.to_string()),
            (
                "first_diff_applied_U",
                self.first_diff_applied_upper.to_string(),
            ),
            (
                "first_diff_applied_u",
                self.first_diff_applied_u.to_string(),
            ),
            ("levels_bid", self.levels_bid.to_string()),
            ("levels_ask", self.levels_ask.to_string()),
            ("best_bid", f(self.best_bid)),
            ("best_ask", f(self.best_ask)),
            ("resyncs", self.resyncs.to_string()),
            ("diffs_buffered", self.diffs_buffered.to_string()),
            ("diffs_applied", self.diffs_applied.to_string()),
            ("diffs_discarded", self.diffs_discarded.to_string()),
            ("last_update_ts", f(self.last_update_ts)),
            ("gap_tolerance", self.gap_tolerance.to_string()),
            ("last_gap_type", s(&self.last_gap_type)),
            ("last_gap_pu", self.last_gap_pu.to_string()),
            ("last_gap_expected", self.last_gap_expected.to_string()),
            ("pu_gap_count", self.pu_gap_count.to_string()),
            ("u_gap_count", self.u_gap_count.to_string()),
            ("max_sync_duration_s", f(self.max_sync_duration_s)),
            (
                "diffs_in_current_sync",
                self.diffs_in_current_sync.to_string(),
            ),
            ("written_at", f(self.written_at)),
        ];
        let body: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("\"{k}\": {v}"))
            .collect();
        format!("{{{}}}", body.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_of_an_empty_record() {
        let s = ReconStats::default();
        assert!(s.is_consistent());
        let bad = ReconStats { messages: 1, ..s };
        assert!(!bad.is_consistent());
    }

    #[test]
    fn python_text_of_a_default_record() {
        let t = ObReconStats::default().to_python_json();
        assert!(t.starts_with("{\"state\": \"\", \"synced\": false, "));
        assert!(t.ends_with("\"written_at\": 0.0}"));
        let v: serde_json::Value = serde_json::from_str(&t).unwrap();
        assert_eq!(v, serde_json::to_value(ObReconStats::default()).unwrap());
    }
}
