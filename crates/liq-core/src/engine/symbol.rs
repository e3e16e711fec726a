//! One symbol's engine and its minute close.

use crate::calibrator::Calibrator;
use crate::compat::ReferenceCompat;
use crate::event::{EventKind, MarketEvent, TakerSide};
use crate::heatmap::replay::{MinuteBar, ReplayFeeder, ReplayLiquidation};
use crate::heatmap::snapshot::{TopZoneRows, build_v1_from, build_v2_from};
use crate::heatmap::state::{HeatmapState, RestoreReport};
use crate::heatmap::zone_tracker::ZoneTracker;
use crate::heatmap::{HeatmapConfig, HeatmapEngine, Level, PoolsRequest, zone_tracker_for};
use crate::pipeline::{EventPrices, MinuteClose, SymbolPipeline};

use super::books::Books;
use super::live::{LiveMinute, MID_STALE_SECONDS};
use crate::event::Exchange;
use crate::forecast::{Forecast, Forecaster};
use crate::orderbook::frame::{ExchangeSet, Frame};
use crate::symbols::Contract;
use crate::zones::ZoneManager;

use super::{EngineError, MinuteProducts, Records, SymbolSpec};

/// Range of the display pools the zone tracker reads (heatmap.md 3.2 step 5).
const TRACKER_RANGE_PCT: f64 = 0.25;
/// Top zones per side in the V1 body.
const V1_TOP_ZONES: usize = 5;

/// One symbol: heatmap (with its zone manager), calibrator, zone tracker, replay OI state.
pub struct SymbolEngine {
    symbol: String,
    pipeline: SymbolPipeline,
    tracker: Option<ZoneTracker>,
    feeder: ReplayFeeder,
    last_minute: Option<i64>,
    resume_after: Option<i64>,
    skipped: u64,
    live: LiveMinute,
    reference_b12: bool,
    books: Books,
    pub(super) forecaster: Forecaster,
    pub(super) forecast: Option<std::sync::Arc<Forecast>>,
}

/// One symbol's persistent engine state (`liq_engine_state_{SYM}.json`).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SymbolState {
    /// The heatmap's layers and counters.
    pub heatmap: HeatmapState,
    /// A replay's running absolute OI.
    pub replay_oi: f64,
    /// The forecaster's volatility (absent in files written before the forecast).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forecast: Option<crate::forecast::ForecasterState>,
}

impl SymbolEngine {
    pub(super) fn new(
        spec: &SymbolSpec,
        calibrator: Calibrator,
        zones: ZoneManager,
        compat: &ReferenceCompat,
    ) -> Result<Self, EngineError> {
        let mut heatmap =
            HeatmapEngine::new(HeatmapConfig::runtime(&spec.symbol, spec.step), *compat).map_err(
                |e| EngineError::Config {
                    symbol: spec.symbol.clone(),
                    reason: e.to_string(),
                },
            )?;
        heatmap.set_zones(zones);
        Ok(SymbolEngine {
            symbol: spec.symbol.clone(),
            pipeline: SymbolPipeline::new(heatmap, calibrator),
            tracker: zone_tracker_for(&spec.symbol, spec.step, compat),
            feeder: ReplayFeeder::with_oi_base(spec.replay_oi_base),
            last_minute: None,
            resume_after: None,
            skipped: 0,
            live: LiveMinute::default(),
            reference_b12: compat.heatmap_b12,
            // The reference preset frames Binance only (DECISIONS zones 2).
            books: Books::new(
                spec.step,
                if compat.orderbook_o1 {
                    ExchangeSet::single(Exchange::Binance)
                } else {
                    ExchangeSet::ALL
                },
            ),
            forecaster: Forecaster::default(),
            forecast: None,
        })
    }

    /// The live minute (price bars, taker flow, open interest).
    pub fn live(&self) -> &LiveMinute {
        &self.live
    }

    /// One normalized market event of this symbol (live mode and raw captures): liquidations
    /// to the heatmap and the calibrator at once (with the event-time mark, the fresh mid and
    /// the last close), trades to the taker flow and base volumes, mark prices and book mids to
    /// the price bars, open interest to its tracker.
    pub fn on_event(&mut self, ev: &MarketEvent) {
        self.on_event_with(ev, Contract::BASE);
    }

