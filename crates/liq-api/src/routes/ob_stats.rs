//! `/orderbook_heatmap_stats` and `/orderbook_heatmap_debug` (api.md 5.10, 5.11), with the
//! optional `symbol` of DECISIONS HTTP API 4 (default BTC, validated like everywhere else).

use std::path::Path;
use std::time::Duration;

use axum::extract::{RawQuery, State};
use axum::response::Response;
use indexmap::IndexMap;
use liq_core::grid::py_round;
use liq_core::orderbook::frame::SLOT_MS;
use serde::Serialize;
use serde_json::value::RawValue;

use super::orderbook::{STALE_MS, no_buffer};
use super::{cached, reply};
use crate::error::ApiError;
use crate::json::{py_float, raw, to_json};
use crate::orderbook::BufferStats;
use crate::query::Params;
use crate::state::AppState;
use crate::symbols::normalize;

/// Cache TTL of the stats and debug endpoints.
pub const OB_STATS_TTL: Duration = Duration::from_secs(10);

#[derive(Serialize)]
struct Stats {
    #[serde(flatten)]
    buffer: BufferStats,
    current_time: f64,
    current_time_ms: i64,
    frame_interval_ms: u32,
    mode: &'static str,
    last_frame_age_s: Option<f64>,
    last_frame_ts_ms: i64,
    data_is_stale: bool,
    reconstructor: Box<RawValue>,
}

/// The reconstructor status file passed through with `stats_age_s` appended, or the error
/// object of api.md 5.10.
fn reconstructor(path: &Path, now: f64) -> Result<Box<RawValue>, ApiError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return raw(r#"{"error":"stats file not found"}"#.into());
        }
        Err(e) => return error_object(&e.to_string()),
    };
    let mut map: IndexMap<String, Box<RawValue>> = match serde_json::from_str(&text) {
        Ok(m) => m,
        Err(e) => return error_object(&e.to_string()),
    };
    let written = map
        .get("written_at")
        .and_then(|v| v.get().parse::<f64>().ok())
        .unwrap_or(0.0);
    map.insert(
        "stats_age_s".into(),
        raw(py_float(py_round(now - written, 1)))?,
    );
    raw(String::from_utf8(to_json(&map)?).map_err(|e| ApiError::Internal(e.to_string()))?)
}

fn error_object(why: &str) -> Result<Box<RawValue>, ApiError> {
    let v = IndexMap::from([("error", format!("failed to read: {why}"))]);
    raw(String::from_utf8(to_json(&v)?).map_err(|e| ApiError::Internal(e.to_string()))?)
}

/// `GET /orderbook_heatmap_stats`.
pub async fn stats(State(state): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let r = (|| {
        let p = Params::parse(q.as_deref());
        let slot = state.slot(normalize(p.get("symbol"))?);
        let book = slot.orderbook().ok_or_else(no_buffer)?;
        let key = format!("orderbook_heatmap_stats?symbol={}", slot.info.name);
        cached(&state, key, OB_STATS_TTL, || {
            let now = state.now();
            let last = book.ring.latest().map(|f| f.ts);
            let age = last.map(|t| py_round(now - t, 1));
            to_json(&Stats {
                buffer: book.stats(),
                current_time: now,
                current_time_ms: (now * 1000.0) as i64,
                frame_interval_ms: SLOT_MS,
                mode: "shared_buffer",
                last_frame_age_s: age,
                last_frame_ts_ms: last.map_or(0, |t| (t * 1000.0) as i64),
                data_is_stale: last.is_none_or(|t| (now - t) * 1000.0 > STALE_MS as f64),
                reconstructor: reconstructor(&book.recon, now)?,
            })
        })
    })();
    reply(r)
}

#[derive(Serialize)]
struct Debug {
    has_ob_heatmap_module: bool,
    ob_buffer_shared: bool,
    mode: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    ob_buffer_stats: Option<BufferStats>,
}

/// `GET /orderbook_heatmap_debug`: always 200 for a configured symbol.
pub async fn debug(State(state): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let r = (|| {
        let p = Params::parse(q.as_deref());
        let slot = state.slot(normalize(p.get("symbol"))?);
        let key = format!("orderbook_heatmap_debug?symbol={}", slot.info.name);
        cached(&state, key, OB_STATS_TTL, || {
            let book = slot.orderbook();
            to_json(&Debug {
                has_ob_heatmap_module: true,
                ob_buffer_shared: book.is_some(),
                mode: "embedded",
                ob_buffer_stats: book.map(|b| b.stats()),
            })
        })
    })();
    reply(r)
}
