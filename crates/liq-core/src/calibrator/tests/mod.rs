//! The spec's test vectors (calibrator.md section 14) and the behaviour of our fixes.

mod fixes;
mod load;
mod vectors;

use super::*;
use crate::compat::ReferenceCompat;
use crate::event::Side;
use crate::leverage::RUNTIME_WEIGHTS;

/// Common setup time (minute key 28333334).
pub(super) const T0: f64 = 1_700_000_040.0;

/// Relative closeness.
pub(super) fn close(a: f64, b: f64, rel: f64) -> bool {
    a == b || (a - b).abs() <= rel * a.abs().max(b.abs()).max(1e-300)
}

#[track_caller]
pub(super) fn assert_close(a: f64, b: f64, rel: f64) {
    assert!(close(a, b, rel), "{a} vs {b} (rel {rel})");
}

#[track_caller]
pub(super) fn assert_all_close(a: &[f64], b: &[f64], rel: f64) {
    assert_eq!(a.len(), b.len(), "{a:?} vs {b:?}");
    for (x, y) in a.iter().zip(b) {
        assert!(close(*x, *y, rel), "{a:?} vs {b:?}");
    }
}

/// The spec's setup: BTC, steps 20, the runtime ladder, tolerance 5, no file.
pub(super) fn calibrator(compat: ReferenceCompat, window: u32) -> Calibrator {
    let mut cfg = CalibratorConfig::runtime("BTC", 20.0, &compat);
    cfg.window_minutes = window;
    Calibrator::new(cfg, None).0
}

/// A snapshot with the runtime ladder and the given weights, close = src, equal volumes,
/// no OI change, an empty depth band.
pub(super) fn snapshot(
    ts: f64,
    src: f64,
    longs: &[(f64, f64)],
    shorts: &[(f64, f64)],
    weights: &[f64],
) -> MinuteSnapshotInput {
    MinuteSnapshotInput {
        timestamp: ts,
        src,
        pred_longs: longs.to_vec(),
        pred_shorts: shorts.to_vec(),
        ladder: crate::leverage::RUNTIME_LADDER.to_vec(),
        weights: weights.to_vec(),
        buffer: 0.002,
        steps: 20.0,
        high: Some(src),
        low: Some(src),
        close: Some(src),
        perp_buy_vol: Some(1.0),
        perp_sell_vol: Some(1.0),
        perp_oi_change: Some(0.0),
        depth_band: Some(Vec::new()),
    }
}

/// An event with the given reference prices.
pub(super) fn event(
    ts: f64,
    side: Side,
    price: f64,
    qty: f64,
    mark: f64,
    mid: f64,
    last: f64,
) -> LiquidationInput {
    LiquidationInput {
        timestamp: ts,
        symbol: "BTC".into(),
        side,
        price,
        qty,
        mark_price: mark,
        mid_price: mid,
        last_price: last,
    }
}

/// The engine's default weights W.
pub(super) fn w() -> Vec<f64> {
    RUNTIME_WEIGHTS.to_vec()
}

/// Soft statistics of a tier `(total, hits)`.
pub(super) fn soft(c: &Calibrator, tier: u32) -> (f64, f64) {
    c.stats.soft.get(tier)
}

/// The records of a kind, as JSON values.
pub(super) fn records_of(c: &Calibrator, kind: &str) -> Vec<serde_json::Value> {
    c.records()
        .iter()
        .filter(|r| r.kind() == kind)
        .map(|r| serde_json::to_value(r).expect("records serialize"))
        .collect()
}