    /// [`SymbolEngine::on_event`] with the instrument's size conversion (depth sizes in
    /// contracts become base units).
    pub fn on_event_with(&mut self, ev: &MarketEvent, contract: Contract) {
        let ts = ev.exchange_ts.unwrap_or(ev.receive_ts);
        match &ev.kind {
            EventKind::Liquidation(l) => {
                let prices = EventPrices {
                    mark: self.live.mark.close,
                    mid: if ts - self.live.mid.last_ts <= MID_STALE_SECONDS {
                        self.live.mid.close
                    } else {
                        0.0
                    },
                    last: self.pipeline.last_close(),
                };
                if let Err(e) =
                    self.pipeline
                        .on_liquidation(ts, l.side, l.price, l.qty, l.notional_usd, prices)
                {
                    tracing::warn!(symbol = %self.symbol, error = %e, "liquidation refused");
                }
            }
            EventKind::Trade(t) => {
                if let Some(qty) = t.qty.filter(|q| *q > 0.0 && q.is_finite()) {
                    let minute = (ts / 60.0).floor() as i64;
                    let sell = t.taker_side == TakerSide::Sell;
                    self.live.aggression.on_trade(minute, t.price, qty, sell);
                    if sell {
                        self.live.sell_base += qty;
                    } else {
                        self.live.buy_base += qty;
                    }
                }
            }
            EventKind::MarkPrice(m) => {
                if let Some(p) = m.mark_price {
                    self.live.mark.tick(p, ts);
                }
            }
            EventKind::OpenInterest(oi) => {
                if let Some(base) = oi.oi_base {
                    self.live.oi.on_oi(ev.exchange, base);
                }
            }
            EventKind::DepthSnapshot(_) | EventKind::DepthDiff(_) => {
                if let Some(u) = self.books.on_event(ev, contract)
                    && let Some(mid) = u.mid
                {
                    self.live.mid.tick(mid, ev.receive_ts);
                }
            }
            EventKind::TraderRatio(_) => {}
        }
    }

    /// The order-book frames emitted since the last call.
    pub fn take_frames(&mut self) -> Vec<Frame> {
        self.books.take_frames()
    }

    /// The frame still open (at the end of a replay).
    pub fn flush_frame(&mut self) -> Option<Frame> {
        self.books.flush()
    }

    /// A feed of `exchange` dropped or stalled at `ts` (its books resync).
    pub fn connection_lost(&mut self, exchange: Exchange, ts: f64) {
        self.books.connection_lost(exchange, ts);
    }

    /// Books waiting for a snapshot, `(exchange, instrument)` (live feeds fetch Binance's).
    pub fn books_needing_snapshot(&self) -> Vec<(Exchange, std::sync::Arc<str>)> {
        self.books.needing_snapshot()
    }

    /// The live minute close at `now` of the minute `minute_key` starts; `None` when the
    /// symbol has no price yet (nothing runs for it, the bars still reset).
    pub fn close_live_minute(&mut self, minute_key: i64, now: f64) -> Option<MinuteProducts> {
        let mut close = self.live.close(minute_key, now, self.reference_b12)?;
        close.depth_band = Some(self.books.depth_band(close.input.src).unwrap_or_default());
        Some(self.on_minute(&close))
    }

    /// The state to persist (`None` before the first minute close).
    pub fn export_state(&self, now: f64) -> Option<SymbolState> {
        let minute = self.last_minute?;
        Some(SymbolState {
            heatmap: self.pipeline.heatmap().export_state(minute, now),
            replay_oi: self.feeder.oi(),
            forecast: Some(self.forecaster.export()),
        })
    }

    /// Restores a state at minute `now_minute` (decayed for the minutes between); a replay
    /// then skips the lines up to the state's minute, already applied by the run that wrote it.
    pub fn restore_state(&mut self, st: &SymbolState, now_minute: i64) -> RestoreReport {
        let report = self
            .pipeline
            .heatmap_mut()
            .restore_state(&st.heatmap, now_minute);
        if let RestoreReport::Restored { .. } = report {
            self.feeder = ReplayFeeder::with_oi_base(st.replay_oi);
            self.live.oi.resume(st.heatmap.inference.last_oi);
            self.last_minute = Some(st.heatmap.minute_key);
            self.resume_after = Some(st.heatmap.minute_key);
            if let Some(f) = &st.forecast {
                self.forecaster.restore(f);
            }
        }
        report
    }

    /// Replay lines skipped because the restored state already holds them.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// Whether a replay line at `minute_key` (a bar) or time `ts` (a liquidation) is already in
    /// the restored state.
    fn already_applied(&mut self, bar_minute: Option<i64>, ts: f64) -> bool {
        let Some(k) = self.resume_after else {
            return false;
        };
        let old = match bar_minute {
            Some(m) => m <= k,
            None => ts < (k as f64) * 60.0,
        };
        if old {
            self.skipped += 1;
        }
        old
    }

    /// The heatmap engine.
    pub fn heatmap(&self) -> &HeatmapEngine {
        self.pipeline.heatmap()
    }

