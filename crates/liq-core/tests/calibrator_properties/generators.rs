//! Generators of the property test: snapshots, events, refused inputs, scenarios.

use liq_core::calibrator::MinuteSnapshotInput;
use liq_core::event::Side;
use liq_core::leverage::RUNTIME_WEIGHTS;
use proptest::prelude::*;

use super::*;
// ---------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------

/// The engine's weights in a snapshot.
#[derive(Clone, Debug)]
pub(crate) enum WeightsGen {
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
    pub(crate) fn weights(&self, feedback: &[f64]) -> Vec<f64> {
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

pub(crate) fn weight_value() -> impl Strategy<Value = f64> {
    prop_oneof![
        6 => 0.0..1.0f64,
        1 => Just(0.0),
        1 => Just(TINY),
        1 => 1.0..5.0f64,
    ]
}

pub(crate) fn weights_gen() -> impl Strategy<Value = WeightsGen> {
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
pub(crate) enum BufferGen {
    /// 0.002.
    Default,
    /// A value in the clamp range.
    Value(f64),
    /// The last calibration result's buffer, else 0.002.
    Feedback,
}

pub(crate) fn buffer_gen() -> impl Strategy<Value = BufferGen> {
    prop_oneof![
        1 => Just(BufferGen::Default),
        1 => (BUFFER_BOUNDS.0..=BUFFER_BOUNDS.1).prop_map(BufferGen::Value),
        3 => Just(BufferGen::Feedback),
    ]
}

/// A valid snapshot, relative to the case's base price.
#[derive(Clone, Debug)]
pub(crate) struct SnapGen {
    /// `src = base * (1 + rel)`; `None` = src 0 (unknown).
    pub(crate) src_rel: Option<f64>,
    /// Long zones `(distance below src as a fraction, strength)`.
    pub(crate) longs: Vec<(f64, f64)>,
    /// Short zones `(distance above src as a fraction, strength)`.
    pub(crate) shorts: Vec<(f64, f64)>,
    pub(crate) weights: WeightsGen,
    pub(crate) buffer: BufferGen,
    /// High above src, fraction.
    pub(crate) high: Option<f64>,
    /// Low below src, fraction.
    pub(crate) low: Option<f64>,
    /// Close around src, fraction.
    pub(crate) close: Option<f64>,
    pub(crate) buy: Option<f64>,
    pub(crate) sell: Option<f64>,
    pub(crate) oi: Option<f64>,
    /// Depth `(offset from src as a fraction, notional)`.
    pub(crate) depth: Option<Vec<(f64, f64)>>,
}

pub(crate) fn zones() -> impl Strategy<Value = Vec<(f64, f64)>> {
    prop::collection::vec((0.0..=0.05f64, 0.0..=1.0f64), 0..30)
}

pub(crate) fn snap_gen() -> impl Strategy<Value = SnapGen> {
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
pub(crate) enum PriceGen {
    /// `price = ref_src * (1 + rel)`, `rel` in ±20 %.
    Rel(f64),
    /// At zone `index % len` of the last snapshot on the event's side, plus `jitter` steps.
    AtZone(usize, f64),
}

#[derive(Clone, Debug)]
pub(crate) struct EventGen {
    pub(crate) side: Side,
    pub(crate) price: PriceGen,
    pub(crate) qty: f64,
    /// Mark, mid, last: `None` = 0, else `ref_src * (1 + rel)`.
    pub(crate) refs: [Option<f64>; 3],
    /// Seconds into the current minute.
    pub(crate) dt: f64,
}

pub(crate) fn event_gen() -> impl Strategy<Value = EventGen> {
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
pub(crate) enum BadKind {
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

pub(crate) fn bad_kind() -> impl Strategy<Value = BadKind> {
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
    pub(crate) fn apply(&self, s: &mut MinuteSnapshotInput) {
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
pub(crate) enum Op {
    Snapshot(SnapGen),
    Event(EventGen),
    Refused(BadKind, SnapGen),
}

pub(crate) fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => event_gen().prop_map(Op::Event),
        4 => snap_gen().prop_map(Op::Snapshot),
        1 => (bad_kind(), snap_gen()).prop_map(|(b, s)| Op::Refused(b, s)),
    ]
}

#[derive(Clone, Debug)]
pub(crate) struct Scenario {
    pub(crate) reference: bool,
    pub(crate) window: u32,
    pub(crate) symbol: &'static str,
    /// Base price, log-uniform in [50, 150000].
    pub(crate) base: f64,
    /// Which step of the base price's decade.
    pub(crate) step_choice: usize,
    pub(crate) ops: Vec<Op>,
}

pub(crate) fn scenario() -> impl Strategy<Value = Scenario> {
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
