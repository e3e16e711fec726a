//! The order-book vectors of zones_orderbook.md B11, B12.2, B12.4 and B12.5 on the shared
//! recordings and golden files.

use std::path::Path;
use std::sync::Arc;

use liq_core::event::{Depth, EventKind, Exchange, Market, MarketEvent};
use liq_core::normalize::{Batch, Frame, Normalizer};
use liq_core::orderbook::binance::{BinanceReconstructor, BinanceRule};
use liq_core::orderbook::bybit::BybitReconstructor;
use liq_core::orderbook::okx::OkxReconstructor;
use liq_core::orderbook::recon::{Outcome, ReconConfig, Reconstructor, ResyncCause};
use liq_core::orderbook::stats::{ObReconStats, SyncState};
use liq_core::symbols::SymbolRegistry;
use liq_store::capture::{LineReader, parse_line};

/// The normalized events of a raw recording, one per data line (after the meta line).
fn events(path: &Path) -> Vec<MarketEvent> {
    let mut norm = Normalizer::new(Arc::new(SymbolRegistry::default_registry()));
    let mut batch = Batch::default();
    let mut out = Vec::new();
    let mut reader = LineReader::open(path).expect("readable");
    while let Some((n, line)) = reader.next_line().expect("readable") {
        let rec = parse_line(line, n).expect("capture line");
        let Some(msg) = rec.msg else { continue };
        let frame = Frame {
            exchange: rec
                .exchange
                .as_deref()
                .and_then(|e| e.parse().ok())
                .expect("exchange"),
            market: rec
                .market
                .as_deref()
                .and_then(|m| m.parse().ok())
                .unwrap_or(Market::Perp),
            stream: None,
            instrument: rec.symbol.as_deref(),
            payload: msg.get(),
            receive_ts: rec.ts,
        };
        batch.clear();
        norm.normalize(&frame, &mut batch);
        out.append(&mut batch.events);
    }
    out
}

fn depth(ev: &MarketEvent) -> &Depth {
    match &ev.kind {
        EventKind::DepthSnapshot(d) | EventKind::DepthDiff(d) => d,
        _ => panic!("not a depth event"),
    }
}

fn prices(r: &impl Reconstructor) -> (String, String) {
    let b = r.book();
    let norm = |l: &liq_core::event::Level| l.price.normalize().to_string();
    (
        b.best_bid().map(norm).unwrap_or_default(),
        b.best_ask().map(norm).unwrap_or_default(),
    )
}

const L: i64 = 847263827187;

fn coinm(cfg: &ReconConfig, buffered: &[usize], evs: &[MarketEvent]) -> BinanceReconstructor {
    let mut r = BinanceReconstructor::new(BinanceRule::Futures, cfg);
    for &i in buffered {
        assert_eq!(r.on_diff(depth(&evs[i]), 0.0), Outcome::Buffered);
    }
    assert_eq!(depth(&evs[189]).last_update_id, Some(L));
    assert_eq!(r.on_snapshot(depth(&evs[189]), 100.0), Outcome::Snapshot);
    r
}

