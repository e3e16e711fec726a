//! `viewer`: the service: feeds -> engine thread -> store + API + dashboard. Live by default
//! (the three exchanges), `--demo` (the simulator behind the mock exchange on loopback, no
//! network needed), `--replay FILE` (a capture, as fast as it goes or `--speed N`). The
//! command-line surface is the contract of DESIGN.md.

mod dash;
mod demo;
mod feed_metrics;
mod files;
mod ingest;
mod live;
mod oi;
mod publish;
mod raw;
mod replay;
mod service;
mod session;
mod status;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use arc_swap::ArcSwap;

use clap::Parser;

/// Liquidation heatmap service: live (default), demo, replay or record.
#[derive(Parser, Debug)]
#[command(version, about, long_about = None)]
struct Args {
    /// Run the market simulator behind the mock exchange (offline).
    #[arg(long, conflicts_with = "replay")]
    demo: bool,
    /// Replay a capture-v1 file, write the service's files and exit 0 at its end.
    #[arg(long, value_name = "FILE")]
    replay: Option<PathBuf>,
    /// Replay speed: a factor (1 = real time) or `max`.
    #[arg(long, value_name = "N|max", default_value = "max", requires = "replay")]
    speed: String,
    /// Record every received message to capture-v1 files in DIR.
    #[arg(long, value_name = "DIR")]
    record: Option<PathBuf>,
    /// No terminal dashboard (logs to stderr instead).
    #[arg(long)]
    headless: bool,
    /// Directory of every file the service writes or reads.
    #[arg(long, value_name = "DIR", default_value = "./data")]
    data_dir: PathBuf,
    /// TOML configuration (symbols, exchanges, URLs, intervals).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Restore the Python reference's behaviour (every reference-compatibility switch on).
    #[arg(long)]
    reference_compat: bool,
    /// API bind host.
    #[arg(long, env = "API_HOST", default_value = "127.0.0.1")]
    api_host: String,
    /// API port.
    #[arg(long, env = "API_PORT", default_value_t = 8899)]
    api_port: u16,
    /// Do not start the HTTP API.
    #[arg(long)]
    no_api: bool,
    /// Allow browser requests from this origin (CORS); off by default.
    #[arg(long, value_name = "ORIGIN")]
    cors_origin: Option<String>,
    /// After a replay, keep serving the API until SIGINT or SIGTERM.
    #[arg(long, requires = "replay")]
    keep_serving: bool,
    /// In a replay, also write state and snapshots every N minutes of replayed time.
    #[arg(long, value_name = "MINUTES")]
    snapshot_every: Option<u32>,
    /// Demo: simulated seconds per wall second once the history is done.
    #[arg(long, value_name = "N", default_value_t = 1.0, requires = "demo")]
    demo_speed: f64,
    /// Demo: hours of market history simulated at start (at full speed).
    #[arg(long, value_name = "HOURS", default_value_t = 4.0, requires = "demo")]
    demo_hours: f64,
    /// Demo: the simulator's seed (the same seed gives the same market).
    #[arg(long, value_name = "SEED", default_value_t = 42, requires = "demo")]
    seed: u64,
}

/// The `--config` TOML file: `[feeds]` (exchanges, URLs, intervals; docs/OPERATIONS.md).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
struct ViewerConfig {
    feeds: liq_feeds::FeedsConfig,
}

fn read_config(path: Option<&std::path::Path>) -> anyhow::Result<ViewerConfig> {
    let Some(path) = path else {
        return Ok(ViewerConfig::default());
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("--config {}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| anyhow::anyhow!("--config {}: {e}", path.display()))
}

fn init_logs(to_file: Option<&std::path::Path>) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    if let Some(dir) = to_file {
        match dash::log_file_writer(dir) {
            Ok(w) => {
                tracing_subscriber::fmt()
                    .with_env_filter(filter)
                    .with_writer(w)
                    .with_ansi(false)
                    .init();
                return;
            }
            Err(e) => eprintln!("viewer: cannot open the log file in {}: {e}", dir.display()),
        }
    }
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

fn main() -> ExitCode {
    let args = Args::parse();
    let service = args.replay.is_none();
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let dashboard = service && !args.headless && terminal;
    let log_dir = if args.demo {
        args.data_dir.join("demo")
    } else {
        args.data_dir.clone()
    };
    init_logs(dashboard.then_some(log_dir.as_path()));
    if service && !args.headless && !terminal {
        tracing::warn!("stdout is not a terminal: running headless (--headless says so)");
    }
    let compat = if args.reference_compat {
        liq_core::compat::ReferenceCompat::reference()
    } else {
        liq_core::compat::ReferenceCompat::fixed()
    };
    if let Some(file) = &args.replay {
        let speed = match args.speed.as_str() {
            "max" => None,
            s => match s.parse::<f64>() {
                Ok(f) if f > 0.0 && f.is_finite() => Some(f),
                _ => {
                    eprintln!("viewer: --speed takes a positive number or `max`, not {s:?}");
                    return ExitCode::from(2);
                }
            },
        };
        let api = (!args.no_api).then(|| publish::ApiOptions {
            host: &args.api_host,
            port: args.api_port,
            cors_origin: args.cors_origin.clone(),
            data_dir: &args.data_dir,
        });
        let opts = replay::ReplayOptions {
            file,
            data_dir: &args.data_dir,
            compat,
            snapshot_every: args.snapshot_every,
            speed,
            api,
            keep_serving: args.keep_serving,
        };
        let result = if raw::is_raw_capture(file) {
            raw::run(&opts)
        } else {
            replay::run(&opts)
        };
        return match result {
            Ok(_) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("viewer: {e:#}");
                ExitCode::FAILURE
            }
        };
    }
    if args.demo && !(args.demo_speed > 0.0 && args.demo_speed.is_finite()) {
        eprintln!("viewer: --demo-speed takes a positive number");
        return ExitCode::from(2);
    }
    if args.demo && !(args.demo_hours >= 0.0 && args.demo_hours <= 168.0) {
        eprintln!("viewer: --demo-hours takes 0 to 168");
        return ExitCode::from(2);
    }
    let config = match read_config(args.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("viewer: {e:#}");
            return ExitCode::from(2);
        }
    };
    let stop = Arc::new(AtomicBool::new(false));
    let model =
        dashboard.then(|| Arc::new(ArcSwap::from_pointee(dash::model::DashModel::default())));
    let dash_thread = model.clone().map(|m| {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            if let Err(e) = dash::run(m, Arc::clone(&stop)) {
                tracing::error!(error = %e, "dashboard stopped");
            }
            stop.store(true, Ordering::Relaxed);
        })
    });
    let result = service::run(service::ServiceArgs {
        data_dir: &args.data_dir,
        compat,
        api: (!args.no_api).then(|| publish::ApiOptions {
            host: &args.api_host,
            port: args.api_port,
            cors_origin: args.cors_origin.clone(),
            data_dir: &args.data_dir,
        }),
        dash: model,
        stop: Arc::clone(&stop),
        feeds: config.feeds,
        record: args.record.clone(),
        demo: args.demo.then_some(demo::DemoArgs {
            speed: args.demo_speed,
            hours: args.demo_hours,
            seed: args.seed,
        }),
    });
    stop.store(true, Ordering::Relaxed);
    if let Some(t) = dash_thread {
        let _ = t.join();
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("viewer: {e:#}");
            ExitCode::FAILURE
        }
    }
}
