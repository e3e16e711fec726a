//! Property tests of the heatmap engine (heatmap.md sections 6 and 9).
//!
//! Proptest drives a [`HeatmapEngine`] (runtime config, `reference` and `fixed` presets) through
//! random but realistic minute sequences on four grids: steps 20 (BTC ~60000), 1 (ETH ~2000),
//! 0.1 (SOL ~80) and 0.0001 (DOGE ~0.1). Each minute has a random-walk `src` with
//! `high >= src >= low` (rarely a missing high or low of 0), an OI random walk that sometimes
//! drops sharply, sometimes stays put and sometimes reads 0, taker volumes that are sometimes 0,
//! liquidations between minutes (near `src`, or right at a projected bucket so the entry estimate,
//! offset learning and the display boost get exercised) and occasional calibrated-weight
//! updates (sometimes of the wrong length, which must be refused).
//!
//! Checked after every minute (`P4`'s liquidation part after every liquidation; `P1`..`P5` in
//! the failure messages):
//!
//! * `P1` `heatmap_raw()` / `heatmap_display()` values are finite, in (0, 1], with a maximum of
//!   exactly 1.0; both maps have the same keys in the same order; the display/raw ratio of every
//!   bucket lies in `[c, 1.5c]` for one `c` in [2/3, 1] (the ×1.5 boost, capped at 1, then a
//!   new maximum); without an overlap of both layers display equals raw bit for bit.
//! * `P2` `stats()` serializes to JSON without a `null` (serde_json writes NaN/inf as `null`);
//!   its totals are finite and non-negative, the weights are finite, non-negative and sum to 1
//!   (or are all 0).
//! * `P3` tape and projection keys round-trip through `price`/`key`, hold finite values of at
//!   least $100 after a minute; `build_v2` has a strictly increasing grid of exact bucket prices
//!   one step apart, equal-length arrays, intensities in [0, 1], and levels on the grid on the
//!   right side of `src` with `notional_usd >= 1000` and intensity in (0, 1]. A level's `price`
//!   is `py_round(centre, 2)` (6.3 `cluster_zones`), so it must lie in `[price_low, price_high]`
//!   exactly on grids of a cent or more and within half a cent on DOGE's.
//! * `P4` a liquidation adds exactly its notional to the USD of tape + projections; a minute
//!   never adds more than the decayed previous total plus the USD its `minute_inference` record
//!   says it projected (decay, sweeps and closes only remove); `usd_by_bucket` sums to the
//!   tape plus the projections.
//! * `P5` every record from `take_records()` serializes to JSON without a `null` (except the
//!   optional `entry_est` of `forceOrder`).
//!
//! A second property runs the `reference` and `fixed` presets side by side on integer steps
//! (20 and 1) on sequences where no fixed bug can show (OI constant or rising well above both
//! opening thresholds, no OI of 0, no high/low of 0, no weight updates, fewer than 50
//! liquidations) and requires identical records, maps, stats and V2 snapshots.
//!
//! The RNG seed is random per run; a failure prints the minimal sequence found, and
//! `PROPTEST_RNG_SEED=<u64>` replays a seed. Failures are not persisted to files.

use liq_core::compat::ReferenceCompat;
use liq_core::event::Side;
use liq_core::grid::BucketStep;
use liq_core::heatmap::records::HeatmapRecord;
use liq_core::heatmap::snapshot::{V2_MIN_NOTIONAL, V2Snapshot, build_v2};
use liq_core::heatmap::{HeatmapConfig, HeatmapEngine, Level, MinuteInput, Sides};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError};

