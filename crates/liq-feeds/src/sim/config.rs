//! Simulator configuration: the clock and stream rates, the symbols and their market
//! parameters, the leveraged-position population, and each instrument's price and size format.

use liq_core::event::Exchange;
use liq_core::leverage::RUNTIME_LADDER;
use liq_core::symbols::RegistryConfig;

/// 2026-01-01T00:00:00Z: the default start of simulated time.
pub const DEFAULT_START_TS: f64 = 1_767_225_600.0;

/// Share of each exchange (Binance, Bybit, OKX) in trades, open interest and positions.
pub const EXCHANGE_SHARE: [f64; 3] = [0.45, 0.33, 0.22];

/// How an instrument's prices and sizes are written (fixed-point: `units / 10^dp`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InstrumentFormat {
    /// Decimals of a price.
    pub price_dp: u32,
    /// Tick size in price units (`10^-price_dp`), e.g. 10 with 2 decimals = 0.10.
    pub tick: i64,
    /// Decimals of a size (base units; OKX: contracts).
    pub qty_dp: u32,
    /// Lot size in size units.
    pub lot: i64,
    /// Trailing zeros removed (OKX writes `43394`, `43394.1`).
    pub trim: bool,
}

impl InstrumentFormat {
    /// The tick as a price.
    pub fn tick_size(&self) -> f64 {
        self.tick as f64 / 10f64.powi(self.price_dp as i32)
    }

    /// The lot as a size.
    pub fn lot_size(&self) -> f64 {
        self.lot as f64 / 10f64.powi(self.qty_dp as i32)
    }

    /// A format for `exchange` guessed from a price level (for symbols without presets).
    pub fn guess(exchange: Exchange, price: f64) -> Self {
        // About five significant digits of price, and a lot worth about 0.1 to 1 USD.
        let digits = price.abs().max(1e-9).log10().floor() as i32 + 1;
        let price_dp = (5 - digits).clamp(0, 8) as u32;
        let qty_dp = (digits - 1).clamp(0, 8) as u32;
        let trim = exchange == Exchange::Okx;
        InstrumentFormat {
            price_dp,
            tick: 1,
            qty_dp: if trim { 2 } else { qty_dp },
            lot: 1,
            trim,
        }
    }
}

/// Market parameters of one simulated symbol.
#[derive(Clone, Debug, PartialEq)]
pub struct SymbolParams {
    /// Short symbol (must be in the registry).
    pub symbol: String,
    /// Price at the start.
    pub start_price: f64,
    /// Annualized volatility of the calm-to-normal market (the regimes scale it).
    pub annual_vol: f64,
    /// Loading on the market-wide shock (correlation with the other symbols).
    pub beta: f64,
    /// Spacing of the round numbers where limit entries cluster (BTC 1000).
    pub round_step: f64,
    /// Traded volume of all exchanges together, USD per second, in the normal regime.
    pub volume_usd_per_sec: f64,
    /// Open interest of all exchanges not carried by modelled positions, base units.
    pub background_oi: f64,
    /// Modelled leveraged positions opened per second (all exchanges), in the normal regime.
    pub positions_per_sec: f64,
    /// Median notional of a modelled position, USD.
    pub position_median_usd: f64,
    /// Modelled positions present at the start (opened over the preceding hours).
    pub initial_positions: usize,
    /// Price and size formats on Binance, Bybit and OKX.
    pub formats: [InstrumentFormat; 3],
}

impl SymbolParams {
    /// The preset of `BTC`, `ETH` or `SOL`, or a generic one around `start_price`.
    pub fn preset(symbol: &str, start_price: f64) -> Self {
        let f = |price_dp, tick, qty_dp, lot, trim| InstrumentFormat {
            price_dp,
            tick,
            qty_dp,
            lot,
            trim,
        };
        match symbol {
            "BTC" => SymbolParams {
                symbol: symbol.into(),
                start_price,
                annual_vol: 0.55,
                beta: 0.95,
                round_step: 1000.0,
                volume_usd_per_sec: 250_000.0,
                background_oi: 130_000.0,
                positions_per_sec: 6.0,
                position_median_usd: 12_000.0,
                initial_positions: 45_000,
                formats: [
                    f(2, 10, 3, 1, false),
                    f(2, 10, 3, 1, false),
                    f(1, 1, 2, 1, true),
                ],
            },
            "ETH" => SymbolParams {
                symbol: symbol.into(),
                start_price,
                annual_vol: 0.70,
                beta: 0.85,
                round_step: 50.0,
                volume_usd_per_sec: 120_000.0,
                background_oi: 2_000_000.0,
                positions_per_sec: 5.0,
                position_median_usd: 8_000.0,
                initial_positions: 37_000,
                formats: [
                    f(2, 1, 3, 1, false),
                    f(2, 1, 2, 1, false),
                    f(2, 1, 2, 1, true),
                ],
            },
            "SOL" => SymbolParams {
                symbol: symbol.into(),
                start_price,
                annual_vol: 0.90,
                beta: 0.80,
                round_step: 5.0,
                volume_usd_per_sec: 40_000.0,
                background_oi: 12_000_000.0,
                positions_per_sec: 4.0,
                position_median_usd: 4_000.0,
                initial_positions: 30_000,
                formats: [
                    f(2, 1, 0, 1, false),
                    f(3, 10, 1, 1, false),
                    f(2, 1, 2, 1, true),
                ],
            },
            _ => {
                let mut round = 10f64.powf(start_price.abs().max(1e-9).log10().floor() - 1.0);
                if !round.is_finite() || round <= 0.0 {
                    round = 1.0;
                }
                SymbolParams {
                    symbol: symbol.into(),
                    start_price,
                    annual_vol: 0.9,
                    beta: 0.7,
                    round_step: round,
                    volume_usd_per_sec: 20_000.0,
                    background_oi: 5_000_000.0 / start_price.max(1e-9),
                    positions_per_sec: 2.0,
                    position_median_usd: 3_000.0,
                    initial_positions: 10_000,
                    formats: Exchange::ALL.map(|e| InstrumentFormat::guess(e, start_price)),
                }
            }
        }
    }
}

