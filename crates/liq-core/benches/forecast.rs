//! The forecast's cost per minute close and symbol.
//!
//! Run: `cargo bench -p liq-core --bench forecast`. Results go in docs/PERFORMANCE.md.
//!
//! * `forecast/forecast/defaults`: `Forecaster::forecast` with the default parameters (three
//!   horizons, two sides: 1,206 reach weights with `erfc`, the zones and projection layers
//!   blurred and normalised) on layers shaped like a busy BTC minute (80 projected buckets and
//!   30 zones per side).
//! * `forecast/forecast/prior`: the same with no mass (the reach prior alone).
//! * `forecast/band_vector/200_pairs`: binning 200 `(price, value)` pairs around the price.

#![allow(missing_docs)] // criterion_group! generates undocumented items

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use liq_core::forecast::{ForecastParams, Forecaster, HorizonParams, MassInputs, band_vector};

fn inputs() -> MassInputs {
    let mut m = MassInputs::default();
    for s in 0..2 {
        for i in 0..80 {
            let j = if s == 0 { 20 + i } else { 100 + i };
            m.projection[s][j] = 1e5 * (1.0 + ((i * 37) % 11) as f64);
        }
        for i in 0..30 {
            let j = if s == 0 { 60 + i } else { 110 + i };
            m.zones[s][j] = 0.5 + ((i * 13) % 7) as f64;
        }
    }
    m
}

fn forecaster(params: ForecastParams) -> Forecaster {
    let mut f = Forecaster::new(params);
    for k in 0..1440 {
        f.on_minute(k, 90_000.0 + ((k * 7919) % 200) as f64);
    }
    f
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("forecast");
    let inp = inputs();
    let f = forecaster(ForecastParams::default());
    g.bench_function("forecast/defaults", |b| {
        b.iter(|| f.forecast(1439, black_box(90_050.0), 90_080.0, black_box(&inp)))
    });
    let f = forecaster(ForecastParams {
        horizons: [HorizonParams::PRIOR; 3],
    });
    g.bench_function("forecast/prior", |b| {
        b.iter(|| f.forecast(1439, black_box(90_050.0), 90_080.0, black_box(&inp)))
    });
    let pairs: Vec<(f64, f64)> = (0..200)
        .map(|i| (85_000.0 + 50.0 * i as f64, 1.0 + i as f64))
        .collect();
    g.bench_function("band_vector/200_pairs", |b| {
        b.iter(|| band_vector(black_box(90_050.0), black_box(&pairs)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