/// Cases per market of the invariant property (two presets each).
const INVARIANT_CASES: u32 = 12;
/// Cases per market of the preset-equivalence property.
const EQUIVALENCE_CASES: u32 = 12;
/// Longest generated sequence, minutes (long enough for 50 offset samples and tape learning).
const MAX_MINUTES: usize = 90;
/// Longest sequence of the equivalence property, minutes.
const MAX_QUIET_MINUTES: usize = 60;
/// First minute key (a real 2026 minute; as in production, the first rollover already passes
/// the 60-minute tape-learning cadence).
const FIRST_MINUTE: i64 = 29_537_374;
/// Largest per-minute `src` return (a uniform draw in ±this).
const MAX_RETURN: f64 = 0.004;
/// Largest wick beyond `src`, as a fraction.
const MAX_WICK: f64 = 0.006;
/// Taker volume scale, USD.
const TAKER_USD: f64 = 5.0e6;

/// One symbol's grid and starting state.
#[derive(Clone, Copy, Debug)]
struct Market {
    sym: &'static str,
    step: f64,
    price: f64,
    /// Open interest, base units.
    oi: f64,
    /// Exchange price tick (high, low and liquidation prices sit on it).
    tick: f64,
    /// Base quantity increment.
    qty_step: f64,
}

const BTC: Market = Market {
    sym: "BTC",
    step: 20.0,
    price: 60_000.0,
    oi: 90_000.0,
    tick: 0.1,
    qty_step: 0.001,
};
const ETH: Market = Market {
    sym: "ETH",
    step: 1.0,
    price: 2_000.0,
    oi: 2_000_000.0,
    tick: 0.01,
    qty_step: 0.001,
};
const SOL: Market = Market {
    sym: "SOL",
    step: 0.1,
    price: 80.0,
    oi: 50_000_000.0,
    tick: 0.01,
    qty_step: 0.01,
};
const DOGE: Market = Market {
    sym: "DOGE",
    step: 0.0001,
    price: 0.1,
    oi: 10_000_000_000.0,
    tick: 0.00001,
    qty_step: 1.0,
};

/// How the OI moves in one minute.
#[derive(Clone, Copy, Debug)]
enum OiMove {
    /// Relative change of `x * 0.1%`, `x` in [-1, 1].
    Walk(f64),
    /// A sharp drop by this fraction.
    Drop(f64),
    /// The feed reads 0 this minute (the walk resumes afterwards).
    Zero,
    /// Unchanged.
    Same,
    /// Up by this fraction (the equivalence property's only non-zero move).
    Rise(f64),
}

/// One liquidation between two minutes.
#[derive(Clone, Copy, Debug)]
struct Liq {
    long: bool,
    /// At a projected bucket of its side (`pos` picks which, `nudge` moves it by whole steps)
    /// instead of near `src`.
    at_projection: bool,
    pos: f64,
    nudge: i64,
    /// USD size `10^(1 + 4.5 size)`: $10 to $316k.
    size: f64,
}

/// A calibrated-weights update.
#[derive(Clone, Debug)]
struct Weights {
    weights: Vec<f64>,
    buffer: f64,
}

/// One minute of input.
#[derive(Clone, Debug)]
struct Minute {
    ret: f64,
    up: f64,
    down: f64,
    oi: OiMove,
    buy: f64,
    sell: f64,
    /// 0: none; 1: low reads 0; 2: high reads 0.
    missing_hl: u8,
    liqs: Vec<Liq>,
    weights: Option<Weights>,
}

fn liq() -> impl Strategy<Value = Liq> {
    (
        any::<bool>(),
        prop::bool::weighted(0.4),
        -1.0..1.0f64,
        -2i64..=2,
        0.0..1.0f64,
    )
        .prop_map(|(long, at_projection, pos, nudge, size)| Liq {
            long,
            at_projection,
            pos,
            nudge,
            size,
        })
}

fn volume() -> impl Strategy<Value = f64> {
    prop_oneof![1 => Just(0.0), 6 => 0.0..1.0f64]
}

fn weights() -> impl Strategy<Value = Option<Weights>> {
    let w = prop_oneof![1 => Just(0.0), 4 => 0.0..1.0f64];
    let len = prop_oneof![10 => Just(7usize), 1 => Just(6usize), 1 => Just(8usize)];
    let update = (prop::collection::vec(w, 8), len, 0.001..0.004f64).prop_map(
        |(mut weights, len, buffer)| {
            weights.truncate(len);
            Some(Weights { weights, buffer })
        },
    );
    prop_oneof![12 => Just(None), 1 => update]
}

