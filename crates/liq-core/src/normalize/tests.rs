//! Test vectors N1-N25 of spec/feeds_and_service.md 2.4 (docs-correct column where it differs).

use std::sync::Arc;

use super::*;
use crate::event::{EventKind, Liquidation, MarketEvent, PriceKind, Sampling, Side};
use crate::symbols::SymbolRegistry;

const NOW: f64 = 1_800_000_000.5;

fn norm() -> Normalizer {
    Normalizer::new(Arc::new(SymbolRegistry::default_registry()))
}

fn run(n: &mut Normalizer, ex: Exchange, stream: Option<StreamKind>, payload: &str) -> Batch {
    let mut b = Batch::default();
    let frame = Frame {
        exchange: ex,
        market: Market::Perp,
        stream,
        instrument: None,
        payload,
        receive_ts: NOW,
    };
    n.normalize(&frame, &mut b);
    b
}

fn liqs(b: &Batch) -> Vec<(&str, Side, f64, f64, f64, f64)> {
    b.events
        .iter()
        .map(|e| match &e.kind {
            EventKind::Liquidation(l) => (
                e.symbol.as_deref().unwrap_or("?"),
                l.side,
                l.price,
                l.qty,
                l.notional_usd,
                e.exchange_ts.unwrap_or(f64::NAN),
            ),
            other => panic!("not a liquidation: {other:?}"),
        })
        .collect()
}

const LIQ: Option<StreamKind> = Some(StreamKind::Liquidations);

#[test]
fn n1_binance_docs_sample_filled() {
    let mut n = norm();
    let b = run(
        &mut n,
        Exchange::Binance,
        LIQ,
        r#"{"e":"forceOrder","E":1568014460893,"o":{"s":"BTCUSDT","S":"SELL","o":"LIMIT","f":"IOC","q":"0.014","p":"9910","ap":"9910","X":"FILLED","l":"0.014","z":"0.014","T":1568014460893}}"#,
    );
    assert_eq!(
        liqs(&b),
        vec![("BTC", Side::Long, 9910.0, 0.014, 138.74, 1568014460.893)]
    );
    let MarketEvent {
        kind: EventKind::Liquidation(l),
        ..
    } = &b.events[0]
    else {
        unreachable!()
    };
    assert_eq!(l.price_kind, PriceKind::AverageFill);
    assert_eq!(l.order_price, Some(9910.0));
    assert_eq!(l.sampling, Sampling::LatestPerSymbolPer1000ms);
}

#[test]
fn n2_n3_binance_replay_frames() {
    let mut n = norm();
    let b = run(
        &mut n,
        Exchange::Binance,
        LIQ,
        r#"{"e":"forceOrder","o":{"s":"BTCUSDT","S":"BUY","q":"0.006","p":"66143.20","T":1772244490564}}"#,
    );
    assert_eq!(
        liqs(&b),
        vec![("BTC", Side::Short, 66143.2, 0.006, 396.8592, 1772244490.564)]
    );
    let b = run(
        &mut n,
        Exchange::Binance,
        None,
        r#"{"e":"forceOrder","o":{"s":"ETHUSDT","S":"SELL","q":"1.120","p":"1914.16","T":1772244189347}}"#,
    );
    assert_eq!(liqs(&b)[0].4, 2143.8592000000003);
    assert_eq!(liqs(&b)[0].1, Side::Long);
}

#[test]
fn binance_partial_fill_uses_order_quantity() {
    let mut n = norm();
    let b = run(
        &mut n,
        Exchange::Binance,
        LIQ,
        r#"{"e":"forceOrder","o":{"s":"BTCUSDT","S":"SELL","q":"1.0","p":"65000","ap":"64990","X":"EXPIRED","z":"0.4","T":1}}"#,
    );
    let EventKind::Liquidation(Liquidation {
        price,
        qty,
        price_kind,
        ..
    }) = &b.events[0].kind
    else {
        unreachable!()
    };
    assert_eq!(
        (*price, *qty, *price_kind),
        (65000.0, 1.0, PriceKind::Order)
    );
}