#[test]
fn b12_2_coinm_case_1_and_2() {
    let Some(dir) = liq_store::shared_fixtures::dir("b12_2_coinm_case_1_and_2") else {
        return;
    };
    let evs = events(&dir.join("raw/binance_perp_btcusd_perp_depth.jsonl"));
    assert_eq!(evs.len(), 242);
    for tol in [0, 1000, 5000] {
        // Case 1, reference book (no pruning): D188 discarded, D209 bridges.
        let cfg = ReconConfig::reference(tol);
        let mut r = coinm(&cfg, &[188, 209], &evs);
        let s = r.file_stats(0.0);
        assert_eq!(
            (s.diffs_discarded, s.levels_bid, s.levels_ask),
            (1, 501, 502)
        );
        assert_eq!(
            (s.first_diff_applied_upper, s.first_diff_applied_u),
            (847263827180, 847263828982)
        );
        assert_eq!(s.last_applied_u, 847263828982);
        assert_eq!(prices(&r), ("43376.8".to_owned(), "43376.9".to_owned()));
        // D210: pu - last = 2403.
        let out = r.on_diff(depth(&evs[210]), 130.0);
        let s = r.file_stats(0.0);
        assert_eq!(s.pu_gap_count, 1);
        if tol < 2403 {
            assert_eq!(out, Outcome::Resync(ResyncCause::Gap));
            assert_eq!((s.resyncs, s.diffs_buffered, s.levels_bid), (1, 1, 0));
            assert_eq!(s.max_sync_duration_s, 30.0);
        } else {
            assert_eq!(out, Outcome::Applied);
            assert_eq!(
                (s.levels_bid, s.levels_ask, s.last_applied_u),
                (504, 490, 847263839978)
            );
        }
        assert!(r.stats().is_consistent());
    }
    // Case 2: D209 arrives after the snapshot. The reference resyncs at tolerance 0 (O4); the
    // documented first-event rule applies it.
    let mut r = coinm(&ReconConfig::reference(0), &[188], &evs);
    assert_eq!((r.book().bid_levels(), r.book().ask_levels()), (500, 500));
    assert_eq!(r.file_stats(0.0).first_diff_applied_u, 0);
    assert_eq!(r.on_diff(depth(&evs[209]), 0.0), Outcome::Applied);
    assert_eq!((r.book().bid_levels(), r.book().ask_levels()), (501, 502));
    // With pruning (the default) the levels beyond the snapshot's 500 are not kept.
    let mut r = coinm(&ReconConfig::default(), &[188], &evs);
    r.on_diff(depth(&evs[209]), 0.0);
    assert_eq!((r.book().bid_levels(), r.book().ask_levels()), (498, 500));
    assert_eq!(r.stats().levels_pruned, 5);
}

#[test]
fn b12_4_bybit_btcperp_rebuild() {
    let Some(dir) = liq_store::shared_fixtures::dir("b12_4_bybit_btcperp_rebuild") else {
        return;
    };
    let evs = events(&dir.join("raw/bybit_perp_btcperp_depth.jsonl"));
    let mut r = BybitReconstructor::new(&ReconConfig::default());
    let first = depth(&evs[0]);
    assert!(matches!(evs[0].kind, EventKind::DepthSnapshot(_)));
    assert_eq!(
        (first.last_update_id, first.cross_seq),
        (Some(3852626), Some(15208309321))
    );
    assert_eq!((first.bids.len(), first.asks.len()), (200, 151));
    for ev in &evs {
        assert_ne!(r.on_event(ev), Some(Outcome::Resync(ResyncCause::Gap)));
    }
    let s = r.stats();
    assert_eq!(
        (s.snapshots, s.updates_applied, s.gaps, s.stale, s.dropped),
        (1, 68, 0, 0, 0)
    );
    assert_eq!(r.last_update_id(), Some(3852694));
    assert_eq!((r.book().bid_levels(), r.book().ask_levels()), (200, 146));
    assert_eq!(prices(&r), ("66427.8".to_owned(), "66428.3".to_owned()));
    assert!(!r.book().is_crossed());
    assert!(!r.take_gap_flag());
}

#[test]
fn b12_5_okx_snapshot_checksum() {
    let Some(dir) = liq_store::shared_fixtures::dir("b12_5_okx_snapshot_checksum") else {
        return;
    };
    let evs = events(&dir.join("raw/okx_perp_btc-usd-swap_depth.jsonl"));
    let snap = depth(&evs[0]);
    assert_eq!(
        (snap.last_update_id, snap.prev_update_id),
        (Some(18731083432), Some(-1))
    );
    assert_eq!(snap.checksum, Some(-1803331657));
    let mut r = OkxReconstructor::new(&ReconConfig::default());
    assert_eq!(r.on_event(&evs[0]), Some(Outcome::Snapshot));
    assert_eq!((r.book().bid_levels(), r.book().ask_levels()), (400, 400));
    assert_eq!(r.book_checksum(), -1803331657);
    let text: Vec<String> = r
        .book()
        .bids()
        .zip(r.book().asks())
        .take(2)
        .flat_map(|(b, a)| [b.price, b.size, a.price, a.size])
        .map(|d| d.to_string())
        .collect();
    assert_eq!(text.join(":"), "43393.9:486:43394:228:43393.8:1:43394.1:1");
    assert_eq!((r.stats().checksum_ok, r.stats().checksum_failed), (1, 0));
}

