//! OKX v5 public channels (swaps; spot trade and book formats are the same).
//!
//! Channels: `liquidation-orders` (instType `SWAP`), `trades`, `books`/`books5`/`bbo-tbt`,
//! `funding-rate`, `open-interest`, `mark-price`; REST answers (`{"code","msg","data"}`) of the
//! same shapes. Sizes of swaps are contracts: converted with the instrument's contract value.

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;

use super::wire::{
    BatchItem, Item, Levels, Ms, Scalar, SeqNum, Text, opt_finite, req_positive, truncate,
};
use super::{
    Batch, Frame, FrameResult, Normalizer, RawLiquidation, Reason, StreamKind, item_error,
    side_field,
};
use crate::event::{
    Depth, EventKind, MarkPrice, MarketEvent, OpenInterest, PriceKind, Sampling, Side, TakerSide,
    secs_from_ms,
};

/// Any OKX message: push (`arg`, `action`, `data`), event (`event`, `code`, `msg`) or REST answer
/// (`code`, `msg`, `data`).
#[derive(Deserialize)]
struct Msg<'a, T> {
    #[serde(borrow)]
    arg: Option<Arg<'a>>,
    #[serde(borrow)]
    action: Option<Text<'a>>,
    data: Option<Vec<T>>,
    #[serde(borrow)]
    event: Option<Text<'a>>,
    #[serde(borrow)]
    code: Option<Scalar<'a>>,
    #[serde(borrow)]
    msg: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct Arg<'a> {
    #[serde(borrow)]
    channel: Option<Text<'a>>,
    #[serde(rename = "instId", borrow)]
    inst_id: Option<Text<'a>>,
}

/// One `liquidation-orders` item.
///
/// Real capture: `{"details":[{"bkLoss":"0","bkPx":"3.075","ccy":"","posSide":"short",
/// "side":"buy","sz":"2076","ts":"1706607168920"}],"instFamily":"API3-USDT",
/// "instId":"API3-USDT-SWAP","instType":"SWAP","uly":"API3-USDT"}`
///
/// `D` is `Item<LiqDetail>` on the fast path and `&RawValue` on the isolating slow path.
#[derive(Deserialize)]
struct LiqItem<'a, D> {
    #[serde(rename = "instId", borrow)]
    inst_id: Option<Text<'a>>,
    details: Option<Vec<D>>,
}

/// One liquidation detail: `posSide` is the position side (`long`, `short`, or `net`), `side`
/// the liquidation order's side, `sz` contracts, `bkPx` the bankruptcy price.
#[derive(Deserialize)]
struct LiqDetail<'a> {
    #[serde(rename = "bkPx", borrow)]
    bk_px: Option<Scalar<'a>>,
    #[serde(borrow)]
    sz: Option<Scalar<'a>>,
    #[serde(rename = "posSide", borrow)]
    pos_side: Option<Text<'a>>,
    #[serde(borrow)]
    side: Option<Text<'a>>,
    ts: Option<Ms>,
}

/// One trade: `{"instId":"BTC-USDT-SWAP","tradeId":"732718382","px":"43390.7","sz":"3",
/// "side":"sell","ts":"1706607140566","count":"1"}` (`side` is the taker's).
#[derive(Deserialize)]
struct TradeItem<'a> {
    #[serde(rename = "instId", borrow)]
    inst_id: Option<Text<'a>>,
    #[serde(borrow)]
    px: Option<Scalar<'a>>,
    #[serde(borrow)]
    sz: Option<Scalar<'a>>,
    #[serde(borrow)]
    side: Option<Text<'a>>,
    ts: Option<Ms>,
}

/// One book message: `{"asks":[["43394","228","0","9"]],"bids":[...],"ts":"1706607141171",
/// "checksum":-1205855394,"prevSeqId":-1,"seqId":8460491436}`
#[derive(Deserialize)]
struct BookItem<'a> {
    #[serde(rename = "instId", borrow)]
    inst_id: Option<Text<'a>>,
    #[serde(default)]
    asks: Levels,
    #[serde(default)]
    bids: Levels,
    ts: Option<Ms>,
    checksum: Option<SeqNum>,
    #[serde(rename = "prevSeqId")]
    prev_seq_id: Option<SeqNum>,
    #[serde(rename = "seqId")]
    seq_id: Option<SeqNum>,
}

