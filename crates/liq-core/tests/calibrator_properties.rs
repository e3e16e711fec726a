//! Property tests of the calibrator (calibrator.md sections 6 and 7; B14, B19, B20).
//!
//! Proptest drives one [`Calibrator`] per case (`fixed` or `reference` preset, window 1, 2, 3
//! or 15 minutes, symbol BTC/ETH/SOL/DOGE, a base price log-uniform in 50..150000 with a grid
//! step of 1, 2 or 5 times `10^(floor(log10(base)) - 3)`) through up to 120 random operations:
//!
//! * valid minute snapshots, 60 s apart: `src` within ±3 % of the base price (rarely 0),
//!   0..30 grid-aligned zones per side within 5 % of `src` on their proper side with strengths
//!   in [0, 1], high/low/close/volumes/OI/depth band each present or not, the runtime ladder
//!   and engine weights that are often adversarial (all mass on one tier, the disabled 10x tier
//!   included; one tier plus `1e-12` elsewhere; all `1e-12`; all 0; raw unnormalized values)
//!   or fed back from the last calibration result, as the engine does;
//! * liquidations in the current minute (before the first snapshot they are dropped): random
//!   side, a price within ±20 % of the last `src` (so some are insane, > 15 %) or right at a
//!   zone of the last snapshot (so hits and tolerance tuning happen), mark/mid/last each 0 or
//!   near `src`;
//! * refused snapshots (empty ladder, length mismatch, NaN / ±inf / negative weight, a 0 tier,
//!   NaN time, bad steps, buffer, src, zone, OHLC, volume or depth value).
//!
//! Checked (names appear in the failure messages):
//!
//! * `W` after every adopted calibration the weights the calibrator keeps (`weights()`, and the
//!   `save` weights, which must equal them) are finite, non-negative, sum to 1 within 1e-9 and
//!   are exactly 0.0 on the disabled 10x tier.
//! * `R` the result: a run every `window_minutes` valid snapshots, `calibration_count` counting
//!   up, `adopted == calibration_enabled() == save.is_some()`, never re-enabled; finite
//!   non-negative weights on the runtime ladder. Adopted, fixed preset: the result weights are
//!   exactly those the calibrator keeps (B20 fixed). Adopted, reference preset: with events in
//!   the window the result weights are those the calibrator keeps (10x exactly 0) or, when the
//!   engine handed in no enabled mass, all (near) zero; without events they echo the engine's
//!   weights un-enforced (B20). Not adopted: weights and buffer echo the snapshot's.
//! * `B` the buffer stays finite and > 0; it only leaves the engine's value through tuning
//!   (>= 10 direction samples, adopted), which clamps it to [0.0005, 0.01]; tolerance stays in
//!   [2, 50].
//! * `X` a refused snapshot returns an error and changes nothing: `weights()`, `ladder()`,
//!   `buffer()`, `tolerance()`, `calibration_enabled()`, `stats()`, no record, and the whole
//!   `Debug` rendering of the calibrator is identical.
//! * `J` every record of `take_records()` (after every step) serializes with serde_json, the
//!   JSON holds neither `Infinity` nor `NaN`, and the record's `Debug` form holds no non-finite
//!   number (serde_json writes those as `null`; only an event's `miss_distance_buckets` on a
//!   side without zones and, under B11, the reference's `avg_miss_distance` may be infinite).
//!   An adopted run's weights file (`save.render()`) is valid JSON without `null`, `Infinity`
//!   or `NaN`.
//! * `E` a liquidation is counted (`total_events`) once a snapshot exists, else dropped.
//!
//! A deterministic test checks B14: the 0.35 cap binds the proposal, not the anchored result.
//!
//! The RNG seed is random per run; a failure prints the minimal sequence found, and
//! `PROPTEST_RNG_SEED=<u64>` replays a seed. Failures are not persisted to files.

use liq_core::calibrator::update::{scores, update_weights};
use liq_core::calibrator::{
    CalibrationResult, Calibrator, CalibratorConfig, LiquidationInput, MinuteSnapshotInput,
};
use liq_core::compat::ReferenceCompat;
use liq_core::event::Side;
use liq_core::grid::{ndigits, py_round};
use liq_core::leverage::{DisabledTiers, RUNTIME_LADDER, RUNTIME_WEIGHTS};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError};

/// First snapshot time (minute key 28333334).
const T0: f64 = 1_700_000_040.0;
/// Tiers of the runtime ladder.
const N: usize = RUNTIME_LADDER.len();
/// Cases of the property (each runs one preset).
const CASES: u32 = 200;
/// Longest operation sequence.
const MAX_OPS: usize = 120;
/// Window lengths tried (short ones so calibrations happen often).
const WINDOWS: [u32; 4] = [1, 2, 3, 15];
/// Symbols tried (they select the legacy config of the degenerate fallback).
const SYMBOLS: [&str; 4] = ["BTC", "ETH", "SOL", "DOGE"];
/// Grid steps per decade of the base price, from [50, 100) up to [100000, 1000000).
const STEPS: [[f64; 3]; 5] = [
    [0.01, 0.02, 0.05],
    [0.1, 0.2, 0.5],
    [1.0, 2.0, 5.0],
    [10.0, 20.0, 50.0],
    [100.0, 200.0, 500.0],
];
/// Buffer clamp of the runtime config.
const BUFFER_BOUNDS: (f64, f64) = (0.0005, 0.01);
/// Tolerance clamp of the runtime config.
const TOLERANCE_BOUNDS: (i64, i64) = (2, 50);
/// A tiny but positive weight.
const TINY: f64 = 1e-12;

