//! The liquidation forecast `/liq_forecast` serves (DECISIONS protocol v2 item 6): one minute's
//! [`Forecast`] with its rollover time, the body of one horizon (columnar: one price array, one
//! probability and one prior array per side), and the file a viewer writes for `api-only`
//! (`liq_forecast_{SYM}.json`: every horizon, read back into the same [`Forecast`]).

use std::sync::Arc;

use liq_core::forecast::{
    BAND_BINS, CELLS, Forecast, HALF, HORIZONS, HorizonForecast, SideForecast,
};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::json::to_json;

/// The forecast published for one symbol.
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastSnapshot {
    /// The forecast of the last minute close.
    pub forecast: Arc<Forecast>,
    /// The minute's rollover time, Unix seconds (`None` when unknown).
    pub ts: Option<f64>,
}

/// The horizon served when the query has none.
pub const DEFAULT_HORIZON: u32 = 60;

/// The file a viewer writes each minute for readers (`api-only`): every horizon's forecast.
pub fn forecast_file_name(symbol: &str) -> String {
    format!("liq_forecast_{symbol}.json")
}

/// The file's object: `{"symbol","ts","minute_key","price","close","bin_width","horizons":[…]}`
/// (the fields of [`Forecast`] after `symbol` and `ts`).
#[derive(Serialize)]
struct FileOut<'a> {
    symbol: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    ts: Option<f64>,
    #[serde(flatten)]
    forecast: &'a Forecast,
}

/// The content of `liq_forecast_{SYM}.json` (compact JSON, floats in their shortest exact form,
/// so [`parse_forecast_file`] gives back the same numbers).
pub fn encode_forecast_file(symbol: &str, snap: &ForecastSnapshot) -> Vec<u8> {
    to_json(&FileOut {
        symbol,
        ts: snap.ts,
        forecast: &snap.forecast,
    })
    .unwrap_or_default()
}

#[derive(Deserialize)]
struct SideIn {
    prob: Vec<f64>,
    prior: Vec<f64>,
}

#[derive(Deserialize)]
struct HorizonIn {
    horizon: u32,
    long: SideIn,
    short: SideIn,
}

#[derive(Deserialize)]
struct FileIn {
    ts: Option<f64>,
    minute_key: i64,
    price: f64,
    close: f64,
    bin_width: f64,
    horizons: Vec<HorizonIn>,
}

fn side(s: SideIn) -> Option<SideForecast> {
    let ok = |v: &[f64]| v.len() == CELLS && v.iter().all(|x| x.is_finite());
    (ok(&s.prob) && ok(&s.prior)).then_some(SideForecast {
        prob: s.prob,
        prior: s.prior,
    })
}

/// Reads a forecast file back (`None`: not a forecast, a side without 201 finite values, a
/// horizon that is not one of 15, 60, 240, or a price that is not finite and positive).
pub fn parse_forecast_file(bytes: &[u8]) -> Option<ForecastSnapshot> {
    let f: FileIn = serde_json::from_slice(bytes).ok()?;
    if !(f.price.is_finite() && f.price > 0.0 && f.bin_width.is_finite()) {
        return None;
    }
    let horizons = f
        .horizons
        .into_iter()
        .map(|h| {
            HORIZONS.contains(&h.horizon).then_some(())?;
            Some(HorizonForecast {
                horizon: h.horizon,
                long: side(h.long)?,
                short: side(h.short)?,
            })
        })
        .collect::<Option<Vec<_>>>()?;
    Some(ForecastSnapshot {
        forecast: Arc::new(Forecast {
            minute_key: f.minute_key,
            price: f.price,
            close: f.close,
            bin_width: f.bin_width,
            horizons,
        }),
        ts: f.ts.filter(|t| t.is_finite()),
    })
}

/// Reads the `horizon` parameter: absent is [`DEFAULT_HORIZON`]; an integer (lax, like every
/// integer parameter) in [`HORIZONS`]; anything else 400.
pub fn parse_horizon(raw: Option<&str>) -> Result<u32, ApiError> {
    let Some(raw) = raw else {
        return Ok(DEFAULT_HORIZON);
    };
    crate::query::parse_int(raw)
        .and_then(|h| HORIZONS.iter().copied().find(|x| i64::from(*x) == h))
        .ok_or_else(|| {
            ApiError::BadRequest(format!(
                "Invalid horizon '{raw}'. Valid horizons: 15, 60, 240"
            ))
        })
}