fn oi_move() -> impl Strategy<Value = OiMove> {
    prop_oneof![
        12 => (-1.0..1.0f64).prop_map(OiMove::Walk),
        2 => (0.002..0.05f64).prop_map(OiMove::Drop),
        1 => Just(OiMove::Zero),
        2 => Just(OiMove::Same),
    ]
}

fn minute() -> impl Strategy<Value = Minute> {
    (
        -1.0..1.0f64,
        0.0..1.0f64,
        0.0..1.0f64,
        oi_move(),
        volume(),
        volume(),
        prop_oneof![40 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8)],
        prop::collection::vec(liq(), 0..5),
        weights(),
    )
        .prop_map(
            |(ret, up, down, oi, buy, sell, missing_hl, liqs, weights)| Minute {
                ret,
                up,
                down,
                oi,
                buy,
                sell,
                missing_hl,
                liqs,
                weights,
            },
        )
}

/// Minutes for the equivalence property: OI constant or rising by 0.01%..0.5% (twice both
/// opening thresholds), never 0, high and low never 0, no weight updates.
fn quiet_minute() -> impl Strategy<Value = Minute> {
    let oi = prop_oneof![1 => Just(OiMove::Same), 3 => (1e-4..5e-3f64).prop_map(OiMove::Rise)];
    (
        -1.0..1.0f64,
        0.0..1.0f64,
        0.0..1.0f64,
        oi,
        volume(),
        volume(),
        prop::collection::vec(liq(), 0..3),
    )
        .prop_map(|(ret, up, down, oi, buy, sell, liqs)| Minute {
            ret,
            up,
            down,
            oi,
            buy,
            sell,
            missing_hl: 0,
            liqs,
            weights: None,
        })
}

fn config(cases: u32) -> Config {
    Config {
        failure_persistence: None,
        // Each case runs up to 90 minutes under two presets: bound the shrinking so a failure
        // reports within a minute instead of searching for ever.
        max_shrink_iters: 200,
        max_shrink_time: 60_000,
        ..Config::with_cases(cases)
    }
}

fn engine(m: &Market, compat: ReferenceCompat) -> HeatmapEngine {
    HeatmapEngine::new(HeatmapConfig::runtime(m.sym, m.step), compat).expect("valid step")
}

/// The simulated market: price, OI and minute clock.
struct Sim {
    m: Market,
    step: BucketStep,
    src: f64,
    oi: f64,
    key: i64,
}

/// A liquidation ready for `on_force_order`.
#[derive(Clone, Copy, Debug)]
struct Order {
    ts: f64,
    side: Side,
    price: f64,
    qty: f64,
    notional: f64,
}

impl Sim {
    fn new(m: Market) -> Sim {
        Sim {
            m,
            step: BucketStep::new(m.step).expect("valid step"),
            src: m.price,
            oi: m.oi,
            key: FIRST_MINUTE,
        }
    }

    fn on_tick(&self, x: f64) -> f64 {
        (x / self.m.tick).round() * self.m.tick
    }

    /// The liquidation `l` (the `i`-th of `n` before the current minute), placed against the
    /// engine's current projections.
    fn order(&self, e: &HeatmapEngine, l: &Liq, i: usize, n: usize) -> Order {
        let side = if l.long { Side::Long } else { Side::Short };
        let proj = e.inference().projections();
        let keys: Vec<i64> = proj.side(side).keys().copied().collect();
        let mut price = 0.0;
        if l.at_projection && !keys.is_empty() {
            let idx = ((l.pos.abs() * keys.len() as f64) as usize).min(keys.len() - 1);
            price = self.step.price(keys[idx] + l.nudge);
        }
        if price <= 0.0 {
            price = self.on_tick(self.src * (1.0 + l.pos * 0.01));
        }
        let usd = 10f64.powf(1.0 + 4.5 * l.size);
        let qty = ((usd / price / self.m.qty_step).round() * self.m.qty_step).max(self.m.qty_step);
        let ts = (self.key - 1) as f64 * 60.0 + (i + 1) as f64 * 60.0 / (n + 1) as f64;
        Order {
            ts,
            side,
            price,
            qty,
            notional: price * qty,
        }
    }

