//! The checks of the property test and the runner that applies a scenario.

use liq_core::calibrator::{
    CalibrationResult, Calibrator, CalibratorConfig, LiquidationInput, MinuteSnapshotInput,
};
use liq_core::compat::ReferenceCompat;
use liq_core::event::Side;
use liq_core::grid::{ndigits, py_round};
use liq_core::leverage::{DisabledTiers, RUNTIME_LADDER, RUNTIME_WEIGHTS};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

use super::generators::*;
use super::*;
// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

pub(crate) fn disabled_index() -> usize {
    let d = DisabledTiers::default();
    RUNTIME_LADDER
        .iter()
        .position(|t| d.contains(*t))
        .unwrap_or(usize::MAX)
}

pub(crate) fn same_bits(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

pub(crate) fn sum(v: &[f64]) -> f64 {
    v.iter().sum()
}

/// `W`: finite, non-negative, sum 1 within 1e-9, exactly 0 on the disabled tier.
pub(crate) fn check_kept_weights(what: &str, w: &[f64]) -> Result<(), TestCaseError> {
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
pub(crate) fn non_finite_tokens(text: &str) -> Vec<&str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
        .filter(|t| matches!(*t, "inf" | "-inf" | "NaN"))
        .collect()
}

/// The runner of one scenario.
pub(crate) struct Runner {
    pub(crate) cal: Calibrator,
    pub(crate) reference: bool,
    pub(crate) window: u32,
    pub(crate) base: f64,
    pub(crate) steps: f64,
    pub(crate) nd: u32,
    /// Timestamp of the next valid snapshot.
    pub(crate) next_ts: f64,
    pub(crate) last_snap: Option<MinuteSnapshotInput>,
    /// The last positive src (the base price before any).
    pub(crate) ref_src: f64,
    /// What the engine holds: the last result's weights and buffer.
    pub(crate) feedback_w: Vec<f64>,
    pub(crate) feedback_buffer: f64,
    pub(crate) valid_snaps: u64,
    pub(crate) coverage: Coverage,
}

/// What a case exercised (printed with `CALIBRATOR_PROP_COVERAGE=1`).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Coverage {
    pub(crate) calibrations: u64,
    pub(crate) adopted_with_events: u64,
    pub(crate) adopted_without_events: u64,
    pub(crate) degenerate_results: u64,
    pub(crate) not_adopted: u64,
    pub(crate) buffer_tuned: u64,
    pub(crate) refused: u64,
    pub(crate) events: u64,
}

impl Runner {
    pub(crate) fn new(s: &Scenario) -> Self {
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

    pub(crate) fn grid(&self, p: f64) -> f64 {
        py_round((p / self.steps).round() * self.steps, self.nd)
    }

    pub(crate) fn build_snapshot(&self, g: &SnapGen) -> MinuteSnapshotInput {
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

    pub(crate) fn run(&mut self, ops: &[Op]) -> Result<(), TestCaseError> {
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

    pub(crate) fn event(&mut self, g: &EventGen) -> Result<(), TestCaseError> {
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

    pub(crate) fn refused(&mut self, bad: &BadKind, g: &SnapGen) -> Result<(), TestCaseError> {
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

    pub(crate) fn snapshot(&mut self, g: &SnapGen) -> Result<(), TestCaseError> {
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

    pub(crate) fn check_result(
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

    pub(crate) fn check_records(&mut self) -> Result<(), TestCaseError> {
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
