//! Raw messages per second through parse + normalize, per exchange and stream.
//!
//! Run: `cargo bench -p liq-core --bench normalize`. Results go in docs/PERFORMANCE.md.
//! Messages are shaped like the real ones (recorded trades, documented liquidations, depth
//! diffs of 20 levels per side); the stream is known, as it is on a live connection.

#![allow(missing_docs)] // criterion_group! generates undocumented items

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use liq_core::event::{Exchange, Market};
use liq_core::normalize::{Batch, Frame, Normalizer, StreamKind};
use liq_core::symbols::SymbolRegistry;

fn levels(n: usize, start: f64, dir: f64, quoted: bool, okx: bool) -> String {
    (0..n)
        .map(|i| {
            let p = start + dir * 0.1 * i as f64;
            let q = 0.001 * (i as f64 + 1.0);
            match (quoted, okx) {
                (_, true) => format!(r#"["{p:.1}","{q:.3}","0","3"]"#),
                _ => format!(r#"["{p:.1}","{q:.3}"]"#),
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn cases() -> Vec<(Exchange, StreamKind, &'static str, String)> {
    let b20 = levels(20, 43370.0, -1.0, true, false);
    let a20 = levels(20, 43370.1, 1.0, true, false);
    let ob20 = levels(20, 43370.0, -1.0, true, true);
    let oa20 = levels(20, 43370.1, 1.0, true, true);
    vec![
        (
            Exchange::Binance,
            StreamKind::Trades,
            "aggTrade",
            r#"{"e":"aggTrade","E":1706607141237,"a":2003610431,"s":"BTCUSDT","p":"43370.00","q":"0.004","f":4542591079,"l":4542591079,"T":1706607141085,"m":true}"#.to_owned(),
        ),
        (
            Exchange::Binance,
            StreamKind::Liquidations,
            "forceOrder",
            r#"{"e":"forceOrder","E":1772244490570,"o":{"s":"BTCUSDT","S":"BUY","o":"LIMIT","f":"IOC","q":"0.006","p":"66143.20","ap":"66143.20","X":"FILLED","l":"0.006","z":"0.006","T":1772244490564}}"#.to_owned(),
        ),
        (
            Exchange::Binance,
            StreamKind::MarkPrice,
            "markPriceUpdate",
            r#"{"e":"markPriceUpdate","E":1772244420000,"s":"ETHUSDT","p":"1915.42000000","i":"1916.01270833","P":"1915.80101449","r":"0.00005120","T":1772265600000}"#.to_owned(),
        ),
        (
            Exchange::Binance,
            StreamKind::Depth,
            "depthUpdate_20x2",
            format!(
                r#"{{"e":"depthUpdate","E":1706607141920,"T":1706607141908,"s":"BTCUSDT","U":847261146845,"u":847261147964,"pu":847261146817,"b":[{b20}],"a":[{a20}]}}"#
            ),
        ),
        (
            Exchange::Bybit,
            StreamKind::Trades,
            "publicTrade",
            r#"{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1706607141139,"data":[{"T":1706607141138,"s":"BTCUSDT","S":"Buy","v":"0.003","p":"43365.90","L":"PlusTick","i":"ecb86ce8-c6ae-5f1d-b408-41b3bd8cefc7","BT":false}]}"#.to_owned(),
        ),
        (
            Exchange::Bybit,
            StreamKind::Liquidations,
            "allLiquidation",
            r#"{"topic":"allLiquidation.BTCUSDT","type":"snapshot","ts":1772242551300,"data":[{"T":1772242551082,"s":"BTCUSDT","S":"Buy","v":"0.049","p":"65466.3"}]}"#.to_owned(),
        ),
        (
            Exchange::Bybit,
            StreamKind::Depth,
            "orderbook_20x2",
            format!(
                r#"{{"topic":"orderbook.200.BTCUSDT","type":"delta","ts":1706607139102,"data":{{"s":"BTCUSDT","b":[{b20}],"a":[{a20}],"u":20790555,"seq":123456789}},"cts":1706607139100}}"#
            ),
        ),
        (
            Exchange::Okx,
            StreamKind::Trades,
            "trades",
            r#"{"arg":{"channel":"trades","instId":"BTC-USDT-SWAP"},"data":[{"instId":"BTC-USDT-SWAP","tradeId":"732718382","px":"43390.7","sz":"3","side":"sell","ts":"1706607140566","count":"1"}]}"#.to_owned(),
        ),
        (
            Exchange::Okx,
            StreamKind::Liquidations,
            "liquidation-orders",
            r#"{"arg":{"channel":"liquidation-orders","instType":"SWAP"},"data":[{"details":[{"bkLoss":"0","bkPx":"65550.1","ccy":"","posSide":"long","side":"sell","sz":"12","ts":"1772244395000"}],"instFamily":"BTC-USDT","instId":"BTC-USDT-SWAP","instType":"SWAP","uly":"BTC-USDT"}]}"#.to_owned(),
        ),
        (
            Exchange::Okx,
            StreamKind::Depth,
            "books_20x2",
            format!(
                r#"{{"arg":{{"channel":"books","instId":"BTC-USDT-SWAP"}},"action":"update","data":[{{"asks":[{oa20}],"bids":[{ob20}],"ts":"1706607141171","checksum":-1205855394,"prevSeqId":8460491435,"seqId":8460491436}}]}}"#
            ),
        ),
    ]
}

/// Distinct liquidations (exchange time 250 ms apart), so none is a duplicate and the
/// de-duplication window holds a realistic ~40 entries.
fn distinct(payload: &str) -> Vec<String> {
    let t0 = 1_772_244_490_564_i64;
    let (a, b) = ("1772244490564", "1772242551082");
    let base = if payload.contains(a) {
        a
    } else if payload.contains(b) {
        b
    } else {
        "1772244395000"
    };
    (0..4096)
        .map(|i| payload.replace(base, &(t0 + 250 * i).to_string()))
        .collect()
}

fn bench(c: &mut Criterion) {
    let registry = Arc::new(SymbolRegistry::default_registry());
    for (exchange, stream, name, payload) in cases() {
        let payloads = if stream == StreamKind::Liquidations {
            distinct(&payload)
        } else {
            vec![payload]
        };
        let mut group = c.benchmark_group(format!("normalize/{exchange}/{stream}"));
        group.throughput(Throughput::Elements(1));
        let mut norm = Normalizer::new(registry.clone());
        let mut batch = Batch::default();
        // Measure the success path only: every payload must give events and no error.
        for p in payloads.iter().take(2) {
            let frame = Frame {
                exchange,
                market: Market::Perp,
                stream: Some(stream),
                instrument: None,
                payload: p,
                receive_ts: 1_772_244_490.0,
            };
            Normalizer::new(registry.clone()).normalize(&frame, &mut batch);
            assert!(
                !batch.events.is_empty() && batch.errors.is_empty(),
                "{name}: {:?}",
                batch.errors
            );
        }
        let mut i = 0usize;
        group.bench_function(name, |b| {
            b.iter(|| {
                i = (i + 1) % payloads.len();
                let frame = Frame {
                    exchange,
                    market: Market::Perp,
                    stream: Some(stream),
                    instrument: None,
                    payload: black_box(&payloads[i]),
                    receive_ts: 1_772_244_490.0,
                };
                norm.normalize(&frame, &mut batch);
                black_box(batch.events.len())
            })
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
