//! `--demo`: the market simulator. First a few hours of history run through the engine at
//! full speed (event time closes the minutes, as in a replay), so the dashboard, the API and
//! the web page have a rich picture at once; then the simulator goes behind the mock exchange
//! on loopback and the real connectors read it in real time (or `--demo-speed` times faster).

use liq_core::event::{Exchange, Market, RatioKind};
use liq_core::normalize::StreamKind;
use liq_feeds::sim::{SimConfig, Simulator};
use liq_feeds::{MarketSource, WireMsg};

use crate::ingest::{Ingest, Raw};
use crate::session::Session;
use crate::status::StatusBoard;

/// Source seconds advanced per step of the history phase.
const STEP_S: f64 = 10.0;
/// Open-interest polls (Binance REST), as the live poller.
const OI_EVERY_S: f64 = 15.0;
/// Trader-ratio polls.
const RATIOS_EVERY_S: f64 = 300.0;

/// Binance instruments of the demo's symbols.
const BINANCE: [&str; 3] = ["BTCUSDT", "ETHUSDT", "SOLUSDT"];

/// `--demo` settings.
#[derive(Debug, Clone, Copy)]
pub struct DemoArgs {
    /// Data seconds per wall second after the history.
    pub speed: f64,
    /// Hours of history simulated at start.
    pub hours: f64,
    /// The simulator's seed.
    pub seed: u64,
}

/// The simulator of the demo, starting at `start` (history rate of depth diffs).
pub fn simulator(d: &DemoArgs, start: f64) -> anyhow::Result<Simulator> {
    let cfg = SimConfig {
        seed: d.seed,
        start_ts: start,
        // Bybit and OKX book snapshots every 10 s, so a reconnected book syncs soon.
        snapshot_interval_ms: 10_000,
        ..SimConfig::demo_history()
    };
    Simulator::new(cfg).map_err(|e| anyhow::anyhow!("simulator: {e}"))
}

/// [`history`] with a progress bar on a terminal.
pub fn history_with_progress(
    source: &mut dyn MarketSource,
    session: &mut Session,
    ingest: &mut Ingest,
    board: &mut StatusBoard,
    until: f64,
) -> HistoryReport {
    let bar = std::io::IsTerminal::is_terminal(&std::io::stderr()).then(|| {
        let b = indicatif::ProgressBar::new(1000);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "simulating history {bar:40} {percent:>3}% {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    let r = history(source, session, ingest, board, until, |f| {
        if let Some(b) = &bar {
            b.set_position((f * 1000.0) as u64);
        }
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    r
}

/// What the history phase did.
#[derive(Debug, Default, Clone, Copy)]
pub struct HistoryReport {
    /// Messages replayed.
    pub messages: u64,
    /// REST answers used (snapshots, OI, ratios).
    pub rest: u64,
}

fn rest(
    source: &mut dyn MarketSource,
    session: &mut Session,
    ingest: &mut Ingest,
    board: &mut StatusBoard,
    (path, query, stream, inst): (&str, String, StreamKind, &str),
    now: f64,
) -> bool {
    match source.rest(Exchange::Binance, path, &query, now) {
        Some(a) if a.status == 200 => {
            let raw = Raw {
                exchange: Exchange::Binance,
                market: Market::Perp,
                stream: Some(stream),
                instrument: Some(inst),
                payload: &a.body,
                ts: now,
            };
            ingest.message(session, &raw, |ev| board.on_event(ev));
            true
        }
        Some(a) => {
            tracing::debug!(path, status = a.status, "demo REST answer skipped");
            false
        }
        None => false,
    }
}

/// Runs `source` from its current time to `until` through the engine, polling its REST
/// answers as the live pollers would; `progress` gets the fraction done.
pub fn history(
    source: &mut dyn MarketSource,
    session: &mut Session,
    ingest: &mut Ingest,
    board: &mut StatusBoard,
    until: f64,
    mut progress: impl FnMut(f64),
) -> HistoryReport {
    let mut report = HistoryReport::default();
    let start = source.start_ts();
    let mut t = start;
    let (mut next_oi, mut next_ratio) = (start, start);
    let mut buf: Vec<WireMsg> = Vec::new();
    session.engine.advance_to(start);
    while t < until {
        let step_end = (t + STEP_S).min(until);
        buf.clear();
        source.advance(step_end, &mut buf);
        for m in &buf {
            for p in session.engine.advance_to(m.ts) {
                board.on_minute(&p);
                session.on_products(p, m.ts);
            }
            ingest.message(session, &Raw::from(m), |ev| board.on_event(ev));
            session.drain(m.ts);
            report.messages += 1;
        }
        t = step_end;
        for p in session.engine.advance_to(t) {
            board.on_minute(&p);
            session.on_products(p, t);
        }
        // Book snapshots the Binance books wait for (the live feeds fetch them over REST).
        for (_, ex, inst) in session.engine.books_needing_snapshot() {
            if ex == Exchange::Binance {
                let q = format!("symbol={inst}&limit=1000");
                let call = ("/fapi/v1/depth", q, StreamKind::Depth, &*inst);
                report.rest += u64::from(rest(source, session, ingest, board, call, t));
            }
        }
        if t >= next_oi {
            next_oi = t + OI_EVERY_S;
            for inst in BINANCE {
                let call = (
                    "/fapi/v1/openInterest",
                    format!("symbol={inst}"),
                    StreamKind::OpenInterest,
                    inst,
                );
                report.rest += u64::from(rest(source, session, ingest, board, call, t));
            }
        }
        if t >= next_ratio {
            next_ratio = t + RATIOS_EVERY_S;
            for (path, kind) in [
                (
                    "/futures/data/topLongShortAccountRatio",
                    RatioKind::TopAccount,
                ),
                (
                    "/futures/data/topLongShortPositionRatio",
                    RatioKind::TopPosition,
                ),
                (
                    "/futures/data/globalLongShortAccountRatio",
                    RatioKind::GlobalAccount,
                ),
            ] {
                let call = (
                    path,
                    "symbol=BTCUSDT&period=5m&limit=1".to_string(),
                    StreamKind::TraderRatio(kind),
                    "BTCUSDT",
                );
                report.rest += u64::from(rest(source, session, ingest, board, call, t));
            }
        }
        session.drain(t);
        if until > start {
            progress((t - start) / (until - start));
        }
    }
    report
}
