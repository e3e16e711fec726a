//! Binance USD-M futures (also spot and COIN-M, whose trade and depth formats are the same).
//!
//! Streams: `!forceOrder@arr`, `<sym>@aggTrade`, `<sym>@markPrice@1s`, `<sym>@depth@100ms`
//! (raw or combined `{"stream","data"}` frames); REST: `/fapi/v1/depth`, `/fapi/v1/openInterest`,
//! `/fapi/v1/fundingRate`, `/fapi/v1/premiumIndex` and the three `/futures/data/*LongShort*Ratio`
//! endpoints.

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;

use super::wire::{Levels, Ms, Scalar, SeqNum, Text, opt_finite, req_positive, truncate};
use super::{
    Batch, Frame, FrameResult, Normalizer, RawLiquidation, Reason, StreamKind, item_error,
    linear_base, side_field,
};
use crate::event::{
    Depth, EventKind, MarkPrice, OpenInterest, PriceKind, RatioKind, Sampling, Side, TakerSide,
    TraderRatio,
};

/// `!forceOrder@arr` frame.
///
/// Documented example (Binance USD-M "Liquidation Order Streams"):
/// `{"e":"forceOrder","E":1568014460893,"o":{"s":"BTCUSDT","S":"SELL","o":"LIMIT","f":"IOC",
/// "q":"0.014","p":"9910","ap":"9910","X":"FILLED","l":"0.014","z":"0.014","T":1568014460893}}`
#[derive(Deserialize)]
struct ForceOrder<'a> {
    #[serde(borrow)]
    o: Option<ForceOrderBody<'a>>,
    #[serde(rename = "E")]
    event_time: Option<Ms>,
}

/// The `o` object of a forceOrder frame.
#[derive(Deserialize)]
struct ForceOrderBody<'a> {
    #[serde(borrow)]
    s: Option<Text<'a>>,
    /// Side of the liquidation ORDER: `SELL` closes a long, `BUY` closes a short.
    #[serde(rename = "S", borrow)]
    side: Option<Text<'a>>,
    #[serde(borrow)]
    q: Option<Scalar<'a>>,
    #[serde(borrow)]
    p: Option<Scalar<'a>>,
    #[serde(borrow)]
    ap: Option<Scalar<'a>>,
    #[serde(borrow)]
    z: Option<Scalar<'a>>,
    #[serde(rename = "X", borrow)]
    status: Option<Text<'a>>,
    #[serde(rename = "T")]
    trade_time: Option<Ms>,
}

/// `aggTrade` (also the spot `trade` event, which has the same fields).
///
/// Real capture: `{"e":"aggTrade","E":1706607141237,"a":2003610431,"s":"BTCUSDT",
/// "p":"43370.00","q":"0.004","f":4542591079,"l":4542591079,"T":1706607141085,"m":true}`
#[derive(Deserialize)]
struct AggTrade<'a> {
    #[serde(borrow)]
    s: Option<Text<'a>>,
    #[serde(borrow)]
    p: Option<Scalar<'a>>,
    #[serde(borrow)]
    q: Option<Scalar<'a>>,
    #[serde(rename = "T")]
    trade_time: Option<Ms>,
    /// Buyer is the maker: `true` means the taker sold.
    m: Option<bool>,
}

/// `markPriceUpdate`.
///
/// Documented example: `{"e":"markPriceUpdate","E":1562305380000,"s":"BTCUSDT",
/// "p":"11794.15000000","i":"11784.62659091","P":"11784.25641265","r":"0.00038167",
/// "T":1562306400000}`
#[derive(Deserialize)]
struct MarkPriceUpdate<'a> {
    #[serde(borrow)]
    s: Option<Text<'a>>,
    #[serde(rename = "E")]
    event_time: Option<Ms>,
    #[serde(borrow)]
    p: Option<Scalar<'a>>,
    #[serde(borrow)]
    i: Option<Scalar<'a>>,
    #[serde(borrow)]
    r: Option<Scalar<'a>>,
    #[serde(rename = "T")]
    next_funding: Option<Ms>,
}

