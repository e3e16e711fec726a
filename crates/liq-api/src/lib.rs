//! The HTTP contract of `spec/api.md`: the liquidation heatmap, history, zone and health
//! endpoints (and the liquidation forecast) over axum, served from immutable per-symbol snapshots.

mod cache;
mod deadline_io;
mod error;
mod forecast;
mod gzip;
mod json;
mod load;
pub mod metrics;
mod oi;
mod orderbook;
mod query;
mod routes;
mod server;
mod snapshot;
mod state;
mod symbols;

pub use cache::{CACHE_CAPACITY, ResponseCache};
pub use error::{ApiError, ParamError, ParamKind};
pub use forecast::{
    DEFAULT_HORIZON, ForecastSnapshot, encode_body as encode_forecast_body, encode_forecast_file,
    forecast_file_name, parse_forecast_file, parse_horizon, price_lows,
};
pub use json::{minify, to_json};
pub use load::{RELOAD_EVERY, ReloadReport, Reloader, load_dir, reload_loop};
pub use oi::{OiSnapshot, encode_oi, oi_file_name, parse_oi};
pub use orderbook::{BufferStats, ObBook, recon_file_name};
pub use query::{Params, parse_float, parse_int};
pub use routes::{HANDLER_TIMEOUT, PATHS, router};
pub use server::{
    HEADER_READ_TIMEOUT, IDLE_TIMEOUT, SHUTDOWN_GRACE, Timeouts, WRITE_TIMEOUT, serve, serve_with,
    shutdown_signal,
};
pub use snapshot::{Fields, Snapshot, SnapshotError};
pub use state::{AppState, Clock, Options, SymbolSlot, Version};
pub use symbols::{MAX_SYMBOL_LEN, SYMBOLS, SymbolInfo, normalize};
