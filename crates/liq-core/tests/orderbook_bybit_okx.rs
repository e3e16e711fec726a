//! Bybit v5 and OKX v5 sync rules on hand-made message sequences.

mod orderbook_common;

use liq_core::checksum::okx_checksum;
use liq_core::event::Depth;
use liq_core::orderbook::bybit::BybitReconstructor;
use liq_core::orderbook::okx::OkxReconstructor;
use liq_core::orderbook::recon::{Outcome, ReconConfig, Reconstructor, ResyncCause};
use liq_core::orderbook::stats::SyncState;
use orderbook_common::{bdelta, levels, oupdate, owned, sides, snapshot};

fn bybit() -> BybitReconstructor {
    BybitReconstructor::new(&ReconConfig::default())
}

#[test]
fn bybit_snapshot_then_contiguous_deltas() {
    let mut r = bybit();
    assert_eq!(
        r.on_diff(&bdelta(9, &[("1", "1")], &[]), 0.0),
        Outcome::Dropped
    );
    let snap = snapshot(10, &[("100.5", "1"), ("100", "2")], &[("101", "3")]);
    assert_eq!(r.on_snapshot(&snap, 0.0), Outcome::Snapshot);
    assert_eq!(
        r.on_diff(&bdelta(11, &[("100.5", "0")], &[("101.5", "1")]), 0.0),
        Outcome::Applied
    );
    assert_eq!(
        r.on_diff(&bdelta(12, &[("100.25", "4")], &[]), 0.0),
        Outcome::Applied
    );
    assert_eq!(
        sides(r.book()),
        (
            owned(&[("100.25", "4"), ("100", "2")]),
            owned(&[("101", "3"), ("101.5", "1")])
        )
    );
    // A duplicate is stale.
    assert_eq!(
        r.on_diff(&bdelta(12, &[("1", "1")], &[]), 0.0),
        Outcome::Stale
    );
    let s = r.stats();
    assert_eq!(
        (
            s.messages,
            s.snapshots,
            s.updates_applied,
            s.stale,
            s.dropped
        ),
        (5, 1, 2, 1, 1)
    );
    assert!(s.is_consistent());
    assert_eq!(r.last_update_id(), Some(12));
}

#[test]
fn bybit_u_equal_one_resets_the_book() {
    let mut r = bybit();
    r.on_snapshot(&snapshot(500, &[("100", "1")], &[("101", "1")]), 0.0);
    // After a service restart Bybit sends u = 1 with the full book, whatever the type.
    let out = r.on_diff(&bdelta(1, &[("99", "5")], &[("102", "5")]), 0.0);
    assert_eq!(out, Outcome::Snapshot);
    assert_eq!(
        sides(r.book()),
        (owned(&[("99", "5")]), owned(&[("102", "5")]))
    );
    assert_eq!(
        r.on_diff(&bdelta(2, &[("98", "1")], &[]), 0.0),
        Outcome::Applied
    );
    let s = r.stats();
    assert_eq!((s.snapshots, s.gaps, s.stale), (2, 0, 0));
}

#[test]
fn bybit_gap_resyncs_until_the_next_snapshot() {
    let mut r = bybit();
    r.on_snapshot(&snapshot(10, &[("100", "1")], &[]), 0.0);
    assert_eq!(
        r.on_diff(&bdelta(13, &[], &[]), 0.0),
        Outcome::Resync(ResyncCause::Gap)
    );
    assert_eq!(r.state(), SyncState::Resyncing);
    assert!(r.book().is_empty() && r.take_gap_flag());
    assert_eq!(r.on_diff(&bdelta(14, &[], &[]), 0.0), Outcome::Dropped);
    r.on_snapshot(&snapshot(20, &[("100", "1")], &[]), 0.0);
    assert_eq!(r.on_diff(&bdelta(21, &[], &[]), 0.0), Outcome::Applied);
    let s = r.stats();
    assert_eq!(
        (s.gaps, s.resyncs, s.dropped, s.updates_applied),
        (1, 1, 2, 1)
    );
    assert!(s.is_consistent());
}

