//! Heatmap + calibrator: the whole 3871-minute replay through `SymbolPipeline`, and the
//! calibrator's two calls on their own.
//!
//! Run: `cargo bench -p liq-core --bench calibrator`. Results go in docs/PERFORMANCE.md.
//!
//! * `calibrator/replay_3871m/{default,reference}/log_{on,off}`: `btc_2026-02-03T0519Z_3871m`
//!   (3871 minutes, 12180 liquidations; parsed once, outside the timing) through a new heatmap
//!   engine and calibrator (window 15, no weights file), every record of both drained per
//!   minute (`log_on`) or none built (`log_off`). Throughput in market-minutes. The reference
//!   preset stops adopting weights after 45 minutes (B1); the default keeps calibrating.
//! * `calibrator/snapshot/BTC_3871m_end`: one `on_minute_snapshot` (no calibration run) with
//!   the raw heatmap of the end of that replay (about 1000 zones), records on.
//! * `calibrator/event/BTC`: one `on_liquidation` against that snapshot, records on.
//!
//! Without the shared fixtures every group is skipped with a message.

#![allow(missing_docs)] // criterion_group! generates undocumented items

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use liq_core::calibrator::{Calibrator, CalibratorConfig, LiquidationInput, MinuteSnapshotInput};
use liq_core::compat::ReferenceCompat;
use liq_core::event::Side;
use liq_core::heatmap::replay::{ReplayFeeder, ReplayRecord};
use liq_core::heatmap::{HeatmapConfig, HeatmapEngine};
use liq_core::pipeline::SymbolPipeline;

const LONG: &str = "replay/btc_2026-02-03T0519Z_3871m.jsonl";
const LONG_MINUTES: u64 = 3871;

fn pipeline(compat: ReferenceCompat, logging: bool) -> SymbolPipeline {
    let mut cfg = CalibratorConfig::runtime("BTC", 20.0, &compat);
    cfg.logging = logging;
    let (cal, _) = Calibrator::new(cfg, None);
    let mut engine =
        HeatmapEngine::new(HeatmapConfig::runtime("BTC", 20.0), compat).expect("engine");
    engine.set_logging(logging);
    SymbolPipeline::new(engine, cal)
}

/// Runs the replay; returns `(calibrations, records)` so nothing is optimized away.
fn replay(records: &[ReplayRecord], compat: ReferenceCompat, logging: bool) -> (u64, usize) {
    let mut p = pipeline(compat, logging);
    let mut feeder = ReplayFeeder::default();
    let (mut runs, mut recs) = (0, 0);
    for r in records {
        if let Ok(Some(rep)) = p.apply_replay(&mut feeder, r) {
            runs += u64::from(rep.calibration.is_some());
            let (h, c) = p.take_records();
            recs += h.len() + c.len();
        }
    }
    (runs, recs)
}

fn bench(c: &mut Criterion) {
    let Some(dir) = liq_store::shared_fixtures::dir("bench_calibrator") else {
        eprintln!("calibrator benches skipped: no shared fixtures");
        return;
    };
    let records = liq_store::capture::read_replay(&dir.join(LONG)).expect("3871-minute replay");
    let mut group = c.benchmark_group("calibrator/replay_3871m");
    group.sample_size(20);
    group.throughput(Throughput::Elements(LONG_MINUTES));
    for (name, compat) in [
        ("default", ReferenceCompat::fixed()),
        ("reference", ReferenceCompat::reference()),
    ] {
        for logging in [true, false] {
            let id = BenchmarkId::new(name, if logging { "log_on" } else { "log_off" });
            group.bench_function(id, |b| {
                b.iter(|| black_box(replay(&records, compat, logging)))
            });
        }
    }
    group.finish();

    // The end state of the replay, then one snapshot / one event on it.
    let mut p = pipeline(ReferenceCompat::fixed(), false);
    let mut feeder = ReplayFeeder::default();
    let mut last = None;
    for r in &records {
        if let ReplayRecord::Minute(b) = r {
            last = Some(b.clone());
        }
        let _ = p.apply_replay(&mut feeder, r);
    }
    let bar = last.expect("bars");
    let raw = p.heatmap().heatmap_raw();
    let step = *p.heatmap().step();
    let zones = |m: &liq_core::heatmap::BucketMap<f64>| -> Vec<(f64, f64)> {
        m.iter().map(|(k, v)| (step.price(*k), *v)).collect()
    };
    let snap = MinuteSnapshotInput {
        timestamp: bar.ts,
        src: bar.src,
        pred_longs: zones(&raw.map.long),
        pred_shorts: zones(&raw.map.short),
        ladder: p.heatmap().ladder(),
        weights: p.heatmap().weights_in_ladder_order(),
        buffer: p.heatmap().config().buffer,
        steps: 20.0,
        high: Some(bar.high),
        low: Some(bar.low),
        close: Some(bar.close),
        perp_buy_vol: bar.taker_buy_qty,
        perp_sell_vol: bar.taker_sell_qty,
        perp_oi_change: bar.oi_delta,
        depth_band: None,
    };
    eprintln!(
        "calibrator/snapshot: {} long + {} short zones",
        snap.pred_longs.len(),
        snap.pred_shorts.len()
    );
    let mut cfg = CalibratorConfig::runtime("BTC", 20.0, &ReferenceCompat::fixed());
    cfg.window_minutes = u32::MAX;
    let (base, _) = Calibrator::new(cfg, None);
    let mut group = c.benchmark_group("calibrator");
    group.bench_function("snapshot/BTC_3871m_end", |b| {
        b.iter_batched(
            || base.clone(),
            |mut cal| {
                let out = cal.on_minute_snapshot(&snap, bar.ts).expect("valid");
                black_box((out, cal.take_records()))
            },
            criterion::BatchSize::SmallInput,
        )
    });
    let mut cal = base.clone();
    cal.on_minute_snapshot(&snap, bar.ts).expect("valid");
    let ev = LiquidationInput {
        timestamp: bar.ts + 1.0,
        symbol: "BTC".into(),
        side: Side::Long,
        price: bar.src * 0.995,
        qty: 0.1,
        mark_price: bar.src,
        mid_price: 0.0,
        last_price: 0.0,
    };
    group.bench_function("event/BTC", |b| {
        b.iter(|| {
            cal.on_liquidation(black_box(&ev));
            black_box(cal.take_records())
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