    /// Advances price and OI by one minute and returns the engine input and `now`.
    fn minute(&mut self, m: &Minute) -> (MinuteInput, f64) {
        self.src = (self.src * (1.0 + m.ret * MAX_RETURN)).max(self.m.tick);
        let src = self.src;
        let mut high = ((src * (1.0 + m.up * MAX_WICK)) / self.m.tick).ceil() * self.m.tick;
        let mut low = ((src * (1.0 - m.down * MAX_WICK)) / self.m.tick).floor() * self.m.tick;
        high = high.max(src);
        low = low.min(src);
        if low <= 0.0 {
            low = src;
        }
        match m.missing_hl {
            1 => low = 0.0,
            2 => high = 0.0,
            _ => {}
        }
        let oi = match m.oi {
            OiMove::Walk(x) => {
                self.oi *= 1.0 + x * 0.001;
                self.oi
            }
            OiMove::Drop(x) => {
                self.oi *= 1.0 - x;
                self.oi
            }
            OiMove::Rise(x) => {
                self.oi *= 1.0 + x;
                self.oi
            }
            OiMove::Zero => 0.0,
            OiMove::Same => self.oi,
        };
        let input = MinuteInput {
            minute_key: self.key,
            src,
            high,
            low,
            oi,
            taker_buy_usd: m.buy * TAKER_USD,
            taker_sell_usd: m.sell * TAKER_USD,
        };
        let now = self.key as f64 * 60.0 + 0.25;
        self.key += 1;
        (input, now)
    }
}

fn values(s: &Sides<f64>) -> impl Iterator<Item = f64> + '_ {
    s.long.values().chain(s.short.values()).copied()
}

/// USD of tape + projections, both sides, from `usd_by_bucket`.
fn total_usd(e: &HeatmapEngine) -> f64 {
    values(&e.usd_by_bucket()).sum()
}

/// USD of the tape, both sides.
fn tape_usd(e: &HeatmapEngine) -> f64 {
    values(&e.tape().heatmap()).sum()
}

/// USD of the projections, both sides.
fn projected_usd(e: &HeatmapEngine) -> f64 {
    let b = e.inference().buckets();
    b.long
        .values()
        .chain(b.short.values())
        .map(|x| x.size_usd)
        .sum()
}

/// Serializes `x` to JSON and fails on a `null` (serde_json writes NaN and inf as `null`),
/// except for `"entry_est":null`.
fn json_without_null<T: serde::Serialize>(what: &str, x: &T) -> Result<(), TestCaseError> {
    let s = serde_json::to_string(x).map_err(|e| TestCaseError::fail(format!("{what}: {e}")))?;
    prop_assert!(
        !s.replace("\"entry_est\":null", "").contains("null"),
        "{what}: NaN/inf in {s}"
    );
    Ok(())
}

/// P1: a max-normalized 0..1 map.
fn check_normalized(name: &str, s: &Sides<f64>) -> Result<(), TestCaseError> {
    let mut max: Option<f64> = None;
    for v in values(s) {
        prop_assert!(
            v.is_finite() && v > 0.0 && v <= 1.0,
            "P1 {name} value {v} not in (0, 1]"
        );
        max = Some(max.map_or(v, |m| m.max(v)));
    }
    if let Some(max) = max {
        prop_assert_eq!(max, 1.0, "P1 {} max is not exactly 1.0", name);
    }
    Ok(())
}

