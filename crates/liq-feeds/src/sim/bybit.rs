//! Bybit v5 linear message text: `publicTrade`, `orderbook.50` snapshot/delta, `tickers`
//! snapshot/delta, `allLiquidation`, and the REST bodies of `/v5/market/open-interest` and
//! `/v5/market/tickers` (shapes of the v5 docs and of the real captures).

use super::book::{Change, Lvl};
use super::fmt::{push_f64, push_i64, push_u64};
use super::inst::{Inst, LiqOut, TradeOut};

/// `{"topic":"publicTrade.S","type":"snapshot","ts":..,"data":[{"T","s","S","v","p","L","i","BT"}]}`.
pub fn public_trade(i: &Inst, t: &TradeOut, trade_uuid: u128) -> String {
    let mut s = String::with_capacity(224);
    s.push_str("{\"topic\":\"");
    s.push_str(&i.topics.trades);
    s.push_str("\",\"type\":\"snapshot\",\"ts\":");
    push_i64(&mut s, t.ts);
    s.push_str(",\"data\":[{\"T\":");
    push_i64(&mut s, t.ts);
    s.push_str(",\"s\":\"");
    s.push_str(&i.id);
    s.push_str("\",\"S\":\"");
    s.push_str(if t.buy { "Buy" } else { "Sell" });
    s.push_str("\",\"v\":\"");
    i.push_qty(&mut s, t.lots);
    s.push_str("\",\"p\":\"");
    i.push_px(&mut s, t.px);
    s.push_str("\",\"L\":\"");
    s.push_str(tick_direction(i.tick_dir));
    s.push_str("\",\"i\":\"");
    push_uuid(&mut s, trade_uuid);
    s.push_str("\",\"BT\":false}]}");
    s
}

fn tick_direction(d: i8) -> &'static str {
    match d {
        2 => "PlusTick",
        1 => "ZeroPlusTick",
        -1 => "ZeroMinusTick",
        _ => "MinusTick",
    }
}

fn push_uuid(s: &mut String, v: u128) {
    let hex = format!("{v:032x}");
    for (k, range) in [0..8, 8..12, 12..16, 16..20, 20..32]
        .into_iter()
        .enumerate()
    {
        if k > 0 {
            s.push('-');
        }
        s.push_str(&hex[range]);
    }
}

fn push_levels<'a>(s: &mut String, i: &Inst, levels: impl Iterator<Item = (i64, &'a Lvl)>) {
    s.push('[');
    let mut first = true;
    for (px, l) in levels {
        if !first {
            s.push(',');
        }
        first = false;
        s.push_str("[\"");
        i.push_px(s, px);
        s.push_str("\",\"");
        // Bybit writes a deleted level's size as a bare "0" (real captures).
        if l.lots == 0 {
            s.push('0');
        } else {
            i.push_qty(s, l.lots);
        }
        s.push_str("\"]");
    }
    s.push(']');
}

/// `orderbook.{depth}` message: a snapshot of the book's best `depth` levels, or a delta.
pub fn orderbook(i: &Inst, ts: i64, depth: usize, delta: Option<&[Change]>) -> String {
    let mut s = String::with_capacity(160 + depth * 40);
    s.push_str("{\"topic\":\"");
    s.push_str(&i.topics.depth);
    s.push_str("\",\"type\":\"");
    s.push_str(if delta.is_some() { "delta" } else { "snapshot" });
    s.push_str("\",\"ts\":");
    push_i64(&mut s, ts);
    s.push_str(",\"data\":{\"s\":\"");
    s.push_str(&i.id);
    s.push_str("\",\"b\":");
    match delta {
        Some(ch) => {
            push_levels(
                &mut s,
                i,
                ch.iter().filter(|c| c.bid).map(|c| (c.px, &c.lvl)),
            );
            s.push_str(",\"a\":");
            push_levels(
                &mut s,
                i,
                ch.iter().filter(|c| !c.bid).map(|c| (c.px, &c.lvl)),
            );
        }
        None => {
            push_levels(
                &mut s,
                i,
                i.book.bids.iter().rev().take(depth).map(|(p, l)| (*p, l)),
            );
            s.push_str(",\"a\":");
            push_levels(
                &mut s,
                i,
                i.book.asks.iter().take(depth).map(|(p, l)| (*p, l)),
            );
        }
    }
    s.push_str(",\"u\":");
    push_i64(&mut s, i.update_id);
    s.push_str(",\"seq\":");
    push_i64(&mut s, i.cross_seq);
    s.push_str("},\"cts\":");
    push_i64(&mut s, ts);
    s.push('}');
    s
}