/// `depthUpdate` diff or REST `/depth` snapshot (one struct: the field sets do not collide).
///
/// Real capture (COIN-M diff, shortened): `{"e":"depthUpdate","E":1706607141920,
/// "T":1706607141908,"s":"BTCUSD_PERP","ps":"BTCUSD","U":847261146845,"u":847261147964,
/// "pu":847261146817,"b":[["21692.9","65"]],"a":[]}`; REST: `{"lastUpdateId":3907298323749,
/// "E":1706607142196,"T":1706607142188,"bids":[["43370.00","2.366"]],"asks":[...]}`
#[derive(Deserialize)]
struct DepthMsg<'a> {
    #[serde(borrow)]
    e: Option<Text<'a>>,
    #[serde(rename = "E")]
    event_time: Option<Ms>,
    #[serde(borrow)]
    s: Option<Text<'a>>,
    #[serde(borrow)]
    symbol: Option<Text<'a>>,
    #[serde(rename = "U")]
    first: Option<SeqNum>,
    u: Option<SeqNum>,
    pu: Option<SeqNum>,
    #[serde(rename = "lastUpdateId")]
    last_update_id: Option<SeqNum>,
    #[serde(alias = "bids", default)]
    b: Levels,
    #[serde(alias = "asks", default)]
    a: Levels,
}

/// REST `/fapi/v1/openInterest`: `{"symbol":"BTCUSDT","openInterest":"78555.499","time":1706607138470}`
#[derive(Deserialize)]
struct OpenInterestMsg<'a> {
    #[serde(borrow)]
    symbol: Option<Text<'a>>,
    #[serde(rename = "openInterest", borrow)]
    open_interest: Option<Scalar<'a>>,
    time: Option<Ms>,
}

/// REST `/fapi/v1/fundingRate` item: `{"symbol":"BTCUSDT","fundingTime":1706601600000,
/// "fundingRate":"0.00009492","markPrice":"43346.60000000"}`; also `/fapi/v1/premiumIndex`
/// (`markPrice`, `indexPrice`, `lastFundingRate`, `nextFundingTime`, `time`).
#[derive(Deserialize)]
struct FundingItem<'a> {
    #[serde(borrow)]
    symbol: Option<Text<'a>>,
    #[serde(rename = "fundingTime")]
    funding_time: Option<Ms>,
    #[serde(rename = "fundingRate", alias = "lastFundingRate", borrow)]
    funding_rate: Option<Scalar<'a>>,
    #[serde(rename = "markPrice", borrow)]
    mark_price: Option<Scalar<'a>>,
    #[serde(rename = "indexPrice", borrow)]
    index_price: Option<Scalar<'a>>,
    #[serde(rename = "nextFundingTime")]
    next_funding_time: Option<Ms>,
    time: Option<Ms>,
}

/// A long/short ratio item. Documented example (`topLongShortPositionRatio`):
/// `{"symbol":"BTCUSDT","longShortRatio":"1.4342","longAccount":"0.5891",
/// "shortAccount":"0.4108","timestamp":"1583139600000"}` (newer pages name the shares
/// `longPosition`/`shortPosition`; both are accepted).
#[derive(Deserialize)]
struct RatioItem<'a> {
    #[serde(borrow)]
    symbol: Option<Text<'a>>,
    #[serde(rename = "longShortRatio", borrow)]
    ratio: Option<Scalar<'a>>,
    #[serde(rename = "longAccount", alias = "longPosition", borrow)]
    long: Option<Scalar<'a>>,
    #[serde(rename = "shortAccount", alias = "shortPosition", borrow)]
    short: Option<Scalar<'a>>,
    timestamp: Option<Ms>,
}

/// Just enough of any Binance object to classify it.
#[derive(Deserialize)]
struct Peek<'a> {
    #[serde(borrow)]
    e: Option<Text<'a>>,
    #[serde(rename = "lastUpdateId")]
    last_update_id: Option<IgnoredAny>,
    #[serde(rename = "openInterest")]
    open_interest: Option<IgnoredAny>,
    #[serde(rename = "markPrice")]
    mark_price: Option<IgnoredAny>,
    #[serde(borrow)]
    code: Option<Scalar<'a>>,
    #[serde(borrow)]
    msg: Option<Text<'a>>,
    result: Option<IgnoredAny>,
    id: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct PeekItem {
    #[serde(rename = "fundingRate")]
    funding_rate: Option<IgnoredAny>,
    #[serde(rename = "longPosition")]
    long_position: Option<IgnoredAny>,
}

/// Combined-stream envelope: `{"stream":"btcusdt@aggTrade","data":{...}}`.
#[derive(Deserialize)]
struct Combined<'a> {
    #[serde(borrow)]
    stream: Text<'a>,
    #[serde(borrow)]
    data: &'a RawValue,
}

const SAMPLING: Sampling = Sampling::LatestPerSymbolPer1000ms;

