//! The embedded API (DESIGN rule 3): the engine thread publishes immutable per-symbol
//! snapshots into the API's state after each minute, the server runs on its own runtime thread.
//! Nothing is read back from disk while running: the files are for restarts and `api-only`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;

use liq_api::{AppState, Clock, ObBook, OiSnapshot, Options, Snapshot, Version};
use liq_core::engine::{EngineManager, MinuteProducts};
use liq_core::orderbook::frame::Frame;
use tokio::sync::watch;

/// The running embedded server and what the engine publishes into it.
pub struct Publisher {
    state: AppState,
    books: HashMap<String, ObBook>,
    stop: watch::Sender<bool>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// The bound address.
    pub addr: SocketAddr,
}

/// Where and how to serve.
pub struct ApiOptions<'a> {
    /// Bind host.
    pub host: &'a str,
    /// Port.
    pub port: u16,
    /// CORS origin.
    pub cors_origin: Option<String>,
    /// The data directory (history, frames and zones of the last run are served at start).
    pub data_dir: &'a Path,
}

fn resolve(host: &str, port: u16) -> anyhow::Result<SocketAddr> {
    use std::net::ToSocketAddrs;
    (host, port)
        .to_socket_addrs()
        .map_err(|e| anyhow::anyhow!("bad --api-host {host}: {e}"))?
        .next()
        .ok_or_else(|| anyhow::anyhow!("--api-host {host} resolves to nothing"))
}

/// Starts the API when asked; a failure is a warning and the service runs on without it.
pub fn start_or_warn(o: Option<&ApiOptions<'_>>) -> Option<Publisher> {
    let o = o?;
    match Publisher::start(o) {
        Ok(p) => Some(p),
        Err(e) => {
            tracing::warn!(error = %e, "the HTTP API is not running (the engine goes on; --no-api silences this)");
            None
        }
    }
}

impl Publisher {
    /// Loads the data directory's history and frames, binds and starts the server. A bind
    /// failure is an error the caller reports as a warning (the engine runs on without API).
    pub fn start(o: &ApiOptions<'_>) -> anyhow::Result<Self> {
        // Before anything takes a metrics handle (the feeds' counters land in /metrics).
        if let Err(e) = liq_api::metrics::install() {
            tracing::warn!(error = %e, "metrics recorder not installed");
        }
        let addr = resolve(o.host, o.port)?;
        let listener = std::net::TcpListener::bind(addr)
            .map_err(|e| anyhow::anyhow!("cannot bind the API to {addr}: {e}"))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let options = Options {
            engine: true,
            cors_origin: o.cors_origin.clone(),
            oi_poller: true,
        };
        let (state, _reloader) = liq_api::load_dir(o.data_dir, Clock::System, options);
        let books = state
            .slots()
            .iter()
            .filter_map(|s| Some((s.info.name.to_string(), (*s.orderbook()?).clone())))
            .collect();
        let (stop, mut stop_rx) = watch::channel(false);
        let served = state.clone();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("api")
            .enable_all()
            .build()?;
        let thread = std::thread::Builder::new()
            .name("api".into())
            .spawn(move || {
                rt.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(listener) {
                        Ok(l) => l,
                        Err(e) => {
                            tracing::warn!(error = %e, "API listener not usable; running without API");
                            return;
                        }
                    };
                    let stop = async move {
                        let _ = stop_rx.wait_for(|s| *s).await;
                    };
                    if let Err(e) = liq_api::serve(listener, served, stop).await {
                        tracing::warn!(error = %e, "API server stopped");
                    }
                });
            })?;
        tracing::info!(%addr, "API listening");
        Ok(Publisher {
            state,
            books,
            stop,
            thread: Some(thread),
            addr,
        })
    }

    fn slot(&self, symbol: &str) -> Option<&liq_api::SymbolSlot> {
        self.state.slots().iter().find(|s| s.info.name == symbol)
    }

    /// Publishes a symbol's minute: its V1 and V2 bodies (byte for byte the files' bodies), its
    /// liquidation forecast and a copy of its zone manager.
    pub fn on_products(&self, p: &MinuteProducts, engine: &EngineManager) {
        let Some(slot) = self.slot(&p.symbol) else {
            return;
        };
        let publish = |v: Version, json: serde_json::Result<Vec<u8>>| match json
            .map_err(|e| e.to_string())
            .and_then(|b| Snapshot::parse(&b).map_err(|e| e.to_string()))
        {
            Ok(s) => {
                slot.publish(v, s);
            }
            Err(e) => tracing::warn!(symbol = %p.symbol, error = %e, "snapshot not published"),
        };
        if let Some(v2) = &p.v2 {
            publish(Version::V2, serde_json::to_vec(v2));
        }
        if let Some(v1) = &p.v1 {
            publish(Version::V1, serde_json::to_vec(v1));
        }
        if let Some(f) = &p.forecast {
            slot.set_forecast(liq_api::ForecastSnapshot {
                forecast: std::sync::Arc::clone(f),
                ts: Some(p.ts),
            });
        }
        if let Some(z) = engine.symbol(&p.symbol).and_then(|e| e.zones()) {
            slot.set_zones(Some(z.clone()));
        }
    }

    /// Adds order-book frames to the served rings.
    pub fn on_frames(&mut self, frames: &[(String, Frame)]) {
        let mut touched = Vec::new();
        for (symbol, frame) in frames {
            let Some(book) = self.books.get_mut(symbol) else {
                continue;
            };
            let mut ring = (*book.ring).clone();
            if ring.push(frame.clone()).is_ok() {
                book.ring = std::sync::Arc::new(ring);
                touched.push(symbol.clone());
            }
        }
        for symbol in touched {
            if let (Some(slot), Some(book)) = (self.slot(&symbol), self.books.get(&symbol)) {
                slot.set_orderbook(Some(book.clone()));
            }
        }
    }

    /// Publishes a symbol's open-interest snapshot.
    pub fn set_oi(&self, symbol: &str, snap: OiSnapshot) {
        if let Some(slot) = self.slot(symbol) {
            slot.set_oi(snap);
        }
    }

    /// Serves on until SIGINT or SIGTERM (`--keep-serving` after a replay).
    pub fn serve_until_signal(&mut self) {
        match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => {
                tracing::info!("replay done; serving the API until Ctrl-C");
                rt.block_on(liq_api::shutdown_signal());
            }
            Err(e) => tracing::warn!(error = %e, "cannot wait for a signal"),
        }
        self.shutdown();
    }

    /// Stops the server (in-flight requests get the shutdown grace).
    pub fn shutdown(&mut self) {
        let _ = self.stop.send(true);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Publisher {
    fn drop(&mut self) {
        self.shutdown();
    }
}