    /// The calibrator.
    pub fn calibrator(&self) -> &Calibrator {
        self.pipeline.calibrator()
    }

    /// The zone manager.
    pub fn zones(&self) -> Option<&ZoneManager> {
        self.pipeline.heatmap().zones()
    }

    pub(super) fn on_replay_liquidation(&mut self, l: &ReplayLiquidation) {
        if self.already_applied(None, l.ts) {
            return;
        }
        let prices = EventPrices {
            last: self.pipeline.last_close(),
            ..EventPrices::default()
        };
        if let Err(e) =
            self.pipeline
                .on_liquidation(l.ts, l.side, l.price, l.qty, l.notional_usd, prices)
        {
            tracing::warn!(symbol = %self.symbol, error = %e, "liquidation refused");
        }
    }

    /// The rollover of one symbol (heatmap.md 3.2): heatmap minute, V2 body, persisted
    /// weights, zone tracker, V1 body, calibrator. An error stops this symbol's minute only.
    pub(super) fn on_replay_minute(&mut self, bar: &MinuteBar) -> Option<MinuteProducts> {
        if self.already_applied(Some(bar.minute_key), bar.ts) {
            return None;
        }
        let close = SymbolPipeline::minute_close(&mut self.feeder, bar);
        Some(self.on_minute(&close))
    }

    /// The rollover of one symbol from an explicit minute close (heatmap.md 3.2): heatmap
    /// minute, V2 body, persisted weights, zone tracker, V1 body, calibrator.
    pub fn on_minute(&mut self, m: &MinuteClose) -> MinuteProducts {
        let mut out = MinuteProducts {
            symbol: self.symbol.clone(),
            minute_key: m.input.minute_key,
            ts: m.ts,
            v2: None,
            v1: None,
            calibration: None,
            error: None,
            bar: (m.open, m.input.high, m.input.low, m.close),
            forecast: None,
        };
        self.last_minute = Some(m.input.minute_key);
        // A minute without a close is no line of the volatility (a live minute without trades).
        if let Some(close) = m.close {
            self.forecaster.on_minute(m.input.minute_key, close);
        }
        self.forecast = None;
        if let Err(e) = self.pipeline.heatmap_minute(m) {
            tracing::warn!(symbol = %self.symbol, minute = m.input.minute_key, error = %e, "minute refused");
            out.error = Some(e.to_string());
            return out;
        }
        let heatmap = self.pipeline.heatmap_mut();
        // One extraction of the layers and one display map serve the V2 body, the tracker's
        // pools and the V1 body of this minute (the state does not change in between).
        let layers = heatmap.layers();
        let (v2, view) = match build_v2_from(heatmap, &layers, m.input.src, m.ts) {
            Some((v2, view)) => (Some(v2), Some(view)),
            None => (None, None),
        };
        out.v2 = v2;
        let top: TopZoneRows = match self.tracker.as_mut() {
            Some(tracker) => {
                let req = PoolsRequest {
                    center: m.input.src,
                    range_pct: TRACKER_RANGE_PCT,
                    min_notional: Some(0.0),
                };
                let cands = |levels: &[Level]| {
                    let mut c: Vec<(f64, f64)> =
                        levels.iter().map(|l| (l.price, l.intensity)).collect();
                    c.sort_by(|a, b| b.1.total_cmp(&a.1));
                    c
                };
                if let Some(p) = heatmap.pools_display_from(&layers, req, m.ts) {
                    tracker.update(
                        m.input.minute_key,
                        &cands(&p.long_levels),
                        &cands(&p.short_levels),
                    );
                }
                tracker.top_zones(m.input.minute_key, V1_TOP_ZONES)
            }
            None => TopZoneRows::default(),
        };
        out.v1 = m
            .close
            .and_then(|c| build_v1_from(heatmap, &layers, view.as_ref(), c, &top, m.ts));
        match self.pipeline.calibrate_minute(m) {
            Ok((cal, _)) => out.calibration = cal,
            Err(e) => {
                tracing::warn!(symbol = %self.symbol, minute = m.input.minute_key, error = %e, "calibrator snapshot refused");
                out.error = Some(e.to_string());
            }
        }
        self.update_forecast(m.input.minute_key, m.input.src, m.close);
        out.forecast = self.forecast.clone();
        out
    }

    pub(super) fn take_records(&mut self) -> Records {
        let (heatmap, calibrator) = self.pipeline.take_records();
        let zones = self
            .pipeline
            .heatmap_mut()
            .zones_mut()
            .map(|z| z.take_records())
            .unwrap_or_default();
        Records {
            heatmap,
            calibrator,
            zones,
        }
    }
}
