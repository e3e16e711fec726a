//! OKX v5 message text: `trades`, `books` snapshot/update with `seqId`/`prevSeqId` and the CRC32
//! checksum, `open-interest`, `funding-rate`, `liquidation-orders`, and the REST bodies of
//! `/api/v5/public/open-interest` and `/api/v5/public/instruments` (v5 docs, real captures).

use super::book::{Change, Lvl};
use super::fmt::{push_f64_trim, push_i64, push_u64};
use super::inst::{Inst, LiqOut, TradeOut};

fn push_arg(s: &mut String, channel: &str, id: &str) {
    s.push_str("{\"arg\":{\"channel\":\"");
    s.push_str(channel);
    s.push_str("\",\"instId\":\"");
    s.push_str(id);
    s.push_str("\"}");
}

fn push_str_i64(s: &mut String, v: i64) {
    s.push('"');
    push_i64(s, v);
    s.push('"');
}

/// `{"arg":{"channel":"trades","instId":..},"data":[{"instId","tradeId","px","sz","side","ts","count"}]}`.
pub fn trade(i: &Inst, t: &TradeOut) -> String {
    let mut s = String::with_capacity(200);
    push_arg(&mut s, "trades", &i.id);
    s.push_str(",\"data\":[{\"instId\":\"");
    s.push_str(&i.id);
    s.push_str("\",\"tradeId\":\"");
    push_u64(&mut s, i.trade_id);
    s.push_str("\",\"px\":\"");
    i.push_px(&mut s, t.px);
    s.push_str("\",\"sz\":\"");
    i.push_qty(&mut s, t.lots);
    s.push_str("\",\"side\":\"");
    s.push_str(if t.buy { "buy" } else { "sell" });
    s.push_str("\",\"ts\":");
    push_str_i64(&mut s, t.ts);
    s.push_str(",\"count\":\"1\"}]}");
    s
}

fn push_level(s: &mut String, i: &Inst, px: i64, l: &Lvl) {
    s.push_str("[\"");
    i.push_px(s, px);
    s.push_str("\",\"");
    i.push_qty(s, l.lots);
    s.push_str("\",\"0\",\"");
    push_u64(s, u64::from(l.orders));
    s.push_str("\"]");
}

fn push_levels<'a>(s: &mut String, i: &Inst, levels: impl Iterator<Item = (i64, &'a Lvl)>) {
    s.push('[');
    for (k, (px, l)) in levels.enumerate() {
        if k > 0 {
            s.push(',');
        }
        push_level(s, i, px, l);
    }
    s.push(']');
}

/// The documented checksum of the book: CRC32 of the best 25 bids and asks interleaved as
/// `bid1px:bid1sz:ask1px:ask1sz:...` with the strings as sent, as a signed 32-bit integer.
pub fn checksum(i: &Inst, scratch: &mut String) -> i32 {
    scratch.clear();
    let mut bids = i.book.bids.iter().rev().take(25);
    let mut asks = i.book.asks.iter().take(25);
    loop {
        let b = bids.next();
        let a = asks.next();
        if b.is_none() && a.is_none() {
            break;
        }
        for (px, l) in b.into_iter().chain(a) {
            if !scratch.is_empty() {
                scratch.push(':');
            }
            i.push_px(scratch, *px);
            scratch.push(':');
            i.push_qty(scratch, l.lots);
        }
    }
    crc32fast::hash(scratch.as_bytes()) as i32
}

