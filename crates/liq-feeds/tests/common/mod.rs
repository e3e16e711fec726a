//! Helpers shared by the simulator tests: running a simulator and normalizing its messages.

#![allow(dead_code)]

use std::sync::Arc;

use liq_core::event::{Exchange, Market, RatioKind};
use liq_core::normalize::{Batch, Frame, Normalizer, StreamKind};
use liq_core::symbols::SymbolRegistry;
use liq_feeds::sim::{SimConfig, Simulator};
use liq_feeds::{MarketSource, WireMsg};

/// Runs `sim` for `secs` seconds in `chunk`-second advances, calling `each` after every chunk
/// with the chunk's messages and the chunk's end time.
pub fn run(
    sim: &mut Simulator,
    secs: u32,
    chunk: u32,
    mut each: impl FnMut(&mut Simulator, &[WireMsg], f64),
) {
    let start = sim.start_ts();
    let mut out = Vec::new();
    let mut t = 0;
    while t < secs {
        t = (t + chunk).min(secs);
        out.clear();
        let until = start + f64::from(t);
        sim.advance(until, &mut out);
        each(sim, &out, until);
    }
}

/// A normalizer over the default registry.
pub fn normalizer() -> Normalizer {
    Normalizer::new(Arc::new(SymbolRegistry::default_registry()))
}

/// Normalizes one WebSocket message as a connector would (Binance wrapped in its
/// combined-stream envelope).
pub fn normalize_ws(n: &mut Normalizer, m: &WireMsg, out: &mut Batch) {
    let wrapped;
    let payload = if m.exchange == Exchange::Binance {
        wrapped = format!("{{\"stream\":\"{}\",\"data\":{}}}", m.topic, m.payload);
        wrapped.as_str()
    } else {
        m.payload.as_str()
    };
    let frame = Frame {
        exchange: m.exchange,
        market: Market::Perp,
        stream: Some(m.stream),
        instrument: None,
        payload,
        receive_ts: m.ts,
    };
    n.normalize(&frame, out);
}

/// Normalizes a REST body.
pub fn normalize_rest(
    n: &mut Normalizer,
    exchange: Exchange,
    stream: StreamKind,
    instrument: &str,
    body: &str,
    now: f64,
    out: &mut Batch,
) {
    let frame = Frame {
        exchange,
        market: Market::Perp,
        stream: Some(stream),
        instrument: Some(instrument),
        payload: body,
        receive_ts: now,
    };
    n.normalize(&frame, out);
}

/// The REST polls a service makes: (exchange, path, query, stream, instrument).
pub fn rest_polls() -> Vec<(Exchange, &'static str, String, StreamKind, String)> {
    let mut v = Vec::new();
    for s in ["BTC", "ETH", "SOL"] {
        let usdt = format!("{s}USDT");
        let swap = format!("{s}-USDT-SWAP");
        v.push((
            Exchange::Binance,
            "/fapi/v1/openInterest",
            format!("symbol={usdt}"),
            StreamKind::OpenInterest,
            usdt.clone(),
        ));
        v.push((
            Exchange::Bybit,
            "/v5/market/open-interest",
            format!("category=linear&symbol={usdt}&intervalTime=5min&limit=3"),
            StreamKind::OpenInterest,
            usdt.clone(),
        ));
        v.push((
            Exchange::Bybit,
            "/v5/market/tickers",
            format!("category=linear&symbol={usdt}"),
            StreamKind::Ticker,
            usdt.clone(),
        ));
        v.push((
            Exchange::Okx,
            "/api/v5/public/open-interest",
            format!("instType=SWAP&instId={swap}"),
            StreamKind::OpenInterest,
            swap.clone(),
        ));
    }
    for (path, kind) in [
        ("topLongShortAccountRatio", RatioKind::TopAccount),
        ("topLongShortPositionRatio", RatioKind::TopPosition),
        ("globalLongShortAccountRatio", RatioKind::GlobalAccount),
    ] {
        let p: &'static str = match path {
            "topLongShortAccountRatio" => "/futures/data/topLongShortAccountRatio",
            "topLongShortPositionRatio" => "/futures/data/topLongShortPositionRatio",
            _ => "/futures/data/globalLongShortAccountRatio",
        };
        v.push((
            Exchange::Binance,
            p,
            "symbol=BTCUSDT&period=5m&limit=30".into(),
            StreamKind::TraderRatio(kind),
            "BTCUSDT".into(),
        ));
    }
    v
}

/// The demo-history config with the liquidation log on.
pub fn logged(seed: u64) -> SimConfig {
    SimConfig {
        seed,
        keep_liquidation_log: true,
        ..SimConfig::demo_history()
    }
}
