//! Simulated time per wall-clock time: one simulated hour of the default three symbols on the
//! three exchanges, at the demo-history depth rate (1 diff per second per book) and at the
//! live rate (100 ms).
//!
//! Run: `cargo bench -p liq-feeds --bench sim`. Results go in docs/PERFORMANCE.md.

#![allow(missing_docs)] // criterion_group! generates undocumented items

use criterion::{Criterion, criterion_group, criterion_main};
use liq_feeds::MarketSource;
use liq_feeds::sim::{SimConfig, Simulator};

fn hour(cfg: SimConfig) -> usize {
    let mut sim = Simulator::new(cfg).unwrap();
    let start = sim.start_ts();
    let mut out = Vec::with_capacity(1 << 16);
    let mut n = 0;
    // Ten-second chunks, as a demo's pre-simulation drains them.
    for k in 1..=360 {
        out.clear();
        sim.advance(start + 10.0 * f64::from(k), &mut out);
        n += out.len();
    }
    n
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("sim");
    g.sample_size(10);
    g.bench_function("one_hour_demo_history_depth_1s", |b| {
        b.iter(|| hour(SimConfig::demo_history()))
    });
    g.bench_function("one_hour_live_depth_100ms", |b| {
        b.iter(|| hour(SimConfig::default()))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
