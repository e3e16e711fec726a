//! `/orderbook_heatmap` and `/orderbook_heatmap_history` (api.md 5.7 to 5.9) for every
//! configured symbol on its own grid (DECISIONS HTTP API 4): JSON bodies (cached) and the
//! `format=bin` bodies (never cached).

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use liq_core::orderbook::encode::{encode_frame_bin, encode_history_bin};
use liq_core::orderbook::frame::{Frame, SLOT_MS};
use liq_core::orderbook::resample::{ResampleError, ResampleMode, UnifiedGrid, ob_grid, resample};
use liq_core::orderbook::ring::StrideAnchor;
use liq_core::pyfmt::py_float_repr;
use serde::Serialize;

use super::cached;
use crate::error::ApiError;
use crate::json::{json_response, py_float, to_json};
use crate::orderbook::ObBook;
use crate::query::{Params, check};
use crate::state::{AppState, SymbolSlot};
use crate::symbols::normalize;

/// Cache TTL of the latest-frame endpoint.
pub const LATEST_TTL: Duration = Duration::from_secs(5);
/// Cache TTL of the history endpoint.
pub const OB_HISTORY_TTL: Duration = Duration::from_secs(30);
/// `minutes` is clamped to this range.
pub const OB_MINUTES: (i64, i64) = (5, 720);
/// `stride` is clamped to this range.
pub const OB_STRIDE: (i64, i64) = (1, 60);
/// Longest grid served; a longer one is 400 (DECISIONS HTTP API 4, api.md A15).
pub const MAX_GRID: usize = 10_000;
/// A frame older than this is stale.
pub const STALE_MS: i64 = 60_000;
/// Resampling: an exact copy at the frame's step; a widened frame fills every cell it covers.
const MODE: ResampleMode = ResampleMode::Cover;

pub(crate) fn no_buffer() -> ApiError {
    ApiError::Unavailable("Orderbook heatmap not available (no shared buffer)".into())
}

fn ms(t: f64) -> i64 {
    // Truncation toward zero, as Python's int(t * 1000).
    (t * 1000.0) as i64
}

/// The parameters both endpoints share, validated in the reference's order after the symbol.
struct Common<'a> {
    slot: &'a SymbolSlot,
    book: Arc<ObBook>,
    step: f64,
    price_min: Option<f64>,
    price_max: Option<f64>,
    bin: bool,
}

fn common<'a>(
    state: &'a AppState,
    p: &Params,
    step: Option<f64>,
    range_pct: Option<f64>,
    bounds: (Option<f64>, Option<f64>),
) -> Result<Common<'a>, ApiError> {
    let slot = state.slot(normalize(p.get("symbol"))?);
    let step = step.unwrap_or(slot.info.step);
    // NaN and infinities are refused too (api.md A15).
    if !(step.is_finite() && step > 0.0) {
        return Err(ApiError::BadRequest("step must be positive".into()));
    }
    if let Some(r) = range_pct
        && !(r > 0.0 && r <= 1.0)
    {
        return Err(ApiError::BadRequest(
            "range_pct must be between 0 and 1.0".into(),
        ));
    }
    for (name, v) in [("price_min", bounds.0), ("price_max", bounds.1)] {
        if v.is_some_and(|v| !v.is_finite()) {
            return Err(ApiError::BadRequest(format!(
                "{name} must be a finite number"
            )));
        }
    }
    let book = slot.orderbook().ok_or_else(no_buffer)?;
    Ok(Common {
        slot,
        book,
        step,
        price_min: bounds.0,
        price_max: bounds.1,
        bin: p.get("format") == Some("bin"),
    })
}

fn grid_error(e: ResampleError) -> ApiError {
    ApiError::BadRequest(match e {
        ResampleError::TooLarge { cells, limit } => {
            format!("grid of {cells} prices exceeds the limit of {limit}")
        }
        ResampleError::Step(_) => "step is not a usable grid step".into(),
        ResampleError::Bound(_) => "price bounds must be finite".into(),
    })
}

fn opt(x: Option<f64>) -> String {
    x.map_or_else(|| "None".into(), py_float_repr)
}

