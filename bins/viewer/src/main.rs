//! `viewer`: the live service (feeds -> engine task -> store + API + dashboard).
//!
//! The command-line surface is the contract of DESIGN.md; the service itself lands with the
//! engine, API and feeds issues. Until then every mode answers "not built yet" with exit code 2.

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
    /// In a replay, also write state and snapshots every N minutes of replayed time.
    #[arg(long, value_name = "MINUTES")]
    snapshot_every: Option<u32>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mode = if args.demo {
        "demo"
    } else if args.replay.is_some() {
        "replay"
    } else {
        "live"
    };
    eprintln!(
        "viewer: {mode} mode is not built yet (see the open issues); \
         `audit normalize FILE` is the runnable tool today"
    );
    ExitCode::from(2)
}
