//! `/health`, `/liq_heatmap`, `/liq_heatmap_v2` and `/liq_stats` (api.md 5.1, 5.3 to 5.5).

use std::time::Duration;

use axum::extract::{RawQuery, State};
use axum::response::Response;
use indexmap::IndexMap;
use liq_core::grid::py_round;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::{cached, reply};
use crate::error::ApiError;
use crate::json::{py_float, raw, to_json};
use crate::orderbook::FloatOrZero;
use crate::query::{Params, check};
use crate::snapshot::Fields;
use crate::state::{AppState, Version};
use crate::symbols::normalize;

/// Cache TTL of the current-snapshot endpoints.
pub const SNAPSHOT_TTL: Duration = Duration::from_secs(5);
/// Age above which a snapshot body gets `_warning`.
pub const STALE_AFTER_S: f64 = 120.0;
/// The version `/health` reports.
pub const VERSION: &str = "3.0.0";

fn warming_up(sym: &str) -> ApiError {
    ApiError::Unavailable(format!("Data for {sym} is warming up, try again shortly"))
}

#[derive(Serialize)]
struct ObBuffer {
    frames_in_memory: u64,
    last_ts: FloatOrZero,
    shared: bool,
}

#[derive(Serialize)]
struct SymbolHealth {
    v1_available: bool,
    v1_ts: FloatOrZero,
    v2_available: bool,
    v2_ts: FloatOrZero,
    v1_history_frames: usize,
    v2_history_frames: usize,
}

#[derive(Serialize)]
struct Health<'a> {
    ok: bool,
    version: &'static str,
    mode: &'static str,
    uptime_s: f64,
    ob_buffer: ObBuffer,
    symbols: IndexMap<&'a str, SymbolHealth>,
}

/// The BTC order-book buffer as `/health` reports it (zeros and `shared: false` without one).
fn ob_buffer(state: &AppState) -> ObBuffer {
    let book = state.slot(0).orderbook();
    ObBuffer {
        frames_in_memory: book.as_ref().map_or(0, |b| b.ring.len() as u64),
        last_ts: FloatOrZero(book.as_ref().and_then(|b| b.ring.latest()).map(|f| f.ts)),
        shared: book.is_some(),
    }
}

/// `GET /health`: liveness and what is loaded; never cached.
pub async fn health(State(state): State<AppState>) -> Response {
    let symbols = state
        .slots()
        .iter()
        .map(|slot| {
            let (v1, v2) = (slot.snapshot(Version::V1), slot.snapshot(Version::V2));
            let h = SymbolHealth {
                v1_available: v1.is_some(),
                v1_ts: FloatOrZero(v1.map(|s| s.ts)),
                v2_available: v2.is_some(),
                v2_ts: FloatOrZero(v2.map(|s| s.ts)),
                v1_history_frames: slot.history(Version::V1).len(),
                v2_history_frames: slot.history(Version::V2).len(),
            };
            (slot.info.name, h)
        })
        .collect();
    let body = Health {
        ok: true,
        version: VERSION,
        mode: "embedded",
        uptime_s: py_round(state.now() - state.started(), 1),
        ob_buffer: ob_buffer(&state),
        symbols,
    };
    reply(to_json(&body).map(Into::into))
}

/// The body with `_warning` appended as the last key when `ts` is older than 120 s.
pub(crate) fn with_warning(ts: f64, body: Vec<u8>, now: f64) -> Result<Vec<u8>, ApiError> {
    let age = now - ts;
    if age.is_nan() || age <= STALE_AFTER_S {
        return Ok(body);
    }
    let msg = format!("Data is {age:.0}s old, viewer may be stopped");
    let mut out = body;
    if out.pop() != Some(b'}') {
        return Err(ApiError::Internal("snapshot body is not an object".into()));
    }
    if out.len() > 1 {
        out.push(b',');
    }
    out.extend_from_slice(b"\"_warning\":");
    out.extend_from_slice(&to_json(&msg)?);
    out.push(b'}');
    Ok(out)
}

