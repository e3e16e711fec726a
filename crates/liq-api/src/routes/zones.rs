//! `/liq_zones`, `/liq_zones_summary`, `/liq_zones_heatmap` (api.md 5.12 to 5.14) and `/oi`
//! (5.2; no OI poller in this server yet: 503).

use std::time::Duration;

use axum::extract::{RawQuery, State};
use axum::response::Response;
use liq_core::heatmap::zones::ZoneSummary;
use liq_core::zones::query::{ActiveZone, HeatmapLevel, LeverageFilter};
use serde::Serialize;

use super::{cached, reply};
use crate::error::ApiError;
use crate::json::{py_float, to_json};
use crate::query::{Params, check};
use crate::state::{AppState, read_zones};
use crate::symbols::normalize;

/// Cache TTL of the zone and OI endpoints.
pub const ZONES_TTL: Duration = Duration::from_secs(5);
/// `/oi` cache time.
pub const OI_TTL: Duration = Duration::from_secs(5);

/// The query of the zone endpoints, parsed.
#[derive(Debug, Clone, Copy, Default)]
struct ZoneQuery {
    min_leverage: Option<i64>,
    max_leverage: Option<i64>,
    min_weight: Option<f64>,
}

impl ZoneQuery {
    fn parse(p: &Params, errs: &mut Vec<crate::error::ParamError>) -> Self {
        ZoneQuery {
            min_leverage: p.int("min_leverage", errs),
            max_leverage: p.int("max_leverage", errs),
            min_weight: p.float("min_weight", errs),
        }
    }

    /// The leverage filter; `None` when no zone can pass (a negative `max_leverage`).
    fn filter(&self) -> Option<LeverageFilter> {
        let to_u32 = |v: i64| u32::try_from(v.max(0)).unwrap_or(u32::MAX);
        let min = self.min_leverage.map(|v| if v < 0 { 1 } else { to_u32(v) });
        if self.max_leverage.is_some_and(|v| v < 0) {
            return None;
        }
        Some(LeverageFilter {
            min_leverage: min,
            max_leverage: self.max_leverage.map(to_u32),
        })
    }

    fn key(&self) -> String {
        let i = |v: Option<i64>| v.map_or_else(|| "None".into(), |v| v.to_string());
        let f = |v: Option<f64>| v.map_or_else(|| "None".into(), py_float);
        format!(
            "min_leverage={}&max_leverage={}&min_weight={}",
            i(self.min_leverage),
            i(self.max_leverage),
            f(self.min_weight)
        )
    }
}

fn engine(state: &AppState, msg: &str) -> Result<(), ApiError> {
    if state.options().engine {
        Ok(())
    } else {
        Err(ApiError::Unavailable(msg.into()))
    }
}

fn no_manager(raw: Option<&str>) -> ApiError {
    ApiError::NotFound(format!(
        "No zone manager available for {}. Is the engine registered?",
        raw.unwrap_or("BTC")
    ))
}

#[derive(Serialize)]
struct Filters<'a> {
    side: Option<&'a str>,
    min_leverage: Option<i64>,
    max_leverage: Option<i64>,
    min_weight: Option<f64>,
}

#[derive(Serialize)]
struct ZonesBody<'a> {
    symbol: &'a str,
    ts: f64,
    zones: &'a [ActiveZone],
    zones_count: usize,
    summary: ZoneSummary,
    filters: Filters<'a>,
}

/// `GET /liq_zones`: the active zones, filtered and sorted by weight.
pub async fn liq_zones(State(state): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let p = Params::parse(q.as_deref());
    reply((|| {
        let mut errs = Vec::new();
        let zq = ZoneQuery::parse(&p, &mut errs);
        check(errs)?;
        let i = normalize(p.get("symbol"))?;
        let side = p.get("side").filter(|s| !s.is_empty());
        if let Some(s) = side.filter(|s| !matches!(*s, "long" | "short")) {
            return Err(ApiError::BadRequest(format!(
                "Invalid side '{s}'. Valid sides: long, short"
            )));
        }
        let slot = state.slot(i);
        let key = format!(
            "liq_zones?symbol={}&side={}&{}",
            slot.info.name,
            side.unwrap_or("None"),
            zq.key()
        );
        cached(&state, key, ZONES_TTL, || {
            engine(&state, "Engine manager not available")?;
            let zm = slot.zones().ok_or_else(|| no_manager(p.get("symbol")))?;
            let zm = read_zones(&zm);
            let mut zones = match zq.filter() {
                Some(f) => zm.active_zones(side, f),
                None => Vec::new(),
            };
            if let Some(m) = zq.min_weight.filter(|m| *m > 0.0) {
                zones.retain(|z| z.weight >= m);
            }
            to_json(&ZonesBody {
                symbol: slot.info.name,
                ts: state.now(),
                zones: &zones,
                zones_count: zones.len(),
                summary: zm.summary(),
                filters: Filters {
                    side,
                    min_leverage: zq.min_leverage,
                    max_leverage: zq.max_leverage,
                    min_weight: zq.min_weight,
                },
            })
        })
    })())
}

