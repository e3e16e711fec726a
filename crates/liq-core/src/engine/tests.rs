//! The engine manager on live events: minute closes from event time, each symbol on its own
//! price, and both calibrator calls made (seed rules 2 and 6).

use std::sync::Arc;

use super::*;
use crate::calibrator::CalibratorConfig;
use crate::event::{
    EventKind, Exchange, Liquidation, MarkPrice, Market, OpenInterest, PriceKind, Sampling, Side,
    TakerSide, Trade,
};

fn manager() -> EngineManager {
    let compat = ReferenceCompat::fixed();
    let mut m = EngineManager::new(compat);
    for spec in SymbolSpec::defaults() {
        let (cal, _) = Calibrator::new(
            CalibratorConfig::runtime(&spec.symbol, spec.step, &compat),
            None,
        );
        let zones = ZoneManager::new(&spec.symbol, spec.step, &compat).unwrap();
        m.add_symbol(&spec, cal, zones).unwrap();
    }
    m
}

fn ev(symbol: &str, exchange: Exchange, ts: f64, kind: EventKind) -> MarketEvent {
    MarketEvent {
        exchange,
        market: Market::Perp,
        instrument: Arc::from(format!("{symbol}USDT")),
        symbol: Some(Arc::from(symbol)),
        exchange_ts: Some(ts),
        receive_ts: ts + 0.05,
        kind,
    }
}

fn mark(symbol: &str, ts: f64, p: f64) -> MarketEvent {
    ev(
        symbol,
        Exchange::Binance,
        ts,
        EventKind::MarkPrice(MarkPrice {
            mark_price: Some(p),
            ..MarkPrice::default()
        }),
    )
}

fn liq(symbol: &str, ts: f64, side: Side, p: f64) -> MarketEvent {
    ev(
        symbol,
        Exchange::Bybit,
        ts,
        EventKind::Liquidation(Liquidation {
            side,
            price: p,
            price_kind: PriceKind::Bankruptcy,
            order_price: None,
            qty: 0.5,
            notional_usd: p * 0.5,
            sampling: Sampling::Batched500ms,
        }),
    )
}

#[test]
fn live_minutes_close_from_event_time_and_feed_the_calibrator() {
    let mut m = manager();
    let t0 = 1_772_242_500.0; // a minute boundary
    let mut products = Vec::new();
    for minute in 0..20 {
        let base = t0 + 60.0 * f64::from(minute);
        for (i, s) in ["BTC", "ETH"].iter().enumerate() {
            let p = if i == 0 { 65000.0 } else { 1900.0 } * (1.0 + 0.0005 * f64::from(minute % 3));
            products.extend(m.advance_to(base + 1.0));
            m.on_event(&mark(s, base + 1.0, p));
            m.on_event(&ev(
                s,
                Exchange::Okx,
                base + 2.0,
                EventKind::OpenInterest(OpenInterest {
                    size: None,
                    oi_base: Some(100_000.0 + 50.0 * f64::from(minute)),
                    oi_usd: None,
                }),
            ));
            m.on_event(&ev(
                s,
                Exchange::Binance,
                base + 3.0,
                EventKind::Trade(Trade {
                    price: p,
                    size: 2.0,
                    qty: Some(2.0),
                    taker_side: if minute % 2 == 0 {
                        TakerSide::Buy
                    } else {
                        TakerSide::Sell
                    },
                }),
            ));
            m.on_event(&liq(s, base + 30.0, Side::Long, p * 0.996));
        }
    }
    products.extend(m.advance_to(t0 + 60.0 * 20.0 + 1.0));
    // SOL never had a price: it closes no minute, the others close every one.
    let count = |s: &str| products.iter().filter(|p| p.symbol == s).count();
    assert_eq!((count("BTC"), count("ETH"), count("SOL")), (20, 20, 0));
    assert!(products.iter().all(|p| p.error.is_none()));
    let btc = m.symbol("BTC").unwrap();
    // 20 liquidations reached the calibrator: 15 in the first window (one run), 5 since.
    let st = btc.calibrator().stats();
    assert_eq!(st.calibration_count, 1);
    assert_eq!(
        st.total_events, 5,
        "total_events grows with every liquidation"
    );
    assert_eq!(btc.heatmap().stats().tape.total_events, 20);
    let eth = m.symbol("ETH").unwrap();
    assert!(
        eth.heatmap().stats().inference.total_inferred_long_usd > 0.0,
        "OI rises feed projections"
    );
    let v2 = products
        .iter()
        .rev()
        .find(|p| p.symbol == "ETH")
        .and_then(|p| p.v2.as_ref());
    assert!(
        v2.is_some(),
        "ETH runs on its own mark price, never gated on BTC"
    );
}

#[test]
fn a_lost_connection_resyncs_that_exchanges_books_only() {
    use crate::event::{Depth, Level};
    use rust_decimal::Decimal;
    let mut m = manager();
    let lvl = |p: i64, s: i64| Level {
        price: Decimal::from(p),
        size: Decimal::from(s),
    };
    let snapshot = |exchange, ts| {
        ev(
            "BTC",
            exchange,
            ts,
            EventKind::DepthSnapshot(Depth {
                bids: vec![lvl(64_990, 2)],
                asks: vec![lvl(65_010, 3)],
                last_update_id: Some(1),
                cross_seq: Some(1),
                ..Depth::default()
            }),
        )
    };
    m.on_event(&snapshot(Exchange::Bybit, 1_000.0));
    m.on_event(&snapshot(Exchange::Binance, 1_000.0));
    let waiting = |m: &EngineManager| -> Vec<Exchange> {
        m.books_needing_snapshot()
            .into_iter()
            .map(|(_, ex, _)| ex)
            .collect()
    };
    assert!(waiting(&m).is_empty(), "both books synced");
    m.connection_lost(Exchange::Bybit, 1_001.0);
    assert_eq!(waiting(&m), vec![Exchange::Bybit]);
    let stats = m.symbol("BTC").unwrap().books_needing_snapshot();
    assert_eq!(stats.len(), 1);
    // A new snapshot on the stream syncs it again.
    m.on_event(&snapshot(Exchange::Bybit, 1_002.0));
    assert!(waiting(&m).is_empty());
}
