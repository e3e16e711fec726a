//! `audit chart`: an SVG chart of one symbol (spec/DECISIONS.md "Audit and charts" 5): price
//! candles, the V2 heatmap as a colour field behind them, the zones over their lives and the
//! liquidations as dots sized by notional.
//!
//! The main input is a capture-v1 replay, run through the engine exactly as the viewer's
//! replay drives it ([`replay`]); the reference's `plot_feed.jsonl` (or the viewer's) is
//! accepted too and gives candles and zones only ([`feed`]). The kind is detected from the
//! file's first line. [`heat`] reduces the heatmap to at most [`heat::MAX_COLS`] x
//! [`heat::MAX_ROWS`] cells merged into runs, [`render`] draws with `plotters`' SVG backend.

pub mod feed;
pub mod heat;
pub mod render;
pub mod replay;
pub mod time;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use liq_core::compat::ReferenceCompat;
use liq_core::event::Side;

/// Why a chart failed.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// The input cannot be opened or read at all.
    #[error("{path}: {reason}")]
    Unreadable {
        /// The input.
        path: String,
        /// Why.
        reason: String,
    },
    /// Bad arguments (a range or symbol that selects nothing, an unknown symbol).
    #[error("{0}")]
    Usage(String),
    /// Reading failed after part of the file was read.
    #[error("reading {path}: {reason}")]
    Read {
        /// The input.
        path: String,
        /// Why.
        reason: String,
    },
    /// The engine could not be built.
    #[error("engine: {0}")]
    Engine(String),
    /// Drawing failed.
    #[error("drawing: {0}")]
    Render(String),
    /// The SVG cannot be written.
    #[error("writing {path}: {source}")]
    Write {
        /// The output.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

impl ChartError {
    /// The process exit code (DESIGN.md: 2 for bad usage or unreadable input, 1 otherwise).
    pub fn exit_code(&self) -> u8 {
        match self {
            ChartError::Unreadable { .. } | ChartError::Usage(_) => crate::EXIT_USAGE,
            _ => crate::EXIT_FAILURE,
        }
    }
}

/// Options of one chart.
#[derive(Clone, Debug)]
pub struct Options {
    /// The input: a capture-v1 replay or a plot feed.
    pub input: PathBuf,
    /// The SVG to write.
    pub out: PathBuf,
    /// Symbol (`BTC`, `ETH`, `SOL`).
    pub symbol: String,
    /// First minute shown (bar start, epoch minute), inclusive.
    pub from: Option<i64>,
    /// Last minute shown (bar start, epoch minute), inclusive.
    pub to: Option<i64>,
    /// Show only the last N minutes (of the `--to`-bounded range).
    pub last: Option<u32>,
    /// Replay with the reference preset instead of our defaults.
    pub reference_compat: bool,
    /// Show a progress bar on stderr (hidden when stderr is not a terminal).
    pub progress: bool,
}

impl Options {
    /// Default options for an input and an output.
    pub fn new(input: impl Into<PathBuf>, out: impl Into<PathBuf>) -> Self {
        Options {
            input: input.into(),
            out: out.into(),
            symbol: "BTC".to_owned(),
            from: None,
            to: None,
            last: None,
            reference_compat: false,
            progress: false,
        }
    }

    /// The preset's name.
    pub fn preset(&self) -> &'static str {
        if self.reference_compat {
            "reference"
        } else {
            "default"
        }
    }

    /// The engine's compatibility switches.
    pub fn compat(&self) -> ReferenceCompat {
        if self.reference_compat {
            ReferenceCompat::reference()
        } else {
            ReferenceCompat::fixed()
        }
    }
}

/// The kind of input file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    /// A capture-v1 replay (plain or gzip).
    Replay,
    /// A `plot_feed.jsonl` (per-minute bars and top zones).
    PlotFeed,
}

/// One candle; `minute` is the bar's own start (epoch minute).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Candle {
    /// Bar start, epoch minute.
    pub minute: i64,
    /// Open.
    pub open: f64,
    /// High.
    pub high: f64,
    /// Low.
    pub low: f64,
    /// Close.
    pub close: f64,
}

/// One liquidation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LiqDot {
    /// Time, epoch seconds.
    pub ts: f64,
    /// Liquidated position side.
    pub side: Side,
    /// Price.
    pub price: f64,
    /// USD notional.
    pub notional: f64,
}

/// One zone's life: a price held from `start` to `end` (epoch minutes, fractional).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ZoneSpan {
    /// Side.
    pub side: Side,
    /// Price.
    pub price: f64,
    /// Creation (or entry into the feed's display), epoch minutes.
    pub start: f64,
    /// Last minute close at which it was alive, epoch minutes.
    pub end: f64,
    /// Largest weight over the life (engine zone weight, or the feed's strength).
    pub weight: f64,
}

/// The served V2 heatmap after one minute close, trimmed to its non-zero span.
#[derive(Clone, Debug, PartialEq)]
pub struct HeatColumn {
    /// The candle it belongs to (bar start, epoch minute): the heatmap served at its close.
    pub minute: i64,
    /// Price of the first value.
    pub price0: f64,
    /// Grid step.
    pub step: f64,
    /// Long-side display intensity per grid price from `price0`.
    pub long: Vec<f32>,
    /// Short-side display intensity.
    pub short: Vec<f32>,
}

