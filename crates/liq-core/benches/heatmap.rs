//! Heatmap engine: the minute cycle, the V2 snapshot, and a whole recorded replay.
//!
//! Run: `cargo bench -p liq-core --bench heatmap`. Results go in docs/PERFORMANCE.md.
//! The bucket counts of every measured state are printed to stderr next to the timings.
//!
//! * `heatmap/minute_cycle/{BTC,ETH,SOL}/log_{off,on}`: one `on_minute` on a steady state. The
//!   state is the golden session (`btc_eth_sol_2026-02-28T0133Z_47m`, the symbol's records
//!   through `ReplayFeeder`), continued with synthetic minutes: `src` a mean-reverting random
//!   walk inside the session's own price range, OI up 3e-4 every 4th minute (above the 5e-5
//!   opening threshold, so an inference fires) and down 1e-4 in the three others (flat overall,
//!   so the input stays stationary however many iterations criterion runs). 3000 such minutes
//!   run before timing, so decay holds the bucket counts steady. `log_on` drains the records
//!   every minute (their drop is timed) so memory does not grow. `BTC_volatile` walks ±1.5%
//!   instead: the price reaches projected levels (sweeps) and the state holds ~400 buckets.
//! * `heatmap/v2_build/{BTC,BTC_3871m_end}` and `heatmap/v2_build_and_serialize/..`:
//!   `build_v2` (then `serde_json::to_vec`) on the end state of the BTC golden session
//!   (660-price grid), and on the end state of the 3871-minute replay (~840 buckets).
//! * `heatmap/replay_3871m/BTC/log_{on,off}`: the whole `btc_2026-02-03T0519Z_3871m` replay
//!   (12180 liquidations) through a new engine (`ReferenceCompat::fixed()`; parsed once, outside
//!   the timing), records drained every minute; throughput in market-minutes.
//!   `heatmap/read_replay/btc_3871m`: `read_replay` of that file (parsing alone).
//!
//! Without the shared fixtures every group is skipped with a message (under `CI` the fixture
//! lookup panics instead).

#![allow(missing_docs)] // criterion_group! generates undocumented items

use std::hint::black_box;
use std::path::Path;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use liq_core::compat::ReferenceCompat;
use liq_core::heatmap::replay::{MinuteBar, ReplayFeeder, ReplayRecord};
use liq_core::heatmap::snapshot::build_v2;
use liq_core::heatmap::{HeatmapConfig, HeatmapEngine, MinuteInput};

const GOLDEN: &str = "replay/btc_eth_sol_2026-02-28T0133Z_47m.jsonl";
const LONG: &str = "replay/btc_2026-02-03T0519Z_3871m.jsonl";
const LONG_MINUTES: u64 = 3871;
/// Symbol, bucket step, absolute OI base (as in `tests/golden_heatmap_files.rs`).
const SYMBOLS: [(&str, f64, f64); 3] = [
    ("BTC", 20.0, 160_000.0),
    ("ETH", 1.0, 3_160_000.0),
    ("SOL", 0.1, 20_430_000.0),
];
/// Synthetic minutes run before timing, so the bucket counts reach their steady state.
const WARM_MINUTES: usize = 3000;

fn symbol_of(r: &ReplayRecord) -> &str {
    match r {
        ReplayRecord::Minute(b) => &b.symbol,
        ReplayRecord::Liquidation(l) => &l.symbol,
    }
}

/// The end of the golden session for one symbol.
struct SessionEnd {
    src: f64,
    /// Close time of the last bar (the `now` of a snapshot at the end).
    ts: f64,
    minute_key: i64,
    low: f64,
    high: f64,
    oi: f64,
}

