//! The forecast of a symbol's minute close: the engine's layers binned for
//! [`crate::forecast`].

use std::sync::Arc;

use crate::event::Side;
use crate::forecast::{BAND_BINS, Forecast, MassInputs, OUTSIDE, band_vector, cell};
use crate::heatmap::BucketMap;

use super::SymbolEngine;

impl SymbolEngine {
    /// The engine's layers binned around reference price `p`: projected liquidations, active
    /// zones' weights and the observed tape, per side.
    pub fn forecast_inputs(&self, p: f64) -> MassInputs {
        let hm = self.heatmap();
        let step = hm.step();
        let bin = |m: &BucketMap<f64>| {
            let pairs: Vec<(f64, f64)> = m.iter().map(|(k, v)| (step.price(*k), *v)).collect();
            band_vector(p, &pairs)
        };
        let proj = hm.inference().projections();
        let tape = hm.tape().heatmap();
        let mut zones = [[0.0; BAND_BINS]; 2];
        if let Some(zm) = self.zones() {
            for z in zm.zones() {
                let s = match z.side {
                    Side::Long => 0,
                    Side::Short => 1,
                };
                let j = cell(p, z.price);
                if j < OUTSIDE && z.weight.is_finite() && z.weight > 0.0 {
                    zones[s][j] += z.weight;
                }
            }
        }
        MassInputs {
            projection: [bin(&proj.long), bin(&proj.short)],
            zones,
            tape: [bin(&tape.long), bin(&tape.short)],
        }
    }

    /// The forecast of the last minute close (`None` before the first close with a price).
    pub fn forecast(&self) -> Option<&Arc<Forecast>> {
        self.forecast.as_ref()
    }

    /// Makes the forecast of the closed minute (after the heatmap's minute and the
    /// calibration: the layers are those the minute's bodies show). The forecaster has seen the
    /// minute's close already (every minute line feeds the volatility, even a refused one).
    pub(super) fn update_forecast(&mut self, minute_key: i64, src: f64, close: Option<f64>) {
        let Some(close) = close else {
            self.forecast = None;
            return;
        };
        let inputs = self.forecast_inputs(src);
        self.forecast = self
            .forecaster
            .forecast(minute_key, src, close, &inputs)
            .map(Arc::new);
    }
}