/// Funding, open interest and mark price items share one lenient struct.
///
/// `funding-rate`: `{"fundingRate":"0.0000155339117702","fundingTime":"1706630400000",
/// "instId":"BTC-USDT-SWAP",...,"ts":"1706607140307"}`; `open-interest`:
/// `{"instId":"BTC-USDT-SWAP","instType":"SWAP","oi":"2507996","oiCcy":"25079.96",
/// "ts":"1706607138454"}`; `mark-price`: `{"instId":..,"markPx":"..","ts":".."}`.
#[derive(Deserialize)]
struct InfoItem<'a> {
    #[serde(rename = "instId", borrow)]
    inst_id: Option<Text<'a>>,
    #[serde(rename = "fundingRate", borrow)]
    funding_rate: Option<Scalar<'a>>,
    #[serde(rename = "fundingTime")]
    funding_time: Option<Ms>,
    #[serde(borrow)]
    oi: Option<Scalar<'a>>,
    #[serde(rename = "oiCcy", borrow)]
    oi_ccy: Option<Scalar<'a>>,
    #[serde(rename = "oiUsd", borrow)]
    oi_usd: Option<Scalar<'a>>,
    #[serde(rename = "markPx", borrow)]
    mark_px: Option<Scalar<'a>>,
    ts: Option<Ms>,
}

/// Keys that identify a REST item's kind when no stream is given.
#[derive(Deserialize)]
struct PeekItem {
    details: Option<IgnoredAny>,
    #[serde(rename = "tradeId")]
    trade_id: Option<IgnoredAny>,
    asks: Option<IgnoredAny>,
    #[serde(rename = "oiCcy")]
    oi_ccy: Option<IgnoredAny>,
    #[serde(rename = "fundingRate")]
    funding_rate: Option<IgnoredAny>,
    #[serde(rename = "markPx")]
    mark_px: Option<IgnoredAny>,
}

fn kind_of_channel(channel: &str) -> StreamKind {
    match channel {
        "liquidation-orders" => StreamKind::Liquidations,
        "trades" | "trades-all" => StreamKind::Trades,
        "books" | "books5" | "bbo-tbt" | "books-l2-tbt" | "books50-l2-tbt" => StreamKind::Depth,
        "funding-rate" => StreamKind::Funding,
        "open-interest" => StreamKind::OpenInterest,
        "mark-price" => StreamKind::MarkPrice,
        _ => StreamKind::Unknown,
    }
}

/// Events (`subscribe` acks, `error`), REST error codes and channel agreement.
/// Returns `Ok(true)` for a control frame.
fn check<T>(m: &Msg<'_, T>, expected: StreamKind, out: &mut Batch) -> Result<bool, Reason> {
    if let Some(ev) = m.event.as_deref() {
        if ev == "error" {
            return Err(Reason::ExchangeError {
                code: m
                    .code
                    .as_ref()
                    .map(Scalar::display_text)
                    .unwrap_or_default(),
                message: truncate(m.msg.as_deref().unwrap_or("")),
            });
        }
        out.control = true;
        return Ok(true);
    }
    if let Some(code) = &m.code
        && !matches!(code.value("code"), Ok(v) if v == 0.0)
    {
        return Err(Reason::ExchangeError {
            code: code.display_text(),
            message: truncate(m.msg.as_deref().unwrap_or("")),
        });
    }
    if let Some(ch) = m.arg.as_ref().and_then(|a| a.channel.as_deref())
        && kind_of_channel(ch) != expected
    {
        return Err(Reason::Unrecognised(
            "channel does not belong to this stream",
        ));
    }
    Ok(false)
}

/// Entry point.
pub(super) fn normalize(
    n: &mut Normalizer,
    frame: &Frame<'_>,
    hint: StreamKind,
    out: &mut Batch,
) -> FrameResult {
    if frame.payload.trim() == "pong" {
        out.control = true;
        return Ok(hint);
    }
    let kind = match hint {
        StreamKind::Unknown => detect(frame.payload, out)?,
        k => k,
    };
    if out.control {
        return Ok(kind);
    }
    let r = match kind {
        StreamKind::Liquidations => liquidations(n, frame, out),
        StreamKind::Trades => trades(n, frame, out),
        StreamKind::Depth => books(n, frame, out),
        StreamKind::Funding | StreamKind::OpenInterest | StreamKind::MarkPrice => {
            info(n, frame, kind, out)
        }
        _ => Err(Reason::Unrecognised("no such OKX stream")),
    };
    r.map(|()| kind).map_err(|e| (kind, e))
}