/// The golden session replayed for one symbol, and where it ended.
fn golden_state(
    records: &[ReplayRecord],
    sym: &str,
    step: f64,
    base: f64,
) -> (HeatmapEngine, SessionEnd) {
    let mut e = HeatmapEngine::new(HeatmapConfig::runtime(sym, step), ReferenceCompat::fixed())
        .expect("valid step");
    let mut feeder = ReplayFeeder::with_oi_base(base);
    let (mut src, mut ts, mut key, mut lo, mut hi) = (0.0, 0.0, 0, f64::INFINITY, 0.0f64);
    for r in records.iter().filter(|r| symbol_of(r) == sym) {
        feeder.apply(&mut e, r).expect("valid replay line");
        if let ReplayRecord::Minute(b) = r {
            (src, ts, key) = (b.src, b.ts, b.minute_key);
            lo = lo.min(b.low);
            hi = hi.max(b.high);
        }
    }
    e.take_records();
    // ReplayFeeder has no getter for its running OI: a bar without OI data returns it unchanged.
    let oi = feeder
        .minute_input(&MinuteBar {
            open: None,
            symbol: sym.to_owned(),
            minute_key: key,
            ts: 0.0,
            high: hi,
            low: lo,
            close: src,
            src,
            oi: None,
            oi_delta: None,
            taker_buy_usd: None,
            taker_sell_usd: None,
            taker_buy_share: None,
            taker_buy_qty: None,
            taker_sell_qty: None,
        })
        .oi;
    let end = SessionEnd {
        src,
        ts,
        minute_key: key,
        low: lo,
        high: hi,
        oi,
    };
    (e, end)
}

/// Synthetic minutes continuing a session (see the module comment).
struct Synth {
    rng: u64,
    center: f64,
    half: f64,
    sigma: f64,
    reversion: f64,
    src: f64,
    oi0: f64,
    oi: f64,
    minute_key: i64,
}

impl Synth {
    /// Inside the session's own range (`half` = half of it), moving up to 0.4 `half` a minute.
    fn session_range(end: &SessionEnd) -> Self {
        let half = (end.high - end.low) / 2.0;
        Self::new(end, (end.low + end.high) / 2.0, half, 0.4 * half, 0.9)
    }

    /// A volatile market: ±1.5% around the last `src`, moving up to 0.1% a minute, so the
    /// price reaches the projected levels (sweeps) and the state grows to hundreds of buckets.
    fn volatile(end: &SessionEnd) -> Self {
        Self::new(end, end.src, 0.015 * end.src, 0.001 * end.src, 0.998)
    }

    fn new(end: &SessionEnd, center: f64, half: f64, sigma: f64, reversion: f64) -> Self {
        Synth {
            rng: 0x9E37_79B9_7F4A_7C15,
            center,
            half,
            sigma,
            reversion,
            src: end.src,
            oi0: end.oi,
            oi: end.oi,
            minute_key: end.minute_key,
        }
    }

    /// Uniform in [-1, 1) (splitmix64).
    fn unit(&mut self) -> f64 {
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }

    fn next(&mut self) -> (MinuteInput, f64) {
        self.minute_key += 1;
        let prev = self.src;
        let (lo, hi) = (self.center - self.half, self.center + self.half);
        let walk = self.center + self.reversion * (prev - self.center) + self.sigma * self.unit();
        self.src = walk.clamp(lo, hi);
        let wick = 0.25 * self.sigma * self.unit().abs();
        let (high, low) = (prev.max(self.src) + wick, prev.min(self.src) - wick);
        self.oi += if self.minute_key % 4 == 0 {
            3e-4 * self.oi0
        } else {
            -1e-4 * self.oi0
        };
        let buy = 0.5 + 0.15 * self.unit();
        let m = MinuteInput {
            minute_key: self.minute_key,
            src: self.src,
            high,
            low,
            oi: self.oi,
            taker_buy_usd: buy * 1e6,
            taker_sell_usd: (1.0 - buy) * 1e6,
        };
        (m, self.minute_key as f64 * 60.0)
    }
}

fn counts(e: &HeatmapEngine) -> String {
    let (pl, ps) = e.inference().bucket_counts();
    let (tl, ts) = e.tape().bucket_counts();
    format!("projection {pl}+{ps} = {}, tape {tl}+{ts}", pl + ps)
}