/// `books` message: a snapshot of the whole book (`prevSeqId` -1) or an update.
pub fn books(i: &Inst, ts: i64, prev_seq: i64, update: Option<&[Change]>, checksum: i32) -> String {
    let n = update.map_or(i.book.bids.len() + i.book.asks.len(), <[Change]>::len);
    let mut s = String::with_capacity(200 + n * 40);
    push_arg(&mut s, "books", &i.id);
    s.push_str(",\"action\":\"");
    s.push_str(if update.is_some() {
        "update"
    } else {
        "snapshot"
    });
    s.push_str("\",\"data\":[{\"asks\":");
    match update {
        Some(ch) => {
            push_levels(
                &mut s,
                i,
                ch.iter().filter(|c| !c.bid).map(|c| (c.px, &c.lvl)),
            );
            s.push_str(",\"bids\":");
            push_levels(
                &mut s,
                i,
                ch.iter().filter(|c| c.bid).map(|c| (c.px, &c.lvl)),
            );
        }
        None => {
            push_levels(&mut s, i, i.book.asks.iter().map(|(p, l)| (*p, l)));
            s.push_str(",\"bids\":");
            push_levels(&mut s, i, i.book.bids.iter().rev().map(|(p, l)| (*p, l)));
        }
    }
    s.push_str(",\"ts\":");
    push_str_i64(&mut s, ts);
    s.push_str(",\"checksum\":");
    push_i64(&mut s, i64::from(checksum));
    s.push_str(",\"prevSeqId\":");
    push_i64(&mut s, prev_seq);
    s.push_str(",\"seqId\":");
    push_i64(&mut s, i.update_id);
    s.push_str("}]}");
    s
}

fn push_oi_item(s: &mut String, i: &Inst, ts: i64, oi_base: f64, mark: f64) {
    s.push_str("{\"instId\":\"");
    s.push_str(&i.id);
    s.push_str("\",\"instType\":\"SWAP\",\"oi\":\"");
    push_f64_trim(s, oi_base / i.ct, i.fmt.qty_dp);
    s.push_str("\",\"oiCcy\":\"");
    push_f64_trim(s, oi_base, 8);
    s.push_str("\",\"oiUsd\":\"");
    push_f64_trim(s, oi_base * mark, 4);
    s.push_str("\",\"ts\":");
    push_str_i64(s, ts);
    s.push('}');
}

/// `{"arg":{"channel":"open-interest","instId":..},"data":[{"instId","instType","oi","oiCcy","oiUsd","ts"}]}`.
pub fn open_interest(i: &Inst, ts: i64, oi_base: f64, mark: f64) -> String {
    let mut s = String::with_capacity(240);
    push_arg(&mut s, "open-interest", &i.id);
    s.push_str(",\"data\":[");
    push_oi_item(&mut s, i, ts, oi_base, mark);
    s.push_str("]}");
    s
}

/// REST `/api/v5/public/open-interest` body for several instruments.
pub fn rest_open_interest(items: &[(&Inst, f64, f64)], ts: i64) -> String {
    let mut s = String::from("{\"code\":\"0\",\"data\":[");
    for (k, (i, oi, mark)) in items.iter().enumerate() {
        if k > 0 {
            s.push(',');
        }
        push_oi_item(&mut s, i, ts, *oi, *mark);
    }
    s.push_str("],\"msg\":\"\"}");
    s
}

/// `funding-rate` message (fields of the real capture).
pub fn funding_rate(i: &Inst, ts: i64, rate: f64, funding_time: i64) -> String {
    let mut s = String::with_capacity(400);
    push_arg(&mut s, "funding-rate", &i.id);
    s.push_str(",\"data\":[{\"fundingRate\":\"");
    push_f64_trim(&mut s, rate, 16);
    s.push_str("\",\"fundingTime\":");
    push_str_i64(&mut s, funding_time);
    s.push_str(",\"instId\":\"");
    s.push_str(&i.id);
    s.push_str("\",\"instType\":\"SWAP\",\"maxFundingRate\":\"0.00375\",\"method\":\"current_period\",\"minFundingRate\":\"-0.00375\",\"nextFundingRate\":\"\",\"nextFundingTime\":");
    push_str_i64(&mut s, funding_time + 28_800_000);
    s.push_str(",\"settFundingRate\":\"");
    push_f64_trim(&mut s, rate, 16);
    s.push_str("\",\"settState\":\"settled\",\"ts\":");
    push_str_i64(&mut s, ts);
    s.push_str("}]}");
    s
}