// ---------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------

/// The engine's weights in a snapshot.
#[derive(Clone, Debug)]
enum WeightsGen {
    /// The runtime defaults (10x at 0, not renormalized).
    Default,
    /// The last calibration result's weights (the engine adopts them), else the defaults.
    Feedback,
    /// Raw values (not normalized; some exactly 0 or tiny).
    Raw(Vec<f64>),
    /// Values normalized to sum 1.
    Normalized(Vec<f64>),
    /// All mass on one tier (index 0 is the disabled 10x tier).
    OneHot(usize),
    /// One tier at 1, every other at `1e-12`.
    OneHotTinyRest(usize),
    /// Every tier at `1e-12`.
    AllTiny,
    /// Every tier at 0.
    AllZero,
}

impl WeightsGen {
    fn weights(&self, feedback: &[f64]) -> Vec<f64> {
        match self {
            WeightsGen::Default => RUNTIME_WEIGHTS.to_vec(),
            WeightsGen::Feedback => feedback.to_vec(),
            WeightsGen::Raw(v) => v.clone(),
            WeightsGen::Normalized(v) => {
                let s: f64 = v.iter().sum();
                if s > 0.0 {
                    v.iter().map(|x| x / s).collect()
                } else {
                    v.clone()
                }
            }
            WeightsGen::OneHot(i) => (0..N).map(|j| if j == *i { 1.0 } else { 0.0 }).collect(),
            WeightsGen::OneHotTinyRest(i) => {
                (0..N).map(|j| if j == *i { 1.0 } else { TINY }).collect()
            }
            WeightsGen::AllTiny => vec![TINY; N],
            WeightsGen::AllZero => vec![0.0; N],
        }
    }
}

fn weight_value() -> impl Strategy<Value = f64> {
    prop_oneof![
        6 => 0.0..1.0f64,
        1 => Just(0.0),
        1 => Just(TINY),
        1 => 1.0..5.0f64,
    ]
}

fn weights_gen() -> impl Strategy<Value = WeightsGen> {
    prop_oneof![
        2 => Just(WeightsGen::Default),
        5 => Just(WeightsGen::Feedback),
        2 => prop::collection::vec(weight_value(), N).prop_map(WeightsGen::Raw),
        2 => prop::collection::vec(weight_value(), N).prop_map(WeightsGen::Normalized),
        2 => (0..N).prop_map(WeightsGen::OneHot),
        1 => (0..N).prop_map(WeightsGen::OneHotTinyRest),
        1 => Just(WeightsGen::AllTiny),
        1 => Just(WeightsGen::AllZero),
    ]
}

/// The engine's buffer in a snapshot (always positive).
#[derive(Clone, Debug)]
enum BufferGen {
    /// 0.002.
    Default,
    /// A value in the clamp range.
    Value(f64),
    /// The last calibration result's buffer, else 0.002.
    Feedback,
}

fn buffer_gen() -> impl Strategy<Value = BufferGen> {
    prop_oneof![
        1 => Just(BufferGen::Default),
        1 => (BUFFER_BOUNDS.0..=BUFFER_BOUNDS.1).prop_map(BufferGen::Value),
        3 => Just(BufferGen::Feedback),
    ]
}

/// A valid snapshot, relative to the case's base price.
#[derive(Clone, Debug)]
struct SnapGen {
    /// `src = base * (1 + rel)`; `None` = src 0 (unknown).
    src_rel: Option<f64>,
    /// Long zones `(distance below src as a fraction, strength)`.
    longs: Vec<(f64, f64)>,
    /// Short zones `(distance above src as a fraction, strength)`.
    shorts: Vec<(f64, f64)>,
    weights: WeightsGen,
    buffer: BufferGen,
    /// High above src, fraction.
    high: Option<f64>,
    /// Low below src, fraction.
    low: Option<f64>,
    /// Close around src, fraction.
    close: Option<f64>,
    buy: Option<f64>,
    sell: Option<f64>,
    oi: Option<f64>,
    /// Depth `(offset from src as a fraction, notional)`.
    depth: Option<Vec<(f64, f64)>>,
}

fn zones() -> impl Strategy<Value = Vec<(f64, f64)>> {
    prop::collection::vec((0.0..=0.05f64, 0.0..=1.0f64), 0..30)
}

