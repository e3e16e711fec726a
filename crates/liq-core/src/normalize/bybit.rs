//! Bybit v5 (linear perpetuals; spot trade and depth formats are the same).
//!
//! WebSocket topics: `allLiquidation.{sym}`, `publicTrade.{sym}`, `orderbook.{depth}.{sym}`,
//! `tickers.{sym}` (snapshot then deltas, merged here); REST: `/v5/market/orderbook`,
//! `/v5/market/open-interest`, `/v5/market/tickers`.

use std::collections::HashMap;

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;

use super::wire::{
    BatchItem, Item, Levels, Ms, Scalar, SeqNum, Text, opt_finite, req_positive, truncate,
};
use super::{
    Batch, Frame, FrameResult, Normalizer, RawLiquidation, Reason, StreamKind, item_error,
    linear_base, side_field,
};
use crate::event::{
    Depth, EventKind, MarkPrice, OpenInterest, PriceKind, Sampling, Side, TakerSide, secs_from_ms,
};

/// Any Bybit message: WebSocket push (`topic`, `type`, `ts`, `data`), control frame (`success`,
/// `ret_msg`, `op`) or REST answer (`retCode`, `retMsg`, `result`, `time`).
#[derive(Deserialize)]
struct Msg<'a, D, R> {
    #[serde(borrow)]
    topic: Option<Text<'a>>,
    #[serde(rename = "type", borrow)]
    kind: Option<Text<'a>>,
    ts: Option<Ms>,
    data: Option<D>,
    success: Option<bool>,
    #[serde(borrow)]
    ret_msg: Option<Text<'a>>,
    #[serde(borrow)]
    op: Option<Text<'a>>,
    #[serde(rename = "retCode", borrow)]
    ret_code: Option<Scalar<'a>>,
    #[serde(rename = "retMsg", borrow)]
    ret_msg_rest: Option<Text<'a>>,
    result: Option<R>,
    time: Option<Ms>,
}

/// One `allLiquidation` item.
///
/// Documented example: `{"topic":"allLiquidation.ROSEUSDT","type":"snapshot","ts":1739502303204,
/// "data":[{"T":1739502302929,"s":"ROSEUSDT","S":"Sell","v":"20000","p":"0.04499"}]}`
#[derive(Deserialize)]
struct LiqItem<'a> {
    #[serde(rename = "T")]
    time: Option<Ms>,
    #[serde(borrow)]
    s: Option<Text<'a>>,
    /// Side of the liquidated POSITION: "When you receive a Buy update, this means that a long
    /// position has been liquidated" (Bybit v5 docs, All Liquidation). The reference inverts it.
    #[serde(rename = "S", borrow)]
    side: Option<Text<'a>>,
    #[serde(borrow)]
    v: Option<Scalar<'a>>,
    /// Bankruptcy price.
    #[serde(borrow)]
    p: Option<Scalar<'a>>,
}

/// One `publicTrade` item.
///
/// Real capture: `{"T":1706607141138,"s":"BTCUSDT","S":"Buy","v":"0.003","p":"43365.90",
/// "L":"PlusTick","i":"ecb86ce8-c6ae-5f1d-b408-41b3bd8cefc7","BT":false}`
#[derive(Deserialize)]
struct TradeItem<'a> {
    #[serde(rename = "T")]
    time: Option<Ms>,
    #[serde(borrow)]
    s: Option<Text<'a>>,
    /// Taker side.
    #[serde(rename = "S", borrow)]
    side: Option<Text<'a>>,
    #[serde(borrow)]
    v: Option<Scalar<'a>>,
    #[serde(borrow)]
    p: Option<Scalar<'a>>,
}

/// Order-book data (WS `data` or REST `result`).
///
/// Real capture: `{"topic":"orderbook.200.BTCPERP","type":"delta","ts":1709570528350,
/// "data":{"s":"BTCPERP","b":[["66394.40","0.044"]],"a":[["66432.90","0"]],"u":3852627,
/// "seq":..},"cts":..}`
#[derive(Deserialize)]
struct Book<'a> {
    #[serde(borrow)]
    s: Option<Text<'a>>,
    #[serde(default)]
    b: Levels,
    #[serde(default)]
    a: Levels,
    u: Option<SeqNum>,
    seq: Option<SeqNum>,
    ts: Option<Ms>,
}