/// `{"arg":{"channel":"liquidation-orders","instType":"SWAP"},"data":[{"details":[..],
/// "instFamily","instId","instType","uly"}]}`, one item per instrument; `posSide` is the
/// liquidated position's side, `side` the liquidation order's, `sz` contracts, `bkPx` the
/// bankruptcy price.
pub fn liquidation_orders(items: &[(&Inst, LiqOut)]) -> String {
    let mut s = String::with_capacity(64 + items.len() * 260);
    s.push_str("{\"arg\":{\"channel\":\"liquidation-orders\",\"instType\":\"SWAP\"},\"data\":[");
    for (k, (i, l)) in items.iter().enumerate() {
        if k > 0 {
            s.push(',');
        }
        s.push_str("{\"details\":[{\"bkLoss\":\"0\",\"bkPx\":\"");
        i.push_px(&mut s, l.bankrupt);
        s.push_str("\",\"ccy\":\"\",\"posSide\":\"");
        s.push_str(if l.long { "long" } else { "short" });
        s.push_str("\",\"side\":\"");
        s.push_str(if l.long { "sell" } else { "buy" });
        s.push_str("\",\"sz\":\"");
        i.push_qty(&mut s, l.lots);
        s.push_str("\",\"ts\":");
        push_str_i64(&mut s, l.ts);
        let family = i.id.strip_suffix("-SWAP").unwrap_or(&i.id);
        s.push_str("}],\"instFamily\":\"");
        s.push_str(family);
        s.push_str("\",\"instId\":\"");
        s.push_str(&i.id);
        s.push_str("\",\"instType\":\"SWAP\",\"uly\":\"");
        s.push_str(family);
        s.push_str("\"}");
    }
    s.push_str("]}");
    s
}

/// REST `/api/v5/public/instruments` body.
pub fn rest_instruments(items: &[&Inst], list_time: i64) -> String {
    let mut s = String::from("{\"code\":\"0\",\"data\":[");
    for (k, i) in items.iter().enumerate() {
        if k > 0 {
            s.push(',');
        }
        let family = i.id.strip_suffix("-SWAP").unwrap_or(&i.id);
        let (base, quote) = family.split_once('-').unwrap_or((family, "USDT"));
        s.push_str("{\"alias\":\"\",\"baseCcy\":\"\",\"category\":\"1\",\"ctMult\":\"1\",\"ctType\":\"linear\",\"ctVal\":\"");
        push_f64_trim(&mut s, i.ct, 8);
        s.push_str("\",\"ctValCcy\":\"");
        s.push_str(base);
        s.push_str("\",\"expTime\":\"\",\"instFamily\":\"");
        s.push_str(family);
        s.push_str("\",\"instId\":\"");
        s.push_str(&i.id);
        s.push_str("\",\"instType\":\"SWAP\",\"lever\":\"100\",\"listTime\":");
        push_str_i64(&mut s, list_time);
        s.push_str(",\"lotSz\":\"");
        i.push_qty(&mut s, 1);
        s.push_str("\",\"maxLmtSz\":\"100000000\",\"maxMktSz\":\"12000\",\"minSz\":\"");
        i.push_qty(&mut s, 1);
        s.push_str("\",\"optType\":\"\",\"quoteCcy\":\"\",\"settleCcy\":\"");
        s.push_str(quote);
        s.push_str("\",\"state\":\"live\",\"stk\":\"\",\"tickSz\":\"");
        i.push_px(&mut s, 1);
        s.push_str("\",\"uly\":\"");
        s.push_str(family);
        s.push_str("\"}");
    }
    s.push_str("],\"msg\":\"\"}");
    s
}

/// An OKX REST error body.
pub fn rest_error(code: &str, msg: &str) -> String {
    format!("{{\"code\":\"{code}\",\"data\":[],\"msg\":\"{msg}\"}}")
}