fn snap_gen() -> impl Strategy<Value = SnapGen> {
    let src = prop_oneof![20 => (-0.03..0.03f64).prop_map(Some), 1 => Just(None)];
    let ohlc = (
        prop::option::of(0.0..0.01f64),
        prop::option::of(0.0..0.01f64),
        prop::option::of(-0.005..0.005f64),
    );
    let flow = (
        prop::option::of(prop_oneof![Just(0.0), 0.0..1e4f64]),
        prop::option::of(prop_oneof![Just(0.0), 0.0..1e4f64]),
        prop::option::of(prop_oneof![Just(0.0), -1e5..1e5f64]),
        prop::option::of(prop::collection::vec((-0.02..0.02f64, 0.0..1e7f64), 0..20)),
    );
    (
        src,
        zones(),
        zones(),
        weights_gen(),
        buffer_gen(),
        ohlc,
        flow,
    )
        .prop_map(
            |(
                src_rel,
                longs,
                shorts,
                weights,
                buffer,
                (high, low, close),
                (buy, sell, oi, depth),
            )| {
                SnapGen {
                    src_rel,
                    longs,
                    shorts,
                    weights,
                    buffer,
                    high,
                    low,
                    close,
                    buy,
                    sell,
                    oi,
                    depth,
                }
            },
        )
}

/// Where a liquidation prints.
#[derive(Clone, Debug)]
enum PriceGen {
    /// `price = ref_src * (1 + rel)`, `rel` in ±20 %.
    Rel(f64),
    /// At zone `index % len` of the last snapshot on the event's side, plus `jitter` steps.
    AtZone(usize, f64),
}

#[derive(Clone, Debug)]
struct EventGen {
    side: Side,
    price: PriceGen,
    qty: f64,
    /// Mark, mid, last: `None` = 0, else `ref_src * (1 + rel)`.
    refs: [Option<f64>; 3],
    /// Seconds into the current minute.
    dt: f64,
}

fn event_gen() -> impl Strategy<Value = EventGen> {
    let side = prop_oneof![Just(Side::Long), Just(Side::Short)];
    let price = prop_oneof![
        3 => (-0.2..0.2f64).prop_map(PriceGen::Rel),
        1 => (-0.012..0.012f64).prop_map(PriceGen::Rel),
        2 => (any::<usize>(), -3.0..3.0f64).prop_map(|(i, j)| PriceGen::AtZone(i, j)),
    ];
    let reference = || prop_oneof![1 => Just(None), 2 => (-0.01..0.01f64).prop_map(Some)];
    (
        side,
        price,
        prop_oneof![Just(0.0), 0.0..50.0f64],
        [reference(), reference(), reference()],
        0.0..60.0f64,
    )
        .prop_map(|(side, price, qty, refs, dt)| EventGen {
            side,
            price,
            qty,
            refs,
            dt,
        })
}

/// How a snapshot is made invalid.
#[derive(Clone, Debug)]
enum BadKind {
    EmptyLadder,
    MissingWeight,
    ExtraWeight,
    WeightNan(usize),
    WeightInf(usize),
    WeightNegInf(usize),
    WeightNegative(usize),
    WeightTinyNegative(usize),
    ZeroTier(usize),
    TimestampNan,
    StepsZero,
    StepsNegative,
    StepsInf,
    BufferNegative,
    BufferNan,
    SrcNan,
    SrcInf,
    ZonePriceNan,
    ZoneStrengthInf,
    HighNan,
    CloseInf,
    BuyVolNan,
    OiInf,
    DepthNan,
}

fn bad_kind() -> impl Strategy<Value = BadKind> {
    let idx = || 0..N;
    prop_oneof![
        Just(BadKind::EmptyLadder),
        Just(BadKind::MissingWeight),
        Just(BadKind::ExtraWeight),
        idx().prop_map(BadKind::WeightNan),
        idx().prop_map(BadKind::WeightInf),
        idx().prop_map(BadKind::WeightNegInf),
        idx().prop_map(BadKind::WeightNegative),
        idx().prop_map(BadKind::WeightTinyNegative),
        idx().prop_map(BadKind::ZeroTier),
        Just(BadKind::TimestampNan),
        Just(BadKind::StepsZero),
        Just(BadKind::StepsNegative),
        Just(BadKind::StepsInf),
        Just(BadKind::BufferNegative),
        Just(BadKind::BufferNan),
        Just(BadKind::SrcNan),
        Just(BadKind::SrcInf),
        Just(BadKind::ZonePriceNan),
        Just(BadKind::ZoneStrengthInf),
        Just(BadKind::HighNan),
        Just(BadKind::CloseInf),
        Just(BadKind::BuyVolNan),
        Just(BadKind::OiInf),
        Just(BadKind::DepthNan),
    ]
}