/// Everything a chart draws.
#[derive(Clone, Debug)]
pub struct ChartData {
    /// Symbol.
    pub symbol: String,
    /// Input kind.
    pub kind: InputKind,
    /// Preset of the replay (`None` for a plot feed).
    pub preset: Option<&'static str>,
    /// Candles in minute order.
    pub candles: Vec<Candle>,
    /// Liquidations in file order.
    pub liqs: Vec<LiqDot>,
    /// Zone lives.
    pub zones: Vec<ZoneSpan>,
    /// Heatmap columns in minute order (empty for a plot feed).
    pub heat: Vec<HeatColumn>,
    /// Lines skipped as malformed.
    pub bad_lines: u64,
}

/// What a chart run produced.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    /// Input kind.
    pub kind: InputKind,
    /// Minutes shown.
    pub minutes: usize,
    /// Candle elements drawn (minutes, or aggregated bars on long ranges).
    pub candles: usize,
    /// Minutes per drawn candle.
    pub candle_minutes: i64,
    /// Heatmap cells (merged runs) drawn.
    pub heat_cells: usize,
    /// Zone segments drawn.
    pub zones: usize,
    /// Liquidation dots drawn.
    pub liquidations: usize,
    /// Malformed lines skipped.
    pub bad_lines: u64,
    /// Bytes of the SVG.
    pub bytes: usize,
}

/// Whether an epoch minute can be a bar's (1970 to about year 3870): keeps the range
/// arithmetic of hostile or corrupt input from overflowing.
pub fn plausible_minute(minute: i64) -> bool {
    (1..1_000_000_000).contains(&minute)
}

fn unreadable(path: &Path, reason: impl ToString) -> ChartError {
    ChartError::Unreadable {
        path: path.display().to_string(),
        reason: reason.to_string(),
    }
}

/// Detects the input kind from the file's first non-empty line: a gzip file or a line with
/// `kind`/`type` is a replay; a line with `minute`, `h` and `l` and neither is a plot feed.
pub fn detect(path: &Path) -> Result<InputKind, ChartError> {
    let file = std::fs::File::open(path).map_err(|e| unreadable(path, e))?;
    let mut r = BufReader::new(file);
    let head = r.fill_buf().map_err(|e| unreadable(path, e))?;
    if head.is_empty() {
        return Err(unreadable(path, "empty file"));
    }
    if head.starts_with(&[0x1f, 0x8b]) {
        return Ok(InputKind::Replay);
    }
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = (&mut r)
            .take(1 << 20)
            .read_until(b'\n', &mut line)
            .map_err(|e| unreadable(path, e))?;
        if n == 0 {
            return Err(unreadable(path, "no line"));
        }
        if !line.iter().all(u8::is_ascii_whitespace) {
            break;
        }
    }
    let v: serde_json::Value = serde_json::from_slice(&line)
        .map_err(|e| unreadable(path, format!("the first line is not JSON ({e})")))?;
    let has = |k: &str| v.get(k).is_some();
    if has("kind") || has("type") {
        Ok(InputKind::Replay)
    } else if has("minute") && has("h") && has("l") {
        Ok(InputKind::PlotFeed)
    } else {
        Err(unreadable(
            path,
            "neither a capture-v1 replay nor a plot feed (first line)",
        ))
    }
}

/// Keeps the minutes `[from, to]` of `data` (bar starts), `last` minutes at most; returns the
/// range.
pub fn select(
    data: &mut ChartData,
    from: Option<i64>,
    to: Option<i64>,
    last: Option<u32>,
) -> Result<(i64, i64), ChartError> {
    let (Some(first), Some(end)) = (data.candles.first().copied(), data.candles.last().copied())
    else {
        return Err(ChartError::Usage(format!(
            "no {} minute in the input",
            data.symbol
        )));
    };
    let hi = to.unwrap_or(end.minute).min(end.minute);
    let mut lo = from.unwrap_or(first.minute).max(first.minute);
    if let Some(n) = last {
        lo = lo.max(hi.saturating_sub(i64::from(n.max(1))).saturating_add(1));
    }
    data.candles.retain(|c| (lo..=hi).contains(&c.minute));
    if data.candles.is_empty() {
        return Err(ChartError::Usage(format!(
            "no {} minute in the range {}..{} (the input has {}..{})",
            data.symbol,
            time::fmt_minute(lo),
            time::fmt_minute(hi),
            time::fmt_minute(first.minute),
            time::fmt_minute(end.minute)
        )));
    }
    data.heat.retain(|c| (lo..=hi).contains(&c.minute));
    let (t0, t1) = (lo as f64 * 60.0, (hi + 1) as f64 * 60.0);
    data.liqs.retain(|l| l.ts >= t0 && l.ts < t1);
    let (m0, m1) = (lo as f64, (hi + 1) as f64);
    data.zones.retain(|z| z.end >= m0 && z.start < m1);
    for z in &mut data.zones {
        z.start = z.start.max(m0);
        z.end = z.end.min(m1);
    }
    Ok((lo, hi))
}

/// Reads the input (replay or feed), selects the range, renders and writes the SVG.
pub fn run(opts: &Options) -> Result<Summary, ChartError> {
    let kind = detect(&opts.input)?;
    let mut data = match kind {
        InputKind::Replay => replay::collect(&opts.input, &opts.symbol, opts)?,
        InputKind::PlotFeed => feed::collect(&opts.input, &opts.symbol)?,
    };
    let range = select(&mut data, opts.from, opts.to, opts.last)?;
    let (svg, mut summary) = render::render(&data, range)?;
    std::fs::write(&opts.out, svg.as_bytes()).map_err(|source| ChartError::Write {
        path: opts.out.display().to_string(),
        source,
    })?;
    summary.bytes = svg.len();
    summary.bad_lines = data.bad_lines;
    Ok(summary)
}
