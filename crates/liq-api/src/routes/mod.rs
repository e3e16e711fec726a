//! The router: every path and alias of api.md section 1 (plus the web page and `/metrics`),
//! the 404/405 bodies of 2.4, gzip, optional CORS and the handler timeout.

mod forecast;
mod history;
mod liq;
mod ob_stats;
mod orderbook;
mod web;
mod zones;

use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::handler::Handler;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on};
use tower_http::compression::CompressionLayer;
use tower_http::cors::CorsLayer;
use tower_http::timeout::TimeoutLayer;

use crate::error::ApiError;
use crate::json::json_response;
use crate::state::AppState;

/// Longest time a handler may take before the client gets 408.
pub const HANDLER_TIMEOUT: Duration = Duration::from_secs(10);

/// `(primary, alias)` of every endpoint served here: the liquidation, order-book, zone and OI
/// endpoints of api.md, then the built-in web page, `/metrics` and the liquidation forecast
/// (beyond the reference).
pub const PATHS: [(&str, Option<&str>); 17] = [
    ("/health", Some("/v1/health")),
    ("/oi", None),
    ("/liq_heatmap", Some("/v1/liq_heatmap")),
    ("/liq_heatmap_v2", Some("/v2/liq_heatmap")),
    ("/liq_stats", Some("/v2/liq_stats")),
    ("/liq_heatmap_history", Some("/v1/liq_heatmap_history")),
    ("/liq_heatmap_v2_history", Some("/v2/liq_heatmap_history")),
    ("/liq_zones", Some("/v3/liq_zones")),
    ("/liq_zones_summary", Some("/v3/liq_zones_summary")),
    ("/liq_zones_heatmap", Some("/v3/liq_heatmap")),
    ("/orderbook_heatmap", Some("/v2/orderbook_heatmap_30s")),
    (
        "/orderbook_heatmap_history",
        Some("/v2/orderbook_heatmap_30s_history"),
    ),
    (
        "/orderbook_heatmap_stats",
        Some("/v2/orderbook_heatmap_30s_stats"),
    ),
    (
        "/orderbook_heatmap_debug",
        Some("/v2/orderbook_heatmap_30s_debug"),
    ),
    ("/", Some("/index.html")),
    ("/metrics", None),
    ("/liq_forecast", None),
];

/// A cached body: the entry under `key` if younger than `ttl`, else `render`'s output (stored
/// only when it succeeded).
pub(crate) fn cached(
    state: &AppState,
    key: String,
    ttl: Duration,
    render: impl FnOnce() -> Result<Vec<u8>, ApiError>,
) -> Result<Bytes, ApiError> {
    if let Some(b) = state.cache().get(&key, ttl) {
        crate::metrics::cache_lookup(true);
        return Ok(b);
    }
    crate::metrics::cache_lookup(false);
    let body = Bytes::from(render()?);
    state.cache().put(key, body.clone());
    Ok(body)
}

/// A handler's result as a response.
pub(crate) fn reply(r: Result<Bytes, ApiError>) -> Response {
    match r {
        Ok(b) => json_response(StatusCode::OK, b),
        Err(e) => e.into_response(),
    }
}

/// 405 on a known path for any method but GET (HEAD too, as the reference).
async fn method_not_allowed() -> Response {
    ApiError::MethodNotAllowed.into_response()
}

/// A GET-only route (no HEAD, unlike axum's `get`); other methods answer 405. `slow` routes
/// (they await blocking work) get the handler timeout; the in-memory ones need no timer.
fn get_route<H, T>(h: H, slow: bool) -> MethodRouter<AppState>
where
    H: Handler<T, AppState>,
    T: 'static,
{
    // axum serves HEAD with the GET handler unless HEAD has its own: it gets the 405.
    let r = on(MethodFilter::GET, h)
        .on(MethodFilter::HEAD, method_not_allowed)
        .fallback(method_not_allowed);
    if slow {
        r.layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            HANDLER_TIMEOUT,
        ))
    } else {
        r
    }
}

async fn not_found() -> Response {
    ApiError::NotFound("Not Found".into()).into_response()
}

/// The API router over `state`. The request metrics are not in it: [`crate::serve`] wraps it in
/// [`crate::metrics::TrackLayer`] (outside the router, so no boxed layer); do the same when
/// serving it another way.
pub fn router(state: AppState) -> Router {
    let mut r = Router::new();
    let mut add = |paths: (&str, Option<&str>), h: MethodRouter<AppState>| {
        r = std::mem::take(&mut r).route(paths.0, h.clone());
        if let Some(a) = paths.1 {
            r = std::mem::take(&mut r).route(a, h);
        }
    };
    add(PATHS[0], get_route(liq::health, false));
    add(PATHS[1], get_route(zones::oi, false));
    add(PATHS[2], get_route(liq::liq_heatmap, false));
    add(PATHS[3], get_route(liq::liq_heatmap_v2, false));
    add(PATHS[4], get_route(liq::liq_stats, false));
    add(PATHS[5], get_route(history::v1_history, true));
    add(PATHS[6], get_route(history::v2_history, true));
    add(PATHS[7], get_route(zones::liq_zones, false));
    add(PATHS[8], get_route(zones::liq_zones_summary, false));
    add(PATHS[9], get_route(zones::liq_zones_heatmap, false));
    add(PATHS[10], get_route(orderbook::latest, false));
    add(PATHS[11], get_route(orderbook::history, true));
    add(PATHS[12], get_route(ob_stats::stats, false));
    add(PATHS[13], get_route(ob_stats::debug, false));
    add(PATHS[14], get_route(web::index, false));
    add(PATHS[15], get_route(crate::metrics::scrape, false));
    add(PATHS[16], get_route(forecast::liq_forecast, false));
    crate::metrics::warm();
    let cors = state.options().cors_origin.clone();
    let mut r = r
        .fallback(not_found)
        .with_state(state)
        .layer(middleware::from_fn_with_state(
            crate::gzip::GzipMemo::default(),
            crate::gzip::gzip_memo,
        ))
        .layer(CompressionLayer::new().gzip(true));
    if let Some(origin) = cors.and_then(|o| HeaderValue::from_str(&o).ok()) {
        r = r.layer(
            CorsLayer::new()
                .allow_origin(origin)
                .allow_methods([Method::GET]),
        );
    }
    r
}