/// `GET /liq_heatmap`: the V1 snapshot as published.
pub async fn liq_heatmap(State(state): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let p = Params::parse(q.as_deref());
    reply((|| {
        let i = normalize(p.get("symbol"))?;
        let slot = state.slot(i);
        let key = format!("liq_heatmap?symbol={}", slot.info.name);
        cached(&state, key, SNAPSHOT_TTL, || {
            let snap = slot
                .snapshot(Version::V1)
                .ok_or_else(|| warming_up(slot.info.name))?;
            with_warning(snap.ts, snap.body.to_vec(), state.now())
        })
    })())
}

#[derive(Deserialize)]
struct Level {
    notional_usd: Option<f64>,
}

/// Keeps the levels of a raw level array with `notional_usd ≥ min`.
fn filter_levels(levels: &RawValue, min: f64) -> Result<Box<RawValue>, ApiError> {
    let items: Vec<&RawValue> = serde_json::from_str(levels.get())
        .map_err(|e| ApiError::Internal(format!("levels: {e}")))?;
    let kept: Vec<&RawValue> = items
        .into_iter()
        .filter(|l| {
            serde_json::from_str::<Level>(l.get())
                .ok()
                .and_then(|l| l.notional_usd)
                .is_some_and(|n| n >= min)
        })
        .collect();
    raw(String::from_utf8(to_json(&kept)?).map_err(|e| ApiError::Internal(e.to_string()))?)
}

/// `GET /liq_heatmap_v2`: the V2 snapshot, levels filtered by `min_notional` (meta unchanged).
pub async fn liq_heatmap_v2(State(state): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let p = Params::parse(q.as_deref());
    reply((|| {
        let mut errs = Vec::new();
        let min_notional = p.float("min_notional", &mut errs);
        check(errs)?;
        let i = normalize(p.get("symbol"))?;
        let slot = state.slot(i);
        // Normalized key: every value that disables the filter is the same query.
        let min = min_notional.filter(|m| *m > 0.0);
        let key = format!(
            "liq_heatmap_v2?symbol={}&min_notional={}",
            slot.info.name,
            min.map_or_else(|| "0".into(), py_float)
        );
        cached(&state, key, SNAPSHOT_TTL, || {
            let snap = slot
                .snapshot(Version::V2)
                .ok_or_else(|| warming_up(slot.info.name))?;
            let body = match min {
                None => snap.body.to_vec(),
                Some(m) => {
                    let mut fields: Fields = snap.fields.clone();
                    for k in ["long_levels", "short_levels"] {
                        if let Some(v) = fields.get_mut(k) {
                            *v = filter_levels(v, m)?;
                        }
                    }
                    to_json(&fields)?
                }
            };
            with_warning(snap.ts, body, state.now())
        })
    })())
}

/// `GET /liq_stats`: the V2 snapshot's `stats` with the symbol, the snapshot's time and age
/// and the history length.
pub async fn liq_stats(State(state): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let p = Params::parse(q.as_deref());
    reply((|| {
        let i = normalize(p.get("symbol"))?;
        let slot = state.slot(i);
        let key = format!("liq_stats?symbol={}", slot.info.name);
        cached(&state, key, SNAPSHOT_TTL, || {
            let snap = slot
                .snapshot(Version::V2)
                .ok_or_else(|| warming_up(slot.info.name))?;
            let mut stats: Fields = snap
                .fields
                .get("stats")
                .and_then(|s| serde_json::from_str(s.get()).ok())
                .unwrap_or_default();
            stats.insert("symbol".into(), raw(format!("\"{}\"", slot.info.name))?);
            let ts = snap.num("ts");
            let ts_text = ts.map_or_else(|| "0".into(), py_float);
            stats.insert("snapshot_ts".into(), raw(ts_text)?);
            let age = py_round(state.now() - ts.unwrap_or(0.0), 1);
            stats.insert("snapshot_age_s".into(), raw(py_float(age))?);
            let frames = slot.history(Version::V2).len();
            stats.insert("history_frames".into(), raw(frames.to_string())?);
            to_json(&stats)
        })
    })())
}
