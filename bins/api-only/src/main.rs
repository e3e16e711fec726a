//! `api-only`: serves the HTTP API from the files a viewer writes. Lands with the API issue.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

/// Serve the liquidation heatmap API from a directory of snapshot files.
#[derive(Parser, Debug)]
#[command(version, about, long_about = None)]
struct Args {
    /// Directory the viewer writes (snapshots, history, zones).
    #[arg(long, value_name = "DIR", default_value = "./data")]
    data_dir: PathBuf,
    /// Bind host.
    #[arg(long, env = "API_HOST", default_value = "127.0.0.1")]
    api_host: String,
    /// Port.
    #[arg(long, env = "API_PORT", default_value_t = 8899)]
    api_port: u16,
}

fn main() -> ExitCode {
    let _args = Args::parse();
    eprintln!("api-only: not built yet (see the open issues)");
    ExitCode::from(2)
}
