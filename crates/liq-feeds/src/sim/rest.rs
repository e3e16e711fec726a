//! REST answers from the simulator's state (the paths of `MarketSource::rest`).

use liq_core::event::Exchange;

use super::population::RatioCounts;
use super::{Simulator, binance, bybit, okx};
use crate::wire::RestAnswer;

fn param<'a>(query: &'a str, key: &str) -> Option<&'a str> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

fn ok(body: String) -> Option<RestAnswer> {
    Some(RestAnswer { status: 200, body })
}

fn binance_error(code: i32, msg: &str) -> Option<RestAnswer> {
    Some(RestAnswer {
        status: 400,
        body: format!("{{\"code\":{code},\"msg\":\"{msg}\"}}"),
    })
}

fn period_ms(p: &str) -> Option<i64> {
    Some(match p {
        "5m" | "5min" => 300_000,
        "15m" | "15min" => 900_000,
        "30m" | "30min" => 1_800_000,
        "1h" => 3_600_000,
        "2h" => 7_200_000,
        "4h" => 14_400_000,
        "6h" => 21_600_000,
        "12h" => 43_200_000,
        "1d" => 86_400_000,
        _ => return None,
    })
}

/// Answers a REST request at the simulator's current state.
pub(super) fn answer(
    sim: &mut Simulator,
    exchange: Exchange,
    path: &str,
    query: &str,
) -> Option<RestAnswer> {
    let now = sim.now_ms;
    let find = |sim: &Simulator, id: &str| {
        sim.insts
            .iter()
            .position(|i| i.ex == exchange && i.id == id)
    };
    match (exchange, path) {
        (Exchange::Binance, "/fapi/v1/depth" | "/fapi/v1/openInterest") => {
            let Some(sym) = param(query, "symbol") else {
                return binance_error(
                    -1102,
                    "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.",
                );
            };
            let Some(ix) = find(sim, sym) else {
                return binance_error(-1121, "Invalid symbol.");
            };
            if path == "/fapi/v1/openInterest" {
                return ok(binance::rest_open_interest(
                    &sim.insts[ix],
                    now,
                    sim.oi_of(ix),
                ));
            }
            let limit = match param(query, "limit").map(str::parse::<usize>) {
                None => 500,
                Some(Ok(n)) if [5, 10, 20, 50, 100, 500, 1000].contains(&n) => n,
                Some(_) => {
                    return binance_error(
                        -1100,
                        "Illegal characters found in parameter 'limit'; legal range is '5, 10, 20, 50, 100, 500, 1000'.",
                    );
                }
            };
            ok(binance::rest_depth(&sim.insts[ix], now, limit))
        }
        (Exchange::Binance, p) if p.starts_with("/futures/data/") => {
            let kind = &p["/futures/data/".len()..];
            let pick: fn(&RatioCounts) -> (f64, f64) = match kind {
                "topLongShortAccountRatio" => {
                    |r| (r.top_accounts[0] + 1.0, r.top_accounts[1] + 1.0)
                }
                "topLongShortPositionRatio" => |r| (r.top_qty[0] + 1e-6, r.top_qty[1] + 1e-6),
                "globalLongShortAccountRatio" => |r| (r.accounts[0] + 1.0, r.accounts[1] + 1.0),
                _ => return None,
            };
            let Some(sym) = param(query, "symbol") else {
                return binance_error(
                    -1102,
                    "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.",
                );
            };
            let Some(ix) = find(sim, sym) else {
                return binance_error(-1121, "Invalid symbol.");
            };
            let Some(period) = param(query, "period").and_then(period_ms) else {
                return binance_error(
                    -1102,
                    "Mandatory parameter 'period' was not sent, was empty/null, or malformed.",
                );
            };
            let limit = param(query, "limit")
                .and_then(|l| l.parse::<usize>().ok())
                .unwrap_or(30)
                .clamp(1, 500);
            let inst = &sim.insts[ix];
            let hist = &sim.ratio_hist[inst.sym];
            let points: Vec<_> = hist.iter().filter(|(ts, _)| ts % period == 0).collect();
            let from = points.len().saturating_sub(limit);
            let mut s = String::from("[");
            for (k, (ts, r)) in points[from..].iter().enumerate() {
                if k > 0 {
                    s.push(',');
                }
                let (l, sh) = pick(r);
                binance::push_ratio_point(&mut s, inst, *ts, l, sh);
            }
            s.push(']');
            ok(s)
        }
        (Exchange::Bybit, "/v5/market/open-interest" | "/v5/market/tickers") => {
            if param(query, "category") != Some("linear") {
                return ok(bybit::rest_error(
                    "params error: category only support linear",
                    now,
                ));
            }
            if path == "/v5/market/tickers" {
                let ixs: Vec<usize> = match param(query, "symbol") {
                    Some(sym) => match find(sim, sym) {
                        Some(ix) => vec![ix],
                        None => return ok(bybit::rest_error("params error: symbol invalid", now)),
                    },
                    None => (0..sim.insts.len())
                        .filter(|i| sim.insts[*i].ex == Exchange::Bybit)
                        .collect(),
                };
                let mut s = String::from("{\"category\":\"linear\",\"list\":[");
                for (k, ix) in ixs.iter().enumerate() {
                    if k > 0 {
                        s.push(',');
                    }
                    let v = sim.ticker_vals(*ix, now);
                    bybit::push_ticker_fields(&mut s, &sim.insts[*ix], &v, true);
                }
                s.push_str("]}");
                return ok(bybit::rest_envelope(&s, now));
            }
            let Some(ix) = param(query, "symbol").and_then(|s| find(sim, s)) else {
                return ok(bybit::rest_error("params error: symbol invalid", now));
            };
            let Some(interval) = param(query, "intervalTime").and_then(period_ms) else {
                return ok(bybit::rest_error("params error: intervalTime invalid", now));
            };
            let limit = param(query, "limit")
                .and_then(|l| l.parse::<usize>().ok())
                .unwrap_or(50)
                .clamp(1, 200);
            // Newest first; the newest point is the current interval's, with the current value.
            let current = (now - now.rem_euclid(interval), sim.oi_of(ix));
            let mut points = vec![current];
            let inst = &sim.insts[ix];
            points.extend(
                inst.oi_hist
                    .iter()
                    .rev()
                    .filter(|(ts, _)| ts % interval == 0 && *ts < current.0)
                    .copied(),
            );
            points.truncate(limit);
            ok(bybit::rest_envelope(
                &bybit::open_interest_result(inst, &points),
                now,
            ))
        }
        (Exchange::Okx, "/api/v5/public/open-interest" | "/api/v5/public/instruments") => {
            if param(query, "instType") != Some("SWAP") {
                return ok(okx::rest_error("51000", "Parameter instType error"));
            }
            let ixs: Vec<usize> = match param(query, "instId") {
                Some(id) => match find(sim, id) {
                    Some(ix) => vec![ix],
                    None => return ok(okx::rest_error("51001", "Instrument ID does not exist")),
                },
                None => (0..sim.insts.len())
                    .filter(|i| sim.insts[*i].ex == Exchange::Okx)
                    .collect(),
            };
            if path == "/api/v5/public/instruments" {
                let refs: Vec<_> = ixs.iter().map(|ix| &sim.insts[*ix]).collect();
                return ok(okx::rest_instruments(&refs, 1_611_916_828_000));
            }
            let items: Vec<_> = ixs
                .iter()
                .map(|ix| {
                    let i = &sim.insts[*ix];
                    (i, sim.oi_of(*ix), sim.market.syms[i.sym].mark[i.exi])
                })
                .collect();
            ok(okx::rest_open_interest(&items, now))
        }
        _ => None,
    }
}
