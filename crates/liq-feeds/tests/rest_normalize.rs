//! Every REST request the feeds make, with a documented answer, goes through liq_core's
//! normalizer as the engine will see it (`frame_of`): the request's stream and instrument make
//! the right event.

use std::sync::Arc;

use liq_core::event::{EventKind, Exchange, RatioKind};
use liq_core::normalize::{Batch, Normalizer, StreamKind};
use liq_core::symbols::SymbolRegistry;
use liq_feeds::frame_of;
use liq_feeds::rest::endpoints::*;

fn normalize(req: &RestRequest, body: &str) -> Batch {
    let mut n = Normalizer::new(Arc::new(SymbolRegistry::default_registry()));
    let mut b = Batch::default();
    let m = req.answer(1_700_000_000.0, body.to_owned());
    n.normalize(&frame_of(&m), &mut b);
    assert!(b.errors.is_empty(), "{:?}", b.errors);
    b
}

fn oi_base(b: &Batch) -> f64 {
    match &b.events[..] {
        [e] => match &e.kind {
            EventKind::OpenInterest(oi) => oi.oi_base.unwrap(),
            k => panic!("{k:?}"),
        },
        evs => panic!("{evs:?}"),
    }
}

#[test]
fn binance_open_interest_in_base_units() {
    let req = binance_open_interest("https://fapi.binance.com", "BTCUSDT");
    let b = normalize(
        &req,
        r#"{"symbol":"BTCUSDT","openInterest":"78555.499","time":1706607138470}"#,
    );
    assert_eq!(oi_base(&b), 78555.499);
    assert_eq!(b.events[0].symbol.as_deref(), Some("BTC"));
}

#[test]
fn binance_trader_ratios() {
    for kind in [
        RatioKind::TopAccount,
        RatioKind::TopPosition,
        RatioKind::GlobalAccount,
    ] {
        let req = binance_ratio("https://fapi.binance.com", kind, "BTCUSDT", "5m");
        let b = normalize(
            &req,
            r#"[{"symbol":"BTCUSDT","longShortRatio":"1.4342","longAccount":"0.5891","shortAccount":"0.4108","timestamp":"1583139600000"}]"#,
        );
        match &b.events[..] {
            [e] => match &e.kind {
                EventKind::TraderRatio(r) => assert_eq!(r.kind, kind),
                k => panic!("{k:?}"),
            },
            evs => panic!("{evs:?}"),
        }
    }
}

#[test]
fn binance_depth_snapshot_names_its_instrument() {
    let req = binance_depth("https://fapi.binance.com", "ETHUSDT", 1000);
    let b = normalize(
        &req,
        r#"{"lastUpdateId":1027024,"E":1589436922972,"T":1589436922959,"bids":[["4.00000000","431.00000000"]],"asks":[["4.00000200","12.00000000"]]}"#,
    );
    assert!(matches!(b.events[0].kind, EventKind::DepthSnapshot(_)));
    assert_eq!(&*b.events[0].instrument, "ETHUSDT");
    assert_eq!(b.stream, Some(StreamKind::Depth));
}

#[test]
fn bybit_tickers_and_open_interest() {
    let req = bybit_tickers("https://api.bybit.com", "BTCUSDT");
    let b = normalize(
        &req,
        r#"{"retCode":0,"retMsg":"OK","result":{"category":"linear","list":[{"symbol":"BTCUSDT","lastPrice":"16597.00","indexPrice":"16598.54","markPrice":"16596.00","openInterest":"373504107","openInterestValue":"6198797.48","fundingRate":"-0.000212","nextFundingTime":"1672387200000"}]},"retExtInfo":{},"time":1672376496682}"#,
    );
    let oi: Vec<f64> = b
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::OpenInterest(oi) => oi.oi_base,
            _ => None,
        })
        .collect();
    assert_eq!(oi, vec![373504107.0]);
    let req = bybit_open_interest("https://api.bybit.com", "BTCUSDT");
    let b = normalize(
        &req,
        r#"{"retCode":0,"retMsg":"OK","result":{"symbol":"BTCUSDT","category":"linear","list":[{"openInterest":"461134384.00000000","timestamp":"1669571400000"}],"nextPageCursor":""},"retExtInfo":{},"time":1672053548579}"#,
    );
    assert_eq!(oi_base(&b), 461134384.0);
}

#[test]
fn okx_open_interest_uses_oi_ccy() {
    let req = okx_open_interest("https://www.okx.com", "BTC-USDT-SWAP");
    let b = normalize(
        &req,
        r#"{"code":"0","data":[{"instId":"BTC-USDT-SWAP","instType":"SWAP","oi":"2507996","oiCcy":"25079.96","oiUsd":"1088210000","ts":"1706607138454"}],"msg":""}"#,
    );
    assert_eq!(oi_base(&b), 25079.96);
    assert_eq!(b.events[0].exchange, Exchange::Okx);
}

#[test]
fn a_resent_liquidation_after_a_reconnect_is_dropped_once_by_the_normalizer() {
    // DECISIONS feeds 4: the connector forwards both copies untouched; the normalizer's window
    // drops the second and counts it.
    let frame = r#"{"arg":{"channel":"liquidation-orders","instType":"SWAP"},"data":[{"details":[{"bkLoss":"0","bkPx":"65550.1","ccy":"","posSide":"long","side":"sell","sz":"12","ts":"1772244395000"}],"instFamily":"BTC-USDT","instId":"BTC-USDT-SWAP","instType":"SWAP","uly":"BTC-USDT"}]}"#;
    let msg = |ts: f64| liq_feeds::WireMsg {
        ts,
        exchange: Exchange::Okx,
        market: liq_core::event::Market::Perp,
        instrument: "*".into(),
        stream: StreamKind::Liquidations,
        topic: "liquidation-orders:SWAP".into(),
        payload: frame.into(),
    };
    let mut n = Normalizer::new(Arc::new(SymbolRegistry::default_registry()));
    let mut b = Batch::default();
    n.normalize(&frame_of(&msg(1_772_244_395.2)), &mut b);
    assert_eq!(b.events.len(), 1);
    n.normalize(&frame_of(&msg(1_772_244_397.0)), &mut b);
    assert_eq!(b.events.len(), 0);
    assert_eq!(
        n.stream_stats(Exchange::Okx, StreamKind::Liquidations)
            .duplicates,
        1
    );
}