#[test]
fn bybit_tolerance_accepts_small_gaps() {
    let cfg = ReconConfig {
        gap_tolerance: 2,
        ..ReconConfig::default()
    };
    let mut r = BybitReconstructor::new(&cfg);
    r.on_snapshot(&snapshot(10, &[], &[]), 0.0);
    assert_eq!(r.on_diff(&bdelta(13, &[], &[]), 0.0), Outcome::Applied);
    assert_eq!(
        r.on_diff(&bdelta(17, &[], &[]), 0.0),
        Outcome::Resync(ResyncCause::Gap)
    );
    let s = r.stats();
    assert_eq!((s.gaps, s.gaps_tolerated, s.resyncs), (2, 1, 1));
}

/// An OKX message whose checksum is that of `book_after` (the expected book after it).
fn with_checksum(mut d: Depth, bids_after: &[(&str, &str)], asks_after: &[(&str, &str)]) -> Depth {
    d.checksum = Some(i64::from(okx_checksum(
        &levels(bids_after),
        &levels(asks_after),
    )));
    d
}

fn okx_synced() -> OkxReconstructor {
    let mut r = OkxReconstructor::new(&ReconConfig::default());
    let bids = [("43393.9", "486"), ("43393.8", "1")];
    let asks = [("43394", "228"), ("43394.1", "1")];
    let mut snap = with_checksum(snapshot(100, &bids, &asks), &bids, &asks);
    snap.prev_update_id = Some(-1);
    assert_eq!(r.on_snapshot(&snap, 0.0), Outcome::Snapshot);
    r
}

#[test]
fn okx_updates_chain_and_verify_their_checksum() {
    let mut r = okx_synced();
    let up = with_checksum(
        oupdate(107, 100, &[("43393.9", "0")], &[("43394", "230")], None),
        &[("43393.8", "1")],
        &[("43394", "230"), ("43394.1", "1")],
    );
    assert_eq!(r.on_diff(&up, 0.0), Outcome::Applied);
    let s = r.stats();
    assert_eq!(
        (s.checksum_ok, s.checksum_failed, s.updates_applied),
        (2, 0, 1)
    );
    assert_eq!(r.last_seq_id(), 107);
}

#[test]
fn okx_keepalive_changes_nothing() {
    let mut r = okx_synced();
    let cs = r.book_checksum();
    let ka = oupdate(100, 100, &[], &[], Some(i64::from(cs)));
    assert_eq!(r.on_diff(&ka, 0.0), Outcome::KeepAlive);
    let s = r.stats();
    assert_eq!((s.keepalives, s.checksum_ok, s.gaps), (1, 2, 0));
    assert!(s.is_consistent());
}

#[test]
fn okx_sequence_reset_after_maintenance_is_followed() {
    let mut r = okx_synced();
    // seqId goes down, prevSeqId still chains: apply, then chain from the new seqId.
    let reset = with_checksum(
        oupdate(3, 100, &[("43393.7", "2")], &[], None),
        &[("43393.9", "486"), ("43393.8", "1"), ("43393.7", "2")],
        &[("43394", "228"), ("43394.1", "1")],
    );
    assert_eq!(r.on_diff(&reset, 0.0), Outcome::Applied);
    let next = with_checksum(
        oupdate(5, 3, &[("43393.7", "0")], &[], None),
        &[("43393.9", "486"), ("43393.8", "1")],
        &[("43394", "228"), ("43394.1", "1")],
    );
    assert_eq!(r.on_diff(&next, 0.0), Outcome::Applied);
    let s = r.stats();
    assert_eq!((s.seq_resets, s.gaps, s.checksum_ok), (1, 0, 3));
}

#[test]
fn okx_prev_seq_mismatch_is_a_gap() {
    let mut r = okx_synced();
    let up = oupdate(120, 110, &[], &[("43395", "1")], Some(0));
    assert_eq!(r.on_diff(&up, 0.0), Outcome::Resync(ResyncCause::Gap));
    assert!(r.needs_snapshot() && r.book().is_empty() && r.take_gap_flag());
    assert_eq!(
        r.on_diff(&oupdate(130, 120, &[], &[], None), 0.0),
        Outcome::Dropped
    );
    let s = r.stats();
    assert_eq!((s.gaps, s.resyncs, s.dropped), (1, 1, 2));
    assert!(s.is_consistent());
}