/// `tickers` data (snapshot or delta; a delta carries only the changed fields).
#[derive(Deserialize, Default)]
struct Ticker<'a> {
    #[serde(borrow)]
    symbol: Option<Text<'a>>,
    #[serde(rename = "markPrice", borrow)]
    mark: Option<Scalar<'a>>,
    #[serde(rename = "indexPrice", borrow)]
    index: Option<Scalar<'a>>,
    #[serde(rename = "lastPrice", borrow)]
    last: Option<Scalar<'a>>,
    #[serde(rename = "openInterest", borrow)]
    oi: Option<Scalar<'a>>,
    #[serde(rename = "openInterestValue", borrow)]
    oi_value: Option<Scalar<'a>>,
    #[serde(rename = "fundingRate", borrow)]
    funding_rate: Option<Scalar<'a>>,
    #[serde(rename = "nextFundingTime")]
    next_funding: Option<Ms>,
}

/// REST `result` holding a `list` (open interest, tickers).
#[derive(Deserialize)]
struct ListResult<'a, T> {
    #[serde(borrow)]
    symbol: Option<Text<'a>>,
    list: Vec<T>,
}

/// REST open-interest point: `{"openInterest":"461134384.00000000","timestamp":"1669571400000"}`
#[derive(Deserialize)]
struct OiPoint<'a> {
    #[serde(rename = "openInterest", borrow)]
    oi: Option<Scalar<'a>>,
    timestamp: Option<Ms>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct TickerFields {
    mark: Option<f64>,
    index: Option<f64>,
    last: Option<f64>,
    oi: Option<f64>,
    oi_value: Option<f64>,
    funding_rate: Option<f64>,
    next_funding_ms: Option<i64>,
}

/// Merged ticker state per instrument (deltas only carry changed fields).
#[derive(Debug, Default)]
pub(super) struct TickerState {
    by_instrument: HashMap<Box<str>, TickerFields>,
}

fn kind_of_topic(topic: &str) -> StreamKind {
    if topic.starts_with("allLiquidation.") {
        StreamKind::Liquidations
    } else if topic.starts_with("publicTrade.") {
        StreamKind::Trades
    } else if topic.starts_with("orderbook.") {
        StreamKind::Depth
    } else if topic.starts_with("tickers.") {
        StreamKind::Ticker
    } else {
        StreamKind::Unknown
    }
}

type Generic<'a> = Msg<'a, &'a RawValue, &'a RawValue>;

/// Control frames and REST errors: `Some(Ok)` control, `Some(Err)` exchange error, `None` data.
fn control<D, R>(m: &Msg<'_, D, R>) -> Option<Result<(), Reason>> {
    if let Some(ok) = m.success {
        return Some(if ok {
            Ok(())
        } else {
            Err(Reason::ExchangeError {
                code: "success=false".into(),
                message: truncate(m.ret_msg.as_deref().unwrap_or("")),
            })
        });
    }
    if let Some(code) = &m.ret_code {
        if !matches!(code.value("retCode"), Ok(v) if v == 0.0) {
            return Some(Err(Reason::ExchangeError {
                code: code.display_text(),
                message: truncate(m.ret_msg_rest.as_deref().unwrap_or("")),
            }));
        }
        return None;
    }
    if m.topic.is_none() && matches!(m.op.as_deref(), Some("pong") | Some("ping")) {
        return Some(Ok(()));
    }
    None
}

/// Entry point.
pub(super) fn normalize(
    n: &mut Normalizer,
    frame: &Frame<'_>,
    hint: StreamKind,
    out: &mut Batch,
) -> FrameResult {
    let kind = match hint {
        StreamKind::Unknown => {
            let g: Generic<'_> =
                serde_json::from_str(frame.payload).map_err(|e| (hint, e.into()))?;
            if let Some(c) = control(&g) {
                return c
                    .map(|()| {
                        out.control = true;
                        hint
                    })
                    .map_err(|e| (hint, e));
            }
            match g.topic.as_deref().map(kind_of_topic) {
                Some(StreamKind::Unknown) => {
                    return Err((hint, Reason::Unrecognised("unknown Bybit topic")));
                }
                Some(k) => k,
                None if g.result.is_some() => rest_kind(g.result)?,
                None => return Err((hint, Reason::Unrecognised("no topic and no result"))),
            }
        }
        k => k,
    };
    let r = match kind {
        StreamKind::Liquidations => liquidations(n, frame, out),
        StreamKind::Trades => trades(n, frame, out),
        StreamKind::Depth => depth(n, frame, out),
        StreamKind::Ticker => ticker(n, frame, out),
        StreamKind::OpenInterest => open_interest(n, frame, out),
        _ => Err(Reason::Unrecognised("no such Bybit stream")),
    };
    r.map(|()| kind).map_err(|e| (kind, e))
}

