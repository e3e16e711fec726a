//! Binance USD-M message text: `aggTrade`, `depthUpdate`, `markPriceUpdate`, `forceOrder`, and
//! the REST bodies of `/fapi/v1/depth` and `/fapi/v1/openInterest` (shapes of the USD-M docs
//! and of the real captures in the shared fixtures).

use super::book::{Change, Lvl};
use super::fmt::{push_dec, push_f64, push_i64, push_u64};
use super::inst::{Inst, LiqOut, TradeOut};

/// `{"e":"aggTrade","E":..,"a":..,"s":..,"p":..,"q":..,"f":..,"l":..,"T":..,"m":..}`.
pub fn agg_trade(i: &Inst, t: &TradeOut, first_id: u64) -> String {
    let mut s = String::with_capacity(160);
    s.push_str("{\"e\":\"aggTrade\",\"E\":");
    push_i64(&mut s, t.ts);
    s.push_str(",\"a\":");
    push_u64(&mut s, i.agg_id);
    s.push_str(",\"s\":\"");
    s.push_str(&i.id);
    s.push_str("\",\"p\":\"");
    i.push_px(&mut s, t.px);
    s.push_str("\",\"q\":\"");
    i.push_qty(&mut s, t.lots);
    s.push_str("\",\"f\":");
    push_u64(&mut s, first_id);
    s.push_str(",\"l\":");
    push_u64(&mut s, i.trade_id);
    s.push_str(",\"T\":");
    push_i64(&mut s, t.ts);
    s.push_str(",\"m\":");
    // `m`: the buyer is the maker, i.e. the taker sold.
    s.push_str(if t.buy { "false" } else { "true" });
    s.push('}');
    s
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
        i.push_qty(s, l.lots);
        s.push_str("\"]");
    }
    s.push(']');
}

/// `{"e":"depthUpdate","E":..,"T":..,"s":..,"U":..,"u":..,"pu":..,"b":[..],"a":[..]}`.
pub fn depth_update(
    i: &Inst,
    ts: i64,
    first: i64,
    last: i64,
    prev: i64,
    changes: &[Change],
) -> String {
    let mut s = String::with_capacity(128 + changes.len() * 24);
    s.push_str("{\"e\":\"depthUpdate\",\"E\":");
    push_i64(&mut s, ts);
    s.push_str(",\"T\":");
    push_i64(&mut s, ts);
    s.push_str(",\"s\":\"");
    s.push_str(&i.id);
    s.push_str("\",\"U\":");
    push_i64(&mut s, first);
    s.push_str(",\"u\":");
    push_i64(&mut s, last);
    s.push_str(",\"pu\":");
    push_i64(&mut s, prev);
    s.push_str(",\"b\":");
    push_levels(
        &mut s,
        i,
        changes.iter().filter(|c| c.bid).map(|c| (c.px, &c.lvl)),
    );
    s.push_str(",\"a\":");
    push_levels(
        &mut s,
        i,
        changes.iter().filter(|c| !c.bid).map(|c| (c.px, &c.lvl)),
    );
    s.push('}');
    s
}

/// REST `/fapi/v1/depth`: `{"lastUpdateId":..,"E":..,"T":..,"bids":[..],"asks":[..]}`.
pub fn rest_depth(i: &Inst, ts: i64, limit: usize) -> String {
    let mut s = String::with_capacity(96 + limit * 48);
    s.push_str("{\"lastUpdateId\":");
    push_i64(&mut s, i.update_id);
    s.push_str(",\"E\":");
    push_i64(&mut s, ts);
    s.push_str(",\"T\":");
    push_i64(&mut s, ts);
    s.push_str(",\"bids\":");
    push_levels(
        &mut s,
        i,
        i.book.bids.iter().rev().take(limit).map(|(p, l)| (*p, l)),
    );
    s.push_str(",\"asks\":");
    push_levels(
        &mut s,
        i,
        i.book.asks.iter().take(limit).map(|(p, l)| (*p, l)),
    );
    s.push('}');
    s
}