/// `GET /liq_zones_summary`: the zone counts and weights of a symbol.
pub async fn liq_zones_summary(State(state): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let p = Params::parse(q.as_deref());
    reply((|| {
        let i = normalize(p.get("symbol"))?;
        let slot = state.slot(i);
        let key = format!("liq_zones_summary?symbol={}", slot.info.name);
        cached(&state, key, ZONES_TTL, || {
            engine(&state, "Engine manager not available")?;
            let zm = slot.zones().ok_or_else(|| no_manager(p.get("symbol")))?;
            let summary = read_zones(&zm).summary();
            let mut out = to_json(&summary)?;
            // The summary's keys, then `symbol` and `ts` (key order of api.md 5.13).
            if out.pop() != Some(b'}') {
                return Err(ApiError::Internal("summary is not an object".into()));
            }
            out.extend_from_slice(b",\"symbol\":");
            out.extend_from_slice(&to_json(slot.info.name)?);
            out.extend_from_slice(b",\"ts\":");
            out.extend_from_slice(py_float(state.now()).as_bytes());
            out.push(b'}');
            Ok(out)
        })
    })())
}

/// `min_notional` as echoed in `meta`: the integer 0 when absent.
#[derive(Debug, Clone, Copy)]
struct Notional(Option<f64>);

impl Serialize for Notional {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Some(x) => s.serialize_f64(x),
            None => s.serialize_u8(0),
        }
    }
}

#[derive(Serialize)]
struct Meta {
    min_leverage: Option<i64>,
    max_leverage: Option<i64>,
    min_weight: Option<f64>,
    min_notional: Notional,
    filtered: bool,
    long_pools_count: usize,
    short_pools_count: usize,
    total_long_weight: serde_json::Value,
    total_short_weight: serde_json::Value,
    zones_created: u64,
    zones_swept: u64,
}

#[derive(Serialize)]
struct ZoneHeatmapBody<'a> {
    symbol: &'a str,
    ts: f64,
    long_levels: Vec<HeatmapLevel>,
    short_levels: Vec<HeatmapLevel>,
    meta: Meta,
}

/// `GET /liq_zones_heatmap`: the zones as heatmap levels per side.
pub async fn liq_zones_heatmap(State(state): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let p = Params::parse(q.as_deref());
    reply((|| {
        let mut errs = Vec::new();
        let min_notional = p.float("min_notional", &mut errs);
        let zq = ZoneQuery::parse(&p, &mut errs);
        check(errs)?;
        let i = normalize(p.get("symbol"))?;
        let slot = state.slot(i);
        let key = format!(
            "liq_zones_heatmap?symbol={}&min_notional={}&{}",
            slot.info.name,
            min_notional.map_or_else(|| "0".into(), py_float),
            zq.key()
        );
        cached(&state, key, ZONES_TTL, || {
            engine(
                &state,
                "Engine manager not available. Use /v2/liq_heatmap for snapshot-based data.",
            )?;
            let zm = slot.zones().ok_or_else(|| no_manager(p.get("symbol")))?;
            let zm = read_zones(&zm);
            let (long, short) = match zq.filter() {
                Some(f) => zm.heatmap_levels(f, zq.min_weight, min_notional.unwrap_or(0.0)),
                None => (Vec::new(), Vec::new()),
            };
            let summary = serde_json::to_value(zm.summary())
                .map_err(|e| ApiError::Internal(e.to_string()))?;
            let pick = |k: &str| summary.get(k).cloned().unwrap_or(serde_json::Value::Null);
            let count = |k: &str| {
                summary
                    .get(k)
                    .and_then(serde_json::Value::as_u64)
                    .unwrap_or(0)
            };
            let filtered = zq.min_leverage.is_some_and(|v| v != 0)
                || zq.max_leverage.is_some_and(|v| v != 0)
                || zq.min_weight.is_some_and(|v| v != 0.0)
                || min_notional.is_some_and(|v| v != 0.0);
            let meta = Meta {
                min_leverage: zq.min_leverage,
                max_leverage: zq.max_leverage,
                min_weight: zq.min_weight,
                min_notional: Notional(min_notional),
                filtered,
                long_pools_count: long.len(),
                short_pools_count: short.len(),
                total_long_weight: pick("total_weight_long"),
                total_short_weight: pick("total_weight_short"),
                zones_created: count("zones_created_total"),
                zones_swept: count("zones_swept_total"),
            };
            to_json(&ZoneHeatmapBody {
                symbol: slot.info.name,
                ts: state.now(),
                long_levels: long,
                short_levels: short,
                meta,
            })
        })
    })())
}

/// `GET /oi`: symbol (400) -> cache 5 s -> no poller 503 -> no snapshot yet 503 -> the body
/// (api.md 5.2).
pub async fn oi(State(state): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let p = Params::parse(q.as_deref());
    reply((|| {
        let i = normalize(p.get("symbol"))?;
        let slot = state.slot(i);
        let key = format!("oi?symbol={}", slot.info.name);
        cached(&state, key, OI_TTL, || {
            if !state.options().oi_poller {
                return Err(ApiError::Unavailable("OI poller not available".into()));
            }
            let snap = slot.oi().ok_or_else(|| {
                ApiError::Unavailable(format!(
                    "No OI data available for {}. Poller may still be initializing.",
                    slot.info.name
                ))
            })?;
            to_json(&crate::oi::OiBody {
                symbol: slot.info.name,
                snap: &snap,
            })
        })
    })())
}
