//! Binance sync rules (futures and spot) on hand-made message sequences.

mod orderbook_common;

use liq_core::orderbook::binance::{BinanceReconstructor, BinanceRule, GapKind};
use liq_core::orderbook::recon::{Outcome, ReconConfig, Reconstructor, ResyncCause};
use liq_core::orderbook::stats::SyncState;
use orderbook_common::{dec, fdiff, owned, sdiff, sides, snapshot};

fn strict() -> ReconConfig {
    ReconConfig {
        prune_to_snapshot: false,
        ..ReconConfig::default()
    }
}

fn futures() -> BinanceReconstructor {
    BinanceReconstructor::new(BinanceRule::Futures, &strict())
}

fn snap100() -> liq_core::event::Depth {
    snapshot(
        100,
        &[("10.0", "1"), ("9.5", "2")],
        &[("10.5", "3"), ("11.0", "4")],
    )
}

#[test]
fn buffered_diffs_stale_dropped_then_bridge_and_chain() {
    let mut r = futures();
    assert_eq!(r.state(), SyncState::WaitingSnapshot);
    assert!(r.needs_snapshot());
    assert_eq!(
        r.on_diff(&fdiff(80, 95, 79, &[("9.0", "1")], &[]), 1.0),
        Outcome::Buffered
    );
    assert_eq!(
        r.on_diff(&fdiff(96, 99, 95, &[("9.1", "1")], &[]), 1.0),
        Outcome::Buffered
    );
    // U <= 100 <= u: the first diff to apply.
    r.on_diff(
        &fdiff(100, 110, 99, &[("10.0", "0")], &[("10.5", "5")]),
        1.0,
    );
    r.on_diff(&fdiff(111, 120, 110, &[("9.75", "7")], &[]), 1.0);
    assert_eq!(r.stats().buffered, 4);
    assert!(r.stats().is_consistent());
    assert_eq!(r.on_snapshot(&snap100(), 2.0), Outcome::Snapshot);
    let s = r.stats();
    assert_eq!(
        (s.stale, s.updates_applied, s.buffered, s.gaps),
        (2, 2, 0, 0)
    );
    assert!(s.is_consistent());
    assert_eq!(r.state(), SyncState::Synced);
    assert_eq!(r.last_update_id(), 120);
    let st = r.file_stats(3.0);
    assert_eq!(
        (st.first_diff_applied_upper, st.first_diff_applied_u),
        (100, 110)
    );
    assert_eq!(st.diffs_discarded, 2);
    assert_eq!(
        sides(r.book()),
        (
            owned(&[("9.75", "7"), ("9.5", "2")]),
            owned(&[("10.5", "5"), ("11.0", "4")])
        )
    );
    assert!(!r.take_gap_flag());
}

#[test]
fn a_diff_ending_at_the_snapshot_id_is_the_bridge_for_futures_but_stale_for_spot() {
    let mut f = futures();
    f.on_diff(&fdiff(90, 100, 89, &[("9.9", "1")], &[]), 0.0);
    f.on_snapshot(&snap100(), 0.0);
    assert_eq!((f.stats().updates_applied, f.stats().stale), (1, 0));
    let mut s = BinanceReconstructor::new(BinanceRule::Spot, &strict());
    s.on_diff(&sdiff(90, 100, &[("9.9", "1")], &[]), 0.0);
    s.on_snapshot(&snap100(), 0.0);
    assert_eq!((s.stats().updates_applied, s.stats().stale), (0, 1));
    // Spot: the first diff must contain L + 1.
    assert_eq!(s.on_diff(&sdiff(101, 105, &[], &[]), 0.0), Outcome::Applied);
    assert_eq!(s.on_diff(&sdiff(106, 107, &[], &[]), 0.0), Outcome::Applied);
    // Older than the local id: ignored.
    assert_eq!(s.on_diff(&sdiff(100, 104, &[], &[]), 0.0), Outcome::Stale);
    // U beyond local id + 1: restart.
    assert_eq!(
        s.on_diff(&sdiff(109, 110, &[], &[]), 0.0),
        Outcome::Resync(ResyncCause::Gap)
    );
    assert_eq!(s.gap_info().last_kind, GapKind::UGap);
    assert_eq!(
        (s.gap_info().last_value, s.gap_info().last_expected),
        (109, 108)
    );
    assert!(s.stats().is_consistent());
}