/// Appends a price with 8 decimals after rounding it to the instrument's tick.
fn push_px8(s: &mut String, i: &Inst, price: f64) {
    let units = i.ticks(price) * i.fmt.tick;
    push_dec(s, units * 10i64.pow(8 - i.fmt.price_dp.min(8)), 8, false);
}

/// `{"e":"markPriceUpdate","E":..,"s":..,"p":..,"i":..,"P":..,"r":..,"T":..}`.
pub fn mark_price(
    i: &Inst,
    ts: i64,
    mark: f64,
    index: f64,
    funding: f64,
    next_funding: i64,
) -> String {
    let mut s = String::with_capacity(192);
    s.push_str("{\"e\":\"markPriceUpdate\",\"E\":");
    push_i64(&mut s, ts);
    s.push_str(",\"s\":\"");
    s.push_str(&i.id);
    s.push_str("\",\"p\":\"");
    push_px8(&mut s, i, mark);
    s.push_str("\",\"i\":\"");
    push_f64(&mut s, index, 8);
    s.push_str("\",\"P\":\"");
    push_f64(&mut s, 0.5 * (index + mark), 8);
    s.push_str("\",\"r\":\"");
    push_f64(&mut s, funding, 8);
    s.push_str("\",\"T\":");
    push_i64(&mut s, next_funding);
    s.push('}');
    s
}

/// `{"e":"forceOrder","E":..,"o":{"s":..,"S":..,"o":"LIMIT","f":"IOC","q":..,"p":..,"ap":..,
/// "X":"FILLED","l":..,"z":..,"T":..}}`: `S` is the liquidation order's side (SELL closes a
/// long), `p` the order price (the bankruptcy price), `ap` the average fill.
pub fn force_order(i: &Inst, ts: i64, l: &LiqOut) -> String {
    let mut s = String::with_capacity(224);
    s.push_str("{\"e\":\"forceOrder\",\"E\":");
    push_i64(&mut s, ts);
    s.push_str(",\"o\":{\"s\":\"");
    s.push_str(&i.id);
    s.push_str("\",\"S\":\"");
    s.push_str(if l.long { "SELL" } else { "BUY" });
    s.push_str("\",\"o\":\"LIMIT\",\"f\":\"IOC\",\"q\":\"");
    i.push_qty(&mut s, l.lots);
    s.push_str("\",\"p\":\"");
    i.push_px(&mut s, l.bankrupt);
    s.push_str("\",\"ap\":\"");
    i.push_px(&mut s, l.fill);
    s.push_str("\",\"X\":\"FILLED\",\"l\":\"");
    i.push_qty(&mut s, l.lots);
    s.push_str("\",\"z\":\"");
    i.push_qty(&mut s, l.lots);
    s.push_str("\",\"T\":");
    push_i64(&mut s, l.ts);
    s.push_str("}}");
    s
}

/// REST `/fapi/v1/openInterest`: `{"symbol":..,"openInterest":..,"time":..}`.
pub fn rest_open_interest(i: &Inst, ts: i64, oi_base: f64) -> String {
    let mut s = String::with_capacity(96);
    s.push_str("{\"symbol\":\"");
    s.push_str(&i.id);
    s.push_str("\",\"openInterest\":\"");
    push_f64(&mut s, oi_base, i.fmt.qty_dp);
    s.push_str("\",\"time\":");
    push_i64(&mut s, ts);
    s.push('}');
    s
}

/// One point of a `/futures/data/*LongShort*Ratio` answer.
pub fn push_ratio_point(s: &mut String, i: &Inst, ts: i64, long: f64, short: f64) {
    let total = (long + short).max(1e-12);
    let (l, sh) = (long / total, short / total);
    s.push_str("{\"symbol\":\"");
    s.push_str(&i.id);
    s.push_str("\",\"longShortRatio\":\"");
    push_f64(s, if sh > 0.0 { l / sh } else { 0.0 }, 4);
    s.push_str("\",\"longAccount\":\"");
    push_f64(s, l, 4);
    s.push_str("\",\"shortAccount\":\"");
    push_f64(s, sh, 4);
    s.push_str("\",\"timestamp\":\"");
    push_i64(s, ts);
    s.push_str("\"}");
}