/// P1: raw and display maps.
fn check_views(e: &mut HeatmapEngine, now: f64) -> Result<(), TestCaseError> {
    let raw = e.heatmap_raw().map;
    let display = e.heatmap_display(now).map;
    check_normalized("raw", &raw)?;
    check_normalized("display", &display)?;
    for (side, r) in raw.both() {
        let d = display.side(side);
        let (rk, dk): (Vec<i64>, Vec<i64>) =
            (r.keys().copied().collect(), d.keys().copied().collect());
        prop_assert_eq!(rk, dk, "P1 {:?} display keys differ from raw keys", side);
    }
    let ratios: Vec<f64> = values(&display)
        .zip(values(&raw))
        .map(|(d, r)| d / r)
        .collect();
    if let (Some(lo), Some(hi)) = (
        ratios.iter().copied().reduce(f64::min),
        ratios.iter().copied().reduce(f64::max),
    ) {
        let eps = 1e-12;
        prop_assert!(
            lo >= 1.0 / 1.5 - eps && lo <= 1.0 + eps && hi >= 1.0 - eps && hi <= lo * 1.5 + eps,
            "P1 display/raw ratios in [{lo}, {hi}], not within one x1.5 boost"
        );
    }
    let (tl, ts) = e.tape().bucket_counts();
    let (pl, ps) = e.inference().bucket_counts();
    if tl + ts == 0 || pl + ps == 0 {
        prop_assert_eq!(&display, &raw, "P1 display != raw with a single layer");
    }
    Ok(())
}

/// P2: stats serialize, totals finite and non-negative.
fn check_stats(e: &HeatmapEngine, src: f64) -> Result<(), TestCaseError> {
    let st = e.stats();
    json_without_null("P2 stats", &st)?;
    let totals = [
        ("tape.total_long_notional", st.tape.total_long_notional),
        ("tape.total_short_notional", st.tape.total_short_notional),
        (
            "inference.total_inferred_long_usd",
            st.inference.total_inferred_long_usd,
        ),
        (
            "inference.total_inferred_short_usd",
            st.inference.total_inferred_short_usd,
        ),
    ];
    for (name, x) in totals {
        prop_assert!(x.is_finite() && x >= 0.0, "P2 stats {name} = {x}");
    }
    prop_assert_eq!(st.current_price, src, "P2 current_price");
    prop_assert!(st.config.buffer.is_finite() && st.config.buffer > 0.0);
    let w: Vec<f64> = st.inference.leverage_weights.values().copied().collect();
    prop_assert!(
        w.iter().all(|x| x.is_finite() && *x >= 0.0),
        "P2 weights {w:?}"
    );
    let sum: f64 = w.iter().sum();
    prop_assert!(
        sum == 0.0 || (sum - 1.0).abs() < 1e-12,
        "P2 weights sum to {sum}: {w:?}"
    );
    Ok(())
}

/// P3: tape and projection keys on the grid, values of at least $100 after a minute.
fn check_layers(e: &HeatmapEngine) -> Result<(), TestCaseError> {
    let step = *e.step();
    let mut cells: Vec<(&str, Side, i64, f64)> = Vec::new();
    for (side, m) in e.tape().heatmap().both() {
        cells.extend(m.iter().map(|(k, v)| ("tape", side, *k, *v)));
    }
    for (side, m) in e.inference().buckets().both() {
        cells.extend(m.iter().map(|(k, b)| ("projection", side, *k, b.size_usd)));
    }
    for (layer, side, k, v) in cells {
        let p = step.price(k);
        prop_assert!(p > 0.0, "P3 {layer} {side:?} key {k} has price {p}");
        prop_assert_eq!(
            step.key(p),
            k,
            "P3 {} {:?} key {} off the grid",
            layer,
            side,
            k
        );
        prop_assert!(
            v.is_finite() && v >= 100.0,
            "P3 {layer} {side:?} {p}: {v} USD survived a minute"
        );
    }
    Ok(())
}