impl BadKind {
    fn apply(&self, s: &mut MinuteSnapshotInput) {
        match self {
            BadKind::EmptyLadder => {
                s.ladder.clear();
                s.weights.clear();
            }
            BadKind::MissingWeight => {
                s.weights.pop();
            }
            BadKind::ExtraWeight => s.weights.push(0.0),
            BadKind::WeightNan(i) => s.weights[*i] = f64::NAN,
            BadKind::WeightInf(i) => s.weights[*i] = f64::INFINITY,
            BadKind::WeightNegInf(i) => s.weights[*i] = f64::NEG_INFINITY,
            BadKind::WeightNegative(i) => s.weights[*i] = -0.1,
            BadKind::WeightTinyNegative(i) => s.weights[*i] = -TINY,
            BadKind::ZeroTier(i) => s.ladder[*i] = 0,
            BadKind::TimestampNan => s.timestamp = f64::NAN,
            BadKind::StepsZero => s.steps = 0.0,
            BadKind::StepsNegative => s.steps = -s.steps,
            BadKind::StepsInf => s.steps = f64::INFINITY,
            BadKind::BufferNegative => s.buffer = -0.002,
            BadKind::BufferNan => s.buffer = f64::NAN,
            BadKind::SrcNan => s.src = f64::NAN,
            BadKind::SrcInf => s.src = f64::INFINITY,
            BadKind::ZonePriceNan => s.pred_longs.push((f64::NAN, 0.5)),
            BadKind::ZoneStrengthInf => s.pred_shorts.push((s.src, f64::INFINITY)),
            BadKind::HighNan => s.high = Some(f64::NAN),
            BadKind::CloseInf => s.close = Some(f64::INFINITY),
            BadKind::BuyVolNan => s.perp_buy_vol = Some(f64::NAN),
            BadKind::OiInf => s.perp_oi_change = Some(f64::NEG_INFINITY),
            BadKind::DepthNan => s
                .depth_band
                .get_or_insert_with(Vec::new)
                .push((s.src, f64::NAN)),
        }
    }
}

#[derive(Clone, Debug)]
enum Op {
    Snapshot(SnapGen),
    Event(EventGen),
    Refused(BadKind, SnapGen),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => event_gen().prop_map(Op::Event),
        4 => snap_gen().prop_map(Op::Snapshot),
        1 => (bad_kind(), snap_gen()).prop_map(|(b, s)| Op::Refused(b, s)),
    ]
}

#[derive(Clone, Debug)]
struct Scenario {
    reference: bool,
    window: u32,
    symbol: &'static str,
    /// Base price, log-uniform in [50, 150000].
    base: f64,
    /// Which step of the base price's decade.
    step_choice: usize,
    ops: Vec<Op>,
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (
        any::<bool>(),
        prop::sample::select(WINDOWS.to_vec()),
        prop::sample::select(SYMBOLS.to_vec()),
        0.0..=1.0f64,
        0..3usize,
        prop::collection::vec(op(), 1..=MAX_OPS),
    )
        .prop_map(|(reference, window, symbol, u, step_choice, ops)| {
            let (lo, hi) = (50.0f64.ln(), 150_000.0f64.ln());
            Scenario {
                reference,
                window,
                symbol,
                base: (lo + u * (hi - lo)).exp(),
                step_choice,
                ops,
            }
        })
}

// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

fn disabled_index() -> usize {
    let d = DisabledTiers::default();
    RUNTIME_LADDER
        .iter()
        .position(|t| d.contains(*t))
        .unwrap_or(usize::MAX)
}

fn same_bits(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

fn sum(v: &[f64]) -> f64 {
    v.iter().sum()
}

/// `W`: finite, non-negative, sum 1 within 1e-9, exactly 0 on the disabled tier.
fn check_kept_weights(what: &str, w: &[f64]) -> Result<(), TestCaseError> {
    prop_assert_eq!(w.len(), N, "W {}: length {:?}", what, w);
    prop_assert!(
        w.iter().all(|x| x.is_finite() && *x >= 0.0),
        "W {}: not finite / negative {:?}",
        what,
        w
    );
    let d = disabled_index();
    prop_assert!(
        w[d].to_bits() == 0.0f64.to_bits(),
        "W {}: disabled 10x tier not exactly 0 {:?}",
        what,
        w
    );
    let s = sum(w);
    prop_assert!((s - 1.0).abs() <= 1e-9, "W {}: sum {} of {:?}", what, s, w);
    Ok(())
}

/// Tokens of a `Debug` rendering that are non-finite numbers.
fn non_finite_tokens(text: &str) -> Vec<&str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
        .filter(|t| matches!(*t, "inf" | "-inf" | "NaN"))
        .collect()
}

/// The runner of one scenario.
struct Runner {
    cal: Calibrator,
    reference: bool,
    window: u32,
    base: f64,
    steps: f64,
    nd: u32,
    /// Timestamp of the next valid snapshot.
    next_ts: f64,
    last_snap: Option<MinuteSnapshotInput>,
    /// The last positive src (the base price before any).
    ref_src: f64,
    /// What the engine holds: the last result's weights and buffer.
    feedback_w: Vec<f64>,
    feedback_buffer: f64,
    valid_snaps: u64,
    coverage: Coverage,
}

/// What a case exercised (printed with `CALIBRATOR_PROP_COVERAGE=1`).
#[derive(Clone, Copy, Debug, Default)]
struct Coverage {
    calibrations: u64,
    adopted_with_events: u64,
    adopted_without_events: u64,
    degenerate_results: u64,
    not_adopted: u64,
    buffer_tuned: u64,
    refused: u64,
    events: u64,
}

impl Runner {
    fn new(s: &Scenario) -> Self {
        let compat = if s.reference {
            ReferenceCompat::reference()
        } else {
            ReferenceCompat::fixed()
        };
        let decade = (s.base.log10().floor() as usize).saturating_sub(1).min(4);
        let steps = STEPS[decade][s.step_choice];
        let mut cfg = CalibratorConfig::runtime(s.symbol, steps, &compat);
        cfg.window_minutes = s.window;
        let (cal, _report) = Calibrator::new(cfg, None);
        Runner {
            cal,
            reference: s.reference,
            window: s.window,
            base: s.base,
            steps,
            nd: ndigits(steps),
            next_ts: T0,
            last_snap: None,
            ref_src: s.base,
            feedback_w: RUNTIME_WEIGHTS.to_vec(),
            feedback_buffer: 0.002,
            valid_snaps: 0,
            coverage: Coverage::default(),
        }
    }

