//! The cost of the request-metrics middleware, in process and without sockets: the same cached
//! request (`/liq_heatmap_v2?symbol=BTC`) through the bare router, through the router with one
//! more no-op axum `from_fn` middleware (what the first version's metrics middleware cost before
//! it recorded anything) and through the router wrapped in [`liq_api::metrics::TrackLayer`], as
//! `serve` runs it; the differences are the costs of the two. Rounds alternate so that other
//! load on the machine hits all three alike.
//!
//! `cargo run --release -p liq-api --example metrics_overhead [GOLDEN_DIR]`

use std::convert::Infallible;
use std::path::PathBuf;
use std::time::Instant;

use axum::body::Body;
use axum::http::Request;
use axum::middleware;
use liq_api::metrics::TrackLayer;
use liq_api::{Clock, Options, load_dir, router};
use tower::{Layer, Service, ServiceExt};

const PER_ROUND: u32 = 200_000;
const ROUNDS: usize = 11;

async fn run<S>(r: &mut S, n: u32) -> f64
where
    S: Service<Request<Body>, Response = axum::response::Response, Error = Infallible>,
{
    let start = Instant::now();
    for _ in 0..n {
        let req = Request::get("/liq_heatmap_v2?symbol=BTC")
            .body(Body::empty())
            .unwrap_or_default();
        let svc = ServiceExt::<Request<Body>>::ready(r)
            .await
            .unwrap_or_else(|e| match e {});
        let resp = svc.call(req).await.unwrap_or_else(|e| match e {});
        assert_eq!(resp.status(), 200);
    }
    start.elapsed().as_secs_f64() * 1e9 / f64::from(n)
}

async fn noop(req: axum::extract::Request, next: middleware::Next) -> axum::response::Response {
    next.run(req).await
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let dir = std::env::args_os().nth(1).map(PathBuf::from).or_else(|| {
        liq_store::shared_fixtures::dir("metrics_overhead").map(|d| d.join("golden/2026-02-28"))
    });
    let Some(dir) = dir else {
        eprintln!("no golden directory: pass one as the first argument");
        std::process::exit(2);
    };
    let (state, _reloader) = load_dir(&dir, Clock::System, Options::default());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let mut served = router(state.clone());
        let mut noop = router(state.clone()).layer(middleware::from_fn(noop));
        let mut doubled = TrackLayer.layer(router(state));
        run(&mut served, 20_000).await;
        run(&mut noop, 20_000).await;
        run(&mut doubled, 20_000).await;
        let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
        for round in 0..ROUNDS {
            let x = run(&mut served, PER_ROUND).await;
            let y = run(&mut noop, PER_ROUND).await;
            let z = run(&mut doubled, PER_ROUND).await;
            println!(
                "round {round}: router {x:.0} ns/req, + no-op from_fn layer {y:.0}, + TrackLayer {z:.0}"
            );
            a.push(x);
            b.push(y);
            c.push(z);
        }
        let min = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
        println!(
            "min ns/req: router {:.0}, + no-op from_fn layer {:.0}, + TrackLayer {:.0}",
            min(&a),
            min(&b),
            min(&c)
        );
        let (x, y, z) = (median(a), median(b), median(c));
        println!(
            "median ns/req: router {x:.0}, + no-op from_fn layer {y:.0}, + TrackLayer {z:.0}: \
             the TrackLayer costs {:.0} ns, a no-op from_fn layer {:.0} ns",
            z - x,
            y - x
        );
    });
}
