//! `/liq_heatmap_history` and `/liq_heatmap_v2_history` (api.md 5.6): the buffered minute
//! frames mapped onto one ±8 % grid around the current snapshot's `src`.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use liq_core::grid::{band_edge, build_grid};
use liq_core::heatmap::history::{HistoryFrame, KEEP_RECORDS};
use liq_core::orderbook::ring::StrideAnchor;
use liq_core::pyfmt::py_float_repr;

use super::{cached, reply};
use crate::error::ApiError;
use crate::query::{Params, check};
use crate::state::{AppState, SymbolSlot, Version};
use crate::symbols::{fallback_grid, normalize};

/// Cache TTL of the history endpoints.
pub const HISTORY_TTL: Duration = Duration::from_secs(30);
/// `minutes` is clamped to this range.
pub const MINUTES: (i64, i64) = (5, KEEP_RECORDS as i64);
/// `stride` is clamped to this range.
pub const STRIDE: (i64, i64) = (1, 30);

/// `GET /liq_heatmap_history` (V1 buffer).
pub async fn v1_history(state: State<AppState>, q: RawQuery) -> Response {
    history(state, q, Version::V1).await
}

/// `GET /liq_heatmap_v2_history` (V2 buffer).
pub async fn v2_history(state: State<AppState>, q: RawQuery) -> Response {
    history(state, q, Version::V2).await
}

async fn history(State(state): State<AppState>, RawQuery(q): RawQuery, v: Version) -> Response {
    // Rendering a long history is CPU work: keep it off the reactor (api.md A8).
    let r = tokio::task::spawn_blocking(move || history_body(&state, q.as_deref(), v))
        .await
        .unwrap_or_else(|e| Err(ApiError::Internal(format!("history task: {e}"))));
    reply(r)
}

fn history_body(state: &AppState, q: Option<&str>, v: Version) -> Result<Bytes, ApiError> {
    let p = Params::parse(q);
    let mut errs = Vec::new();
    let minutes = p.int("minutes", &mut errs);
    let stride = p.int("stride", &mut errs);
    check(errs)?;
    let i = normalize(p.get("symbol"))?;
    let slot = state.slot(i);
    let minutes = minutes.unwrap_or(MINUTES.1).clamp(MINUTES.0, MINUTES.1);
    let stride = stride.unwrap_or(1).clamp(STRIDE.0, STRIDE.1);
    let name = match v {
        Version::V1 => "liq_heatmap_history",
        Version::V2 => "liq_heatmap_v2_history",
    };
    let key = format!(
        "{name}?symbol={}&minutes={minutes}&stride={stride}",
        slot.info.name
    );
    cached(state, key, HISTORY_TTL, || {
        // Both clamps are small positive numbers.
        Ok(render(slot, v, minutes as usize, stride as usize))
    })
}

/// The ±8 % grid of api.md 4.4 around `c`.
fn unified_grid(c: f64, step: f64) -> Vec<f64> {
    build_grid(band_edge(c, 0.92, step), band_edge(c, 1.08, step), step)
}

fn render(slot: &SymbolSlot, v: Version, minutes: usize, stride: usize) -> Vec<u8> {
    let current = slot.snapshot(v);
    // Anchored at the newest frame (api.md A6): the same shape, always the latest minute.
    let frames = slot
        .history(v)
        .get_frames(minutes, stride, StrideAnchor::Newest);
    let step_of = |s: &crate::snapshot::Snapshot| s.num("step").unwrap_or(20.0);
    let Some(last) = frames.last() else {
        let (step, prices) = match &current {
            Some(cur) => {
                let step = step_of(cur);
                (
                    step,
                    unified_grid(cur.num("src").unwrap_or(100_000.0), step),
                )
            }
            None => (20.0, fallback_grid(&slot.info)),
        };
        return body(&[], &prices, step);
    };
    // Without a current snapshot, the frames' own step and src (api.md A12).
    let (c, step) = match &current {
        Some(cur) => (cur.num("src").unwrap_or(0.0), step_of(cur)),
        None => (last.src, last.step),
    };
    let c = if c > 0.0 { c } else { last.src };
    let mut prices = unified_grid(c, step);
    let mut step = step;
    if prices.is_empty() {
        prices = fallback_grid(&slot.info);
        step = 20.0;
    }
    body(&frames, &prices, step)
}

fn body(frames: &[Arc<HistoryFrame>], prices: &[f64], step: f64) -> Vec<u8> {
    let cells = frames.len() * prices.len();
    let mut s = String::with_capacity(16 + prices.len() * 10 + cells * 8);
    s.push_str("{\"t\":[");
    for (k, f) in frames.iter().enumerate() {
        if k > 0 {
            s.push(',');
        }
        // Truncation toward zero, as Python's int(ts * 1000).
        let _ = write!(s, "{}", (f.ts * 1000.0) as i64);
    }
    s.push_str("],\"prices\":[");
    for (k, p) in prices.iter().enumerate() {
        if k > 0 {
            s.push(',');
        }
        s.push_str(&py_float_repr(*p));
    }
    let maps: Vec<HashMap<u64, usize>> = frames
        .iter()
        .map(|f| {
            f.prices()
                .into_iter()
                .enumerate()
                .map(|(i, p)| (p.to_bits(), i))
                .collect()
        })
        .collect();
    for (name, long) in [("long", true), ("short", false)] {
        let _ = write!(s, "],\"{name}\":[");
        let mut first = true;
        for (f, map) in frames.iter().zip(&maps) {
            let cells = if long { &f.long } else { &f.short };
            for p in prices {
                if !first {
                    s.push(',');
                }
                first = false;
                let v = map.get(&p.to_bits()).and_then(|&i| cells.get(i)).copied();
                let _ = write!(s, "{}", v.unwrap_or(0));
            }
        }
    }
    let _ = write!(
        s,
        "],\"step\":{},\"scale\":255,\"_mode\":\"embedded\"}}",
        liq_core::pyfmt::py_json_float(step)
    );
    s.into_bytes()
}