    fn grid(&self, p: f64) -> f64 {
        py_round((p / self.steps).round() * self.steps, self.nd)
    }

    fn build_snapshot(&self, g: &SnapGen) -> MinuteSnapshotInput {
        let src = g.src_rel.map_or(0.0, |r| self.base * (1.0 + r));
        let centre = if src > 0.0 { src } else { self.ref_src };
        MinuteSnapshotInput {
            timestamp: self.next_ts,
            src,
            pred_longs: g
                .longs
                .iter()
                .map(|(d, s)| (self.grid(centre * (1.0 - d)), *s))
                .collect(),
            pred_shorts: g
                .shorts
                .iter()
                .map(|(d, s)| (self.grid(centre * (1.0 + d)), *s))
                .collect(),
            ladder: RUNTIME_LADDER.to_vec(),
            weights: g.weights.weights(&self.feedback_w),
            buffer: match g.buffer {
                BufferGen::Default => 0.002,
                BufferGen::Value(b) => b,
                BufferGen::Feedback => self.feedback_buffer,
            },
            steps: self.steps,
            high: g.high.map(|h| centre * (1.0 + h)),
            low: g.low.map(|l| centre * (1.0 - l)),
            close: g.close.map(|c| centre * (1.0 + c)),
            perp_buy_vol: g.buy,
            perp_sell_vol: g.sell,
            perp_oi_change: g.oi,
            depth_band: g.depth.as_ref().map(|v| {
                v.iter()
                    .map(|(o, n)| (self.grid(centre * (1.0 + o)), *n))
                    .collect()
            }),
        }
    }

    fn run(&mut self, ops: &[Op]) -> Result<(), TestCaseError> {
        for (i, op) in ops.iter().enumerate() {
            match op {
                Op::Snapshot(g) => self.snapshot(g),
                Op::Event(g) => self.event(g),
                Op::Refused(b, g) => self.refused(b, g),
            }
            .map_err(|e| TestCaseError::fail(format!("op {i}: {e}")))?;
            self.check_records()?;
        }
        Ok(())
    }

    fn event(&mut self, g: &EventGen) -> Result<(), TestCaseError> {
        let r = self.ref_src;
        let price = match g.price {
            PriceGen::Rel(rel) => r * (1.0 + rel),
            PriceGen::AtZone(i, jitter) => {
                let zones = self.last_snap.as_ref().map(|s| match g.side {
                    Side::Long => &s.pred_longs,
                    Side::Short => &s.pred_shorts,
                });
                match zones {
                    Some(z) if !z.is_empty() => z[i % z.len()].0 + jitter * self.steps,
                    _ => r,
                }
            }
        };
        let [mark, mid, last] = g.refs.map(|x| x.map_or(0.0, |rel| r * (1.0 + rel)));
        let minute_start = self.last_snap.as_ref().map_or(T0 - 60.0, |s| s.timestamp);
        let input = LiquidationInput {
            timestamp: minute_start + g.dt,
            symbol: self.cal.config().symbol.clone(),
            side: g.side,
            price,
            qty: g.qty,
            mark_price: mark,
            mid_price: mid,
            last_price: last,
        };
        let before = self.cal.stats();
        self.cal.on_liquidation(&input);
        let after = self.cal.stats();
        self.coverage.events += 1;
        if price > 0.0 && self.last_snap.is_some() {
            prop_assert_eq!(
                after.total_events,
                before.total_events + 1,
                "E: event not counted {:?}",
                input
            );
        } else if price > 0.0 {
            prop_assert_eq!(
                after.dropped_events,
                before.dropped_events + 1,
                "E: not dropped"
            );
        } else {
            prop_assert_eq!(
                after.ignored_events,
                before.ignored_events + 1,
                "E: not ignored"
            );
        }
        Ok(())
    }

    fn refused(&mut self, bad: &BadKind, g: &SnapGen) -> Result<(), TestCaseError> {
        let mut snap = self.build_snapshot(g);
        bad.apply(&mut snap);
        let debug_before = format!("{:?}", self.cal);
        let weights = self.cal.weights().to_vec();
        let ladder = self.cal.ladder().to_vec();
        let buffer = self.cal.buffer();
        let tolerance = self.cal.tolerance();
        let enabled = self.cal.calibration_enabled();
        let stats = self.cal.stats();
        let res = self.cal.on_minute_snapshot(&snap, self.next_ts + 1.0);
        prop_assert!(res.is_err(), "X: {:?} accepted: {:?}", bad, res);
        prop_assert!(
            same_bits(self.cal.weights(), &weights),
            "X: weights changed"
        );
        prop_assert_eq!(self.cal.ladder(), &ladder[..], "X: ladder changed");
        prop_assert_eq!(self.cal.buffer().to_bits(), buffer.to_bits(), "X: buffer");
        prop_assert_eq!(self.cal.tolerance(), tolerance, "X: tolerance changed");
        prop_assert_eq!(
            self.cal.calibration_enabled(),
            enabled,
            "X: enabled changed"
        );
        prop_assert_eq!(self.cal.stats(), stats, "X: stats changed");
        prop_assert!(self.cal.records().is_empty(), "X: records written");
        prop_assert!(
            format!("{:?}", self.cal) == debug_before,
            "X: calibrator state changed by refused {:?}",
            bad
        );
        self.coverage.refused += 1;
        Ok(())
    }