#[test]
fn a_bridging_diff_arriving_after_the_snapshot_is_applied() {
    // The reference checks it as `pu == L` and resyncs (spec O4); the documented rule applies it.
    let mut r = futures();
    r.on_snapshot(&snap100(), 0.0);
    assert!(r.awaiting_bridge());
    assert_eq!(r.on_diff(&fdiff(95, 99, 94, &[], &[]), 0.0), Outcome::Stale);
    assert_eq!(
        r.on_diff(&fdiff(97, 104, 96, &[("9.5", "0")], &[]), 0.0),
        Outcome::Applied
    );
    assert!(!r.awaiting_bridge());
    assert_eq!(
        r.on_diff(&fdiff(105, 109, 104, &[], &[]), 0.0),
        Outcome::Applied
    );
    assert_eq!(r.book().bid_levels(), 1);
    assert_eq!(r.stats().gaps, 0);
}

#[test]
fn a_first_diff_after_the_snapshot_id_means_missed_events() {
    let mut r = futures();
    r.on_snapshot(&snap100(), 0.0);
    assert_eq!(
        r.on_diff(&fdiff(102, 104, 101, &[], &[]), 0.0),
        Outcome::Resync(ResyncCause::Gap)
    );
    assert_eq!(r.gap_info().u_count, 1);
    assert_eq!(r.state(), SyncState::Resyncing);
    assert!(r.book().is_empty());
}

#[test]
fn pu_mismatch_is_a_gap_and_a_resync_until_a_new_snapshot() {
    let mut r = futures();
    r.on_snapshot(&snap100(), 10.0);
    r.on_diff(&fdiff(99, 105, 98, &[("9.9", "1")], &[]), 11.0);
    assert!(!r.take_gap_flag());
    let out = r.on_diff(&fdiff(108, 112, 107, &[("9.8", "1")], &[]), 15.5);
    assert_eq!(out, Outcome::Resync(ResyncCause::Gap));
    assert!(out.book_changed());
    let s = r.stats();
    assert_eq!((s.gaps, s.resyncs, s.buffered), (1, 1, 1));
    assert!(r.needs_snapshot() && r.book().is_empty());
    assert!(r.take_gap_flag());
    assert!(!r.take_gap_flag(), "the flag is cleared once taken");
    let st = r.file_stats(16.0);
    assert_eq!((st.state.as_str(), st.synced), ("syncing", false));
    assert_eq!(
        (
            st.last_gap_type.as_str(),
            st.last_gap_pu,
            st.last_gap_expected
        ),
        ("pu_mismatch", 107, 105)
    );
    assert_eq!(
        (
            st.pu_gap_count,
            st.max_sync_duration_s,
            st.snapshot_last_update_id
        ),
        (1, 5.5, 0)
    );
    // Live diffs are buffered; a new snapshot bridged by the buffered diff resumes the chain.
    assert_eq!(
        r.on_diff(&fdiff(113, 118, 112, &[("9.7", "1")], &[]), 17.0),
        Outcome::Buffered
    );
    assert_eq!(
        r.on_snapshot(&snapshot(110, &[("9.0", "1")], &[("12", "1")]), 18.0),
        Outcome::Snapshot
    );
    let s = r.stats();
    assert_eq!((s.updates_applied, s.buffered, s.stale), (3, 0, 0));
    assert_eq!(r.last_update_id(), 118);
    assert_eq!(r.book().bid_levels(), 3);
    assert!(s.is_consistent());
}

#[test]
fn tolerance_applies_small_gaps_but_still_counts_and_flags_them() {
    let cfg = ReconConfig {
        gap_tolerance: 5,
        ..strict()
    };
    let mut r = BinanceReconstructor::new(BinanceRule::Futures, &cfg);
    r.on_snapshot(&snap100(), 0.0);
    r.on_diff(&fdiff(99, 105, 98, &[], &[]), 0.0);
    assert_eq!(
        r.on_diff(&fdiff(110, 112, 109, &[], &[]), 0.0),
        Outcome::Applied
    );
    assert_eq!(
        r.on_diff(&fdiff(130, 140, 120, &[], &[]), 0.0),
        Outcome::Resync(ResyncCause::Gap)
    );
    let s = r.stats();
    assert_eq!(
        (s.gaps, s.gaps_tolerated, s.resyncs, s.updates_applied),
        (2, 1, 1, 2)
    );
    assert!(r.take_gap_flag());
    assert_eq!(r.file_stats(0.0).gap_tolerance, 5);
}