#[test]
fn okx_checksum_failure_is_counted_and_resyncs() {
    let mut r = okx_synced();
    let up = oupdate(101, 100, &[("43393.9", "485")], &[], Some(12345));
    assert_eq!(r.on_diff(&up, 0.0), Outcome::Resync(ResyncCause::Checksum));
    let s = r.stats();
    assert_eq!(
        (s.checksum_ok, s.checksum_failed, s.resyncs, s.gaps),
        (1, 1, 1, 0)
    );
    assert!(r.take_gap_flag());
    assert!(s.is_consistent());
    // A snapshot whose checksum fails is applied, counted and dropped again.
    let bad = Depth {
        checksum: Some(1),
        ..snapshot(200, &[("1", "1")], &[])
    };
    assert_eq!(
        r.on_snapshot(&bad, 0.0),
        Outcome::Resync(ResyncCause::Checksum)
    );
    assert_eq!(r.stats().checksum_failed, 2);
    // Without a checksum nothing is verified.
    r.on_snapshot(&snapshot(300, &[("1", "1")], &[]), 0.0);
    assert_eq!(
        (r.stats().checksum_missing, r.state()),
        (1, SyncState::Synced)
    );
}

#[test]
fn okx_price_strings_are_kept_as_sent() {
    // "43394" and "43394.0" are the same level, but the checksum text uses the latest string.
    let mut r = okx_synced();
    let up = with_checksum(
        oupdate(101, 100, &[], &[("43394.0", "228")], None),
        &[("43393.9", "486"), ("43393.8", "1")],
        &[("43394.0", "228"), ("43394.1", "1")],
    );
    assert_eq!(r.on_diff(&up, 0.0), Outcome::Applied);
    assert_eq!(r.book().ask_levels(), 2);
    assert_eq!(r.stats().checksum_ok, 2);
}

#[test]
fn any_reconstructor_follows_the_exchange_rule() {
    use std::sync::Arc;

    use liq_core::event::{EventKind, Exchange, MarkPrice, Market, MarketEvent};
    use liq_core::orderbook::recon::AnyReconstructor;

    let ev = |kind| MarketEvent {
        exchange: Exchange::Bybit,
        market: Market::Perp,
        instrument: Arc::from("BTCUSDT"),
        symbol: None,
        exchange_ts: None,
        receive_ts: 1.0,
        kind,
    };
    let mut r = AnyReconstructor::new(Exchange::Bybit, Market::Perp, &ReconConfig::default());
    assert_eq!(r.exchange(), Exchange::Bybit);
    assert!(r.as_binance().is_none());
    assert_eq!(
        r.on_event(&ev(EventKind::MarkPrice(MarkPrice::default()))),
        None
    );
    let snap = snapshot(10, &[("1", "1")], &[("2", "1")]);
    assert_eq!(
        r.on_event(&ev(EventKind::DepthSnapshot(snap))),
        Some(Outcome::Snapshot)
    );
    let delta = bdelta(11, &[("1", "0")], &[]);
    assert_eq!(
        r.on_event(&ev(EventKind::DepthDiff(delta))),
        Some(Outcome::Applied)
    );
    assert_eq!((r.book().bid_levels(), r.stats().messages), (0, 2));
    let b = AnyReconstructor::new(Exchange::Binance, Market::Spot, &ReconConfig::default());
    assert!(
        b.as_binance()
            .is_some_and(|b| b.rule() == liq_core::orderbook::binance::BinanceRule::Spot)
    );
    let o = AnyReconstructor::new(Exchange::Okx, Market::Perp, &ReconConfig::default());
    assert_eq!(
        (o.exchange(), o.state()),
        (Exchange::Okx, SyncState::WaitingSnapshot)
    );
}
