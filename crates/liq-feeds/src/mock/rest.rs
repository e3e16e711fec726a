//! REST side of the mock: one axum server per exchange forwarding every GET to the source,
//! with Binance's request-weight accounting and injected faults.
//!
//! Binance USD-M ("General Info", limits): every answer carries `X-MBX-USED-WEIGHT-1M`, the
//! weight used in the current minute; past the budget (2400) the answer is 429 with
//! `Retry-After`; a client that keeps sending before `Retry-After` has passed gets 418 (an IP ban,
//! also with `Retry-After`). Weights ("Order Book"): depth limit 5/10/20/50 = 2, 100 = 5,
//! 500 (default) = 10, 1000 = 20; `openInterest`, `fundingRate` and the `/futures/data` ratio
//! endpoints count 1 here.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use liq_core::event::Exchange;
use tokio::net::TcpListener;
use tokio::time::Instant;

use super::counters::Counters;
use super::{Shared, idx, lock};

/// An injected REST fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RestFault {
    /// HTTP 429 with this `Retry-After` (seconds). On Binance it also arms the 418 rule.
    TooManyRequests {
        /// Seconds in the `Retry-After` header.
        retry_after: u32,
    },
    /// HTTP 500.
    ServerError,
}

/// Per-exchange REST state.
#[derive(Debug, Default)]
pub(crate) struct RestState {
    /// Injected faults, served first.
    pub(crate) faults: VecDeque<RestFault>,
    window_start: Option<Instant>,
    used: u32,
    retry_until: Option<Instant>,
    banned_until: Option<Instant>,
}

/// Serves REST for one exchange until shutdown.
pub(crate) async fn serve_rest(listener: TcpListener, exchange: Exchange, shared: Arc<Shared>) {
    let mut shutdown = shared.shutdown.clone();
    let app = Router::new()
        .fallback(handler)
        .with_state((exchange, shared));
    let stop = async move {
        let _ = shutdown.wait_for(|s| *s).await;
    };
    if let Err(e) = axum::serve(listener, app)
        .with_graceful_shutdown(stop)
        .await
    {
        tracing::warn!(%exchange, error = %e, "mock exchange: REST server failed");
    }
}

/// The Binance weight of a request.
fn binance_weight(path: &str, query: &str) -> u32 {
    if path == "/fapi/v1/depth" {
        let limit = query
            .split('&')
            .find_map(|kv| kv.strip_prefix("limit="))
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(500);
        return match limit {
            0..=50 => 2,
            51..=100 => 5,
            101..=500 => 10,
            _ => 20,
        };
    }
    1
}

/// Seconds, rounded up, at least 1.
fn secs_ceil(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0).max(u64::from(d.is_zero()))
}