#[test]
fn every_okx_snapshot_verifies_through_the_reconstructor() {
    let Some(dir) = liq_store::shared_fixtures::dir("every_okx_snapshot_verifies") else {
        return;
    };
    let mut ok = 0;
    for f in [
        "okx_perp_btc-usd-swap_depth.jsonl",
        "okx_spot_btc-usdt_depth.jsonl",
    ] {
        let mut r = OkxReconstructor::new(&ReconConfig::default());
        for ev in events(&dir.join("raw").join(f)) {
            r.on_event(&ev);
            assert!(r.stats().is_consistent());
        }
        let s = r.stats();
        assert_eq!((s.snapshots, s.checksum_failed), (3, 0), "{f}");
        ok += s.checksum_ok;
    }
    assert_eq!(ok, 6);
}

#[test]
fn binance_diffs_never_chain_and_resync() {
    let Some(dir) = liq_store::shared_fixtures::dir("binance_diffs_never_chain") else {
        return;
    };
    for (f, rule) in [
        ("binance_perp_btcusd_perp_depth.jsonl", BinanceRule::Futures),
        ("binance_spot_btcusdt_depth.jsonl", BinanceRule::Spot),
        ("binance_spot_btcfdusd_depth.jsonl", BinanceRule::Spot),
    ] {
        let mut r = BinanceReconstructor::new(rule, &ReconConfig::default());
        let mut chained = 0;
        let mut was_applied = false;
        for ev in events(&dir.join("raw").join(f)) {
            let out = r.on_event(&ev);
            // Only a first diff after a snapshot is ever applied: no two diffs chain.
            if out == Some(Outcome::Applied) && was_applied {
                chained += 1;
            }
            was_applied = out == Some(Outcome::Applied);
            assert!(r.stats().is_consistent());
        }
        let s = r.stats();
        assert_eq!(chained, 0, "{f}");
        assert!(s.gaps >= 2 && s.resyncs >= 2, "{f}: {s:?}");
        assert_eq!(s.gaps_tolerated, 0);
    }
}

#[test]
fn golden_recon_stats_round_trip() {
    let Some(dir) = liq_store::shared_fixtures::dir("golden_recon_stats_round_trip") else {
        return;
    };
    let text = std::fs::read_to_string(dir.join("golden/2026-02-28/ob_recon_stats.json"))
        .expect("readable");
    let golden: serde_json::Value = serde_json::from_str(&text).expect("json");
    let parsed: ObReconStats = serde_json::from_str(&text).expect("stats");
    assert_eq!(serde_json::to_value(&parsed).expect("serializes"), golden);
    assert_eq!(parsed.to_python_json(), text.trim_end());
    assert_eq!(
        (
            parsed.diffs_applied,
            parsed.levels_bid,
            parsed.gap_tolerance
        ),
        (27574, 8056, 1000)
    );
}

#[test]
fn file_stats_of_a_fresh_reconstructor() {
    let r = BinanceReconstructor::new(BinanceRule::Futures, &ReconConfig::reference(1000));
    let s = r.file_stats(5.0);
    assert_eq!(
        (s.state.as_str(), s.synced, s.gap_tolerance, s.written_at),
        ("unsynced", false, 1000, 5.0)
    );
    assert_eq!(r.state(), SyncState::WaitingSnapshot);
    let _ = Exchange::Binance;
}
