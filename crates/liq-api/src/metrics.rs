//! Prometheus metrics (`GET /metrics`): the [`metrics`](::metrics) facade recorded by
//! `metrics-exporter-prometheus`, installed once per process by [`install`].
//!
//! The API records per-route request counters (label `path`: the route's path from a fixed
//! table, never the raw URI; label `status`: the status class), a latency histogram per route
//! and the response cache's hits and misses, through handles resolved once (an atomic add per
//! request). Scrape-time gauges computed from the [`AppState`] (snapshot age per symbol and
//! version, history frames, cache entries) are appended to the exporter's text.
//!
//! Other crates (the feeds) register their own series with the facade's macros, for example
//! `metrics::counter!("feed_messages_total", "exchange" => "binance").increment(1)`; they land
//! in the same exposition once [`install`] has run (call it at process start, before the feeds
//! resolve their handles: a handle taken before the install stays a no-op).

use std::fmt::Write as _;
use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use ::metrics::{
    Counter, Histogram, Unit, counter, describe_counter, describe_histogram, histogram,
};
use axum::body::Body;
use axum::extract::State;
use axum::http::{self as http, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use pin_project_lite::pin_project;
use tower::{Layer, Service};

use crate::routes::PATHS;
use crate::state::{AppState, Version};

/// Requests answered, by `path` and `status` class (`2xx`, `4xx`, ...).
pub const REQUESTS_TOTAL: &str = "liq_api_requests_total";
/// Time from the request's arrival to its response head, seconds, by `path`.
pub const REQUEST_DURATION: &str = "liq_api_request_duration_seconds";
/// Response-cache lookups, by `result` (`hit`, `miss`).
pub const CACHE_LOOKUPS: &str = "liq_api_cache_lookups_total";
/// `now - ts` of the published snapshot, seconds, by `symbol` and `version` (scrape time).
pub const SNAPSHOT_AGE: &str = "liq_api_snapshot_age_seconds";
/// Frames in the liquidation history buffer, by `symbol` and `version` (scrape time).
pub const HISTORY_FRAMES: &str = "liq_api_history_frames";
/// Entries in the response cache (scrape time).
pub const CACHE_ENTRIES: &str = "liq_api_cache_entries";
/// The `path` label of a request to no known route.
pub const OTHER_PATH: &str = "other";
/// Upper bounds of the latency histogram's buckets, seconds.
pub const LATENCY_BUCKETS: [f64; 14] = [
    0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 10.0,
];
/// How often the exporter's upkeep (histogram draining) runs.
pub const UPKEEP_EVERY: Duration = Duration::from_secs(5);
/// `content-type` of the exposition.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Why the exporter could not be installed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum MetricsError {
    /// Another global `metrics` recorder was installed first.
    #[error("cannot install the Prometheus recorder: {0}")]
    Install(String),
}

static HANDLE: OnceLock<Result<PrometheusHandle, MetricsError>> = OnceLock::new();

/// Installs the Prometheus recorder as the process's global `metrics` recorder (idempotent:
/// every later call returns the first call's result) and starts its upkeep thread.
pub fn install() -> Result<&'static PrometheusHandle, MetricsError> {
    HANDLE
        .get_or_init(|| {
            let handle = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(REQUEST_DURATION.into()), &LATENCY_BUCKETS)
                .map_err(|e| MetricsError::Install(e.to_string()))?
                .install_recorder()
                .map_err(|e| MetricsError::Install(e.to_string()))?;
            describe();
            let upkeep = handle.clone();
            let spawned = std::thread::Builder::new()
                .name("metrics-upkeep".into())
                .spawn(move || {
                    loop {
                        std::thread::sleep(UPKEEP_EVERY);
                        upkeep.run_upkeep();
                    }
                });
            if let Err(e) = spawned {
                // Scrapes drain the histograms too; only an unscraped process grows.
                tracing::warn!(error = %e, "metrics upkeep thread not started");
            }
            Ok(handle)
        })
        .as_ref()
        .map_err(Clone::clone)
}

fn describe() {
    describe_counter!(
        REQUESTS_TOTAL,
        "HTTP requests answered, by route and status class"
    );
    describe_histogram!(
        REQUEST_DURATION,
        Unit::Seconds,
        "Time from request to response head, by route"
    );
    describe_counter!(CACHE_LOOKUPS, "Response-cache lookups, by result");
}

/// Status classes, index `status / 100 - 1`.
const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

/// Handles resolved against the installed recorder, each on its first use (a series appears
/// once it has a value).
struct Handles {
    /// Every route path (primaries and aliases), then [`OTHER_PATH`].
    paths: Vec<&'static str>,
    requests: Vec<[OnceLock<Counter>; 5]>,
    latency: Vec<OnceLock<Histogram>>,
    cache_hit: Counter,
    cache_miss: Counter,
}

fn handles() -> &'static Handles {
    static H: OnceLock<Handles> = OnceLock::new();
    H.get_or_init(|| {
        if let Err(e) = install() {
            tracing::warn!(error = %e, "request metrics disabled");
        }
        let mut paths: Vec<&'static str> = PATHS
            .iter()
            .flat_map(|(p, a)| std::iter::once(*p).chain(*a))
            .collect();
        paths.push(OTHER_PATH);
        Handles {
            requests: paths
                .iter()
                .map(|_| std::array::from_fn(|_| OnceLock::new()))
                .collect(),
            latency: paths.iter().map(|_| OnceLock::new()).collect(),
            paths,
            cache_hit: counter!(CACHE_LOOKUPS, "result" => "hit"),
            cache_miss: counter!(CACHE_LOOKUPS, "result" => "miss"),
        }
    })
}