/// Which REST answer a `result` object is.
fn rest_kind(result: Option<&RawValue>) -> Result<StreamKind, (StreamKind, Reason)> {
    #[derive(Deserialize)]
    struct Peek {
        b: Option<IgnoredAny>,
        category: Option<IgnoredAny>,
        symbol: Option<IgnoredAny>,
    }
    let u = StreamKind::Unknown;
    let raw = result.ok_or((u, Reason::Missing("result")))?;
    let p: Peek = serde_json::from_str(raw.get()).map_err(|e| (u, e.into()))?;
    if p.b.is_some() {
        Ok(StreamKind::Depth)
    } else if p.symbol.is_some() {
        Ok(StreamKind::OpenInterest)
    } else if p.category.is_some() {
        Ok(StreamKind::Ticker)
    } else {
        Err((u, Reason::Unrecognised("unknown REST result")))
    }
}

/// Checks a typed message: control frames, REST errors and topic/stream agreement.
/// Returns `Ok(true)` when the message was a control frame.
fn check<D, R>(m: &Msg<'_, D, R>, expected: StreamKind, out: &mut Batch) -> Result<bool, Reason> {
    if let Some(c) = control(m) {
        c?;
        out.control = true;
        return Ok(true);
    }
    if let Some(t) = m.topic.as_deref()
        && kind_of_topic(t) != expected
    {
        return Err(Reason::Unrecognised("topic does not belong to this stream"));
    }
    Ok(false)
}

fn liquidations(n: &mut Normalizer, frame: &Frame<'_>, out: &mut Batch) -> Result<(), Reason> {
    // Fast path: one typed pass, where items that are not objects are skipped (F16). A batch
    // the typed pass rejects (a field of the wrong JSON type, say) is parsed again item by item,
    // so that a bad item costs only itself.
    type Fast<'a> = Msg<'a, Vec<Item<LiqItem<'a>>>, IgnoredAny>;
    match serde_json::from_str::<Fast<'_>>(frame.payload) {
        Ok(m) => liquidation_batch(n, frame, m, out),
        Err(_) => {
            let m: Msg<'_, Vec<&RawValue>, IgnoredAny> = serde_json::from_str(frame.payload)?;
            liquidation_batch(n, frame, m, out)
        }
    }
}

fn liquidation_batch<'a, I: BatchItem<LiqItem<'a>>>(
    n: &mut Normalizer,
    frame: &Frame<'_>,
    m: Msg<'a, Vec<I>, IgnoredAny>,
    out: &mut Batch,
) -> Result<(), Reason> {
    if check(&m, StreamKind::Liquidations, out)? {
        return Ok(());
    }
    for item in m.data.ok_or(Reason::Missing("data"))? {
        let r = item
            .into_item()
            .and_then(|it| liquidation_item(n, frame, &it, out));
        if let Err(reason) = r {
            item_error(frame, StreamKind::Liquidations, reason, out);
        }
    }
    Ok(())
}

fn liquidation_item(
    n: &mut Normalizer,
    frame: &Frame<'_>,
    it: &LiqItem<'_>,
    out: &mut Batch,
) -> Result<(), Reason> {
    let symbol = it.s.as_deref().ok_or(Reason::Missing("s"))?;
    let side = side_field(
        it.side.as_deref(),
        "S",
        &[("Buy", Side::Long), ("Sell", Side::Short)],
    )?;
    let price = req_positive(&it.p, "p")?;
    let size = req_positive(&it.v, "v")?;
    n.push_liquidation(
        frame,
        RawLiquidation {
            instrument: symbol,
            side,
            price,
            price_kind: PriceKind::Bankruptcy,
            order_price: None,
            size,
            ts_ms: Ms::get(it.time),
            sampling: Sampling::Batched500ms,
        },
        out,
    );
    Ok(())
}

