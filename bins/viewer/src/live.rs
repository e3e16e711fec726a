//! The live engine loop (live feeds and the demo): raw messages in from the connectors,
//! minute closes from a clock at each boundary plus a 250 ms grace (not from message arrival,
//! DECISIONS feeds), Binance book snapshots asked for when a book needs one, the dashboard
//! model refreshed four times per second. One thread owns the engine (DESIGN rule 3).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use liq_core::event::{Exchange, MarketEvent};
use liq_feeds::WireMsg;

use crate::dash::model::{ConnState, DashModel};
use crate::ingest::{Ingest, Raw};
use crate::session::Session;
use crate::status::StatusBoard;

/// The grace after a minute boundary before the minute closes.
pub const CLOSE_GRACE_S: f64 = 0.25;
/// How often the dashboard model is rebuilt (wall time).
const MODEL_EVERY: Duration = Duration::from_millis(250);
/// A book snapshot request is repeated at most this often (source seconds).
const SNAPSHOT_RETRY_S: f64 = 5.0;

/// What the feeds hand to the engine thread.
#[derive(Debug)]
pub enum LiveInput {
    /// A raw message (WebSocket frame or REST answer) with its receive time.
    Wire(WireMsg),
    /// A connection of `exchange` dropped or stalled: its books resync.
    Gap {
        /// The exchange.
        exchange: Exchange,
        /// Why (for the log).
        reason: String,
    },
}

/// A source clock: Unix seconds of the data (the wall clock live, scaled in a fast demo).
pub type SourceClock = Arc<dyn Fn() -> f64 + Send + Sync>;

/// The loop's wiring.
pub struct LiveOptions {
    /// The data clock.
    pub clock: SourceClock,
    /// Data seconds per wall second (1 live, N in `--demo-speed N`).
    pub speed: f64,
    /// Set to stop (signal, dashboard quit); the loop also stops when the input closes.
    pub stop: Arc<AtomicBool>,
    /// Where Binance book snapshot requests go `(exchange, instrument)`.
    pub snapshots: Option<Sender<(Exchange, String)>>,
    /// The dashboard model, when a dashboard runs.
    pub dash: Option<Arc<ArcSwap<DashModel>>>,
    /// The label in the dashboard header.
    pub mode: String,
    /// The API address shown in the dashboard.
    pub api: Option<String>,
    /// Connection state and reconnects per exchange (from the feeds).
    pub conn: Box<dyn Fn(Exchange) -> (ConnState, u64) + Send>,
    /// Notices for the dashboard (e.g. exchanges unreachable).
    pub notices: Box<dyn Fn() -> Vec<String> + Send>,
}

/// What the loop did.
#[derive(Debug, Default, Clone, Copy)]
pub struct LiveReport {
    /// Messages handled.
    pub messages: u64,
    /// Messages whose minute had already closed (they count in the next one).
    pub late: u64,
    /// Gap notices.
    pub gaps: u64,
}

/// The next close instant after `now`: the next minute boundary plus the grace.
fn next_close(now: f64) -> f64 {
    ((now - CLOSE_GRACE_S) / 60.0).floor() * 60.0 + 60.0 + CLOSE_GRACE_S
}