/// Counts a response-cache lookup.
pub(crate) fn cache_lookup(hit: bool) {
    let h = handles();
    if hit {
        h.cache_hit.increment(1);
    } else {
        h.cache_miss.increment(1);
    }
}

/// Resolves the handles (and installs the recorder) ahead of the first request.
pub(crate) fn warm() {
    handles();
}

/// The layer [`crate::serve`] puts around the router: counts every response by route and status
/// class and records its latency. A plain tower layer (no boxed future, no boxed service); wrap
/// the router in it when serving [`crate::router`] another way.
#[derive(Debug, Clone, Copy, Default)]
pub struct TrackLayer;

impl<S> Layer<S> for TrackLayer {
    type Service = Track<S>;

    fn layer(&self, inner: S) -> Track<S> {
        Track { inner }
    }
}

/// The service of [`TrackLayer`].
#[derive(Debug, Clone)]
pub struct Track<S> {
    inner: S,
}

impl<S, B, R> Service<http::Request<B>> for Track<S>
where
    S: Service<http::Request<B>, Response = http::Response<R>>,
{
    type Response = http::Response<R>;
    type Error = S::Error;
    type Future = TrackFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let start = Instant::now();
        let path = req.uri().path();
        let h = handles();
        let route = h
            .paths
            .iter()
            .position(|p| *p == path)
            .unwrap_or(h.paths.len() - 1);
        TrackFuture {
            inner: self.inner.call(req),
            route,
            start,
        }
    }
}

pin_project! {
    /// The response future of [`Track`].
    pub struct TrackFuture<F> {
        #[pin]
        inner: F,
        route: usize,
        start: Instant,
    }
}

impl<F, R, E> Future for TrackFuture<F>
where
    F: Future<Output = Result<http::Response<R>, E>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let out = ready!(this.inner.poll(cx));
        if let Ok(resp) = &out {
            record(*this.route, resp.status(), *this.start);
        }
        Poll::Ready(out)
    }
}

fn record(route: usize, status: StatusCode, start: Instant) {
    let h = handles();
    let class = usize::from(status.as_u16() / 100).clamp(1, 5) - 1;
    let path = h.paths[route];
    h.requests[route][class]
        .get_or_init(|| counter!(REQUESTS_TOTAL, "path" => path, "status" => CLASSES[class]))
        .increment(1);
    h.latency[route]
        .get_or_init(|| histogram!(REQUEST_DURATION, "path" => path))
        .record(start.elapsed().as_secs_f64());
}

/// `GET /metrics`: the exporter's text plus the scrape-time gauges of `state`. Never cached.
pub(crate) async fn scrape(State(state): State<AppState>) -> Response {
    let handle = match install() {
        Ok(h) => h,
        Err(e) => {
            return (StatusCode::SERVICE_UNAVAILABLE, e.to_string()).into_response();
        }
    };
    let mut body = handle.render();
    state_gauges(&state, &mut body);
    let mut resp = Response::new(Body::from(body));
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    resp
}

/// Appends the gauges computed from `state` at scrape time.
fn state_gauges(state: &AppState, out: &mut String) {
    let now = state.now();
    let versions = [(Version::V1, "v1"), (Version::V2, "v2")];
    let _ = writeln!(
        out,
        "# HELP {SNAPSHOT_AGE} Seconds since the published snapshot's ts\n# TYPE {SNAPSHOT_AGE} gauge"
    );
    for slot in state.slots() {
        for (v, name) in versions {
            if let Some(s) = slot.snapshot(v) {
                let _ = writeln!(
                    out,
                    "{SNAPSHOT_AGE}{{symbol=\"{}\",version=\"{name}\"}} {}",
                    slot.info.name,
                    now - s.ts
                );
            }
        }
    }
    let _ = writeln!(
        out,
        "# HELP {HISTORY_FRAMES} Frames in the liquidation history buffer\n# TYPE {HISTORY_FRAMES} gauge"
    );
    for slot in state.slots() {
        for (v, name) in versions {
            let _ = writeln!(
                out,
                "{HISTORY_FRAMES}{{symbol=\"{}\",version=\"{name}\"}} {}",
                slot.info.name,
                slot.history(v).len()
            );
        }
    }
    let _ = writeln!(
        out,
        "# HELP {CACHE_ENTRIES} Entries in the response cache\n# TYPE {CACHE_ENTRIES} gauge\n{CACHE_ENTRIES} {}",
        state.cache().len()
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn install_is_idempotent() {
        let a = install().map(|h| h as *const _);
        let b = install().map(|h| h as *const _);
        assert!(a.is_ok());
        assert_eq!(a.ok(), b.ok());
    }

    #[test]
    fn every_route_has_handles() {
        let h = handles();
        assert_eq!(h.paths.last(), Some(&OTHER_PATH));
        assert!(h.paths.contains(&"/v2/liq_heatmap"));
        assert_eq!(h.requests.len(), h.paths.len());
        assert_eq!(h.latency.len(), h.paths.len());
    }
}