fn on_grid(step: &BucketStep, p: f64) -> bool {
    p.is_finite() && step.bucket(p).to_bits() == p.to_bits()
}

/// P3: one side's pool levels.
fn check_levels(
    step: &BucketStep,
    levels: &[Level],
    src: f64,
    long: bool,
) -> Result<(), TestCaseError> {
    prop_assert!(levels.len() <= 20, "P3 {} levels", levels.len());
    // The level price is py_round(weighted centre, 2) (6.3 `cluster_zones`): exact on grids of
    // at least a cent, off by up to half a cent on finer ones (DOGE).
    let tol = if step.step() >= 0.01 {
        0.0
    } else {
        0.005 + 1e-12
    };
    for l in levels {
        prop_assert!(
            on_grid(step, l.price_low) && on_grid(step, l.price_high),
            "P3 {l:?}"
        );
        prop_assert!(l.price_low <= l.price_high, "P3 {l:?}");
        prop_assert!(
            l.price_low - tol <= l.price && l.price <= l.price_high + tol,
            "P3 level price outside its range: {l:?}"
        );
        if long {
            prop_assert!(l.price_high <= src, "P3 long level above src {src}: {l:?}");
        } else {
            prop_assert!(l.price_low >= src, "P3 short level below src {src}: {l:?}");
        }
        prop_assert!(
            l.notional_usd.is_finite() && l.notional_usd >= V2_MIN_NOTIONAL,
            "P3 {l:?}"
        );
        prop_assert!(
            l.intensity.is_finite() && l.intensity > 0.0 && l.intensity <= 1.0,
            "P3 level intensity {l:?}"
        );
        let span = ((l.price_high - l.price_low) / step.step()).round() as u64 + 1;
        prop_assert!(l.bucket_count >= 1 && l.bucket_count <= span, "P3 {l:?}");
    }
    prop_assert!(
        levels
            .windows(2)
            .all(|w| w[0].notional_usd >= w[1].notional_usd),
        "P3 levels not sorted by notional"
    );
    Ok(())
}

/// P3: the V2 snapshot's grid, arrays and levels.
fn check_v2(e: &mut HeatmapEngine, src: f64, now: f64) -> Result<V2Snapshot, TestCaseError> {
    let step = *e.step();
    let Some(v2) = build_v2(e, src, now) else {
        return Err(TestCaseError::fail("P3 build_v2 returned None"));
    };
    let n = v2.grid.prices.len();
    prop_assert!(n > 1, "P3 grid of {n} prices");
    let arrays = [
        &v2.grid.long_intensity,
        &v2.grid.short_intensity,
        &v2.grid.long_notional_usd,
        &v2.grid.short_notional_usd,
        &v2.grid.long_size_btc,
        &v2.grid.short_size_btc,
        &v2.long_usd,
        &v2.short_usd,
    ];
    for a in arrays {
        prop_assert_eq!(a.len(), n, "P3 array lengths differ");
        prop_assert!(a.iter().all(|x| x.is_finite() && *x >= 0.0), "P3 {a:?}");
    }
    for p in &v2.grid.prices {
        prop_assert!(on_grid(&step, *p), "P3 grid price {p} is not bucket({p})");
    }
    for w in v2.grid.prices.windows(2) {
        let d = w[1] - w[0];
        prop_assert!(
            w[1] > w[0] && (d - step.step()).abs() <= 1e-9 * step.step(),
            "P3 grid gap {} -> {} is not one step",
            w[0],
            w[1]
        );
    }
    prop_assert_eq!(v2.grid.price_min, v2.grid.prices[0]);
    prop_assert_eq!(v2.grid.price_max, v2.grid.prices[n - 1]);
    for x in v2
        .grid
        .long_intensity
        .iter()
        .chain(&v2.grid.short_intensity)
    {
        prop_assert!(*x <= 1.0, "P3 intensity {x}");
    }
    check_levels(&step, &v2.pools.long_levels, src, true)?;
    check_levels(&step, &v2.pools.short_levels, src, false)?;
    json_without_null("P3 V2 pools", &v2.pools)?;
    Ok(v2)
}

