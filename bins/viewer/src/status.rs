//! Builds the dashboard's [`DashModel`] from the engine, the ingest counters and the feeds'
//! connection states (the engine thread calls it a few times per second).

use std::collections::{HashMap, VecDeque};

use liq_core::event::{EventKind, Exchange, MarketEvent, Side};
use liq_core::heatmap::snapshot::GridBody;
use liq_core::zones::LeverageFilter;

use crate::dash::model::{
    CalibratorRow, ConnState, DashModel, ExchangeRow, ForecastRow, HeatStrip, RatioPanel,
    SymbolRow, ZoneRow,
};
use crate::ingest::Ingest;
use crate::session::Session;

/// Cells of a heatmap strip.
const STRIP_CELLS: usize = 64;
/// Zones listed.
const TOP_ZONES: usize = 8;
/// The liquidation window of the per-hour figures.
const HOUR: f64 = 3600.0;

/// One liquidation remembered for the hourly figures.
#[derive(Debug, Clone)]
struct LiqMark {
    ts: f64,
    symbol: String,
    exchange: Exchange,
    long: bool,
    usd: f64,
}

/// The state the model needs beyond the engine: recent liquidations, closes an hour back,
/// the latest heatmap grids and forecast rows.
#[derive(Debug, Default)]
pub struct StatusBoard {
    liqs: VecDeque<LiqMark>,
    liq_events: HashMap<String, u64>,
    closes: HashMap<String, VecDeque<(f64, f64)>>,
    grids: HashMap<String, HeatStrip>,
    forecasts: HashMap<String, ForecastRow>,
}

/// Downsamples a grid to the strip (max per cell, so thin pools stay visible).
fn strip(g: &GridBody) -> HeatStrip {
    let n = g.long_intensity.len().min(g.short_intensity.len());
    let mut s = HeatStrip {
        price_min: g.price_min,
        price_max: g.price_max,
        long: vec![0.0; STRIP_CELLS],
        short: vec![0.0; STRIP_CELLS],
    };
    if n == 0 {
        return s;
    }
    for i in 0..n {
        let c = i * STRIP_CELLS / n;
        let l = g.long_intensity[i].clamp(0.0, 1.0) as f32;
        let r = g.short_intensity[i].clamp(0.0, 1.0) as f32;
        s.long[c] = s.long[c].max(if l.is_finite() { l } else { 0.0 });
        s.short[c] = s.short[c].max(if r.is_finite() { r } else { 0.0 });
    }
    s
}

impl StatusBoard {
    /// Remembers a liquidation event.
    pub fn on_event(&mut self, ev: &MarketEvent) {
        let (EventKind::Liquidation(l), Some(sym)) = (&ev.kind, ev.symbol.as_deref()) else {
            return;
        };
        *self.liq_events.entry(sym.to_string()).or_default() += 1;
        self.liqs.push_back(LiqMark {
            ts: ev.receive_ts,
            symbol: sym.to_string(),
            exchange: ev.exchange,
            long: l.side == Side::Long,
            usd: l.notional_usd,
        });
    }

    /// Remembers a minute close (its bar close and heatmap grid).
    pub fn on_minute(&mut self, p: &liq_core::engine::MinuteProducts) {
        if let Some(c) = p.bar.3 {
            let q = self.closes.entry(p.symbol.clone()).or_default();
            q.push_back((p.ts, c));
            while q.front().is_some_and(|(t, _)| p.ts - t > HOUR + 60.0) {
                q.pop_front();
            }
        }
        if let Some(v2) = &p.v2 {
            self.grids.insert(p.symbol.clone(), strip(&v2.grid));
        }
        let horizon = crate::dash::forecast::HORIZON;
        if let Some(row) = p
            .forecast
            .as_ref()
            .and_then(|f| crate::dash::forecast::row(&p.symbol, f, horizon))
        {
            self.forecasts.insert(p.symbol.clone(), row);
        }
    }

