//! A deterministic liquidation forecast for the tests (only `+ - * /`, so the same bits on
//! every platform): a bell-shaped prior around the price, widening with the horizon, and a
//! forecast that adds a pool below the price (long) and above it (short).

use std::sync::Arc;

use liq_api::ForecastSnapshot;
use liq_core::forecast::{CELLS, Forecast, HORIZONS, HorizonForecast, OUTSIDE, SideForecast};

fn normalized(w: Vec<f64>) -> Vec<f64> {
    let sum: f64 = w.iter().sum();
    w.into_iter().map(|x| x / sum).collect()
}

/// One side: the prior of width `width` cells and the forecast with a pool at cell `pool`.
fn side(width: f64, pool: f64) -> SideForecast {
    let bell = |j: f64, c: f64, w: f64| 1.0 / (1.0 + ((j - c) / w) * ((j - c) / w));
    let mut prior = vec![0.0; CELLS];
    let mut prob = vec![0.0; CELLS];
    for j in 0..OUTSIDE {
        let x = j as f64;
        prior[j] = bell(x, 99.5, width);
        prob[j] = prior[j] * (1.0 + 4.0 * bell(x, pool, 3.0));
    }
    prior[OUTSIDE] = 2.0;
    prob[OUTSIDE] = 2.0;
    SideForecast {
        prob: normalized(prob),
        prior: normalized(prior),
    }
}

/// The forecast of minute `minute_key` around `price`, published at `ts`.
pub fn snapshot(minute_key: i64, price: f64, ts: f64) -> ForecastSnapshot {
    let horizons = HORIZONS
        .iter()
        .map(|h| {
            let width = match h {
                15 => 8.0,
                60 => 15.0,
                _ => 30.0,
            };
            HorizonForecast {
                horizon: *h,
                long: side(width, 80.0),
                short: side(width, 125.0),
            }
        })
        .collect();
    ForecastSnapshot {
        forecast: Arc::new(Forecast {
            minute_key,
            price,
            close: price + 1.5,
            bin_width: 0.001 * price,
            horizons,
        }),
        ts: Some(ts),
    }
}