/// Runs until `stop` or the input closes; the caller finishes the session.
pub fn run(
    session: &mut Session,
    ingest: &mut Ingest,
    board: &mut StatusBoard,
    rx: &Receiver<LiveInput>,
    o: &LiveOptions,
) -> LiveReport {
    let mut report = LiveReport::default();
    let now = (o.clock)();
    let mut close_at = next_close(now);
    // The boundary the last close was for: messages before it are late.
    let mut closed_boundary = close_at - 60.0 - CLOSE_GRACE_S;
    session.engine.advance_to(now);
    let mut held: Vec<MarketEvent> = Vec::new();
    let mut asked: HashMap<(Exchange, String), f64> = HashMap::new();
    let mut last_model = Instant::now() - MODEL_EVERY;
    while !o.stop.load(Ordering::Relaxed) {
        let now = (o.clock)();
        let wait = ((close_at - now) / o.speed).clamp(0.0, 0.25);
        match rx.recv_timeout(Duration::from_secs_f64(wait)) {
            Ok(LiveInput::Wire(m)) => {
                report.messages += 1;
                // An event belongs to the minute of its exchange time (DECISIONS feeds 7):
                // one of the next minute that arrives in the grace window waits for the
                // close; one whose minute already closed counts in the current one (late).
                let boundary = close_at - CLOSE_GRACE_S;
                let mut late = 0;
                ingest.message_split(
                    session,
                    &Raw::from(&m),
                    |ev| {
                        if event_time(ev) < closed_boundary {
                            late += 1;
                        }
                        board.on_event(ev);
                    },
                    |ev| event_time(ev) >= boundary,
                    &mut held,
                );
                report.late += late;
                session.drain(m.ts);
            }
            Ok(LiveInput::Gap { exchange, reason }) => {
                report.gaps += 1;
                tracing::info!(exchange = exchange.as_str(), %reason, "feed gap: books resync");
                session.engine.connection_lost(exchange, (o.clock)());
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        let now = (o.clock)();
        if now >= close_at {
            for p in session.engine.advance_to(now) {
                board.on_minute(&p);
                session.on_products(p, now);
            }
            session.drain(now);
            closed_boundary = close_at - CLOSE_GRACE_S;
            close_at = next_close(now);
            for ev in std::mem::take(&mut held) {
                ingest.apply(session, &ev, |e| board.on_event(e));
            }
            ask_snapshots(session, o, &mut asked, now);
        }
        if last_model.elapsed() >= MODEL_EVERY {
            last_model = Instant::now();
            crate::feed_metrics::publish_ingest(ingest, report.late);
            ask_snapshots(session, o, &mut asked, now);
            if let Some(d) = &o.dash {
                let mut m = board.model(now, session, ingest, &*o.conn);
                m.mode = o.mode.clone();
                m.api = o.api.clone();
                m.notices = (o.notices)();
                d.store(Arc::new(m));
            }
        }
    }
    report
}

/// The time an event counts at: its exchange timestamp, else its receive time.
fn event_time(ev: &MarketEvent) -> f64 {
    ev.exchange_ts.unwrap_or(ev.receive_ts)
}

/// Asks the feeds for the Binance snapshots the books wait for (Bybit and OKX send theirs
/// on the stream), at most once per book every few seconds.
fn ask_snapshots(
    session: &Session,
    o: &LiveOptions,
    asked: &mut HashMap<(Exchange, String), f64>,
    now: f64,
) {
    let Some(tx) = &o.snapshots else {
        return;
    };
    for (_, ex, inst) in session.engine.books_needing_snapshot() {
        if ex != Exchange::Binance {
            continue;
        }
        let key = (ex, inst.to_string());
        if asked.get(&key).is_some_and(|t| now - t < SNAPSHOT_RETRY_S) {
            continue;
        }
        asked.insert(key.clone(), now);
        let _ = tx.send(key);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::sync::mpsc::channel;

    use liq_core::event::Market;
    use liq_core::normalize::StreamKind;

    use super::*;
    use crate::files::DataDir;

    fn mark(price: f64, exchange_ts: f64, receive_ts: f64) -> LiveInput {
        let ms = (exchange_ts * 1000.0).round() as i64;
        LiveInput::Wire(WireMsg {
            ts: receive_ts,
            exchange: Exchange::Binance,
            market: Market::Perp,
            instrument: "BTCUSDT".into(),
            stream: StreamKind::MarkPrice,
            topic: "btcusdt@markPrice@1s".into(),
            payload: format!(
                r#"{{"e":"markPriceUpdate","E":{ms},"s":"BTCUSDT","p":"{price}","i":"{price}","P":"{price}","r":"0.0001","T":{ms}}}"#
            ),
        })
    }

    /// Drives the loop with a hand-set clock: a mark before the boundary, one of the next
    /// minute inside the grace window (held until the close), one of the closed minute after
    /// the close (late).
    #[test]
    fn minutes_close_on_the_clock_with_held_and_late_events() {
        let tmp = tempfile::tempdir().unwrap();
        let engine = crate::replay::build_engine(
            tmp.path(),
            liq_core::compat::ReferenceCompat::fixed(),
            60_010.0,
        )
        .unwrap();
        let mut session = Session::new(engine, DataDir::open(tmp.path()).unwrap(), Some(1));
        let mut ingest = Ingest::new();
        session.engine.set_registry(ingest.registry());
        let mut board = StatusBoard::default();
        let now = Arc::new(Mutex::new(60_010.0f64));
        let clock_now = Arc::clone(&now);
        let (tx, rx) = channel();
        let o = LiveOptions {
            clock: Arc::new(move || *clock_now.lock().unwrap()),
            speed: 1.0,
            stop: Arc::new(AtomicBool::new(false)),
            snapshots: None,
            dash: None,
            mode: "TEST".into(),
            api: None,
            conn: Box::new(|_| (ConnState::Live, 0)),
            notices: Box::new(Vec::new),
        };
        let set = move |t: f64| *now.lock().unwrap() = t;
        let driver = std::thread::spawn(move || {
            tx.send(mark(65_000.0, 60_020.0, 60_020.1)).unwrap();
            std::thread::sleep(Duration::from_millis(300));
            set(60_060.1); // inside the grace window
            tx.send(mark(66_000.0, 60_060.05, 60_060.1)).unwrap();
            std::thread::sleep(Duration::from_millis(300));
            set(60_060.3); // past the grace: the minute closes
            std::thread::sleep(Duration::from_millis(1500));
            tx.send(mark(64_000.0, 60_059.9, 60_060.4)).unwrap();
            tx.send(LiveInput::Gap {
                exchange: Exchange::Bybit,
                reason: "test".into(),
            })
            .unwrap();
            std::thread::sleep(Duration::from_millis(300));
        });
        let report = run(&mut session, &mut ingest, &mut board, &rx, &o);
        driver.join().unwrap();
        assert_eq!(report.messages, 3);
        assert_eq!(report.late, 1, "the event of the closed minute");
        assert_eq!(report.gaps, 1);
        assert_eq!(
            session.minutes, 1,
            "one minute close, BTC (the others have no price)"
        );
        session.finish(60_061.0);
        let feed = std::fs::read_to_string(tmp.path().join("plot_feed.jsonl")).unwrap();
        let btc: serde_json::Value = feed
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .find(|v| v["symbol"] == "BTC")
            .unwrap();
        assert_eq!(
            btc["c"], 65_000.0,
            "the held mark is not in the closed minute: {btc}"
        );
    }
}
