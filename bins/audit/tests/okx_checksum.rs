//! Every OKX book snapshot of the shared recordings verifies against its own CRC32 checksum
//! (fixtures README 2.1: 6 of 6), through the normalizer's exact decimal levels.

use std::sync::Arc;

use liq_core::checksum::okx_checksum;
use liq_core::event::EventKind;
use liq_core::event::{Exchange, Market};
use liq_core::normalize::{Batch, Frame, Normalizer};
use liq_core::symbols::SymbolRegistry;
use liq_store::capture::{LineReader, parse_line};

#[test]
fn recorded_okx_snapshots_verify() {
    let Some(dir) = liq_store::shared_fixtures::dir("recorded_okx_snapshots_verify") else {
        return;
    };
    let mut norm = Normalizer::new(Arc::new(SymbolRegistry::default_registry()));
    let mut batch = Batch::default();
    let (mut verified, mut updates) = (0, 0);
    for name in [
        "okx_perp_btc-usd-swap_depth.jsonl",
        "okx_spot_btc-usdt_depth.jsonl",
    ] {
        let mut reader = LineReader::open(&dir.join("raw").join(name)).expect("readable");
        while let Some((n, line)) = reader.next_line().expect("readable") {
            let rec = parse_line(line, n).expect("capture line");
            let Some(msg) = rec.msg else { continue };
            let market = if rec.market.as_deref() == Some("spot") {
                Market::Spot
            } else {
                Market::Perp
            };
            let frame = Frame {
                exchange: Exchange::Okx,
                market,
                stream: None,
                instrument: None,
                payload: msg.get(),
                receive_ts: rec.ts,
            };
            norm.normalize(&frame, &mut batch);
            for ev in &batch.events {
                match &ev.kind {
                    EventKind::DepthSnapshot(d) => {
                        assert_eq!(
                            Some(i64::from(okx_checksum(&d.bids, &d.asks))),
                            d.checksum,
                            "{name}:{n}"
                        );
                        verified += 1;
                    }
                    EventKind::DepthDiff(_) => updates += 1,
                    _ => {}
                }
            }
        }
    }
    assert_eq!(verified, 6, "the recordings hold 6 OKX snapshots");
    assert!(updates > 1000);
}