#[test]
fn n4_n5_unmapped_instruments_are_counted_not_errors() {
    let mut n = norm();
    for s in ["BTCUSDT_260327", "BTCDOMUSDT", "ETHBTC", "BTCUSDC"] {
        let p =
            format!(r#"{{"e":"forceOrder","o":{{"s":"{s}","S":"SELL","q":"1","p":"2","T":1}}}}"#);
        let b = run(&mut n, Exchange::Binance, LIQ, &p);
        assert!(b.events.is_empty() && b.errors.is_empty(), "{s}");
    }
    let st = n.stream_stats(Exchange::Binance, StreamKind::Liquidations);
    assert_eq!(st.unknown_instrument, 4);
    assert_eq!(st.invalid, 0);
}

#[test]
fn n6_lower_case_side_rejected_missing_time_falls_back() {
    let mut n = norm();
    let b = run(
        &mut n,
        Exchange::Binance,
        LIQ,
        r#"{"e":"forceOrder","o":{"s":"BTCUSDT","S":"sell","q":"0.5","p":"65000"}}"#,
    );
    assert!(b.events.is_empty());
    assert!(matches!(b.errors[0].reason, Reason::BadSide { .. }));
    let b = run(
        &mut n,
        Exchange::Binance,
        LIQ,
        r#"{"e":"forceOrder","o":{"s":"BTCUSDT","S":"SELL","q":"0.5","p":"65000"}}"#,
    );
    assert_eq!(liqs(&b)[0].5, NOW);
    assert_eq!(
        n.stream_stats(Exchange::Binance, StreamKind::Liquidations)
            .time_fallback,
        1
    );
}

#[test]
fn n7_to_n10_bad_numbers_and_shapes_are_typed_errors() {
    let mut n = norm();
    let cases = [
        (
            r#"{"o":{"s":"BTCUSDT","S":"SELL","q":"0","p":"65000","T":1}}"#,
            "bad_value",
        ),
        (
            r#"{"o":{"s":"BTCUSDT","S":"SELL","q":"1","p":"abc","T":1}}"#,
            "bad_number",
        ),
        (
            r#"{"o":{"s":"BTCUSDT","S":"SELL","q":"1","p":"nan","T":1}}"#,
            "bad_value",
        ),
        (
            r#"{"o":{"s":"BTCUSDT","S":"SELL","q":"1","p":"inf","T":1}}"#,
            "bad_value",
        ),
        (r#"{"o":"garbage"}"#, "malformed"),
        (r#"{"e":"forceOrder"}"#, "missing_field"),
        ("not json", "malformed"),
    ];
    for (p, label) in cases {
        let b = run(&mut n, Exchange::Binance, LIQ, p);
        assert!(b.events.is_empty(), "{p}");
        assert_eq!(b.errors.len(), 1, "{p}");
        assert_eq!(b.errors[0].reason.label(), label, "{p}");
        assert_eq!(b.errors[0].exchange, Exchange::Binance);
        let msg = b.errors[0].to_string();
        assert!(msg.starts_with("binance liquidations: "), "{msg}");
    }
}

#[test]
fn n11_n12_bybit_side_is_the_position_side() {
    let mut n = norm();
    let b = run(
        &mut n,
        Exchange::Bybit,
        None,
        r#"{"topic":"allLiquidation.BTCUSDT","type":"snapshot","ts":1772242551300,"data":[{"T":1772242551082,"s":"BTCUSDT","S":"Buy","v":"0.049","p":"65466.3"}]}"#,
    );
    assert_eq!(
        liqs(&b),
        vec![(
            "BTC",
            Side::Long,
            65466.3,
            0.049,
            3207.8487000000005,
            1772242551.082
        )]
    );
    let b = run(
        &mut n,
        Exchange::Bybit,
        LIQ,
        r#"{"topic":"allLiquidation.SOLUSDT","type":"snapshot","ts":1,"data":[{"T":1772244096924,"s":"SOLUSDT","S":"Buy","v":"34.2","p":"81.26"},{"T":1772244096950,"s":"SOLUSDT","S":"Sell","v":"1.5","p":"81.30"}]}"#,
    );
    let l = liqs(&b);
    assert_eq!(l[0].1, Side::Long);
    assert_eq!(l[0].4, 2779.0920000000006);
    assert_eq!(l[1].1, Side::Short);
    assert_eq!(l[1].4, 121.94999999999999);
}

#[test]
fn n13_n14_bybit_bad_items_skip_only_themselves() {
    let mut n = norm();
    let b = run(
        &mut n,
        Exchange::Bybit,
        LIQ,
        r#"{"topic":"allLiquidation.BTCUSDT","type":"snapshot","ts":1,"data":[{"T":5,"s":"BTCUSDT","S":"Buy","v":"1","p":"3"},"junk",{"T":6,"s":"BTCUSDT","S":"BUY","v":"1","p":"4"},{"T":7,"s":"BTCUSDT","S":"Sell","v":"1","p":"2"}]}"#,
    );
    let prices: Vec<f64> = liqs(&b).iter().map(|l| l.2).collect();
    assert_eq!(prices, vec![3.0, 2.0]);
    assert_eq!(b.errors.len(), 2);
    assert_eq!(b.errors[1].reason.label(), "bad_side");
}

#[test]
fn n15_n24_control_frames_are_not_errors() {
    let mut n = norm();
    for (ex, p) in [
        (
            Exchange::Bybit,
            r#"{"success":true,"ret_msg":"","conn_id":"x","req_id":"","op":"subscribe"}"#,
        ),
        (
            Exchange::Bybit,
            r#"{"success":true,"ret_msg":"pong","conn_id":"x","op":"ping"}"#,
        ),
        (
            Exchange::Okx,
            r#"{"event":"subscribe","arg":{"channel":"liquidation-orders","instType":"SWAP"},"connId":"a"}"#,
        ),
        (Exchange::Okx, "pong"),
        (Exchange::Binance, r#"{"result":null,"id":1}"#),
    ] {
        for stream in [None, LIQ] {
            let b = run(&mut n, ex, stream, p);
            assert!(
                b.control && b.errors.is_empty() && b.events.is_empty(),
                "{p}"
            );
        }
    }
}

#[test]
fn rejected_subscriptions_and_rest_errors_are_exchange_errors() {
    let mut n = norm();
    for (ex, p) in [
        (
            Exchange::Bybit,
            r#"{"success":false,"ret_msg":"error:handler not found","op":"subscribe"}"#,
        ),
        (
            Exchange::Okx,
            r#"{"event":"error","code":"60012","msg":"Invalid request","connId":"a"}"#,
        ),
        (
            Exchange::Binance,
            r#"{"code":-1121,"msg":"Invalid symbol."}"#,
        ),
        (
            Exchange::Bybit,
            r#"{"retCode":10001,"retMsg":"params error","result":{},"time":1}"#,
        ),
    ] {
        let b = run(&mut n, ex, None, p);
        assert_eq!(b.errors.len(), 1, "{p}");
        assert_eq!(b.errors[0].reason.label(), "exchange_error", "{p}");
    }
}

fn okx_liq(inst: &str, details: &str) -> String {
    format!(
        r#"{{"arg":{{"channel":"liquidation-orders","instType":"SWAP"}},"data":[{{"details":[{details}],"instId":"{inst}","instType":"SWAP"}}]}}"#
    )
}

#[test]
fn n16_n17_okx_other_instruments_dropped() {
    let mut n = norm();
    let b = run(
        &mut n,
        Exchange::Okx,
        None,
        &okx_liq(
            "API3-USDT-SWAP",
            r#"{"bkLoss":"0","bkPx":"3.075","ccy":"","posSide":"short","side":"buy","sz":"2076","ts":"1706607168920"}"#,
        ),
    );
    assert!(b.events.is_empty() && b.errors.is_empty());
    assert_eq!(
        n.stream_stats(Exchange::Okx, StreamKind::Liquidations)
            .unknown_instrument,
        1
    );
}

#[test]
fn n18_n22_n23_okx_contracts_to_base() {
    let mut n = norm();
    let b = run(
        &mut n,
        Exchange::Okx,
        LIQ,
        &okx_liq(
            "BTC-USDT-SWAP",
            r#"{"bkPx":"65550.1","sz":"12","posSide":"long","side":"sell","ts":"1772244395000"}"#,
        ),
    );
    assert_eq!(
        liqs(&b),
        vec![(
            "BTC",
            Side::Long,
            65550.1,
            0.12,
            7866.012000000001,
            1772244395.0
        )]
    );
    let b = run(
        &mut n,
        Exchange::Okx,
        LIQ,
        &okx_liq(
            "SOL-USDT-SWAP",
            r#"{"bkPx":"81.26","sz":"7","posSide":"long","ts":"1"},{"bkPx":"81.20","sz":"2","posSide":"short","ts":"2"}"#,
        ),
    );
    let l = liqs(&b);
    assert_eq!((l[0].1, l[0].3, l[0].4), (Side::Long, 7.0, 568.82));
    assert_eq!((l[1].1, l[1].3, l[1].4), (Side::Short, 2.0, 162.4));
    // N23: an invalid time falls back to the receive time (F14); the next detail is kept.
    let b = run(
        &mut n,
        Exchange::Okx,
        LIQ,
        &okx_liq(
            "BTC-USDT-SWAP",
            r#"{"bkPx":"3","sz":"1","posSide":"long","ts":"abc"},{"bkPx":"2","sz":"1","ts":"2000","posSide":"long"}"#,
        ),
    );
    let l = liqs(&b);
    assert_eq!(l.len(), 2);
    assert_eq!(l[0].5, NOW);
    assert_eq!((l[1].2, l[1].3, l[1].5), (2.0, 0.01, 2.0));
}

#[test]
fn n19_n20_inverse_and_usdc_swaps_dropped_by_default_allow_list() {
    let mut n = norm();
    for inst in ["BTC-USD-SWAP", "ETH-USDC-SWAP"] {
        let b = run(
            &mut n,
            Exchange::Okx,
            LIQ,
            &okx_liq(
                inst,
                r#"{"bkPx":"65000","sz":"10","posSide":"long","ts":"1"}"#,
            ),
        );
        assert!(b.events.is_empty() && b.errors.is_empty());
    }
}

#[test]
fn n19_inverse_swap_by_config_divides_by_price() {
    use crate::symbols::{Contract, InstrumentConfig, RegistryConfig};
    let mut cfg = RegistryConfig::default();
    cfg.symbols[0].instruments.push(InstrumentConfig {
        exchange: Exchange::Okx,
        market: Market::Perp,
        id: "BTC-USD-SWAP".into(),
        contract: Contract::Inverse {
            ct_val: 100.0,
            ct_mult: 1.0,
        },
    });
    let mut n = Normalizer::new(Arc::new(SymbolRegistry::new(cfg).unwrap()));
    let b = run(
        &mut n,
        Exchange::Okx,
        LIQ,
        &okx_liq(
            "BTC-USD-SWAP",
            r#"{"bkPx":"65000","sz":"10","posSide":"long","ts":"1"}"#,
        ),
    );
    let l = liqs(&b);
    assert!((l[0].3 - 0.015384615384615385).abs() < 1e-15);
    assert!((l[0].4 - 1000.0).abs() < 1e-9);
}

#[test]
fn n21_okx_net_mode_uses_order_side() {
    let mut n = norm();
    let b = run(
        &mut n,
        Exchange::Okx,
        LIQ,
        &okx_liq(
            "ETH-USDT-SWAP",
            r#"{"bkPx":"1935.0","sz":"3","posSide":"net","side":"buy","ts":"1"}"#,
        ),
    );
    let l = liqs(&b);
    assert_eq!(
        (l[0].1, l[0].2, l[0].3),
        (Side::Short, 1935.0, 0.30000000000000004)
    );
    let b = run(
        &mut n,
        Exchange::Okx,
        LIQ,
        &okx_liq(
            "ETH-USDT-SWAP",
            r#"{"bkPx":"1935.0","sz":"3","posSide":"Long","ts":"1"}"#,
        ),
    );
    assert_eq!(b.errors[0].reason.label(), "bad_side");
}

#[test]
fn okx_resent_liquidation_is_deduplicated() {
    let mut n = norm();
    let p = okx_liq(
        "BTC-USDT-SWAP",
        r#"{"bkPx":"65550.1","sz":"12","posSide":"long","ts":"1772244395000"}"#,
    );
    assert_eq!(run(&mut n, Exchange::Okx, LIQ, &p).events.len(), 1);
    assert_eq!(run(&mut n, Exchange::Okx, LIQ, &p).events.len(), 0);
    assert_eq!(
        n.stream_stats(Exchange::Okx, StreamKind::Liquidations)
            .duplicates,
        1
    );
}

#[test]
fn binance_combined_stream_frames_are_unwrapped() {
    let mut n = norm();
    let b = run(
        &mut n,
        Exchange::Binance,
        None,
        r#"{"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","E":1,"a":2,"s":"BTCUSDT","p":"43370.00","q":"0.004","f":1,"l":1,"T":1706607141085,"m":true}}"#,
    );
    assert_eq!(b.stream, Some(StreamKind::Trades));
    let EventKind::Trade(t) = &b.events[0].kind else {
        unreachable!()
    };
    assert_eq!((t.price, t.qty), (43370.0, Some(0.004)));
    assert_eq!(t.taker_side, crate::event::TakerSide::Sell);
    let b = run(
        &mut n,
        Exchange::Binance,
        None,
        r#"{"stream":"!forceOrder@arr","data":{"e":"forceOrder","E":1,"o":{"s":"SOLUSDT","S":"BUY","q":"2","p":"80","T":5}}}"#,
    );
    assert_eq!(liqs(&b)[0].0, "SOL");
}

#[test]
fn bybit_ticker_deltas_merge_into_the_snapshot() {
    let mut n = norm();
    let t = Some(StreamKind::Ticker);
    run(
        &mut n,
        Exchange::Bybit,
        t,
        r#"{"topic":"tickers.BTCUSDT","type":"snapshot","ts":1,"data":{"symbol":"BTCUSDT","markPrice":"100","indexPrice":"99","openInterest":"5","openInterestValue":"500","fundingRate":"0.0001","nextFundingTime":"1000"}}"#,
    );
    let b = run(
        &mut n,
        Exchange::Bybit,
        t,
        r#"{"topic":"tickers.BTCUSDT","type":"delta","ts":2,"data":{"symbol":"BTCUSDT","markPrice":"101","openInterestValue":"505"}}"#,
    );
    assert_eq!(b.events.len(), 2);
    let EventKind::MarkPrice(m) = &b.events[0].kind else {
        unreachable!()
    };
    assert_eq!(
        (m.mark_price, m.index_price, m.funding_ts),
        (Some(101.0), Some(99.0), Some(1.0))
    );
    let EventKind::OpenInterest(o) = &b.events[1].kind else {
        unreachable!()
    };
    assert_eq!(
        (o.size, o.oi_base, o.oi_usd),
        (Some(5.0), Some(5.0), Some(505.0))
    );
}

#[test]
fn n25_exchanges_are_an_enum() {
    assert!("kraken".parse::<Exchange>().is_err());
    assert_eq!("okx".parse::<Exchange>(), Ok(Exchange::Okx));
}

#[test]
fn a_wrongly_typed_field_costs_only_its_item() {
    let mut n = norm();
    let b = run(
        &mut n,
        Exchange::Bybit,
        LIQ,
        r#"{"topic":"allLiquidation.BTCUSDT","type":"snapshot","ts":1,"data":[{"T":5,"s":"BTCUSDT","S":"Buy","v":"1","p":"3"},{"T":6,"s":7,"S":"Buy","v":"1","p":"4"},{"T":7,"s":"BTCUSDT","S":"Sell","v":"1","p":"2"}]}"#,
    );
    assert_eq!(
        liqs(&b).iter().map(|l| l.2).collect::<Vec<_>>(),
        vec![3.0, 2.0]
    );
    assert_eq!(b.errors.len(), 1);
    let b = run(
        &mut n,
        Exchange::Okx,
        LIQ,
        &okx_liq(
            "BTC-USDT-SWAP",
            r#"{"bkPx":"3","sz":"1","posSide":["long"],"ts":"9"},{"bkPx":"2","sz":"1","ts":"10","posSide":"long"}"#,
        ),
    );
    assert_eq!(liqs(&b).iter().map(|l| l.2).collect::<Vec<_>>(), vec![2.0]);
    assert_eq!(b.errors.len(), 1);
}

#[test]
fn overflowing_or_underflowing_notional_is_rejected() {
    // Found by fuzzing: each factor finite and positive, the product not.
    let mut n = norm();
    for (v, p) in [("1e200", "1e200"), ("1e-200", "1e-200")] {
        let msg = format!(
            r#"{{"topic":"allLiquidation.BTCUSDT","type":"snapshot","ts":1,"data":[{{"T":5,"s":"BTCUSDT","S":"Buy","v":"{v}","p":"{p}"}}]}}"#
        );
        let b = run(&mut n, Exchange::Bybit, LIQ, &msg);
        assert!(b.events.is_empty(), "{v} x {p}");
        assert!(matches!(
            b.errors[0].reason,
            Reason::NotPositive {
                field: "notional",
                ..
            }
        ));
    }
}