    fn snapshot(&mut self, g: &SnapGen) -> Result<(), TestCaseError> {
        let snap = self.build_snapshot(g);
        let window = self.cal.window();
        let window_events = window.total_events;
        let directions = window.distance_directions.len();
        let count_before = self.cal.stats().calibration_count;
        let enabled_before = self.cal.calibration_enabled();
        let res = match self.cal.on_minute_snapshot(&snap, snap.timestamp + 1.0) {
            Ok(r) => r,
            Err(e) => return Err(TestCaseError::fail(format!("valid snapshot refused: {e}"))),
        };
        self.valid_snaps += 1;
        self.next_ts += 60.0;
        if snap.src > 0.0 {
            self.ref_src = snap.src;
        }
        prop_assert_eq!(self.cal.ladder(), &RUNTIME_LADDER[..], "R: ladder");
        let tol = self.cal.tolerance();
        prop_assert!(
            (TOLERANCE_BOUNDS.0..=TOLERANCE_BOUNDS.1).contains(&tol),
            "B: tolerance {}",
            tol
        );
        prop_assert_eq!(
            res.is_some(),
            self.valid_snaps.is_multiple_of(u64::from(self.window)),
            "R: calibration after {} snapshots, window {}",
            self.valid_snaps,
            self.window
        );
        match res {
            None => {
                prop_assert!(same_bits(self.cal.weights(), &snap.weights), "R: copy");
                prop_assert_eq!(self.cal.buffer().to_bits(), snap.buffer.to_bits());
            }
            Some(r) => {
                self.check_result(&snap, &r, window_events, directions, count_before)?;
                prop_assert!(
                    enabled_before || !r.adopted,
                    "R: calibration re-enabled after a safety trip"
                );
                self.feedback_w = r.weights.clone();
                self.feedback_buffer = r.buffer;
            }
        }
        self.last_snap = Some(snap);
        Ok(())
    }

    fn check_result(
        &mut self,
        snap: &MinuteSnapshotInput,
        r: &CalibrationResult,
        window_events: u64,
        directions: usize,
        count_before: u64,
    ) -> Result<(), TestCaseError> {
        self.coverage.calibrations += 1;
        prop_assert_eq!(r.calibration_count, count_before + 1, "R: count");
        prop_assert_eq!(
            r.calibration_count,
            self.valid_snaps / u64::from(self.window),
            "R: count"
        );
        prop_assert_eq!(&r.ladder[..], &RUNTIME_LADDER[..], "R: result ladder");
        prop_assert_eq!(r.adopted, self.cal.calibration_enabled(), "R: adopted");
        prop_assert_eq!(r.adopted, r.save.is_some(), "R: save iff adopted");
        prop_assert_eq!(r.weights.len(), N, "R: weights length");
        prop_assert!(
            r.weights.iter().all(|x| x.is_finite() && *x >= 0.0),
            "R: result weights {:?}",
            r.weights
        );
        prop_assert!(r.entropy.is_finite(), "R: entropy {}", r.entropy);
        prop_assert!(
            r.buffer.is_finite() && r.buffer > 0.0,
            "B: buffer {}",
            r.buffer
        );
        prop_assert_eq!(r.buffer.to_bits(), self.cal.buffer().to_bits(), "B: kept");

        if !r.adopted {
            self.coverage.not_adopted += 1;
            prop_assert!(same_bits(&r.weights, &snap.weights), "R: echo {:?}", r);
            prop_assert!(same_bits(self.cal.weights(), &snap.weights), "R: kept");
            prop_assert_eq!(r.buffer.to_bits(), snap.buffer.to_bits(), "R: echo buffer");
            return Ok(());
        }

        let kept = self.cal.weights().to_vec();
        check_kept_weights("weights()", &kept)?;
        if r.buffer.to_bits() != snap.buffer.to_bits() {
            self.coverage.buffer_tuned += 1;
            prop_assert!(
                directions >= 10,
                "B: buffer moved with {} samples",
                directions
            );
            prop_assert!(
                (BUFFER_BOUNDS.0..=BUFFER_BOUNDS.1).contains(&r.buffer),
                "B: tuned buffer {} out of bounds",
                r.buffer
            );
        }
        if directions >= 10 {
            prop_assert!(
                (BUFFER_BOUNDS.0..=BUFFER_BOUNDS.1).contains(&r.buffer),
                "B: tuned buffer {} out of bounds",
                r.buffer
            );
        }

        let d = disabled_index();
        if !self.reference {
            // B20 fixed: the engine receives exactly the weights the calibrator keeps (the
            // degenerate fallback included), with or without events.
            prop_assert!(
                same_bits(&r.weights, &kept),
                "R: result {:?} vs kept {:?}",
                r.weights,
                kept
            );
            if window_events > 0 {
                self.coverage.adopted_with_events += 1;
            } else {
                self.coverage.adopted_without_events += 1;
            }
        } else if window_events > 0 {
            // Step 5 ran: the proposal has 10x at exactly 0 and sums to 1, unless the engine
            // handed in no enabled mass above 1e-9 (all on 10x, all 0, all tiny): then
            // update_weights cannot renormalize and the reference hands the engine (near) zero
            // weights (B20), while the calibrator itself keeps the degenerate fallback.
            prop_assert!(
                r.weights[d].to_bits() == 0.0f64.to_bits(),
                "R: 10x weight {:?} after a run with events",
                r.weights
            );
            let s = sum(&r.weights);
            if s <= 1e-9 {
                self.coverage.degenerate_results += 1;
            } else {
                prop_assert!((s - 1.0).abs() <= 1e-9, "R: sum {} of {:?}", s, r.weights);
                prop_assert!(
                    r.weights
                        .iter()
                        .zip(&kept)
                        .all(|(a, b)| (a - b).abs() <= 1e-12),
                    "R: result {:?} vs kept {:?}",
                    r.weights,
                    kept
                );
            }
            self.coverage.adopted_with_events += 1;
        } else {
            // No event: weights untouched, the engine's own echoed un-enforced (B20).
            prop_assert!(
                same_bits(&r.weights, &snap.weights),
                "R: B20 echo {:?} vs {:?}",
                r.weights,
                snap.weights
            );
            self.coverage.adopted_without_events += 1;
        }

        let Some(save) = &r.save else {
            return Err(TestCaseError::fail("R: adopted without save"));
        };
        check_kept_weights("save", &save.weights)?;
        prop_assert!(same_bits(&save.weights, &kept), "W: save != weights()");
        prop_assert_eq!(&save.ladder[..], &RUNTIME_LADDER[..]);
        prop_assert_eq!(save.buffer.to_bits(), r.buffer.to_bits());
        prop_assert_eq!(save.tolerance, self.cal.tolerance());
        prop_assert_eq!(save.calibration_count, r.calibration_count);
        let text = save.render();
        prop_assert!(
            !text.contains("Infinity") && !text.contains("NaN") && !text.contains("null"),
            "J: weights file {}",
            text
        );
        prop_assert!(
            serde_json::from_str::<serde_json::Value>(&text).is_ok(),
            "J: weights file not JSON {}",
            text
        );
        Ok(())
    }