fn trades(n: &mut Normalizer, frame: &Frame<'_>, out: &mut Batch) -> Result<(), Reason> {
    let m: Msg<'_, Vec<TradeItem<'_>>, IgnoredAny> = serde_json::from_str(frame.payload)?;
    if check(&m, StreamKind::Trades, out)? {
        return Ok(());
    }
    for it in m.data.ok_or(Reason::Missing("data"))? {
        match trade_item(n, frame, &it) {
            Ok(ev) => out.events.push(ev),
            Err(reason) => item_error(frame, StreamKind::Trades, reason, out),
        }
    }
    Ok(())
}

fn trade_item(
    n: &Normalizer,
    frame: &Frame<'_>,
    it: &TradeItem<'_>,
) -> Result<crate::event::MarketEvent, Reason> {
    let id =
        it.s.as_deref()
            .or(frame.instrument)
            .ok_or(Reason::Missing("s"))?;
    let taker_side = side_field(
        it.side.as_deref(),
        "S",
        &[("Buy", TakerSide::Buy), ("Sell", TakerSide::Sell)],
    )?;
    let price = req_positive(&it.p, "p")?;
    let size = req_positive(&it.v, "v")?;
    Ok(n.trade_event(frame, id, (price, size, taker_side), Ms::get(it.time)))
}

fn depth(n: &mut Normalizer, frame: &Frame<'_>, out: &mut Batch) -> Result<(), Reason> {
    let m: Msg<'_, Book<'_>, Book<'_>> = serde_json::from_str(frame.payload)?;
    if check(&m, StreamKind::Depth, out)? {
        return Ok(());
    }
    let (book, snapshot, ts) = match (m.data, m.result) {
        (Some(b), _) => {
            let snapshot = match m.kind.as_deref() {
                Some("snapshot") => true,
                Some("delta") => false,
                Some(_) => return Err(Reason::Unrecognised("unknown orderbook type")),
                None => return Err(Reason::Missing("type")),
            };
            (b, snapshot, Ms::get(m.ts))
        }
        (None, Some(b)) => {
            let ts = Ms::get(b.ts).or(Ms::get(m.time));
            (b, true, ts)
        }
        (None, None) => return Err(Reason::Missing("data")),
    };
    let id = book
        .s
        .as_deref()
        .or(frame.instrument)
        .ok_or(Reason::Missing("s"))?;
    let r = n.resolve(frame.exchange, frame.market, id);
    let d = Depth {
        bids: book.b.0,
        asks: book.a.0,
        last_update_id: book.u.map(|s| s.0),
        cross_seq: book.seq.map(|s| s.0),
        ..Depth::default()
    };
    let kind = if snapshot {
        EventKind::DepthSnapshot(d)
    } else {
        EventKind::DepthDiff(d)
    };
    out.events.push(Normalizer::event(frame, &r, ts, kind));
    Ok(())
}

fn ticker(n: &mut Normalizer, frame: &Frame<'_>, out: &mut Batch) -> Result<(), Reason> {
    let m: Msg<'_, Ticker<'_>, ListResult<'_, Ticker<'_>>> = serde_json::from_str(frame.payload)?;
    if check(&m, StreamKind::Ticker, out)? {
        return Ok(());
    }
    match (m.data, m.result) {
        (Some(t), _) => {
            let snapshot = match m.kind.as_deref() {
                Some("snapshot") => true,
                Some("delta") => false,
                Some(_) => return Err(Reason::Unrecognised("unknown tickers type")),
                None => return Err(Reason::Missing("type")),
            };
            ticker_item(n, frame, &t, snapshot, Ms::get(m.ts), out)
        }
        (None, Some(list)) => {
            let ts = Ms::get(m.time);
            for t in &list.list {
                if let Err(reason) = ticker_item(n, frame, t, true, ts, out) {
                    item_error(frame, StreamKind::Ticker, reason, out);
                }
            }
            Ok(())
        }
        (None, None) => Err(Reason::Missing("data")),
    }
}

