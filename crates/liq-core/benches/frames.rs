//! Order-book frames and liquidation history records.
//!
//! Run: `cargo bench -p liq-core --bench frames`. Results go in docs/PERFORMANCE.md.
//!
//! * `frames/accumulate/{1000,8000}_levels`: one `Accumulator::add_book` of a BTC book with that
//!   many levels per side (0.1 ticks around 65 000 USD for 1000; for 8000, spread over ±12 % like
//!   the reference's unbounded book after 46 minutes), step 20, ±10 %: the band filter, the
//!   bucketing and the per-bucket sums. Same slot every time, so no emission.
//! * `frames/emit/660_cells`: `flush` of a pending slot (grid, sums, percentiles, intensities)
//!   on the 8000-level state (a clone of the accumulator is made outside the timing).
//! * `frames/encode_v2/660_cells`: one frame to its 4096-byte record.
//! * `frames/decode_golden/94_records`: the 94 records of the golden `ob_heatmap_30s.bin`.
//! * `frames/history_bin/94_frames`: the API's binary history body of those 94 frames (union
//!   grid, resampling, header medians).
//! * `history/encode_record/660` and `history/decode_file/720x660`: one liquidation history
//!   record written, and a whole 720-record version-2 file read back (CRC checked).

#![allow(missing_docs)] // criterion_group! generates undocumented items

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use liq_core::event::Exchange;
use liq_core::heatmap::history::{HistoryFrame, decode_file, encode_file, encode_record};
use liq_core::orderbook::accumulator::{Accumulator, AccumulatorConfig};
use liq_core::orderbook::encode::encode_history_bin;
use liq_core::orderbook::frame::Frame;
use liq_core::orderbook::record::{
    RECORD_LEN, RecordVersion, decode_record, encode_record as encode_frame,
};
use liq_core::orderbook::resample::{ResampleMode, ob_grid};

const MID: f64 = 65_745.85;

/// A deterministic pseudo-random size in (0, 5] BTC.
fn size(i: usize) -> f64 {
    let x = (i as u64)
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    ((x >> 33) % 5000 + 1) as f64 / 1000.0
}

/// Book levels `(price, size)`.
type Levels = Vec<(f64, f64)>;

/// `n` bids and `n` asks; `spread` is the price span per side as a fraction of the mid.
fn book(n: usize, spread: f64) -> (Levels, Levels) {
    let tick = (MID * spread / n as f64 * 10.0).round().max(1.0) / 10.0;
    let bids = (0..n)
        .map(|i| (MID - 0.05 - tick * i as f64, size(i)))
        .collect();
    let asks = (0..n)
        .map(|i| (MID + 0.05 + tick * i as f64, size(i + n)))
        .collect();
    (bids, asks)
}

fn accumulate(c: &mut Criterion) -> Accumulator {
    let mut group = c.benchmark_group("frames/accumulate");
    let mut state = None;
    for (n, spread) in [(1000usize, 0.0015), (8000, 0.12)] {
        let (bids, asks) = book(n, spread);
        let mut acc = Accumulator::new(AccumulatorConfig::reference()).expect("config");
        group.throughput(Throughput::Elements(2 * n as u64));
        group.bench_function(format!("{n}_levels"), |b| {
            b.iter(|| {
                let out = acc.add_book(
                    Exchange::Binance,
                    bids.iter().copied(),
                    asks.iter().copied(),
                    MID,
                    1_772_242_425.0,
                    false,
                );
                black_box(out.is_ok())
            })
        });
        state = Some(acc);
    }
    group.finish();
    state.expect("an accumulator was built")
}

fn emit_and_encode(c: &mut Criterion, acc: &Accumulator) -> Frame {
    let frame = acc.clone().flush().expect("pending frame");
    eprintln!(
        "frames: emitted frame has {} cells, {} / {} non-zero bid / ask cells",
        frame.n_prices(),
        frame.bid_u8.iter().filter(|&&u| u > 0).count(),
        frame.ask_u8.iter().filter(|&&u| u > 0).count()
    );
    let mut group = c.benchmark_group("frames");
    group.bench_function("emit/660_cells", |b| {
        b.iter_batched(
            || acc.clone(),
            |mut a| black_box(a.flush()),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("encode_v2/660_cells", |b| {
        b.iter(|| black_box(encode_frame(&frame, RecordVersion::V2).map(|r| r[0])))
    });
    group.finish();
    frame
}

fn golden(c: &mut Criterion) {
    let Some(dir) = liq_store::shared_fixtures::dir("bench frames") else {
        eprintln!("frames: SKIPPED decode_golden, history_bin (no shared fixtures)");
        return;
    };
    let bytes =
        std::fs::read(dir.join("golden/2026-02-28/ob_heatmap_30s.bin")).expect("golden file");
    let decode_all = |b: &[u8]| -> Vec<Frame> {
        b.chunks_exact(RECORD_LEN)
            .filter_map(|r| decode_record(r).ok().map(|(f, _)| f))
            .collect()
    };
    let frames = decode_all(&bytes);
    let mut group = c.benchmark_group("frames");
    group.throughput(Throughput::Elements(frames.len() as u64));
    group.bench_function("decode_golden/94_records", |b| {
        b.iter(|| black_box(decode_all(&bytes).len()))
    });
    group.bench_function("history_bin/94_frames", |b| {
        b.iter(|| {
            let grid = ob_grid(&frames, None, None, 20.0, 10_000).expect("grid");
            black_box(encode_history_bin(&frames, &grid, ResampleMode::Point).map(|v| v.len()))
        })
    });
    group.finish();
}

fn history(c: &mut Criterion) {
    let n = 660;
    let frame = |i: usize| HistoryFrame {
        ts: 1_772_242_440.0 + 60.0 * i as f64,
        src: MID,
        step: 20.0,
        price_min: 59_180.0,
        price_max: 59_180.0 + 20.0 * (n as f64 - 1.0),
        long: (0..n).map(|k| (k * 7 % 256) as u8).collect(),
        short: (0..n).map(|k| (k * 13 % 256) as u8).collect(),
    };
    let one = frame(0);
    let file = encode_file(&(0..720).map(frame).collect::<Vec<_>>()).expect("file");
    let mut group = c.benchmark_group("history");
    group.bench_function("encode_record/660", |b| {
        let mut out = Vec::with_capacity(2048);
        b.iter(|| {
            out.clear();
            black_box(encode_record(&one, &mut out).map(|()| out.len()))
        })
    });
    group.throughput(Throughput::Elements(720));
    group.bench_function("decode_file/720x660", |b| {
        b.iter(|| black_box(decode_file(&file).frames.len()))
    });
    group.finish();
}

fn bench(c: &mut Criterion) {
    let acc = accumulate(c);
    emit_and_encode(c, &acc);
    golden(c);
    history(c);
}

criterion_group!(benches, bench);
criterion_main!(benches);
