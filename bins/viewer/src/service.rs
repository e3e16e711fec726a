//! Live and demo modes: the feeds (the real exchanges, or the simulator behind the mock
//! exchange on loopback) on a tokio runtime, the engine loop on this thread, the API and the
//! dashboard beside it. Ctrl-C, SIGTERM or `q` in the dashboard stop it; the files are written
//! at the end as after every minute.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use arc_swap::ArcSwap;
use liq_core::compat::ReferenceCompat;
use liq_core::event::Exchange;
use liq_feeds::clock::{Clock, SharedClock, system_clock};
use liq_feeds::conn::ConnState as FeedState;
use liq_feeds::{ExchangeStatus, FeedEvent, Feeds, FeedsConfig, FeedsHandle, GapReason};
use tokio::sync::mpsc;

use crate::dash::model::{ConnState, DashModel};
use crate::files::DataDir;
use crate::ingest::Ingest;
use crate::live::{LiveInput, LiveOptions};
use crate::publish::ApiOptions;
use crate::session::Session;
use crate::status::StatusBoard;

/// Seconds without a single message before the viewer says it cannot reach the exchanges.
const UNREACHABLE_AFTER_S: f64 = 20.0;
/// Feed events buffered between the connectors and the engine.
const FEED_QUEUE: usize = 65_536;

/// What the live and demo modes need from the command line.
pub struct ServiceArgs<'a> {
    /// The data directory.
    pub data_dir: &'a Path,
    /// Compatibility switches.
    pub compat: ReferenceCompat,
    /// The embedded API (`None`: `--no-api`).
    pub api: Option<ApiOptions<'a>>,
    /// The dashboard's model, when a dashboard runs.
    pub dash: Option<Arc<ArcSwap<DashModel>>>,
    /// Set by a signal or the dashboard's quit key.
    pub stop: Arc<AtomicBool>,
    /// The feeds' configuration (from `--config`).
    pub feeds: FeedsConfig,
    /// `--record DIR`.
    pub record: Option<PathBuf>,
    /// `--demo` and its settings.
    pub demo: Option<crate::demo::DemoArgs>,
}

fn dash_state(s: FeedState) -> ConnState {
    match s {
        FeedState::Connecting => ConnState::Connecting,
        FeedState::Live => ConnState::Live,
        FeedState::Stale => ConnState::Stale,
        FeedState::Down => ConnState::Down,
    }
}

/// One exchange's state and reconnects as the dashboard shows them.
fn conn_of(status: &[ExchangeStatus], ex: Exchange) -> (ConnState, u64) {
    match status.iter().find(|s| s.exchange == ex) {
        Some(s) => (
            dash_state(s.state),
            s.connections.iter().map(|c| c.reconnects).sum(),
        ),
        None => (ConnState::Down, 0),
    }
}

/// A clock that reads a function (the mock exchange's source time in the demo).
struct FnClock(Box<dyn Fn() -> f64 + Send + Sync>);

impl std::fmt::Debug for FnClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FnClock")
    }
}

impl Clock for FnClock {
    fn now(&self) -> f64 {
        (self.0)()
    }
}

