//! REST side of the mock exchange: routing to the source, Binance weights, 429/418, faults.

mod mock_util;

use std::time::Duration;

use liq_core::event::Exchange;
use liq_feeds::RestAnswer;
use liq_feeds::mock::{MockConfig, MockExchange, RestFault, VecSource};
use mock_util::*;

const DEPTH: &str = r#"{"lastUpdateId":1027024,"E":1589436922972,"T":1589436922959,"bids":[["4.00000000","431.00000000"]],"asks":[["4.00000200","12.00000000"]]}"#;
const OI: &str = r#"{"openInterest":"10659.509","symbol":"BTCUSDT","time":1589437530011}"#;
const BY_OI: &str = r#"{"retCode":0,"retMsg":"OK","result":{"symbol":"BTCUSDT","category":"linear","list":[{"openInterest":"461134384.00000000","timestamp":"1669571400000"}],"nextPageCursor":""},"retExtInfo":{},"time":1672053548579}"#;

fn answer(body: &str) -> RestAnswer {
    RestAnswer {
        status: 200,
        body: body.to_owned(),
    }
}

fn source() -> VecSource {
    VecSource::default()
        .with_rest(
            Exchange::Binance,
            "/fapi/v1/depth",
            "symbol=BTCUSDT",
            0.0,
            answer(DEPTH),
        )
        .with_rest(
            Exchange::Binance,
            "/fapi/v1/openInterest",
            "symbol=BTCUSDT",
            0.0,
            answer(OI),
        )
        .with_rest(
            Exchange::Bybit,
            "/v5/market/open-interest",
            "symbol=BTCUSDT",
            0.0,
            answer(BY_OI),
        )
}

fn cfg(limit: u32) -> MockConfig {
    MockConfig {
        rest_weight_limit: limit,
        rest_weight_window: Duration::from_secs(600),
        ..MockConfig::default()
    }
}

#[tokio::test]
async fn answers_from_the_source_with_used_weight() {
    let mock = MockExchange::start(Box::new(source()), cfg(2400))
        .await
        .unwrap();
    let base = mock.rest_url(Exchange::Binance);
    let a = get(&base, "/fapi/v1/depth?symbol=BTCUSDT&limit=1000").await;
    assert_eq!(a.status, 200);
    assert_eq!(json(&a.body), json(DEPTH));
    assert_eq!(a.header("x-mbx-used-weight-1m"), Some("20"));
    let a = get(&base, "/fapi/v1/openInterest?symbol=BTCUSDT").await;
    assert_eq!(json(&a.body), json(OI));
    assert_eq!(a.header("X-MBX-USED-WEIGHT-1M"), Some("21"));
    let a = get(&base, "/fapi/v1/openInterest?symbol=ETHUSDT").await;
    assert_eq!(a.status, 404);
    let a = get(
        &mock.rest_url(Exchange::Bybit),
        "/v5/market/open-interest?category=linear&symbol=BTCUSDT&intervalTime=5min",
    )
    .await;
    assert_eq!((a.status, json(&a.body)), (200, json(BY_OI)));
    assert_eq!(a.header("x-mbx-used-weight-1m"), None);
    let c = mock.counters(Exchange::Binance);
    assert_eq!((c.rest_requests, c.rest_404), (3, 1));
    mock.shutdown().await;
}

#[tokio::test]
async fn weight_budget_gives_429_then_418_to_a_client_that_does_not_wait() {
    let mock = MockExchange::start(Box::new(source()), cfg(45))
        .await
        .unwrap();
    let base = mock.rest_url(Exchange::Binance);
    let q = "/fapi/v1/depth?symbol=BTCUSDT&limit=1000";
    assert_eq!(get(&base, q).await.status, 200);
    assert_eq!(get(&base, q).await.status, 200);
    let a = get(&base, q).await;
    assert_eq!(a.status, 429);
    assert_eq!(a.header("x-mbx-used-weight-1m"), Some("40"));
    let retry: u64 = a.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=600).contains(&retry), "{retry}");
    // Not waiting for Retry-After: banned.
    let a = get(&base, "/fapi/v1/openInterest?symbol=BTCUSDT").await;
    assert_eq!(a.status, 418);
    assert!(a.header("retry-after").is_some());
    assert_eq!(get(&base, q).await.status, 418);
    let c = mock.counters(Exchange::Binance);
    assert_eq!((c.rest_429, c.rest_418), (1, 2));
    mock.shutdown().await;
}

#[tokio::test]
async fn injected_429_and_500() {
    let mock = MockExchange::start(Box::new(source()), cfg(2400))
        .await
        .unwrap();
    let by = mock.rest_url(Exchange::Bybit);
    let q = "/v5/market/open-interest?category=linear&symbol=BTCUSDT";
    mock.fail_rest(Exchange::Bybit, 2, RestFault::ServerError);
    assert_eq!(get(&by, q).await.status, 500);
    assert_eq!(get(&by, q).await.status, 500);
    assert_eq!(get(&by, q).await.status, 200);
    mock.fail_rest(
        Exchange::Okx,
        1,
        RestFault::TooManyRequests { retry_after: 7 },
    );
    let a = get(
        &mock.rest_url(Exchange::Okx),
        "/api/v5/public/open-interest?instId=BTC-USDT-SWAP",
    )
    .await;
    assert_eq!((a.status, a.header("retry-after")), (429, Some("7")));
    assert_eq!(json(&a.body)["code"], "50011");
    // Binance: an injected 429 arms the ban rule like a real one.
    let bn = mock.rest_url(Exchange::Binance);
    mock.fail_rest(
        Exchange::Binance,
        1,
        RestFault::TooManyRequests { retry_after: 30 },
    );
    let a = get(&bn, "/fapi/v1/openInterest?symbol=BTCUSDT").await;
    assert_eq!((a.status, a.header("retry-after")), (429, Some("30")));
    assert_eq!(
        get(&bn, "/fapi/v1/openInterest?symbol=BTCUSDT")
            .await
            .status,
        418
    );
    assert_eq!(mock.counters(Exchange::Bybit).rest_500, 2);
    assert_eq!(mock.counters(Exchange::Bybit).faults_injected, 2);
    mock.shutdown().await;
}

#[tokio::test]
async fn a_429_respected_is_not_banned() {
    let cfg = MockConfig {
        rest_weight_limit: 25,
        rest_weight_window: Duration::from_millis(300),
        ..MockConfig::default()
    };
    let mock = MockExchange::start(Box::new(source()), cfg).await.unwrap();
    let base = mock.rest_url(Exchange::Binance);
    let q = "/fapi/v1/depth?symbol=BTCUSDT&limit=1000";
    assert_eq!(get(&base, q).await.status, 200);
    assert_eq!(get(&base, q).await.status, 429);
    // Wait out the window (Retry-After rounds it up to 1 s).
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let a = get(&base, q).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.header("x-mbx-used-weight-1m"), Some("20"));
    mock.shutdown().await;
}