#[test]
fn a_snapshot_older_than_the_buffer_is_refused_and_the_buffer_kept() {
    let mut r = futures();
    r.on_diff(&fdiff(150, 160, 149, &[("9.9", "1")], &[]), 0.0);
    assert_eq!(r.on_snapshot(&snap100(), 0.0), Outcome::Stale);
    assert_eq!(
        (r.state(), r.stats().buffered),
        (SyncState::WaitingSnapshot, 1)
    );
    assert_eq!(
        r.on_snapshot(&snapshot(155, &[("9", "1")], &[("11", "1")]), 0.0),
        Outcome::Snapshot
    );
    assert_eq!((r.stats().updates_applied, r.last_update_id()), (1, 160));
    assert!(r.stats().is_consistent());
}

#[test]
fn a_re_snapshot_while_synced_replaces_a_book_only_when_newer() {
    let mut r = futures();
    r.on_snapshot(&snap100(), 0.0);
    r.on_diff(&fdiff(99, 105, 98, &[], &[]), 0.0);
    assert_eq!(
        r.on_snapshot(&snapshot(104, &[("1", "1")], &[]), 0.0),
        Outcome::Stale
    );
    // Exactly at the applied id: the chain continues.
    assert_eq!(
        r.on_snapshot(&snapshot(105, &[("2", "1")], &[]), 0.0),
        Outcome::Snapshot
    );
    assert!(!r.awaiting_bridge());
    assert_eq!(
        r.on_diff(&fdiff(106, 107, 105, &[], &[]), 0.0),
        Outcome::Applied
    );
    // Ahead of the stream: wait for the diff that bridges it.
    assert_eq!(
        r.on_snapshot(&snapshot(120, &[("3", "1")], &[]), 0.0),
        Outcome::Snapshot
    );
    assert_eq!(
        r.on_diff(&fdiff(108, 115, 107, &[], &[]), 0.0),
        Outcome::Stale
    );
    assert_eq!(
        r.on_diff(&fdiff(116, 125, 115, &[], &[]), 0.0),
        Outcome::Applied
    );
    assert_eq!(r.book().best_bid().map(|l| l.price), Some(dec("3")));
    assert_eq!(r.stats().gaps, 0);
}

#[test]
fn malformed_diffs_are_counted_and_break_a_synced_book() {
    let mut r = futures();
    // A futures diff without `pu` cannot be chained.
    assert_eq!(r.on_diff(&sdiff(1, 2, &[], &[]), 0.0), Outcome::Dropped);
    r.on_snapshot(&snap100(), 0.0);
    let out = r.on_diff(&sdiff(99, 101, &[], &[]), 0.0);
    assert_eq!(out, Outcome::Resync(ResyncCause::Invalid));
    let s = r.stats();
    assert_eq!((s.invalid, s.dropped, s.resyncs), (2, 2, 1));
    assert!(s.is_consistent());
    let mut no_id = snap100();
    no_id.last_update_id = None;
    assert_eq!(r.on_snapshot(&no_id, 0.0), Outcome::Dropped);
    assert!(r.stats().is_consistent());
}

#[test]
fn the_buffer_drops_its_oldest_diff_when_full() {
    let cfg = ReconConfig {
        buffer_capacity: 2,
        ..strict()
    };
    let mut r = BinanceReconstructor::new(BinanceRule::Futures, &cfg);
    for i in 0..5 {
        r.on_diff(&fdiff(10 * i + 1, 10 * i + 10, 10 * i, &[], &[]), 0.0);
    }
    let s = r.stats();
    assert_eq!((s.buffered, s.dropped, s.buffer_overflows), (2, 3, 3));
    assert!(s.is_consistent());
}

#[test]
fn pruning_keeps_diffs_inside_the_snapshot_range() {
    let mut r = BinanceReconstructor::new(BinanceRule::Futures, &ReconConfig::default());
    r.on_snapshot(&snap100(), 0.0);
    r.on_diff(
        &fdiff(
            99,
            101,
            98,
            &[("9.0", "1"), ("9.6", "1")],
            &[("11.5", "1"), ("10.75", "1")],
        ),
        0.0,
    );
    assert_eq!((r.book().bid_levels(), r.book().ask_levels()), (3, 3));
    assert_eq!(r.stats().levels_pruned, 2);
    assert_eq!(r.book().floors(), (Some(dec("9.5")), Some(dec("11"))));
}