fn binary(body: Vec<u8>, headers: &[(&'static str, String)]) -> Response {
    let mut r = (StatusCode::OK, body).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    for (k, v) in headers {
        if let Ok(v) = HeaderValue::from_str(v) {
            h.insert(HeaderName::from_static(k), v);
        }
    }
    r
}

fn stale(s: bool) -> String {
    if s { "true" } else { "false" }.to_string()
}

/// `GET /orderbook_heatmap`.
pub async fn latest(State(state): State<AppState>, RawQuery(q): RawQuery) -> Response {
    match latest_inner(&state, q.as_deref()) {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

#[derive(Serialize)]
struct Latest<'a> {
    symbol: &'a str,
    frame_ts_ms: i64,
    frame_interval_ms: u32,
    valid_from_ts_ms: i64,
    valid_to_ts_ms: i64,
    server_recv_ts_ms: i64,
    server_send_ts_ms: i64,
    data_is_stale: bool,
    ts: f64,
    src: f64,
    step: f64,
    price_min: f64,
    price_max: f64,
    prices: Vec<f64>,
    bid_u8: Vec<u8>,
    ask_u8: Vec<u8>,
    norm_p50: f64,
    norm_p90: f64,
    norm_p95: f64,
    norm_p99: f64,
    norm_max: f64,
    bid_p50: f64,
    bid_p95: f64,
    bid_max: f64,
    ask_p50: f64,
    ask_p95: f64,
    ask_max: f64,
    total_bid_notional: f64,
    total_ask_notional: f64,
    scale: u8,
    _mode: &'static str,
}

fn latest_inner(state: &AppState, q: Option<&str>) -> Result<Response, ApiError> {
    let p = Params::parse(q);
    let mut errs = Vec::new();
    let range_pct = p.float("range_pct", &mut errs);
    let step = p.float("step", &mut errs);
    let bounds = (
        p.float("price_min", &mut errs),
        p.float("price_max", &mut errs),
    );
    check(errs)?;
    let c = common(state, &p, step, range_pct, bounds)?;
    let frame = c
        .book
        .ring
        .latest()
        .cloned()
        .ok_or_else(|| ApiError::NotFound("No orderbook frames available yet".into()))?;
    let frame_ts_ms = ms(frame.ts);
    let is_stale = ms(state.now()) - frame_ts_ms > STALE_MS;
    if c.bin {
        let body = encode_frame_bin(&frame).map_err(|e| ApiError::Internal(e.to_string()))?;
        return Ok(binary(
            body,
            &[
                ("x-frame-ts-ms", frame_ts_ms.to_string()),
                ("x-frame-interval-ms", SLOT_MS.to_string()),
                ("x-data-is-stale", stale(is_stale)),
                ("x-server-send-ts-ms", ms(state.now()).to_string()),
            ],
        ));
    }
    let raw = p.get("symbol").unwrap_or("BTC");
    let overridden = c.price_min.is_some() || c.price_max.is_some();
    // The body echoes the raw symbol (api.md A13), so the key holds it; `range_pct` is unused
    // and `step` only matters with an override.
    let key = format!(
        "orderbook_heatmap?symbol={}&raw={raw}&step={}&price_min={}&price_max={}",
        c.slot.info.name,
        if overridden {
            py_float_repr(c.step)
        } else {
            "-".into()
        },
        opt(c.price_min),
        opt(c.price_max),
    );
    let body = cached(state, key, LATEST_TTL, || {
        let (prices, bid_u8, ask_u8, price_min, price_max) = if overridden {
            let pmin = c.price_min.unwrap_or(frame.price_min);
            let pmax = c.price_max.unwrap_or(frame.price_max);
            let grid = ob_grid(&[&*frame], Some(pmin), Some(pmax), c.step, MAX_GRID)
                .map_err(grid_error)?;
            let (bid, ask) = resample(&frame, &grid, MODE);
            (grid.prices, bid, ask, grid.price_min, grid.price_max)
        } else {
            let f: &Frame = &frame;
            let (bid, ask) = (f.bid_u8.clone(), f.ask_u8.clone());
            (f.prices(), bid, ask, f.price_min, f.price_max)
        };
        let recv = ms(state.now());
        let s = &frame.stats;
        to_json(&Latest {
            symbol: raw,
            frame_ts_ms,
            frame_interval_ms: SLOT_MS,
            valid_from_ts_ms: frame_ts_ms,
            valid_to_ts_ms: frame_ts_ms + i64::from(SLOT_MS),
            server_recv_ts_ms: recv,
            server_send_ts_ms: ms(state.now()),
            data_is_stale: is_stale,
            ts: frame.ts,
            src: frame.src,
            step: frame.step,
            price_min,
            price_max,
            prices,
            bid_u8,
            ask_u8,
            norm_p50: s.norm_p50,
            norm_p90: s.norm_p90,
            norm_p95: s.norm_p95,
            norm_p99: s.norm_p99,
            norm_max: s.norm_max,
            bid_p50: s.bid_p50,
            bid_p95: s.bid_p95,
            bid_max: s.bid_max,
            ask_p50: s.ask_p50,
            ask_p95: s.ask_p95,
            ask_max: s.ask_max,
            total_bid_notional: frame.total_bid_notional,
            total_ask_notional: frame.total_ask_notional,
            scale: 255,
            _mode: "shared_buffer",
        })
    })?;
    Ok(json_response(StatusCode::OK, body))
}

/// `GET /orderbook_heatmap_history`.
pub async fn history(State(state): State<AppState>, RawQuery(q): RawQuery) -> Response {
    // Rendering up to 1440 rows is CPU work: keep it off the reactor (api.md A8).
    tokio::task::spawn_blocking(move || {
        history_inner(&state, q.as_deref()).unwrap_or_else(IntoResponse::into_response)
    })
    .await
    .unwrap_or_else(|e| ApiError::Internal(format!("history task: {e}")).into_response())
}

fn history_inner(state: &AppState, q: Option<&str>) -> Result<Response, ApiError> {
    let p = Params::parse(q);
    let mut errs = Vec::new();
    let minutes = p.int("minutes", &mut errs);
    let stride = p.int("stride", &mut errs);
    let step = p.float("step", &mut errs);
    let bounds = (
        p.float("price_min", &mut errs),
        p.float("price_max", &mut errs),
    );
    check(errs)?;
    // No `range_pct` here: ignored if sent (api.md 5.8).
    let c = common(state, &p, step, None, bounds)?;
    let minutes = minutes
        .unwrap_or(OB_MINUTES.1)
        .clamp(OB_MINUTES.0, OB_MINUTES.1);
    let stride = stride.unwrap_or(1).clamp(OB_STRIDE.0, OB_STRIDE.1);
    // Anchored at the newest frame (api.md A6, as the liquidation history): the newest frame is
    // always in; both clamps are small positive numbers.
    let frames = c
        .book
        .ring
        .get_frames(minutes as usize, stride as usize, StrideAnchor::Newest);
    let (Some(first), Some(last)) = (frames.first(), frames.last()) else {
        let body = format!(
            "{{\"t\":[],\"prices\":[],\"bid_u8\":[],\"ask_u8\":[],\"frame_interval_ms\":30000,\"step\":{},\"scale\":255,\"norm_method\":\"p50_p95\",\"_mode\":\"shared_buffer\"}}",
            py_float(c.step)
        );
        return Ok(json_response(StatusCode::OK, body.into()));
    };
    let grid = ob_grid(&frames, c.price_min, c.price_max, c.step, MAX_GRID).map_err(grid_error)?;
    let (first_ms, last_ms) = (ms(first.ts), ms(last.ts));
    let is_stale = ms(state.now()) - last_ms > STALE_MS;
    if c.bin {
        let body = encode_history_bin(&frames, &grid, MODE)
            .map_err(|e| ApiError::BadRequest(e.to_string()))?;
        return Ok(binary(
            body,
            &[
                ("x-first-frame-ts-ms", first_ms.to_string()),
                ("x-last-frame-ts-ms", last_ms.to_string()),
                ("x-frame-count", frames.len().to_string()),
                ("x-price-count", grid.len().to_string()),
                ("x-frame-interval-ms", SLOT_MS.to_string()),
                ("x-data-is-stale", stale(is_stale)),
                ("x-server-send-ts-ms", ms(state.now()).to_string()),
            ],
        ));
    }
    let key = format!(
        "orderbook_heatmap_history?symbol={}&minutes={minutes}&stride={stride}&step={}&price_min={}&price_max={}",
        c.slot.info.name,
        py_float_repr(c.step),
        opt(c.price_min),
        opt(c.price_max),
    );
    let body = cached(state, key, OB_HISTORY_TTL, || {
        let recv = ms(state.now());
        Ok(history_json(
            &frames,
            &grid,
            (first_ms, last_ms),
            recv,
            || state.now(),
            is_stale,
        ))
    })?;
    Ok(json_response(StatusCode::OK, body))
}

fn push_list<T>(s: &mut String, items: impl IntoIterator<Item = T>, f: impl Fn(&mut String, T)) {
    s.push('[');
    for (k, x) in items.into_iter().enumerate() {
        if k > 0 {
            s.push(',');
        }
        f(s, x);
    }
    s.push(']');
}

fn history_json(
    frames: &[Arc<Frame>],
    grid: &UnifiedGrid,
    (first_ms, last_ms): (i64, i64),
    recv: i64,
    now: impl Fn() -> f64,
    is_stale: bool,
) -> Vec<u8> {
    let cells = frames.len() * grid.len();
    let rows: Vec<(Vec<u8>, Vec<u8>)> = frames.iter().map(|f| resample(f, grid, MODE)).collect();
    let send = ms(now());
    let mut s = String::with_capacity(256 + grid.len() * 10 + cells * 8);
    let _ = write!(
        s,
        "{{\"frame_interval_ms\":{SLOT_MS},\"first_frame_ts_ms\":{first_ms},\"last_frame_ts_ms\":{last_ms},\"server_recv_ts_ms\":{recv},\"server_send_ts_ms\":{send},\"data_is_stale\":{is_stale},\"t\":"
    );
    push_list(&mut s, frames, |s, f| {
        let _ = write!(s, "{}", ms(f.ts));
    });
    s.push_str(",\"prices\":");
    push_list(&mut s, &grid.prices, |s, p| s.push_str(&py_float_repr(*p)));
    for (name, bid) in [("bid_u8", true), ("ask_u8", false)] {
        let _ = write!(s, ",\"{name}\":");
        let all = rows
            .iter()
            .flat_map(|(b, a)| if bid { b.iter() } else { a.iter() });
        push_list(&mut s, all, |s, v| {
            let _ = write!(s, "{v}");
        });
    }
    let _ = write!(
        s,
        ",\"step\":{},\"price_min\":{},\"price_max\":{},\"scale\":255,\"norm_method\":\"p50_p95\",\"_mode\":\"shared_buffer\"}}",
        py_float(grid.step),
        py_float(grid.price_min),
        py_float(grid.price_max),
    );
    s.into_bytes()
}