/// Runs live or demo mode until stopped.
pub fn run(a: ServiceArgs<'_>) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("feeds")
        .enable_all()
        .build()?;
    let stop = Arc::clone(&a.stop);
    rt.spawn(async move {
        liq_api::shutdown_signal().await;
        stop.store(true, Ordering::Relaxed);
    });
    let mut ingest = Ingest::new();
    let mut board = StatusBoard::default();
    let wall_now = liq_feeds::clock::SystemClock.now();
    let data_dir = match &a.demo {
        Some(_) => a.data_dir.join("demo"),
        None => a.data_dir.to_path_buf(),
    };
    // The demo: history through the engine first, then the simulator behind the mock.
    let (engine, mock, clock, feeds_cfg, mode, speed) = match &a.demo {
        Some(d) => {
            tracing::info!(dir = %data_dir.display(), "demo: simulated data goes to its own directory");
            let start = wall_now - d.hours * 3600.0;
            let engine = crate::replay::build_fresh_engine(a.compat)?;
            let mut sim = crate::demo::simulator(d, start)?;
            let mut session = Session::new(engine, DataDir::open(&data_dir)?, None);
            session.engine.set_registry(ingest.registry());
            let report = crate::demo::history_with_progress(
                &mut sim,
                &mut session,
                &mut ingest,
                &mut board,
                wall_now,
            );
            tracing::info!(
                messages = report.messages,
                minutes = session.minutes,
                hours = d.hours,
                "demo history simulated"
            );
            sim.set_depth_interval_ms(100);
            let cfg = liq_feeds::mock::MockConfig {
                speed: d.speed,
                fast_forward_until: Some(wall_now),
                min_subscriptions: 1,
                ..liq_feeds::mock::MockConfig::default()
            };
            let mock =
                Arc::new(rt.block_on(liq_feeds::mock::MockExchange::start(Box::new(sim), cfg))?);
            let m = Arc::clone(&mock);
            let clock: SharedClock = Arc::new(FnClock(Box::new(move || m.source_time())));
            let mut feeds = FeedsConfig::default();
            feeds.binance.ws = mock.ws_url(Exchange::Binance);
            feeds.binance.rest = mock.rest_url(Exchange::Binance);
            feeds.bybit.ws = format!("{}/v5/public/linear", mock.ws_url(Exchange::Bybit));
            feeds.bybit.rest = mock.rest_url(Exchange::Bybit);
            feeds.okx.ws = format!("{}/ws/v5/public", mock.ws_url(Exchange::Okx));
            feeds.okx.rest = mock.rest_url(Exchange::Okx);
            let mode = if d.speed == 1.0 {
                "DEMO".to_string()
            } else {
                format!("DEMO x{}", d.speed)
            };
            (Some(session), Some(mock), clock, feeds, mode, d.speed)
        }
        None => (
            None,
            None,
            system_clock(),
            a.feeds.clone(),
            "LIVE".to_string(),
            1.0,
        ),
    };
    let mut session = match engine {
        Some(s) => s,
        None => {
            let mut engine = crate::replay::build_engine(&data_dir, a.compat, wall_now)?;
            engine.set_registry(ingest.registry());
            Session::new(engine, DataDir::open(&data_dir)?, None)
        }
    };
    session.set_snapshot_every(1);
    let api_opts = a.api.map(|o| ApiOptions {
        data_dir: &data_dir,
        ..o
    });
    session.publisher = crate::publish::start_or_warn(api_opts.as_ref());
    session.publish_latest();
    let api_addr = session
        .publisher
        .as_ref()
        .map(|p| format!("http://{}", p.addr));

    // Feeds -> engine thread.
    let (tx, mut rx) = mpsc::channel::<FeedEvent>(FEED_QUEUE);
    let registry = ingest.registry();
    let feeds =
        Arc::new(rt.block_on(async { Feeds::start(&feeds_cfg, &registry, tx, clock.clone()) })?);
    let recorder = match &a.record {
        Some(dir) => {
            let _guard = rt.enter();
            Some(liq_feeds::record::spawn_recorder(dir, 65_536)?)
        }
        None => None,
    };
    let rec_tx = recorder.as_ref().map(|(tx, _)| tx.clone());
    let (ltx, lrx) = std::sync::mpsc::channel::<LiveInput>();
    rt.spawn(async move {
        while let Some(ev) = rx.recv().await {
            if let Some(r) = &rec_tx {
                let _ = r.try_send(ev.clone());
            }
            let input = match ev {
                FeedEvent::Wire(m) | FeedEvent::Rest(m) => LiveInput::Wire(m),
                // A lost connection resyncs its books; a skipped malformed frame does not
                // (the reconstructors' sequence checks catch a diff it may have been).
                FeedEvent::Gap(g)
                    if g.affects_books() && !matches!(g.reason, GapReason::Malformed) =>
                {
                    LiveInput::Gap {
                        exchange: g.exchange,
                        reason: format!("{}: {:?}", g.connection, g.reason),
                    }
                }
                FeedEvent::Gap(_) | FeedEvent::Status(_) => continue,
            };
            if ltx.send(input).is_err() {
                break;
            }
        }
    });
    // Book snapshot requests -> the feeds (Binance REST, Bybit/OKX resubscribe).
    let (stx, srx) = std::sync::mpsc::channel::<(Exchange, String)>();
    let f = Arc::downgrade(&feeds);
    let handle = rt.handle().clone();
    std::thread::Builder::new()
        .name("snapshots".into())
        .spawn(move || {
            let _guard = handle.enter();
            while let Ok((ex, inst)) = srx.recv() {
                let Some(f) = f.upgrade() else { break };
                f.request_book_snapshot(ex, &inst);
            }
        })?;
    let f_metrics = Arc::downgrade(&feeds);
    rt.spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
        loop {
            tick.tick().await;
            let Some(f) = f_metrics.upgrade() else { break };
            crate::feed_metrics::publish_feeds(&f.status());
        }
    });
    let started = Instant::now();
    let live_mode = a.demo.is_none();
    let warned = AtomicBool::new(false);
    let f_conn = Arc::clone(&feeds);
    let f_notes = Arc::clone(&feeds);
    let opts = LiveOptions {
        clock: {
            let c = clock.clone();
            Arc::new(move || c.now())
        },
        speed,
        stop: Arc::clone(&a.stop),
        snapshots: Some(stx),
        dash: a.dash.clone(),
        mode,
        api: api_addr,
        conn: Box::new(move |ex| conn_of(&f_conn.status(), ex)),
        notices: Box::new(move || unreachable_notice(&f_notes, started, live_mode, &warned)),
    };
    let report = crate::live::run(&mut session, &mut ingest, &mut board, &lrx, &opts);
    tracing::info!(
        messages = report.messages,
        late = report.late,
        gaps = report.gaps,
        minutes = session.minutes,
        "stopping"
    );
    session.finish(clock.now());
    drop(opts);
    match Arc::try_unwrap(feeds) {
        Ok(f) => rt.block_on(f.shutdown()),
        Err(_) => tracing::debug!("feeds still referenced; dropped with the runtime"),
    }
    if let Some((tx, task)) = recorder {
        drop(tx);
        match rt.block_on(task) {
            Ok(Ok(stats)) => tracing::info!(?stats, "recording finished"),
            Ok(Err(e)) => tracing::warn!(error = %e, "recording not finished"),
            Err(e) => tracing::warn!(error = %e, "recorder task failed"),
        }
    }
    if let Some(m) = mock
        && let Ok(m) = Arc::try_unwrap(m)
    {
        rt.block_on(m.shutdown());
    }
    rt.shutdown_timeout(std::time::Duration::from_secs(3));
    Ok(())
}

/// The "cannot reach the exchanges" notice (live mode: nothing received after 20 s), also
/// logged once for headless runs.
fn unreachable_notice(
    feeds: &FeedsHandle,
    started: Instant,
    live: bool,
    warned: &AtomicBool,
) -> Vec<String> {
    if !live || started.elapsed().as_secs_f64() < UNREACHABLE_AFTER_S {
        return Vec::new();
    }
    let status = feeds.status();
    let silent = status
        .iter()
        .all(|s| s.connections.iter().all(|c| c.messages == 0));
    if !silent {
        return Vec::new();
    }
    let text = "Cannot reach the exchanges (no network?): still retrying. \
                For an offline demo run `viewer --demo`."
        .to_string();
    if !warned.swap(true, Ordering::Relaxed) {
        tracing::warn!("{text}");
    }
    vec![text]
}