fn minute_cycle(c: &mut Criterion, golden: &[ReplayRecord]) {
    let mut group = c.benchmark_group("heatmap/minute_cycle");
    group.throughput(Throughput::Elements(1));
    let cases = SYMBOLS
        .iter()
        .map(|&(sym, step, base)| (sym, sym, step, base, false))
        .chain([("BTC_volatile", "BTC", 20.0, 160_000.0, true)]);
    for (name, sym, step, base, volatile) in cases {
        for logging in [false, true] {
            let (mut e, end) = golden_state(golden, sym, step, base);
            let session_end = counts(&e);
            let mut synth = if volatile {
                Synth::volatile(&end)
            } else {
                Synth::session_range(&end)
            };
            e.set_logging(logging);
            // Real work: inferences fire, buckets stay populated.
            let (mut inferences, mut swept) = (0, 0);
            for _ in 0..WARM_MINUTES {
                let (m, now) = synth.next();
                let out = e.on_minute(&m, now).expect("valid input");
                inferences += out.inferences;
                swept += out.swept.0 + out.swept.1;
                e.take_records();
            }
            assert!(
                inferences > 0 && e.inference().bucket_counts().0 > 0,
                "{name}"
            );
            assert!(!volatile || swept > 0, "{name}: sweeps");
            let before = counts(&e);
            let label = if logging { "log_on" } else { "log_off" };
            group.bench_function(BenchmarkId::new(name, label), |b| {
                b.iter(|| {
                    let (m, now) = synth.next();
                    let out = e.on_minute(black_box(&m), now);
                    if logging {
                        black_box(e.take_records());
                    }
                    black_box(out)
                })
            });
            eprintln!(
                "heatmap/minute_cycle/{name}/{label}: buckets at session end: {session_end}; \
                 before timing ({WARM_MINUTES} synthetic minutes later, {inferences} tier \
                 entries, {swept} projection sweeps): {before}; after timing: {}",
                counts(&e)
            );
        }
    }
    group.finish();
}

/// `build_v2` alone, then with `serde_json::to_vec`, on one state.
fn v2_snapshot(
    c: &mut Criterion,
    name: &str,
    e: &mut HeatmapEngine,
    src: f64,
    now: f64,
    grid: usize,
) {
    let v2 = build_v2(e, src, now).expect("snapshot");
    let bytes = serde_json::to_vec(&v2).expect("serializable");
    assert_eq!(v2.grid.prices.len(), grid, "{name}: grid");
    assert!(
        !v2.pools.long_levels.is_empty() && !v2.pools.short_levels.is_empty(),
        "{name}: pools on both sides"
    );
    e.take_records();
    eprintln!(
        "heatmap/v2/{name}: buckets {}; {} prices, {}+{} levels, {} bytes of JSON",
        counts(e),
        v2.grid.prices.len(),
        v2.pools.long_levels.len(),
        v2.pools.short_levels.len(),
        bytes.len()
    );
    let mut group = c.benchmark_group("heatmap/v2_build");
    group.bench_function(name, |b| {
        b.iter(|| black_box(build_v2(e, black_box(src), now)))
    });
    group.finish();
    let mut group = c.benchmark_group("heatmap/v2_build_and_serialize");
    group.bench_function(name, |b| {
        b.iter(|| {
            let v2 = build_v2(e, black_box(src), now).expect("snapshot");
            black_box(serde_json::to_vec(&v2).expect("serializable"))
        })
    });
    group.finish();
    // The display map logs at most once per minute, and the minute does not move here.
    assert!(e.take_records().len() <= 1, "{name}: records pile up");
}

fn new_btc_engine(logging: bool) -> HeatmapEngine {
    let mut e = HeatmapEngine::new(
        HeatmapConfig::runtime("BTC", 20.0),
        ReferenceCompat::fixed(),
    )
    .expect("valid step");
    e.set_logging(logging);
    e
}

/// The timed replay: minutes applied and records drained.
fn replay(records: &[ReplayRecord], logging: bool) -> (u64, u64) {
    let mut e = new_btc_engine(logging);
    let mut feeder = ReplayFeeder::default();
    let (mut minutes, mut logged) = (0u64, 0u64);
    for r in records {
        if feeder
            .apply(&mut e, r)
            .expect("valid replay line")
            .is_some()
        {
            minutes += 1;
            logged += e.take_records().len() as u64;
        }
    }
    black_box(&e);
    (minutes, logged)
}