    /// The model at `now`.
    pub fn model(
        &mut self,
        now: f64,
        session: &Session,
        ingest: &Ingest,
        conn: &dyn Fn(Exchange) -> (ConnState, u64),
    ) -> DashModel {
        while self.liqs.front().is_some_and(|l| now - l.ts > HOUR) {
            self.liqs.pop_front();
        }
        let mut symbols = Vec::new();
        let mut zones = Vec::new();
        let mut forecasts = Vec::new();
        for (sym, e) in session.engine.symbols() {
            let live = e.live();
            let price = Some(live.reference_price(now)).filter(|p| *p > 0.0);
            let change = match (price, self.closes.get(sym).and_then(|q| q.front())) {
                (Some(p), Some((_, c0))) if *c0 > 0.0 => Some((p / c0 - 1.0) * 100.0),
                _ => None,
            };
            let (mut long_usd, mut short_usd) = (0.0, 0.0);
            for l in self.liqs.iter().filter(|l| l.symbol == sym) {
                if l.long {
                    long_usd += l.usd;
                } else {
                    short_usd += l.usd;
                }
            }
            let cal = e.calibrator().stats();
            let top_tier = cal
                .current_weights
                .iter()
                .copied()
                .max_by(|a, b| a.1.total_cmp(&b.1));
            let (mut zl, mut zs) = (0, 0);
            if let Some(z) = e.zones() {
                let s = z.summary();
                (zl, zs) = (s.active_zones_long as usize, s.active_zones_short as usize);
                for a in z.active_zones(None, LeverageFilter::default()) {
                    let dist = price.map_or(0.0, |p| (a.price / p - 1.0) * 100.0);
                    zones.push(ZoneRow {
                        symbol: sym.to_string(),
                        side: if a.side == Side::Long {
                            "long"
                        } else {
                            "short"
                        },
                        price: a.price,
                        weight: a.weight,
                        distance_pct: dist,
                    });
                }
            }
            forecasts.extend(self.forecasts.get(sym).cloned());
            let oi = live.oi.last_total();
            symbols.push(SymbolRow {
                symbol: sym.to_string(),
                price,
                change_1h_pct: change,
                liq_events: self.liq_events.get(sym).copied().unwrap_or(0),
                liq_long_usd_1h: long_usd,
                liq_short_usd_1h: short_usd,
                calibrator: CalibratorRow {
                    enabled: cal.calibration_enabled,
                    events: cal.total_events,
                    calibrations: cal.calibration_count,
                    top_tier,
                },
                zones_long: zl,
                zones_short: zs,
                oi,
                oi_partial: live.oi.last_partial(),
                strip: self.grids.get(sym).cloned().unwrap_or_default(),
            });
        }
        zones.sort_by(|a, b| b.weight.total_cmp(&a.weight));
        zones.truncate(TOP_ZONES);
        let exchanges = Exchange::ALL
            .iter()
            .enumerate()
            .map(|(i, ex)| {
                let c = ingest.counts[i];
                let (state, reconnects) = conn(*ex);
                ExchangeRow {
                    exchange: ex.as_str(),
                    state,
                    liquidations: c.liquidations,
                    liq_usd_1h: self
                        .liqs
                        .iter()
                        .filter(|l| l.exchange == *ex)
                        .map(|l| l.usd)
                        .sum(),
                    messages: c.messages,
                    reconnects,
                    errors: c.errors,
                    last_msg_age_s: c.last_ts.map(|t| (now - t).max(0.0)),
                }
            })
            .collect();
        let mut ratios = RatioPanel::default();
        for (kind, r, ts) in &ingest.ratios {
            use liq_core::event::RatioKind;
            match kind {
                RatioKind::TopAccount => ratios.top_account = Some(*r),
                RatioKind::TopPosition => ratios.top_position = Some(*r),
                RatioKind::GlobalAccount => ratios.global_account = Some(*r),
            }
            ratios.ts = Some(ratios.ts.map_or(*ts, |t: f64| t.max(*ts)));
        }
        DashModel {
            now,
            minutes: session.minutes,
            symbols,
            exchanges,
            top_zones: zones,
            ratios,
            forecasts,
            ..DashModel::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use liq_core::event::Market;
    use liq_core::normalize::StreamKind;

    use super::*;
    use crate::files::DataDir;
    use crate::ingest::Raw;

    fn raw<'a>(exchange: Exchange, stream: StreamKind, payload: &'a str, ts: f64) -> Raw<'a> {
        Raw {
            exchange,
            market: Market::Perp,
            stream: Some(stream),
            instrument: None,
            payload,
            ts,
        }
    }