/// P5: records serialize without NaN/inf.
fn check_records(records: &[HeatmapRecord]) -> Result<(), TestCaseError> {
    for r in records {
        json_without_null("P5 record", r)?;
    }
    Ok(())
}

/// Runs one sequence on one engine, checking P1..P5 after every step.
fn run_invariants(
    m: Market,
    compat: ReferenceCompat,
    minutes: &[Minute],
) -> Result<(), TestCaseError> {
    let mut e = engine(&m, compat);
    let mut sim = Sim::new(m);
    let decay = e.config().decay;
    let mut total = 0.0;
    for mi in minutes {
        let n = mi.liqs.len();
        for (i, l) in mi.liqs.iter().enumerate() {
            let o = sim.order(&e, l, i, n);
            let before = tape_usd(&e);
            let tape_before = e.tape().stats();
            prop_assert!(
                e.on_force_order(o.ts, o.side, o.price, o.qty, o.notional)
                    .is_ok(),
                "on_force_order refused {o:?}"
            );
            let after = tape_usd(&e);
            prop_assert!(
                (after - (before + o.notional)).abs() <= 1e-9 * after,
                "P4 {o:?} moved the tape USD {before} -> {after}"
            );
            total += after - before;
            let tape = e.tape().stats();
            let (was, now) = match o.side {
                Side::Long => (tape_before.total_long_notional, tape.total_long_notional),
                Side::Short => (tape_before.total_short_notional, tape.total_short_notional),
            };
            prop_assert_eq!(now, was + o.notional, "P4 tape total after {:?}", o);
        }
        if let Some(w) = &mi.weights {
            let old = e.weights_in_ladder_order();
            let ok = e.apply_calibrated_weights(&w.weights, w.buffer);
            prop_assert_eq!(ok, w.weights.len() == e.ladder().len(), "weights {:?}", w);
            if !ok {
                prop_assert_eq!(e.weights_in_ladder_order(), old, "refused weights changed");
            }
        }
        let before = total;
        let (input, now) = sim.minute(mi);
        let out = e.on_minute(&input, now);
        prop_assert!(out.is_ok(), "on_minute refused {input:?}");
        let mut records = e.take_records();
        let summaries: Vec<(f64, f64)> = records
            .iter()
            .filter_map(|r| match r {
                HeatmapRecord::MinuteInference {
                    minute_key,
                    projected_added_long_usd,
                    projected_added_short_usd,
                    ..
                } if *minute_key == input.minute_key => {
                    Some((*projected_added_long_usd, *projected_added_short_usd))
                }
                _ => None,
            })
            .collect();
        prop_assert_eq!(summaries.len(), 1, "minute_inference records of the minute");
        let cycles = records
            .iter()
            .filter(|r| matches!(r, HeatmapRecord::CycleSummary { minute_key, .. } if *minute_key == input.minute_key))
            .count();
        prop_assert_eq!(cycles, 1, "cycle_summary records of the minute");
        let added = summaries[0].0 + summaries[0].1;
        prop_assert!(added.is_finite() && added >= 0.0, "P4 added {added}");
        let after = total_usd(&e);
        let layers = tape_usd(&e) + projected_usd(&e);
        prop_assert!(
            (after - layers).abs() <= 1e-9 * after,
            "P4 usd_by_bucket sums to {after}, tape + projections to {layers}"
        );
        total = after;
        let bound = decay * before + added + 0.01 + 1e-9 * (before + added);
        prop_assert!(
            after <= bound,
            "P4 minute {input:?}: USD {before} -> {after}, projected {added}"
        );

        check_views(&mut e, now)?;
        check_stats(&e, input.src)?;
        check_layers(&e)?;
        check_v2(&mut e, input.src, now)?;
        records.extend(e.take_records());
        check_records(&records)?;
    }
    Ok(())
}