/// Everything the simulator needs; `Default` is BTC, ETH and SOL on the three exchanges.
#[derive(Clone, Debug, PartialEq)]
pub struct SimConfig {
    /// Seed: the same seed (and configuration) gives byte-identical messages.
    pub seed: u64,
    /// Source time of the first message, Unix seconds (rounded down to the millisecond).
    pub start_ts: f64,
    /// Instruments and contract values (OKX `ctVal`) of each symbol.
    pub registry: RegistryConfig,
    /// The simulated symbols (each must be in the registry).
    pub symbols: Vec<SymbolParams>,
    /// Exchanges to simulate (instruments of other exchanges are ignored).
    pub exchanges: Vec<Exchange>,
    /// Simulation step, ms (price path, trades, liquidation checks). Must divide 500.
    pub step_ms: u64,
    /// Interval of order-book diffs of every book, ms (a multiple of `step_ms`; the Binance
    /// stream is still named `@depth@100ms`). The demo's pre-simulated history uses 1000.
    pub depth_interval_ms: u64,
    /// Bybit and OKX books (and the Bybit ticker) are re-sent as a snapshot this often, so a
    /// client that subscribes mid-stream syncs; 0: only the first snapshot.
    pub snapshot_interval_ms: u64,
    /// Price levels per book side: Binance, Bybit (`orderbook.50`: at most 50), OKX.
    pub book_levels: [usize; 3],
    /// Half-width of a book as a fraction of the price (levels are log-uniform in distance).
    pub book_band: f64,
    /// Random level changes per book update (besides those the mid's moves cause).
    pub book_churn: usize,
    /// Interval of the Bybit `tickers` deltas, ms (the exchange pushes every 100 ms).
    pub ticker_interval_ms: u64,
    /// Interval of the OKX `open-interest` channel, ms (documented: 3 s).
    pub okx_oi_interval_ms: u64,
    /// Interval of the OKX `funding-rate` channel, ms (documented: 30 to 90 s).
    pub okx_funding_interval_ms: u64,
    /// Cap on trade messages per second per symbol (all exchanges together); the traded
    /// volume does not depend on it, the trade sizes do.
    pub trades_per_sec: f64,
    /// Leverage tiers and their share of new positions (tiers of liq_core's runtime ladder).
    pub leverage_weights: Vec<(u32, f64)>,
    /// Mean holding time of a 20x position, seconds (higher leverage holds shorter).
    pub mean_hold_s: f64,
    /// Keep a record of every liquidation (for tests and audits; unbounded).
    pub keep_liquidation_log: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        let weights = [0.20, 0.26, 0.20, 0.20, 0.07, 0.05, 0.02];
        SimConfig {
            seed: 1,
            start_ts: DEFAULT_START_TS,
            registry: RegistryConfig::default(),
            symbols: vec![
                SymbolParams::preset("BTC", 87_500.0),
                SymbolParams::preset("ETH", 3_100.0),
                SymbolParams::preset("SOL", 140.0),
            ],
            exchanges: Exchange::ALL.to_vec(),
            step_ms: 100,
            depth_interval_ms: 100,
            snapshot_interval_ms: 60_000,
            book_levels: [100, 50, 100],
            book_band: 0.03,
            book_churn: 6,
            ticker_interval_ms: 1000,
            okx_oi_interval_ms: 3000,
            okx_funding_interval_ms: 60_000,
            trades_per_sec: 6.0,
            leverage_weights: RUNTIME_LADDER.iter().copied().zip(weights).collect(),
            mean_hold_s: 2.0 * 3600.0,
            keep_liquidation_log: false,
        }
    }
}

impl SimConfig {
    /// The default configuration with a lower depth rate (1 diff per second per book), for
    /// pre-simulating hours of history at full speed.
    pub fn demo_history() -> Self {
        SimConfig {
            depth_interval_ms: 1000,
            ..SimConfig::default()
        }
    }
}

/// Why a configuration was rejected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SimConfigError {
    /// The registry is invalid.
    #[error("registry: {0}")]
    Registry(#[from] liq_core::symbols::RegistryError),
    /// A simulated symbol is not in the registry.
    #[error("symbol {0:?} is not in the registry")]
    UnknownSymbol(String),
    /// A number is out of range.
    #[error("{field} is out of range: {value}")]
    Range {
        /// The field.
        field: String,
        /// Its value.
        value: f64,
    },
    /// No symbol, no exchange or no leverage tier.
    #[error("nothing to simulate: {0}")]
    Empty(&'static str),
}
