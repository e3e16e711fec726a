//! `viewer`: the live service (feeds -> engine task -> store + API + dashboard).
//!
//! The command-line surface is the contract of DESIGN.md. Built so far: `--replay FILE` of a
//! minute-level capture (headless). Live and demo modes land with the feeds issue and answer
//! "not built yet" with exit code 2.

mod dash;
mod files;
mod publish;
mod raw;
mod replay;
mod session;

use std::path::PathBuf;
use std::process::ExitCode;

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
}

fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
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
    let mode = if args.demo { "demo" } else { "live" };
    let _ = (
        &args.record,
        args.headless,
        &args.config,
        &args.api_host,
        args.api_port,
        args.no_api,
    );
    eprintln!(
        "viewer: {mode} mode is not built yet (see the open issues); \
         `viewer --replay FILE` and `audit normalize FILE` run today"
    );
    ExitCode::from(2)
}