/// Values of a ticker.
#[derive(Clone, Copy, Debug)]
pub struct TickerVals {
    /// Time, ms.
    pub ts: i64,
    /// Mark price.
    pub mark: f64,
    /// Index price.
    pub index: f64,
    /// Open interest, base units.
    pub oi: f64,
    /// Funding rate.
    pub funding: f64,
    /// Next funding time, ms.
    pub next_funding: i64,
}

/// The ticker fields: all of them for a snapshot (and REST), the changing ones for a delta.
pub fn push_ticker_fields(s: &mut String, i: &Inst, v: &TickerVals, full: bool) {
    let dp = i.fmt.price_dp;
    s.push_str("{\"symbol\":\"");
    s.push_str(&i.id);
    s.push_str("\",\"tickDirection\":\"");
    s.push_str(tick_direction(i.tick_dir));
    let (open, hi, lo, vol, turnover) = i.stats_24h();
    let open_px = i.price(open).max(1e-12);
    s.push_str("\",\"price24hPcnt\":\"");
    push_f64(s, i.price(i.last_px) / open_px - 1.0, 6);
    s.push_str("\",\"lastPrice\":\"");
    i.push_px(s, i.last_px);
    if full {
        s.push_str("\",\"prevPrice24h\":\"");
        i.push_px(s, open);
        s.push_str("\",\"highPrice24h\":\"");
        i.push_px(s, hi);
        s.push_str("\",\"lowPrice24h\":\"");
        i.push_px(s, lo);
        s.push_str("\",\"prevPrice1h\":\"");
        i.push_px(s, i.price_1h_ago(v.ts));
    }
    s.push_str("\",\"markPrice\":\"");
    push_f64(s, v.mark, dp);
    s.push_str("\",\"indexPrice\":\"");
    push_f64(s, v.index, dp);
    s.push_str("\",\"openInterest\":\"");
    push_f64(s, v.oi, i.fmt.qty_dp);
    s.push_str("\",\"openInterestValue\":\"");
    push_f64(s, v.oi * v.mark, 2);
    s.push_str("\",\"turnover24h\":\"");
    push_f64(s, turnover, 4);
    s.push_str("\",\"volume24h\":\"");
    push_f64(s, vol, i.fmt.qty_dp);
    if full {
        s.push_str("\",\"nextFundingTime\":\"");
        push_i64(s, v.next_funding);
    }
    s.push_str("\",\"fundingRate\":\"");
    push_f64(s, v.funding, 6);
    let (bids, asks) = i.top(1);
    if let (Some(b), Some(a)) = (bids.first(), asks.first()) {
        s.push_str("\",\"bid1Price\":\"");
        i.push_px(s, b.0);
        s.push_str("\",\"bid1Size\":\"");
        i.push_qty(s, b.1.lots);
        s.push_str("\",\"ask1Price\":\"");
        i.push_px(s, a.0);
        s.push_str("\",\"ask1Size\":\"");
        i.push_qty(s, a.1.lots);
    }
    s.push_str("\"}");
}