/// The same replay once, untimed: the end state (engine, last `src`, last bar time) and the
/// state sizes along the way.
fn replay_sizes(records: &[ReplayRecord]) -> (HeatmapEngine, f64, f64, String) {
    let mut e = new_btc_engine(true);
    let mut feeder = ReplayFeeder::default();
    let (mut minutes, mut inferences, mut sum_proj) = (0usize, 0usize, 0usize);
    let (mut peak_proj, mut peak_tape) = (0usize, 0usize);
    let (mut src, mut now) = (0.0, 0.0);
    for r in records {
        if let ReplayRecord::Minute(b) = r {
            (src, now) = (b.src, b.ts);
        }
        if let Some(out) = feeder.apply(&mut e, r).expect("valid replay line") {
            e.take_records();
            minutes += 1;
            inferences += usize::from(out.inferences > 0);
            let (pl, ps) = e.inference().bucket_counts();
            let (tl, ts) = e.tape().bucket_counts();
            sum_proj += pl + ps;
            peak_proj = peak_proj.max(pl + ps);
            peak_tape = peak_tape.max(tl + ts);
        }
    }
    let sizes = format!(
        "{inferences} minutes with inferences; projection buckets mean {:.0}, peak {peak_proj}; \
         tape buckets peak {peak_tape}; at the end: {}",
        sum_proj as f64 / minutes.max(1) as f64,
        counts(&e)
    );
    (e, src, now, sizes)
}

fn whole_replay(c: &mut Criterion, path: &Path, records: &[ReplayRecord]) {
    let (minutes, logged) = replay(records, true);
    let liqs = records
        .iter()
        .filter(|r| matches!(r, ReplayRecord::Liquidation(_)))
        .count();
    assert_eq!(minutes, LONG_MINUTES);
    assert_eq!(liqs, 12180);
    assert!(logged > minutes, "records are produced");
    assert_eq!(replay(records, false), (minutes, 0));
    let (_, _, _, sizes) = replay_sizes(records);
    eprintln!(
        "heatmap/replay_3871m: {minutes} minutes, {liqs} liquidations, {logged} records; {sizes}"
    );

    let mut group = c.benchmark_group("heatmap/replay_3871m");
    group.sample_size(10);
    group.throughput(Throughput::Elements(minutes));
    group.bench_function("BTC/log_on", |b| {
        b.iter(|| black_box(replay(black_box(records), true)))
    });
    group.bench_function("BTC/log_off", |b| {
        b.iter(|| black_box(replay(black_box(records), false)))
    });
    group.finish();

    let size = std::fs::metadata(path).expect("file").len();
    let mut group = c.benchmark_group("heatmap/read_replay");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(size));
    group.bench_function("btc_3871m", |b| {
        b.iter(|| black_box(liq_store::capture::read_replay(path).expect("replay").len()))
    });
    group.finish();
}

fn bench(c: &mut Criterion) {
    let Some(dir) = liq_store::shared_fixtures::dir("bench heatmap") else {
        eprintln!(
            "heatmap: SKIPPED minute_cycle, v2_build, v2_build_and_serialize, replay_3871m, \
             read_replay (no shared fixtures)"
        );
        return;
    };
    let golden = liq_store::capture::read_replay(&dir.join(GOLDEN)).expect("golden replay");
    let long_path = dir.join(LONG);
    let long = liq_store::capture::read_replay(&long_path).expect("3871-minute replay");

    minute_cycle(c, &golden);

    let (sym, step, base) = SYMBOLS[0];
    let (mut e, end) = golden_state(&golden, sym, step, base);
    v2_snapshot(c, sym, &mut e, end.src, end.ts, 660);
    let (mut e, src, now, _) = replay_sizes(&long);
    let grid = (e.step().key(src * 1.1) - e.step().key(src * 0.9) + 1) as usize;
    v2_snapshot(c, "BTC_3871m_end", &mut e, src, now, grid);

    whole_replay(c, &long_path, &long);
}

criterion_group!(benches, bench);
criterion_main!(benches);
