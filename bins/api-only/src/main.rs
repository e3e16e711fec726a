//! `api-only`: serves the HTTP API from the files a viewer writes in `--data-dir`, reloading
//! the snapshot files every 5 s, until SIGINT or SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use liq_api::{Clock, Options, load_dir, reload_loop, serve};
use tokio::sync::watch;

/// Serve the liquidation heatmap API from a directory of snapshot files.
#[derive(Parser, Debug)]
#[command(version, about, long_about = None)]
struct Args {
    /// Directory the viewer writes (snapshots, history, zones).
    #[arg(long, value_name = "DIR", default_value = "./data")]
    data_dir: PathBuf,
    /// Bind host (use 0.0.0.0 only behind a proxy or firewall; see docs/OPERATIONS.md).
    #[arg(long, env = "API_HOST", default_value = "127.0.0.1")]
    api_host: String,
    /// Port.
    #[arg(long, env = "API_PORT", default_value_t = 8899)]
    api_port: u16,
    /// Allow browser requests from this origin (CORS); off by default.
    #[arg(long, value_name = "ORIGIN")]
    cors_origin: Option<String>,
}

async fn run(args: Args) -> anyhow::Result<()> {
    if !args.data_dir.is_dir() {
        anyhow::bail!("--data-dir {} is not a directory", args.data_dir.display());
    }
    let options = Options {
        engine: true,
        cors_origin: args.cors_origin,
        // The viewer's OI poller writes `oi_snapshot_{SYM}.json` each minute.
        oi_poller: true,
    };
    let dir = args.data_dir.clone();
    let (state, reloader) =
        tokio::task::spawn_blocking(move || load_dir(&dir, Clock::System, options)).await?;
    let addr: SocketAddr = format!("{}:{}", args.api_host, args.api_port)
        .parse()
        .or_else(|_| {
            std::net::ToSocketAddrs::to_socket_addrs(&(args.api_host.as_str(), args.api_port))
                .ok()
                .and_then(|mut a| a.next())
                .context("bad --api-host")
        })?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot bind {addr}"))?;
    tracing::info!(%addr, dir = %args.data_dir.display(), "api-only listening");
    let (stop_tx, mut stop_rx) = watch::channel(false);
    let reload = tokio::spawn(reload_loop(
        args.data_dir.clone(),
        state.clone(),
        reloader,
        async move {
            let _ = stop_rx.wait_for(|s| *s).await;
        },
    ));
    serve(listener, state, liq_api::shutdown_signal()).await?;
    tracing::info!("shutting down");
    let _ = stop_tx.send(true);
    let _ = reload.await;
    Ok(())
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("api-only: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match rt.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("api-only: {e:#}");
            ExitCode::from(1)
        }
    }
}