    fn check_records(&mut self) -> Result<(), TestCaseError> {
        for rec in self.cal.take_records() {
            let json = match serde_json::to_string(&rec) {
                Ok(j) => j,
                Err(e) => return Err(TestCaseError::fail(format!("J: {e}: {rec:?}"))),
            };
            prop_assert!(
                !json.contains("Infinity") && !json.contains("NaN"),
                "J: {}",
                json
            );
            // 9.1: a miss on a side without zones has an infinite distance (rendered null).
            let mut debug = format!("{rec:?}").replace(
                "miss_distance_buckets: Some(inf)",
                "miss_distance_buckets: NoZones",
            );
            if self.reference {
                // B11 reproduced: infinite miss distances enter the window's total.
                debug = debug.replace("avg_miss_distance: inf", "avg_miss_distance: B11");
            }
            let bad = non_finite_tokens(&debug);
            prop_assert!(bad.is_empty(), "J: non-finite {:?} in {}", bad, debug);
        }
        Ok(())
    }
}

fn config() -> Config {
    Config {
        failure_persistence: None,
        max_shrink_iters: 2_000,
        max_shrink_time: 60_000,
        ..Config::with_cases(CASES)
    }
}

proptest! {
    #![proptest_config(config())]

    /// W, R, B, X, J, E over random event/snapshot sequences, both presets.
    #[test]
    fn calibrator_invariants(s in scenario()) {
        let mut runner = Runner::new(&s);
        runner.run(&s.ops)?;
        if std::env::var_os("CALIBRATOR_PROP_COVERAGE").is_some() {
            eprintln!("{:?} window {} {:?}", s.reference, s.window, runner.coverage);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// B14: the cap binds the proposal, not the result
// ---------------------------------------------------------------------------------------------

/// Section 7 step 5 and 6.9 written out from the spec, with a configurable cap.
fn spec_update(old: &[f64], sc: &[f64], cap: f64) -> Vec<f64> {
    let mean = sc.iter().sum::<f64>() / sc.len() as f64;
    let mut w: Vec<f64> = old
        .iter()
        .zip(sc)
        .map(|(&o, &s)| {
            let mut p = o * (1.0 + 0.1 * (s - mean));
            if o > 0.0 {
                p = o * (p / o).clamp(0.85, 1.20);
            }
            0.9 * o + 0.1 * p.min(cap)
        })
        .collect();
    let s: f64 = w.iter().sum();
    w.iter_mut().for_each(|x| *x /= s);
    // Mid-mass floor: tiers <= 25x must hold 25 %.
    let mid: Vec<usize> = (0..N).filter(|i| RUNTIME_LADDER[*i] <= 25).collect();
    let high: Vec<usize> = (0..N).filter(|i| RUNTIME_LADDER[*i] > 25).collect();
    let m: f64 = mid.iter().map(|i| w[*i]).sum();
    if m < 0.25 {
        let h: f64 = high.iter().map(|i| w[*i]).sum();
        let ratio = ((0.25 - m) / h).min(0.9);
        let mut drained = 0.0;
        for &i in &high {
            drained += w[i] * ratio;
            w[i] -= w[i] * ratio;
        }
        let ms: f64 = mid.iter().map(|i| w[*i]).sum();
        for &i in &mid {
            w[i] += drained * w[i] / ms;
        }
        let t: f64 = w.iter().sum();
        w.iter_mut().for_each(|x| *x /= t);
    }
    w[disabled_index()] = 0.0;
    let rest: f64 = w.iter().sum();
    w.iter_mut().for_each(|x| *x /= rest);
    w
}

#[test]
fn b14_cap_binds_the_proposal_not_the_result() {
    const W14: [f64; N] = [0.0, 0.05, 0.05, 0.8, 0.05, 0.03, 0.02];
    let i50 = RUNTIME_LADDER.iter().position(|t| *t == 50).unwrap();
    let mut cfg = CalibratorConfig::runtime("BTC", 20.0, &ReferenceCompat::fixed());
    cfg.window_minutes = 2;
    let (mut cal, _) = Calibrator::new(cfg, None);
    let snap = |ts: f64| MinuteSnapshotInput {
        timestamp: ts,
        src: 100_000.0,
        pred_longs: Vec::new(),
        pred_shorts: Vec::new(),
        ladder: RUNTIME_LADDER.to_vec(),
        weights: W14.to_vec(),
        buffer: 0.002,
        steps: 20.0,
        high: Some(100_000.0),
        low: Some(100_000.0),
        close: Some(100_000.0),
        perp_buy_vol: Some(1.0),
        perp_sell_vol: Some(1.0),
        perp_oi_change: Some(0.0),
        depth_band: Some(Vec::new()),
    };
    assert_eq!(cal.on_minute_snapshot(&snap(T0), T0 + 1.0).unwrap(), None);
    // A NEAR long liquidation 0.5 % below mark, attributed to an enabled tier.
    cal.on_liquidation(&LiquidationInput {
        timestamp: T0 + 30.0,
        symbol: "BTC".into(),
        side: Side::Long,
        price: 99_500.0,
        qty: 0.1,
        mark_price: 100_000.0,
        mid_price: 0.0,
        last_price: 0.0,
    });
    assert_eq!(cal.window().total_events, 1);
    assert_eq!(cal.window().band_counts[0], 1, "NEAR");
    assert!(
        cal.window().soft.totals.values().sum::<f64>() > 0.0,
        "event updated"
    );

    // No zones in the calibrating snapshot: no approach and no penalty, so the scores are
    // the window's as they stand now.
    let sc = scores(&RUNTIME_LADDER, &cal.window().soft, 1.0, 5.0);
    let expected = update_weights(&RUNTIME_LADDER, &W14, &sc, 0.1, &DisabledTiers::default());
    let r = cal
        .on_minute_snapshot(&snap(T0 + 60.0), T0 + 61.0)
        .unwrap()
        .expect("window of 2 calibrates");
    assert!(r.adopted);
    assert_eq!(
        r.weights, expected,
        "the run is update_weights of the window's scores"
    );
    for (a, b) in cal.weights().iter().zip(&expected) {
        assert!(
            (a - b).abs() <= 1e-12,
            "{:?} vs {expected:?}",
            cal.weights()
        );
    }

    // The spec's formula reproduces update_weights.
    let spec = spec_update(&W14, &sc, 0.35);
    for (a, b) in spec.iter().zip(&expected) {
        assert!((a - b).abs() <= 1e-12, "spec {spec:?} vs {expected:?}");
    }
    // The proposal for 50x (>= 0.8 * 0.895) is capped at 0.35 before anchoring, so before
    // normalization 50x is 0.9 * 0.8 + 0.1 * 0.35 = 0.755 ...
    let p50 = W14[i50] * (1.0 + 0.1 * (sc[i50] - sc.iter().sum::<f64>() / N as f64));
    assert!(p50 > 0.35, "proposal {p50} exceeds the cap");
    // ... and the result keeps far more than 0.35 (anchoring at 90 %, then the mid-mass floor).
    assert!(expected[i50] > 0.35, "50x {}", expected[i50]);
    assert!(
        expected[i50] > 0.6 && expected[i50] < 0.8,
        "50x {}",
        expected[i50]
    );
    // The cap did bind: without it 50x would end higher.
    let uncapped = spec_update(&W14, &sc, f64::INFINITY);
    assert!(
        uncapped[i50] > expected[i50] + 1e-3,
        "{uncapped:?} vs {expected:?}"
    );
    // Mid-mass floor reached: tiers <= 25x hold 25 % after the run.
    let mid: f64 = expected[..3].iter().sum();
    assert!((mid - 0.25).abs() < 1e-9 || mid > 0.25, "mid mass {mid}");
    // 10x exactly 0, sum 1.
    assert_eq!(expected[disabled_index()].to_bits(), 0.0f64.to_bits());
    assert!((expected.iter().sum::<f64>() - 1.0).abs() <= 1e-12);
}