/// `{"topic":"tickers.S","type":"snapshot"|"delta","data":{..},"cs":..,"ts":..}`.
pub fn ticker(i: &Inst, v: &TickerVals, snapshot: bool) -> String {
    let mut s = String::with_capacity(640);
    s.push_str("{\"topic\":\"");
    s.push_str(&i.topics.mark);
    s.push_str("\",\"type\":\"");
    s.push_str(if snapshot { "snapshot" } else { "delta" });
    s.push_str("\",\"data\":");
    push_ticker_fields(&mut s, i, v, snapshot);
    s.push_str(",\"cs\":");
    push_i64(&mut s, i.cross_seq);
    s.push_str(",\"ts\":");
    push_i64(&mut s, v.ts);
    s.push('}');
    s
}

/// `{"topic":"allLiquidation.S","type":"snapshot","ts":..,"data":[{"T","s","S","v","p"}]}`:
/// `S` is the side of the liquidated position ("Buy" = a long was liquidated, v5 docs),
/// `p` the bankruptcy price, `v` the size in base units.
pub fn all_liquidation(i: &Inst, ts: i64, liqs: &[LiqOut]) -> String {
    let mut s = String::with_capacity(96 + liqs.len() * 96);
    s.push_str("{\"topic\":\"");
    s.push_str(&i.topics.liq);
    s.push_str("\",\"type\":\"snapshot\",\"ts\":");
    push_i64(&mut s, ts);
    s.push_str(",\"data\":[");
    for (k, l) in liqs.iter().enumerate() {
        if k > 0 {
            s.push(',');
        }
        s.push_str("{\"T\":");
        push_i64(&mut s, l.ts);
        s.push_str(",\"s\":\"");
        s.push_str(&i.id);
        s.push_str("\",\"S\":\"");
        s.push_str(if l.long { "Buy" } else { "Sell" });
        s.push_str("\",\"v\":\"");
        i.push_qty(&mut s, l.lots);
        s.push_str("\",\"p\":\"");
        i.push_px(&mut s, l.bankrupt);
        s.push_str("\"}");
    }
    s.push_str("]}");
    s
}

/// REST envelope: `{"retCode":0,"retMsg":"OK","result":<result>,"retExtInfo":{},"time":..}`.
pub fn rest_envelope(result: &str, ts: i64) -> String {
    let mut s = String::with_capacity(result.len() + 80);
    s.push_str("{\"retCode\":0,\"retMsg\":\"OK\",\"result\":");
    s.push_str(result);
    s.push_str(",\"retExtInfo\":{},\"time\":");
    push_i64(&mut s, ts);
    s.push('}');
    s
}

/// REST error: `{"retCode":10001,"retMsg":..,"result":{},"retExtInfo":{},"time":..}`.
pub fn rest_error(msg: &str, ts: i64) -> String {
    let mut s = String::from("{\"retCode\":10001,\"retMsg\":\"");
    s.push_str(msg);
    s.push_str("\",\"result\":{},\"retExtInfo\":{},\"time\":");
    push_i64(&mut s, ts);
    s.push('}');
    s
}

/// `/v5/market/open-interest` result: `{"symbol","category","list":[{"openInterest","timestamp"}],
/// "nextPageCursor"}` (newest first).
pub fn open_interest_result(i: &Inst, points: &[(i64, f64)]) -> String {
    let mut s = String::with_capacity(96 + points.len() * 64);
    s.push_str("{\"symbol\":\"");
    s.push_str(&i.id);
    s.push_str("\",\"category\":\"linear\",\"list\":[");
    for (k, (ts, oi)) in points.iter().enumerate() {
        if k > 0 {
            s.push(',');
        }
        s.push_str("{\"openInterest\":\"");
        push_f64(&mut s, *oi, 8);
        s.push_str("\",\"timestamp\":\"");
        push_u64(&mut s, (*ts).max(0) as u64);
        s.push_str("\"}");
    }
    s.push_str("],\"nextPageCursor\":\"\"}");
    s
}