fn detect(payload: &str, out: &mut Batch) -> Result<StreamKind, (StreamKind, Reason)> {
    let u = StreamKind::Unknown;
    let m: Msg<'_, PeekItem> = serde_json::from_str(payload).map_err(|e| (u, e.into()))?;
    if let Some(ch) = m.arg.as_ref().and_then(|a| a.channel.as_deref()) {
        let k = kind_of_channel(ch);
        if k == StreamKind::Unknown && m.event.is_none() {
            return Err((u, Reason::Unrecognised("unknown OKX channel")));
        }
        if m.event.is_some() {
            check(&m, k, out).map_err(|e| (k, e))?;
        }
        return Ok(k);
    }
    check(&m, u, out).map_err(|e| (u, e))?;
    if out.control {
        return Ok(u);
    }
    let first = m.data.as_ref().and_then(|d| d.first());
    match first {
        Some(i) if i.details.is_some() => Ok(StreamKind::Liquidations),
        Some(i) if i.trade_id.is_some() => Ok(StreamKind::Trades),
        Some(i) if i.asks.is_some() => Ok(StreamKind::Depth),
        Some(i) if i.oi_ccy.is_some() => Ok(StreamKind::OpenInterest),
        Some(i) if i.funding_rate.is_some() => Ok(StreamKind::Funding),
        Some(i) if i.mark_px.is_some() => Ok(StreamKind::MarkPrice),
        _ => Err((u, Reason::Unrecognised("no known OKX fields"))),
    }
}

fn liquidations(n: &mut Normalizer, frame: &Frame<'_>, out: &mut Batch) -> Result<(), Reason> {
    // Fast path: one typed pass, where items and details that are not objects are skipped (F16).
    // A frame the typed pass rejects is parsed again item by item and detail by detail, so that
    // a malformed one costs only itself.
    type Fast<'a> = Msg<'a, Item<LiqItem<'a, Item<LiqDetail<'a>>>>>;
    match serde_json::from_str::<Fast<'_>>(frame.payload) {
        Ok(m) => liquidation_batch(n, frame, m, out),
        Err(_) => {
            let m: Msg<'_, &RawValue> = serde_json::from_str(frame.payload)?;
            liquidation_batch::<_, &RawValue>(n, frame, m, out)
        }
    }
}

fn liquidation_batch<'a, I, D>(
    n: &mut Normalizer,
    frame: &Frame<'_>,
    m: Msg<'a, I>,
    out: &mut Batch,
) -> Result<(), Reason>
where
    I: BatchItem<LiqItem<'a, D>>,
    D: BatchItem<LiqDetail<'a>>,
{
    if check(&m, StreamKind::Liquidations, out)? {
        return Ok(());
    }
    for item in m.data.ok_or(Reason::Missing("data"))? {
        let r = item.into_item().and_then(|item| {
            let inst = item.inst_id.as_deref().ok_or(Reason::Missing("instId"))?;
            for d in item.details.ok_or(Reason::Missing("details"))? {
                let r = d.into_item().and_then(|d| detail(n, frame, inst, &d, out));
                if let Err(reason) = r {
                    item_error(frame, StreamKind::Liquidations, reason, out);
                }
            }
            Ok(())
        });
        if let Err(reason) = r {
            item_error(frame, StreamKind::Liquidations, reason, out);
        }
    }
    Ok(())
}

fn detail(
    n: &mut Normalizer,
    frame: &Frame<'_>,
    inst: &str,
    d: &LiqDetail<'_>,
    out: &mut Batch,
) -> Result<(), Reason> {
    // F9: `posSide` long/short is the position side; in net mode (`net` or absent) the order
    // side tells it: a forced sell closes a long.
    let side = match d.pos_side.as_deref() {
        Some("net") | Some("") | None => side_field(
            d.side.as_deref(),
            "side",
            &[("sell", Side::Long), ("buy", Side::Short)],
        )?,
        pos => side_field(
            pos,
            "posSide",
            &[("long", Side::Long), ("short", Side::Short)],
        )?,
    };
    let price = req_positive(&d.bk_px, "bkPx")?;
    let size = req_positive(&d.sz, "sz")?;
    n.push_liquidation(
        frame,
        RawLiquidation {
            instrument: inst,
            side,
            price,
            price_kind: PriceKind::Bankruptcy,
            order_price: None,
            size,
            ts_ms: Ms::get(d.ts),
            sampling: Sampling::OnePerContractPerSecond,
        },
        out,
    );
    Ok(())
}

fn inst_of<'a>(
    item: &'a Option<Text<'a>>,
    arg: &'a Option<Arg<'a>>,
    frame: &Frame<'a>,
) -> Option<&'a str> {
    item.as_deref()
        .or(arg.as_ref().and_then(|a| a.inst_id.as_deref()))
        .or(frame.instrument)
}