fn stream_of_name(name: &str) -> StreamKind {
    if name.contains("forceOrder") {
        StreamKind::Liquidations
    } else if name.contains("@aggTrade") || name.ends_with("@trade") {
        StreamKind::Trades
    } else if name.contains("@markPrice") {
        StreamKind::MarkPrice
    } else if name.contains("@depth") {
        StreamKind::Depth
    } else {
        StreamKind::Unknown
    }
}

/// Entry point: unwrap combined frames, detect the stream if needed, parse.
pub(super) fn normalize(
    n: &mut Normalizer,
    frame: &Frame<'_>,
    hint: StreamKind,
    out: &mut Batch,
) -> FrameResult {
    let payload = frame.payload.trim_start();
    if payload.starts_with("{\"stream\"") {
        let c: Combined<'_> = serde_json::from_str(payload).map_err(|e| (hint, e.into()))?;
        let kind = match stream_of_name(&c.stream) {
            StreamKind::Unknown => hint,
            k => k,
        };
        let inner = Frame {
            payload: c.data.get(),
            ..*frame
        };
        return dispatch(n, &inner, kind, out);
    }
    dispatch(n, frame, hint, out)
}

fn dispatch(
    n: &mut Normalizer,
    frame: &Frame<'_>,
    hint: StreamKind,
    out: &mut Batch,
) -> FrameResult {
    let kind = match hint {
        StreamKind::Unknown => detect(frame.payload, out)?,
        k => k,
    };
    if out.control {
        return Ok(kind);
    }
    let p = frame.payload;
    let r = match kind {
        StreamKind::Liquidations => force_order(n, frame, out),
        StreamKind::Trades => agg_trade(n, frame, out),
        StreamKind::MarkPrice => mark_price(n, frame, out),
        StreamKind::Depth => depth(n, frame, out),
        StreamKind::OpenInterest => open_interest(n, frame, out),
        StreamKind::Funding => funding(n, frame, out),
        StreamKind::TraderRatio(k) => ratio(n, frame, k, out),
        StreamKind::Ticker | StreamKind::Unknown => {
            Err(Reason::Unrecognised("no such Binance stream"))
        }
    };
    match r {
        Ok(()) => Ok(kind),
        // A message that does not fit its stream may be a control frame or an error answer.
        Err(reason) => match classify_other(p) {
            Some(Ok(())) => {
                out.control = true;
                Ok(kind)
            }
            Some(Err(e)) => Err((kind, e)),
            None => Err((kind, reason)),
        },
    }
}

/// Control frames (`{"result":null,"id":1}`) and error answers (`{"code":-1121,"msg":...}`).
fn classify_other(payload: &str) -> Option<Result<(), Reason>> {
    let peek: Peek<'_> = serde_json::from_str(payload).ok()?;
    if peek.e.is_some() {
        return None;
    }
    if let (Some(code), Some(msg)) = (&peek.code, &peek.msg) {
        let code = code.display_text();
        return Some(Err(Reason::ExchangeError {
            code,
            message: truncate(msg),
        }));
    }
    if peek.result.is_some() || peek.id.is_some() {
        return Some(Ok(()));
    }
    None
}

fn detect(payload: &str, out: &mut Batch) -> Result<StreamKind, (StreamKind, Reason)> {
    let u = StreamKind::Unknown;
    if payload.trim_start().starts_with('[') {
        let items: Vec<PeekItem> = serde_json::from_str(payload).map_err(|e| (u, e.into()))?;
        return match items.first() {
            None => Ok(StreamKind::Funding),
            Some(i) if i.funding_rate.is_some() => Ok(StreamKind::Funding),
            Some(i) if i.long_position.is_some() => {
                Ok(StreamKind::TraderRatio(RatioKind::TopPosition))
            }
            Some(_) => Err((
                u,
                Reason::Unrecognised("array of unknown items (ratio endpoints need --stream)"),
            )),
        };
    }
    let peek: Peek<'_> = serde_json::from_str(payload).map_err(|e| (u, e.into()))?;
    match peek.e.as_deref() {
        Some("forceOrder") => return Ok(StreamKind::Liquidations),
        Some("aggTrade") | Some("trade") => return Ok(StreamKind::Trades),
        Some("markPriceUpdate") => return Ok(StreamKind::MarkPrice),
        Some("depthUpdate") => return Ok(StreamKind::Depth),
        Some(_) => return Err((u, Reason::Unrecognised("unknown event type"))),
        None => {}
    }
    if peek.last_update_id.is_some() {
        Ok(StreamKind::Depth)
    } else if peek.open_interest.is_some() {
        Ok(StreamKind::OpenInterest)
    } else if peek.mark_price.is_some() {
        Ok(StreamKind::Funding)
    } else {
        match classify_other(payload) {
            Some(Ok(())) => {
                out.control = true;
                Ok(u)
            }
            Some(Err(e)) => Err((u, e)),
            None => Err((u, Reason::Unrecognised("no known Binance fields"))),
        }
    }
}

