//! Calibration history: one row per `calibration` record of the calibrator log (calibrator.md
//! 9), with the side biases (audit_and_plots.md S4) and the weights after each cycle.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::read::{Family, minute, num, text};

/// One calibration cycle.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Cycle {
    /// `minute_key`.
    pub minute_key: Option<i64>,
    /// `calibration_count`.
    pub calibration_count: Option<f64>,
    /// `total_events`.
    pub total_events: Option<f64>,
    /// `hits`.
    pub hits: Option<f64>,
    /// `hit_rate` as logged.
    pub hit_rate: Option<f64>,
    /// `new_buffer`.
    pub buffer: Option<f64>,
    /// `new_bias_pct_long`.
    pub bias_pct_long: Option<f64>,
    /// `new_bias_pct_short`.
    pub bias_pct_short: Option<f64>,
    /// `new_weights` by tier.
    pub weights: BTreeMap<i64, f64>,
    /// Weight sum.
    pub weight_sum: f64,
}

/// The calibration cycles in log order, and the safety trips.
#[derive(Clone, Debug, Default, Serialize)]
pub struct History {
    /// Cycles.
    pub cycles: Vec<Cycle>,
    /// `safety_trip` reasons with their minute keys.
    pub safety_trips: Vec<(Option<i64>, String)>,
}

/// The history of one calibrator log.
pub fn history(cal: &Family) -> History {
    let cycles = cal
        .of_type("calibration")
        .map(|r| {
            let weights: BTreeMap<i64, f64> = r
                .get("new_weights")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .filter_map(|(k, v)| Some((k.parse().ok()?, v.as_f64()?)))
                .collect();
            Cycle {
                minute_key: num(r, "minute_key").map(minute),
                calibration_count: num(r, "calibration_count"),
                total_events: num(r, "total_events"),
                hits: num(r, "hits"),
                hit_rate: num(r, "hit_rate"),
                buffer: num(r, "new_buffer"),
                bias_pct_long: num(r, "new_bias_pct_long"),
                bias_pct_short: num(r, "new_bias_pct_short"),
                weight_sum: weights.values().sum(),
                weights,
            }
        })
        .collect();
    let safety_trips = cal
        .of_type("safety_trip")
        .map(|r| {
            (
                num(r, "minute_key").map(minute),
                text(r, "reason").to_string(),
            )
        })
        .collect();
    History {
        cycles,
        safety_trips,
    }
}