fn trades(n: &mut Normalizer, frame: &Frame<'_>, out: &mut Batch) -> Result<(), Reason> {
    let m: Msg<'_, TradeItem<'_>> = serde_json::from_str(frame.payload)?;
    if check(&m, StreamKind::Trades, out)? {
        return Ok(());
    }
    let data = m.data.as_ref().ok_or(Reason::Missing("data"))?;
    for it in data {
        match trade_item(n, frame, it, &m.arg) {
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
    arg: &Option<Arg<'_>>,
) -> Result<MarketEvent, Reason> {
    let id = inst_of(&it.inst_id, arg, frame).ok_or(Reason::Missing("instId"))?;
    let taker_side = side_field(
        it.side.as_deref(),
        "side",
        &[("buy", TakerSide::Buy), ("sell", TakerSide::Sell)],
    )?;
    let price = req_positive(&it.px, "px")?;
    let size = req_positive(&it.sz, "sz")?;
    Ok(n.trade_event(frame, id, (price, size, taker_side), Ms::get(it.ts)))
}

fn books(n: &mut Normalizer, frame: &Frame<'_>, out: &mut Batch) -> Result<(), Reason> {
    let m: Msg<'_, BookItem<'_>> = serde_json::from_str(frame.payload)?;
    if check(&m, StreamKind::Depth, out)? {
        return Ok(());
    }
    // `books` sends `snapshot` then `update`; `books5`, `bbo-tbt` and REST send full books.
    let snapshot = match m.action.as_deref() {
        Some("snapshot") | None => true,
        Some("update") => false,
        Some(_) => return Err(Reason::Unrecognised("unknown books action")),
    };
    for it in m.data.ok_or(Reason::Missing("data"))? {
        let Some(id) = inst_of(&it.inst_id, &m.arg, frame) else {
            item_error(frame, StreamKind::Depth, Reason::Missing("instId"), out);
            continue;
        };
        let r = n.resolve(frame.exchange, frame.market, id);
        let d = Depth {
            bids: it.bids.0,
            asks: it.asks.0,
            last_update_id: it.seq_id.map(|s| s.0),
            prev_update_id: it.prev_seq_id.map(|s| s.0),
            checksum: it.checksum.map(|s| s.0),
            ..Depth::default()
        };
        let kind = if snapshot {
            EventKind::DepthSnapshot(d)
        } else {
            EventKind::DepthDiff(d)
        };
        out.events
            .push(Normalizer::event(frame, &r, Ms::get(it.ts), kind));
    }
    Ok(())
}

fn info(
    n: &mut Normalizer,
    frame: &Frame<'_>,
    kind: StreamKind,
    out: &mut Batch,
) -> Result<(), Reason> {
    let m: Msg<'_, InfoItem<'_>> = serde_json::from_str(frame.payload)?;
    if check(&m, kind, out)? {
        return Ok(());
    }
    let data = m.data.as_ref().ok_or(Reason::Missing("data"))?;
    for it in data {
        match info_item(n, frame, kind, it, &m.arg) {
            Ok(ev) => out.events.push(ev),
            Err(reason) => item_error(frame, kind, reason, out),
        }
    }
    Ok(())
}

fn info_item(
    n: &Normalizer,
    frame: &Frame<'_>,
    kind: StreamKind,
    it: &InfoItem<'_>,
    arg: &Option<Arg<'_>>,
) -> Result<MarketEvent, Reason> {
    let id = inst_of(&it.inst_id, arg, frame).ok_or(Reason::Missing("instId"))?;
    let ev = match kind {
        StreamKind::Funding => {
            let rate = it
                .funding_rate
                .as_ref()
                .ok_or(Reason::Missing("fundingRate"))?
                .finite("fundingRate")?;
            EventKind::MarkPrice(MarkPrice {
                funding_rate: Some(rate),
                funding_ts: Ms::get(it.funding_time).map(secs_from_ms),
                ..MarkPrice::default()
            })
        }
        StreamKind::MarkPrice => EventKind::MarkPrice(MarkPrice {
            mark_price: Some(req_positive(&it.mark_px, "markPx")?),
            ..MarkPrice::default()
        }),
        _ => {
            // `oiCcy` is in the base currency for linear and inverse swaps alike: use it (seed).
            let oi_base = it
                .oi_ccy
                .as_ref()
                .ok_or(Reason::Missing("oiCcy"))?
                .finite("oiCcy")?;
            EventKind::OpenInterest(OpenInterest {
                size: opt_finite(&it.oi, "oi")?,
                oi_base: Some(oi_base),
                oi_usd: opt_finite(&it.oi_usd, "oiUsd")?,
            })
        }
    };
    let r = n.resolve(frame.exchange, frame.market, id);
    Ok(Normalizer::event(frame, &r, Ms::get(it.ts), ev))
}