fn force_order(n: &mut Normalizer, frame: &Frame<'_>, out: &mut Batch) -> Result<(), Reason> {
    let msg: ForceOrder<'_> = serde_json::from_str(frame.payload)?;
    let o = msg.o.ok_or(Reason::Missing("o"))?;
    let symbol = o.s.as_deref().ok_or(Reason::Missing("o.s"))?;
    // Binance documents `S` as the liquidation order's side: a SELL closes a long (F15: only the
    // documented upper-case values are accepted).
    let side = side_field(
        o.side.as_deref(),
        "o.S",
        &[("SELL", Side::Long), ("BUY", Side::Short)],
    )?;
    let order_price = req_positive(&o.p, "o.p")?;
    // DECISIONS feeds 3 (F11): filled quantity at the average price when the order is FILLED.
    let filled = if o.status.as_deref() == Some("FILLED") {
        let ap = o.ap.as_ref().and_then(|v| v.positive("o.ap").ok());
        let z = o.z.as_ref().and_then(|v| v.positive("o.z").ok());
        ap.zip(z)
    } else {
        None
    };
    let (price, price_kind, size) = match filled {
        Some((ap, z)) => (ap, PriceKind::AverageFill, z),
        None => (order_price, PriceKind::Order, req_positive(&o.q, "o.q")?),
    };
    let ts_ms = Ms::get(o.trade_time).or(Ms::get(msg.event_time));
    n.push_liquidation(
        frame,
        RawLiquidation {
            instrument: symbol,
            side,
            price,
            price_kind,
            order_price: Some(order_price),
            size,
            ts_ms,
            sampling: SAMPLING,
        },
        out,
    );
    Ok(())
}

fn agg_trade(n: &mut Normalizer, frame: &Frame<'_>, out: &mut Batch) -> Result<(), Reason> {
    let t: AggTrade<'_> = serde_json::from_str(frame.payload)?;
    let id =
        t.s.as_deref()
            .or(frame.instrument)
            .ok_or(Reason::Missing("s"))?;
    let price = req_positive(&t.p, "p")?;
    let size = req_positive(&t.q, "q")?;
    // `m`: the buyer is the maker, so the taker sold.
    let taker_side = match t.m.ok_or(Reason::Missing("m"))? {
        true => TakerSide::Sell,
        false => TakerSide::Buy,
    };
    let ev = n.trade_event(frame, id, (price, size, taker_side), Ms::get(t.trade_time));
    out.events.push(ev);
    Ok(())
}

fn mark_price(n: &mut Normalizer, frame: &Frame<'_>, out: &mut Batch) -> Result<(), Reason> {
    let m: MarkPriceUpdate<'_> = serde_json::from_str(frame.payload)?;
    let id =
        m.s.as_deref()
            .or(frame.instrument)
            .ok_or(Reason::Missing("s"))?;
    let mark = req_positive(&m.p, "p")?;
    let kind = EventKind::MarkPrice(MarkPrice {
        mark_price: Some(mark),
        index_price: opt_finite(&m.i, "i")?,
        last_price: None,
        funding_rate: opt_finite(&m.r, "r")?,
        funding_ts: Ms::get(m.next_funding).map(crate::event::secs_from_ms),
    });
    let r = n.resolve(frame.exchange, frame.market, id);
    out.events
        .push(Normalizer::event(frame, &r, Ms::get(m.event_time), kind));
    Ok(())
}

fn depth(n: &mut Normalizer, frame: &Frame<'_>, out: &mut Batch) -> Result<(), Reason> {
    let d: DepthMsg<'_> = serde_json::from_str(frame.payload)?;
    let id =
        d.s.as_deref()
            .or(d.symbol.as_deref())
            .or(frame.instrument)
            .ok_or(Reason::Missing("s"))?;
    let r = n.resolve(frame.exchange, frame.market, id);
    let is_diff = d.e.is_some() || d.u.is_some();
    let kind = if is_diff {
        if d.e.as_deref().is_some_and(|e| e != "depthUpdate") {
            return Err(Reason::Unrecognised("not a depthUpdate"));
        }
        EventKind::DepthDiff(Depth {
            bids: d.b.0,
            asks: d.a.0,
            first_update_id: d.first.map(|s| s.0),
            last_update_id: Some(d.u.ok_or(Reason::Missing("u"))?.0),
            prev_update_id: d.pu.map(|s| s.0),
            ..Depth::default()
        })
    } else {
        EventKind::DepthSnapshot(Depth {
            bids: d.b.0,
            asks: d.a.0,
            last_update_id: Some(d.last_update_id.ok_or(Reason::Missing("lastUpdateId"))?.0),
            ..Depth::default()
        })
    };
    out.events
        .push(Normalizer::event(frame, &r, Ms::get(d.event_time), kind));
    Ok(())
}

