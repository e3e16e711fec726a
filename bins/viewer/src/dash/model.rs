//! What the dashboard shows, as plain data: the engine thread builds a [`DashModel`] a few
//! times per second and the renderer draws it (so rendering is testable without an engine).

/// A connection's state as the dashboard labels it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnState {
    /// Dialling or subscribing.
    Connecting,
    /// Messages arrive.
    Live,
    /// Connected but silent for longer than expected.
    Stale,
    /// Not connected (backing off before the next attempt).
    Down,
}

impl ConnState {
    /// The label (`LIVE`, `STALE`, `DOWN`, `CONNECTING`).
    pub fn label(self) -> &'static str {
        match self {
            ConnState::Connecting => "CONNECTING",
            ConnState::Live => "LIVE",
            ConnState::Stale => "STALE",
            ConnState::Down => "DOWN",
        }
    }
}

/// One exchange's feed status and counters.
#[derive(Debug, Clone, PartialEq)]
pub struct ExchangeRow {
    /// `binance`, `bybit`, `okx`.
    pub exchange: &'static str,
    /// Worst state over its connections.
    pub state: ConnState,
    /// Liquidations received since start.
    pub liquidations: u64,
    /// Liquidation notional of the last hour, USD.
    pub liq_usd_1h: f64,
    /// Messages received since start.
    pub messages: u64,
    /// Reconnects since start.
    pub reconnects: u64,
    /// Messages that did not parse or normalize.
    pub errors: u64,
    /// Seconds since the last message (`None`: never).
    pub last_msg_age_s: Option<f64>,
}

/// The calibrator's state for one symbol.
#[derive(Debug, Clone, PartialEq)]
pub struct CalibratorRow {
    /// Whether calibration runs (the safety check can switch it off).
    pub enabled: bool,
    /// Liquidation events the calibrator counted.
    pub events: u64,
    /// Calibration runs so far.
    pub calibrations: u64,
    /// The leverage tier with the largest weight and that weight, e.g. `(25, 0.27)`.
    pub top_tier: Option<(u32, f64)>,
}

/// A small heatmap strip: intensities in [0, 1] over a price range, low price first.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HeatStrip {
    /// Lowest price of the strip.
    pub price_min: f64,
    /// Highest price of the strip.
    pub price_max: f64,
    /// Long-liquidation intensity per cell (below the price, mostly).
    pub long: Vec<f32>,
    /// Short-liquidation intensity per cell (above the price, mostly).
    pub short: Vec<f32>,
}

/// One symbol's overview line.
#[derive(Debug, Clone, PartialEq)]
pub struct SymbolRow {
    /// `BTC`, `ETH`, `SOL`.
    pub symbol: String,
    /// Reference price (book mid or mark), `None` before the first.
    pub price: Option<f64>,
    /// Change over the last hour, percent.
    pub change_1h_pct: Option<f64>,
    /// Liquidation events since start.
    pub liq_events: u64,
    /// Long liquidations of the last hour, USD.
    pub liq_long_usd_1h: f64,
    /// Short liquidations of the last hour, USD.
    pub liq_short_usd_1h: f64,
    /// Calibrator state.
    pub calibrator: CalibratorRow,
    /// Active long zones.
    pub zones_long: usize,
    /// Active short zones.
    pub zones_short: usize,
    /// Aggregated open interest, base units.
    pub oi: Option<f64>,
    /// Whether an exchange was missing from the last OI change (DECISIONS feeds 6).
    pub oi_partial: bool,
    /// The heatmap strip around the price.
    pub strip: HeatStrip,
}

/// One of the strongest active zones.
#[derive(Debug, Clone, PartialEq)]
pub struct ZoneRow {
    /// Symbol.
    pub symbol: String,
    /// `long` or `short`.
    pub side: &'static str,
    /// Zone price.
    pub price: f64,
    /// Zone weight.
    pub weight: f64,
    /// Signed distance from the price, percent.
    pub distance_pct: f64,
}

/// The BTC trader-ratio panel (Binance long/short ratios, 5-minute period).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RatioPanel {
    /// Top traders' account ratio.
    pub top_account: Option<f64>,
    /// Top traders' position ratio.
    pub top_position: Option<f64>,
    /// Global account ratio.
    pub global_account: Option<f64>,
    /// When the newest value was observed, Unix seconds.
    pub ts: Option<f64>,
}

/// Everything on screen.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DashModel {
    /// `LIVE`, `DEMO x10`, `REPLAY`.
    pub mode: String,
    /// Clock of the data (event time in a replay), Unix seconds.
    pub now: f64,
    /// Minute closes so far.
    pub minutes: u64,
    /// The API address, when it runs.
    pub api: Option<String>,
    /// Per-symbol overview, configured order.
    pub symbols: Vec<SymbolRow>,
    /// Per-exchange status.
    pub exchanges: Vec<ExchangeRow>,
    /// Strongest zones over every symbol, strongest first.
    pub top_zones: Vec<ZoneRow>,
    /// BTC trader ratios.
    pub ratios: RatioPanel,
    /// Notices for the operator, newest last (e.g. "exchanges unreachable: try --demo").
    pub notices: Vec<String>,
    /// Liquidations dropped as duplicates across reconnects (DECISIONS feeds 4), footer.
    pub duplicates: u64,
    /// Events that arrived after their minute closed, counted into the next (DECISIONS feeds 7).
    pub late_events: u64,
    /// The liquidation forecast per symbol with one (panel hidden while empty).
    pub forecasts: Vec<ForecastRow>,
}

/// One band cell of the forecast strip: its price range, the forecast's and the prior's
/// probability.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ForecastCell {
    /// Lower edge of the cell.
    pub price_low: f64,
    /// Upper edge of the cell.
    pub price_high: f64,
    /// The forecast's probability.
    pub prob: f64,
    /// The reach prior's probability.
    pub prior: f64,
}

/// One side of a symbol's forecast at the shown horizon, summarised.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ForecastSide {
    /// The band cells holding the most probability, most probable first (at most 3).
    pub top: Vec<ForecastCell>,
    /// Price range spanned by the most probable band cells that together hold half the
    /// forecast's probability (`None`: the band holds less than half).
    pub mass50: Option<(f64, f64)>,
    /// The same range for the prior.
    pub prior50: Option<(f64, f64)>,
    /// The outside cell (beyond ±10 %): `(forecast, prior)`.
    pub outside: (f64, f64),
}

/// One symbol's liquidation forecast at the dashboard's horizon.
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastRow {
    /// Symbol.
    pub symbol: String,
    /// Horizon, minutes.
    pub horizon: u32,
    /// Long positions' liquidations (below the price, mostly).
    pub long: ForecastSide,
    /// Short positions' liquidations.
    pub short: ForecastSide,
}