fn ticker_item(
    n: &mut Normalizer,
    frame: &Frame<'_>,
    t: &Ticker<'_>,
    snapshot: bool,
    ts: Option<i64>,
    out: &mut Batch,
) -> Result<(), Reason> {
    let id = t
        .symbol
        .as_deref()
        .or(frame.instrument)
        .ok_or(Reason::Missing("symbol"))?;
    let upd = TickerFields {
        mark: opt_finite(&t.mark, "markPrice")?,
        index: opt_finite(&t.index, "indexPrice")?,
        last: opt_finite(&t.last, "lastPrice")?,
        oi: opt_finite(&t.oi, "openInterest")?,
        oi_value: opt_finite(&t.oi_value, "openInterestValue")?,
        funding_rate: opt_finite(&t.funding_rate, "fundingRate")?,
        next_funding_ms: Ms::get(t.next_funding),
    };
    let state = &mut n.bybit_tickers.by_instrument;
    let merged = match state.get_mut(id) {
        Some(cur) if !snapshot => {
            merge(cur, &upd);
            *cur
        }
        Some(cur) => {
            *cur = upd;
            upd
        }
        None => {
            state.insert(id.into(), upd);
            upd
        }
    };
    let r = n.resolve(frame.exchange, frame.market, id);
    let price_changed = upd.mark.is_some()
        || upd.index.is_some()
        || upd.last.is_some()
        || upd.funding_rate.is_some()
        || upd.next_funding_ms.is_some();
    if price_changed {
        let kind = EventKind::MarkPrice(MarkPrice {
            mark_price: merged.mark,
            index_price: merged.index,
            last_price: merged.last,
            funding_rate: merged.funding_rate,
            funding_ts: merged.next_funding_ms.map(secs_from_ms),
        });
        out.events.push(Normalizer::event(frame, &r, ts, kind));
    }
    if upd.oi.is_some() || upd.oi_value.is_some() {
        let oi_base = merged.oi.and_then(|oi| linear_base(r.contract, oi));
        let kind = EventKind::OpenInterest(OpenInterest {
            size: merged.oi,
            oi_base,
            oi_usd: merged.oi_value,
        });
        out.events.push(Normalizer::event(frame, &r, ts, kind));
    }
    Ok(())
}

fn merge(cur: &mut TickerFields, upd: &TickerFields) {
    fn set<T: Copy>(c: &mut Option<T>, u: Option<T>) {
        if u.is_some() {
            *c = u;
        }
    }
    set(&mut cur.mark, upd.mark);
    set(&mut cur.index, upd.index);
    set(&mut cur.last, upd.last);
    set(&mut cur.oi, upd.oi);
    set(&mut cur.oi_value, upd.oi_value);
    set(&mut cur.funding_rate, upd.funding_rate);
    set(&mut cur.next_funding_ms, upd.next_funding_ms);
}

fn open_interest(n: &mut Normalizer, frame: &Frame<'_>, out: &mut Batch) -> Result<(), Reason> {
    let m: Msg<'_, IgnoredAny, ListResult<'_, OiPoint<'_>>> = serde_json::from_str(frame.payload)?;
    if check(&m, StreamKind::OpenInterest, out)? {
        return Ok(());
    }
    let res = m.result.ok_or(Reason::Missing("result"))?;
    let id = res
        .symbol
        .as_deref()
        .or(frame.instrument)
        .ok_or(Reason::Missing("result.symbol"))?;
    let r = n.resolve(frame.exchange, frame.market, id);
    for p in &res.list {
        let size = match p.oi.as_ref().ok_or(Reason::Missing("openInterest")) {
            Ok(v) => v.finite("openInterest"),
            Err(e) => Err(e),
        };
        match size {
            Ok(size) => {
                let oi_base = linear_base(r.contract, size);
                let kind = EventKind::OpenInterest(OpenInterest {
                    size: Some(size),
                    oi_base,
                    oi_usd: None,
                });
                out.events
                    .push(Normalizer::event(frame, &r, Ms::get(p.timestamp), kind));
            }
            Err(reason) => item_error(frame, StreamKind::OpenInterest, reason, out),
        }
    }
    Ok(())
}
