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
use liq_core::event::Exchange;
use liq_feeds::WireMsg;

use crate::dash::model::{ConnState, DashModel};
use crate::ingest::Ingest;
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
    let mut held: Vec<WireMsg> = Vec::new();
    let mut asked: HashMap<(Exchange, String), f64> = HashMap::new();
    let mut last_model = Instant::now() - MODEL_EVERY;
    while !o.stop.load(Ordering::Relaxed) {
        let now = (o.clock)();
        let wait = ((close_at - now) / o.speed).clamp(0.0, 0.25);
        match rx.recv_timeout(Duration::from_secs_f64(wait)) {
            Ok(LiveInput::Wire(m)) => {
                report.messages += 1;
                if m.ts >= close_at - CLOSE_GRACE_S {
                    // In the grace window but of the next minute: after the close.
                    held.push(m);
                } else {
                    if m.ts < closed_boundary {
                        report.late += 1;
                    }
                    apply(session, ingest, board, &m);
                }
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
            for m in std::mem::take(&mut held) {
                apply(session, ingest, board, &m);
            }
            ask_snapshots(session, o, &mut asked, now);
        }
        if last_model.elapsed() >= MODEL_EVERY {
            last_model = Instant::now();
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

fn apply(session: &mut Session, ingest: &mut Ingest, board: &mut StatusBoard, m: &WireMsg) {
    ingest.message_with(
        session,
        m.exchange,
        m.market,
        Some(m.stream),
        Some(&m.instrument),
        &m.payload,
        m.ts,
        |ev| board.on_event(ev),
    );
    session.drain(m.ts);
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