/// A JSON response with optional extra headers.
fn json(status: StatusCode, body: String, headers: &[(&'static str, String)]) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    for (k, v) in headers {
        if let Ok(v) = HeaderValue::from_str(v) {
            r.headers_mut().insert(*k, v);
        }
    }
    r
}

/// The exchange's body for a rate-limit answer.
fn too_many_body(exchange: Exchange) -> String {
    match exchange {
        Exchange::Binance => r#"{"code":-1003,"msg":"Too many requests; please use the websocket for live updates to avoid polling the API."}"#,
        Exchange::Bybit => r#"{"retCode":10006,"retMsg":"Too many visits!","result":{},"retExtInfo":{},"time":0}"#,
        Exchange::Okx => r#"{"code":"50011","msg":"Too Many Requests","data":[]}"#,
    }
    .to_owned()
}

/// Decides a rate-limit or fault answer before the source is asked.
fn gate(
    st: &mut RestState,
    exchange: Exchange,
    shared: &Shared,
    path: &str,
    query: &str,
) -> Result<Option<String>, Box<Response>> {
    let c = shared.counters(exchange);
    let now = Instant::now();
    let cfg = &shared.cfg;
    let mut used_header = None;
    if exchange == Exchange::Binance {
        let window = cfg.rest_weight_window.max(Duration::from_millis(1));
        let start = *st.window_start.get_or_insert(now);
        if now.duration_since(start) >= window {
            let n = now.duration_since(start).as_nanos() / window.as_nanos();
            let advance = window.saturating_mul(u32::try_from(n).unwrap_or(u32::MAX));
            st.window_start = Some(start + advance);
            st.used = 0;
        }
        if let Some(until) = st.banned_until.filter(|u| now < *u) {
            Counters::inc(&c.rest_418);
            let ra = secs_ceil(until - now).to_string();
            return Err(Box::new(json(
                StatusCode::IM_A_TEAPOT,
                r#"{"code":-1003,"msg":"Way too much request weight used; IP banned. Please use WebSocket Streams for live updates to avoid bans."}"#.to_owned(),
                &[("Retry-After", ra), ("X-MBX-USED-WEIGHT-1M", st.used.to_string())],
            )));
        }
        if st.retry_until.is_some_and(|u| now < u) {
            // The client did not wait for Retry-After: ban.
            st.banned_until = Some(now + cfg.rest_ban);
            st.retry_until = None;
            Counters::inc(&c.rest_418);
            return Err(Box::new(json(
                StatusCode::IM_A_TEAPOT,
                r#"{"code":-1003,"msg":"Way too much request weight used; IP banned. Please use WebSocket Streams for live updates to avoid bans."}"#.to_owned(),
                &[("Retry-After", secs_ceil(cfg.rest_ban).to_string()), ("X-MBX-USED-WEIGHT-1M", st.used.to_string())],
            )));
        }
    }
    if let Some(fault) = st.faults.pop_front() {
        Counters::inc(&c.faults_injected);
        return Err(Box::new(match fault {
            RestFault::TooManyRequests { retry_after } => {
                Counters::inc(&c.rest_429);
                if exchange == Exchange::Binance {
                    st.retry_until = Some(now + Duration::from_secs(u64::from(retry_after)));
                }
                json(
                    StatusCode::TOO_MANY_REQUESTS,
                    too_many_body(exchange),
                    &[
                        ("Retry-After", retry_after.to_string()),
                        ("X-MBX-USED-WEIGHT-1M", st.used.to_string()),
                    ],
                )
            }
            RestFault::ServerError => {
                Counters::inc(&c.rest_500);
                json(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    r#"{"code":-1000,"msg":"An unknown error occurred while processing the request."}"#.to_owned(),
                    &[],
                )
            }
        }));
    }
    if exchange == Exchange::Binance {
        let weight = binance_weight(path, query);
        if st.used + weight > cfg.rest_weight_limit {
            let window = cfg.rest_weight_window.max(Duration::from_millis(1));
            let end = st.window_start.unwrap_or(now) + window;
            st.retry_until = Some(end);
            Counters::inc(&c.rest_429);
            return Err(Box::new(json(
                StatusCode::TOO_MANY_REQUESTS,
                too_many_body(exchange),
                &[
                    (
                        "Retry-After",
                        secs_ceil(end.saturating_duration_since(now)).to_string(),
                    ),
                    ("X-MBX-USED-WEIGHT-1M", st.used.to_string()),
                ],
            )));
        }
        st.used += weight;
        used_header = Some(st.used.to_string());
    }
    Ok(used_header)
}

/// Every request: rate limits and faults, then the source.
async fn handler(
    State((exchange, shared)): State<(Exchange, Arc<Shared>)>,
    method: Method,
    uri: Uri,
) -> Response {
    let c = shared.counters(exchange);
    Counters::inc(&c.rest_requests);
    if method != Method::GET {
        return json(StatusCode::METHOD_NOT_ALLOWED, "{}".to_owned(), &[]);
    }
    let path = uri.path();
    let query = uri.query().unwrap_or("");
    let used = {
        let mut all = lock(&shared.rest);
        match gate(&mut all[idx(exchange)], exchange, &shared, path, query) {
            Ok(u) => u,
            Err(resp) => return *resp,
        }
    };
    let now = shared.now();
    let answer = lock(&shared.source).rest(exchange, path, query, now);
    let headers: Vec<(&'static str, String)> = used
        .map(|u| vec![("X-MBX-USED-WEIGHT-1M", u)])
        .unwrap_or_default();
    match answer {
        Some(a) => {
            let status = StatusCode::from_u16(a.status).unwrap_or(StatusCode::OK);
            json(status, a.body, &headers)
        }
        None => {
            Counters::inc(&c.rest_404);
            json(
                StatusCode::NOT_FOUND,
                format!(r#"{{"code":-1,"msg":"mock: no answer for {path}"}}"#),
                &headers,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_and_rounding() {
        assert_eq!(
            binance_weight("/fapi/v1/depth", "symbol=BTCUSDT&limit=1000"),
            20
        );
        assert_eq!(binance_weight("/fapi/v1/depth", "symbol=BTCUSDT"), 10);
        assert_eq!(binance_weight("/fapi/v1/depth", "limit=5"), 2);
        assert_eq!(binance_weight("/fapi/v1/openInterest", "symbol=BTCUSDT"), 1);
        assert_eq!(secs_ceil(Duration::from_millis(1500)), 2);
        assert_eq!(secs_ceil(Duration::from_secs(3)), 3);
        assert_eq!(secs_ceil(Duration::ZERO), 1);
    }
}