/// The lower edges of the 200 band cells: `price + (j - 100) * bin_width` (spec v2 2.5, `lo`).
pub fn price_lows(f: &Forecast) -> Vec<f64> {
    (0..BAND_BINS)
        .map(|j| f.price + (j as f64 - HALF as f64) * f.bin_width)
        .collect()
}

#[derive(Serialize)]
struct SideOut<'a> {
    prob: &'a [f64],
    prior: &'a [f64],
}

/// The `/liq_forecast` body of one horizon.
#[derive(Serialize)]
struct BodyOut<'a> {
    symbol: &'a str,
    minute_key: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    ts: Option<f64>,
    horizon: u32,
    price: f64,
    close: f64,
    bin_width: f64,
    price_low: Vec<f64>,
    long: SideOut<'a>,
    short: SideOut<'a>,
}

/// The `/liq_forecast` body of `horizon` (`None`: the forecast has no such horizon).
pub fn encode_body(
    symbol: &str,
    snap: &ForecastSnapshot,
    horizon: u32,
) -> Option<Result<Vec<u8>, ApiError>> {
    let f = &snap.forecast;
    let h = f.horizon(horizon)?;
    let body = BodyOut {
        symbol,
        minute_key: f.minute_key,
        ts: snap.ts,
        horizon,
        price: f.price,
        close: f.close,
        bin_width: f.bin_width,
        price_low: price_lows(f),
        long: SideOut {
            prob: &h.long.prob,
            prior: &h.long.prior,
        },
        short: SideOut {
            prob: &h.short.prob,
            prior: &h.short.prior,
        },
    };
    Some(to_json(&body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forecast() -> ForecastSnapshot {
        let side = |k: f64| {
            let mut prob = vec![0.0; CELLS];
            for (j, p) in prob.iter_mut().enumerate() {
                *p = (j as f64 + k) / 1000.0;
            }
            SideForecast {
                prob: prob.clone(),
                prior: prob,
            }
        };
        ForecastSnapshot {
            forecast: Arc::new(Forecast {
                minute_key: 29_537_420,
                price: 65_000.5,
                close: 65_001.0,
                bin_width: 65.0005,
                horizons: HORIZONS
                    .iter()
                    .map(|h| HorizonForecast {
                        horizon: *h,
                        long: side(1.0),
                        short: side(2.0),
                    })
                    .collect(),
            }),
            ts: Some(1_772_245_200.019),
        }
    }

    #[test]
    fn the_file_reads_back() {
        let s = forecast();
        let bytes = encode_forecast_file("BTC", &s);
        assert!(bytes.starts_with(br#"{"symbol":"BTC","ts":1772245200.019,"minute_key":29537420,"price":65000.5,"close":65001.0,"bin_width":65.0005,"horizons":[{"horizon":15,"long":{"prob":[0.001,"#));
        assert_eq!(parse_forecast_file(&bytes), Some(s.clone()));
        // A side without 201 cells, a horizon not served, not a forecast.
        let text = String::from_utf8(bytes).unwrap();
        let short = text.replacen("[0.001,", "[", 1);
        assert_eq!(parse_forecast_file(short.as_bytes()), None);
        let h = text.replacen("\"horizon\":15", "\"horizon\":16", 1);
        assert_eq!(parse_forecast_file(h.as_bytes()), None);
        assert_eq!(parse_forecast_file(b"{}"), None);
    }

    #[test]
    fn horizons() {
        assert_eq!(parse_horizon(None), Ok(60));
        assert_eq!(parse_horizon(Some("15")), Ok(15));
        assert_eq!(parse_horizon(Some(" 240 ")), Ok(240));
        assert_eq!(parse_horizon(Some("60.0")), Ok(60));
        for bad in ["5", "abc", "", "61", "-60", "1e2"] {
            assert!(parse_horizon(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn body_is_columnar() {
        let s = forecast();
        let body = encode_body("BTC", &s, 60).unwrap().unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["price_low"].as_array().unwrap().len(), 200);
        assert_eq!(v["price_low"][100], 65_000.5);
        assert_eq!(v["price_low"][0], 65_000.5 - 100.0 * 65.0005);
        assert_eq!(v["long"]["prob"].as_array().unwrap().len(), 201);
        assert_eq!(v["short"]["prior"][200], 0.202);
        assert!(encode_body("BTC", &s, 5).is_none());
    }
}