    /// Marks and a Bybit liquidation of BTC, one minute close: the model shows the price, the
    /// liquidation on its exchange and symbol, the minute, and a strip once a heatmap exists.
    #[test]
    fn the_model_reflects_what_the_engine_saw() {
        let tmp = tempfile::tempdir().unwrap();
        let engine =
            crate::replay::build_fresh_engine(liq_core::compat::ReferenceCompat::fixed()).unwrap();
        let mut s = Session::new(engine, DataDir::open(tmp.path()).unwrap(), None);
        let mut ingest = Ingest::new();
        s.engine.set_registry(ingest.registry());
        let mut board = StatusBoard::default();
        s.engine.advance_to(60_000.0);
        let mark = |p: f64, t: f64| {
            let ms = (t * 1000.0) as i64;
            format!(
                r#"{{"e":"markPriceUpdate","E":{ms},"s":"BTCUSDT","p":"{p}","i":"{p}","P":"{p}","r":"0.0001","T":{ms}}}"#
            )
        };
        for (i, p) in [65_000.0, 65_100.0, 64_900.0].iter().enumerate() {
            let t = 60_010.0 + i as f64 * 10.0;
            let m = mark(*p, t);
            ingest.message(
                &mut s,
                &raw(Exchange::Binance, StreamKind::MarkPrice, &m, t),
                |ev| board.on_event(ev),
            );
        }
        let liq = r#"{"topic":"allLiquidation.BTCUSDT","type":"snapshot","ts":60045000,"data":[{"T":60045000,"s":"BTCUSDT","S":"Buy","v":"2","p":"64900"}]}"#;
        ingest.message(
            &mut s,
            &raw(Exchange::Bybit, StreamKind::Liquidations, liq, 60_045.0),
            |ev| board.on_event(ev),
        );
        for p in s.engine.advance_to(60_060.3) {
            board.on_minute(&p);
            s.on_products(p, 60_060.3);
        }
        let conn = |_: Exchange| (ConnState::Live, 2);
        let m = board.model(60_061.0, &s, &ingest, &conn);
        let btc = m.symbols.iter().find(|r| r.symbol == "BTC").unwrap();
        assert_eq!(btc.price, Some(64_900.0));
        assert_eq!(btc.liq_events, 1);
        assert!(
            (btc.liq_long_usd_1h - 129_800.0).abs() < 1e-6,
            "{}",
            btc.liq_long_usd_1h
        );
        assert_eq!(btc.liq_short_usd_1h, 0.0);
        let eth = m.symbols.iter().find(|r| r.symbol == "ETH").unwrap();
        assert_eq!(eth.price, None);
        let bybit = m.exchanges.iter().find(|e| e.exchange == "bybit").unwrap();
        assert_eq!((bybit.liquidations, bybit.reconnects), (1, 2));
        assert_eq!(bybit.state, ConnState::Live);
        let binance = m
            .exchanges
            .iter()
            .find(|e| e.exchange == "binance")
            .unwrap();
        assert_eq!(binance.messages, 3);
        assert_eq!(m.minutes, 1);
        assert_eq!(btc.strip.long.len(), STRIP_CELLS);
        assert!(btc.strip.price_min < 64_900.0 && btc.strip.price_max > 64_900.0);
    }
}