/// Runs one sequence on the reference and the fixed preset side by side; everything observable
/// must be identical.
fn run_equivalence(m: Market, minutes: &[Minute]) -> Result<(), TestCaseError> {
    let mut r = engine(&m, ReferenceCompat::reference());
    let mut f = engine(&m, ReferenceCompat::fixed());
    let mut sim = Sim::new(m);
    let mut liqs = 0usize;
    for mi in minutes {
        let n = mi.liqs.len();
        for (i, l) in mi.liqs.iter().enumerate() {
            // Fewer than 50 liquidations: tape learning (B7) cannot start.
            if liqs >= 49 {
                break;
            }
            liqs += 1;
            let o = sim.order(&r, l, i, n);
            let a = r.on_force_order(o.ts, o.side, o.price, o.qty, o.notional);
            let b = f.on_force_order(o.ts, o.side, o.price, o.qty, o.notional);
            prop_assert!(a.is_ok() && b.is_ok(), "on_force_order refused {o:?}");
        }
        let (input, now) = sim.minute(mi);
        let a = r.on_minute(&input, now);
        let b = f.on_minute(&input, now);
        prop_assert!(a.is_ok(), "on_minute refused {input:?}");
        prop_assert_eq!(a, b, "on_minute outcome at {:?}", input);
        prop_assert_eq!(r.take_records(), f.take_records(), "records at {:?}", input);
        prop_assert_eq!(r.heatmap_raw(), f.heatmap_raw(), "raw map at {:?}", input);
        prop_assert_eq!(
            r.heatmap_display(now),
            f.heatmap_display(now),
            "display at {:?}",
            input
        );
        prop_assert_eq!(r.stats(), f.stats(), "stats at {:?}", input);
        prop_assert_eq!(
            build_v2(&mut r, input.src, now),
            build_v2(&mut f, input.src, now),
            "V2 snapshot at {:?}",
            input
        );
        prop_assert_eq!(
            r.take_records(),
            f.take_records(),
            "display records at {:?}",
            input
        );
    }
    Ok(())
}

fn minutes() -> impl Strategy<Value = Vec<Minute>> {
    prop::collection::vec(minute(), 1..MAX_MINUTES)
}

fn quiet_minutes() -> impl Strategy<Value = Vec<Minute>> {
    prop::collection::vec(quiet_minute(), 1..MAX_QUIET_MINUTES)
}

fn both_presets(m: Market, minutes: &[Minute]) -> Result<(), TestCaseError> {
    run_invariants(m, ReferenceCompat::reference(), minutes)?;
    run_invariants(m, ReferenceCompat::fixed(), minutes)
}

proptest! {
    #![proptest_config(config(INVARIANT_CASES))]

    /// P1..P5 on BTC's grid (step 20).
    #[test]
    fn invariants_btc(minutes in minutes()) {
        both_presets(BTC, &minutes)?;
    }

    /// P1..P5 on ETH's grid (step 1).
    #[test]
    fn invariants_eth(minutes in minutes()) {
        both_presets(ETH, &minutes)?;
    }

    /// P1..P5 on SOL's grid (step 0.1).
    #[test]
    fn invariants_sol(minutes in minutes()) {
        both_presets(SOL, &minutes)?;
    }

    /// P1..P5 on DOGE's grid (step 0.0001).
    #[test]
    fn invariants_doge(minutes in minutes()) {
        both_presets(DOGE, &minutes)?;
    }
}

proptest! {
    #![proptest_config(config(EQUIVALENCE_CASES))]

    /// Reference and fixed presets agree on BTC's grid when no fixed bug can show.
    #[test]
    fn presets_agree_btc(minutes in quiet_minutes()) {
        run_equivalence(BTC, &minutes)?;
    }

    /// Reference and fixed presets agree on ETH's grid when no fixed bug can show.
    #[test]
    fn presets_agree_eth(minutes in quiet_minutes()) {
        run_equivalence(ETH, &minutes)?;
    }
}