fn open_interest(n: &mut Normalizer, frame: &Frame<'_>, out: &mut Batch) -> Result<(), Reason> {
    let m: OpenInterestMsg<'_> = serde_json::from_str(frame.payload)?;
    let id = m
        .symbol
        .as_deref()
        .or(frame.instrument)
        .ok_or(Reason::Missing("symbol"))?;
    let size = m
        .open_interest
        .as_ref()
        .ok_or(Reason::Missing("openInterest"))?
        .finite("openInterest")?;
    if size < 0.0 {
        return Err(Reason::NotPositive {
            field: "openInterest",
            value: size,
        });
    }
    let r = n.resolve(frame.exchange, frame.market, id);
    let oi_base = linear_base(r.contract, size);
    let kind = EventKind::OpenInterest(OpenInterest {
        size: Some(size),
        oi_base,
        oi_usd: None,
    });
    out.events
        .push(Normalizer::event(frame, &r, Ms::get(m.time), kind));
    Ok(())
}

fn funding(n: &mut Normalizer, frame: &Frame<'_>, out: &mut Batch) -> Result<(), Reason> {
    let items: Vec<FundingItem<'_>> = if frame.payload.trim_start().starts_with('[') {
        serde_json::from_str(frame.payload)?
    } else {
        vec![serde_json::from_str(frame.payload)?]
    };
    for it in items {
        match funding_item(n, frame, &it) {
            Ok(ev) => out.events.push(ev),
            Err(reason) => item_error(frame, StreamKind::Funding, reason, out),
        }
    }
    Ok(())
}

fn funding_item(
    n: &Normalizer,
    frame: &Frame<'_>,
    it: &FundingItem<'_>,
) -> Result<crate::event::MarketEvent, Reason> {
    let id = it
        .symbol
        .as_deref()
        .or(frame.instrument)
        .ok_or(Reason::Missing("symbol"))?;
    let funding_rate = opt_finite(&it.funding_rate, "fundingRate")?;
    let mark_price = opt_finite(&it.mark_price, "markPrice")?;
    if funding_rate.is_none() && mark_price.is_none() {
        return Err(Reason::Missing("fundingRate"));
    }
    let funding_ms = Ms::get(it.funding_time).or(Ms::get(it.next_funding_time));
    let kind = EventKind::MarkPrice(MarkPrice {
        mark_price,
        index_price: opt_finite(&it.index_price, "indexPrice")?,
        last_price: None,
        funding_rate,
        funding_ts: funding_ms.map(crate::event::secs_from_ms),
    });
    let r = n.resolve(frame.exchange, frame.market, id);
    Ok(Normalizer::event(
        frame,
        &r,
        Ms::get(it.time).or(funding_ms),
        kind,
    ))
}

fn ratio(
    n: &mut Normalizer,
    frame: &Frame<'_>,
    k: RatioKind,
    out: &mut Batch,
) -> Result<(), Reason> {
    let items: Vec<RatioItem<'_>> = serde_json::from_str(frame.payload)?;
    let stream = StreamKind::TraderRatio(k);
    for it in items {
        let ev = (|| {
            let id = it
                .symbol
                .as_deref()
                .or(frame.instrument)
                .ok_or(Reason::Missing("symbol"))?;
            let ratio = req_positive(&it.ratio, "longShortRatio")?;
            let kind = EventKind::TraderRatio(TraderRatio {
                kind: k,
                long_short_ratio: ratio,
                long_share: opt_finite(&it.long, "longAccount")?,
                short_share: opt_finite(&it.short, "shortAccount")?,
            });
            let r = n.resolve(frame.exchange, frame.market, id);
            Ok(Normalizer::event(frame, &r, Ms::get(it.timestamp), kind))
        })();
        match ev {
            Ok(ev) => out.events.push(ev),
            Err(reason) => item_error(frame, stream, reason, out),
        }
    }
    Ok(())
}
