//! `audit normalize FILE`: one normalized event per line as JSON, a summary on stderr.
//!
//! FILE is a capture-v1 file (its `raw` lines are normalized; other kinds are counted) or, with
//! `--exchange`, a file of raw exchange messages, one per line. In raw mode there is no receive
//! time: each event's `receive_ts` is its exchange time (0 when the message has none).

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use liq_core::event::{Exchange, Market};
use liq_core::normalize::{Batch, Frame, NormalizeError, Normalizer, StreamKind};
use liq_core::symbols::SymbolRegistry;
use liq_store::capture::{self, CaptureError, CaptureLine, LineReader};

/// Options of the command.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Raw-message mode: the exchange of every line.
    pub exchange: Option<Exchange>,
    /// Raw-message mode: the market (default perp).
    pub market: Option<Market>,
    /// Raw-message mode: the stream (detected per message when absent).
    pub stream: Option<StreamKind>,
    /// Raw-message mode: the instrument, for REST answers that do not name it.
    pub instrument: Option<String>,
}

/// Why the command could not run.
#[derive(Debug, thiserror::Error)]
pub enum NormalizeCmdError {
    /// The input cannot be read.
    #[error(transparent)]
    Input(#[from] CaptureError),
    /// The file is not capture-v1 and no `--exchange` was given.
    #[error("{0} is not a capture-v1 file (no meta line); pass --exchange to read raw messages")]
    NotCapture(String),
    /// Writing the output failed.
    #[error("cannot write output: {0}")]
    Output(#[from] io::Error),
}

impl NormalizeCmdError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            NormalizeCmdError::Input(_) | NormalizeCmdError::NotCapture(_) => crate::EXIT_USAGE,
            NormalizeCmdError::Output(_) => crate::EXIT_FAILURE,
        }
    }
}

/// What the run saw, for the summary.
#[derive(Debug, Default)]
pub struct Summary {
    /// Lines read.
    pub lines: u64,
    /// Capture lines that are not `raw`, by kind.
    pub other_kinds: BTreeMap<String, u64>,
    /// Lines that are not capture records, or raw lines with an unknown exchange/market.
    pub bad_lines: u64,
    /// A sample of bad lines.
    pub bad_line_samples: Vec<String>,
    /// Samples of rejected messages per exchange and stream (at most 3 each).
    pub error_samples: BTreeMap<(Exchange, StreamKind), Vec<NormalizeError>>,
    /// Events written.
    pub events: u64,
}

const SAMPLES: usize = 3;

/// Runs the command, writing events to `out`; returns the normalizer (for its counters).
pub fn run(
    path: &Path,
    opts: &Options,
    out: &mut dyn Write,
) -> Result<(Normalizer, Summary), NormalizeCmdError> {
    let registry = Arc::new(SymbolRegistry::default_registry());
    let mut norm = Normalizer::new(registry);
    let mut summary = Summary::default();
    let mut reader = LineReader::open(path)?;
    let mut batch = Batch::default();
    let mut first = true;
    let mut capture_mode = false;
    while let Some((line_no, line)) = reader.next_line()? {
        summary.lines += 1;
        if first {
            first = false;
            capture_mode = opts.exchange.is_none() && capture::is_capture_meta(line);
            if opts.exchange.is_none() && !capture_mode {
                return Err(NormalizeCmdError::NotCapture(path.display().to_string()));
            }
        }
        if line.trim().is_empty() {
            continue;
        }
        if capture_mode {
            capture_line(&mut norm, &mut summary, &mut batch, line_no, line)?;
        } else {
            let frame = Frame {
                exchange: opts.exchange.unwrap_or(Exchange::Binance),
                market: opts.market.unwrap_or(Market::Perp),
                stream: opts.stream,
                instrument: opts.instrument.as_deref(),
                payload: line,
                receive_ts: 0.0,
            };
            norm.normalize(&frame, &mut batch);
            for ev in &mut batch.events {
                ev.receive_ts = ev.exchange_ts.unwrap_or(0.0);
            }
        }
        write_batch(&batch, &mut summary, out)?;
        batch.clear();
    }
    Ok((norm, summary))
}

fn capture_line(
    norm: &mut Normalizer,
    summary: &mut Summary,
    batch: &mut Batch,
    line_no: u64,
    line: &str,
) -> Result<(), NormalizeCmdError> {
    let rec = match capture::parse_line(line, line_no) {
        Ok(r) => r,
        Err(e) => {
            bad_line(summary, e.to_string());
            return Ok(());
        }
    };
    if rec.kind != "raw" {
        *summary
            .other_kinds
            .entry(rec.kind.into_owned())
            .or_default() += 1;
        return Ok(());
    }
    let frame = match raw_frame(&rec, line_no) {
        Ok(f) => f,
        Err(msg) => {
            bad_line(summary, msg);
            return Ok(());
        }
    };
    norm.normalize(&frame, batch);
    Ok(())
}

/// The frame of a capture `raw` line, or why the line cannot be one.
pub(crate) fn raw_frame<'a>(rec: &'a CaptureLine<'a>, line_no: u64) -> Result<Frame<'a>, String> {
    let exchange = rec.exchange.as_deref().map(Exchange::from_str);
    let market = rec
        .market
        .as_deref()
        .map(Market::from_str)
        .unwrap_or(Ok(Market::Perp));
    let (Some(Ok(exchange)), Ok(market), Some(msg)) = (exchange, market, rec.msg) else {
        return Err(format!(
            "line {line_no}: raw line without a known exchange, market or msg"
        ));
    };
    let stream = rec
        .stream
        .as_deref()
        .and_then(|s| StreamKind::from_str(s).ok());
    let instrument = rec.symbol.as_deref().filter(|s| *s != "*");
    Ok(Frame {
        exchange,
        market,
        stream,
        instrument,
        payload: msg.get(),
        receive_ts: rec.ts,
    })
}

fn bad_line(summary: &mut Summary, msg: String) {
    summary.bad_lines += 1;
    if summary.bad_line_samples.len() < SAMPLES {
        summary.bad_line_samples.push(msg);
    }
}

fn write_batch(
    batch: &Batch,
    summary: &mut Summary,
    out: &mut dyn Write,
) -> Result<(), NormalizeCmdError> {
    for ev in &batch.events {
        serde_json::to_writer(&mut *out, ev).map_err(io::Error::from)?;
        out.write_all(b"\n")?;
        summary.events += 1;
    }
    for e in &batch.errors {
        let v = summary
            .error_samples
            .entry((e.exchange, e.stream))
            .or_default();
        if v.len() < SAMPLES {
            v.push(e.clone());
        }
    }
    Ok(())
}

/// Writes the human summary (counters per exchange and stream, error samples).
pub fn write_summary(norm: &Normalizer, s: &Summary, w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, "audit normalize: {} lines, {} events", s.lines, s.events)?;
    writeln!(
        w,
        "{:<8} {:<20} {:>8} {:>8} {:>8} {:>8} {:>8} {:>6} {:>8}",
        "exchange",
        "stream",
        "messages",
        "events",
        "control",
        "invalid",
        "unknown",
        "dups",
        "no_time"
    )?;
    for ((ex, stream), st) in norm.stats() {
        writeln!(
            w,
            "{:<8} {:<20} {:>8} {:>8} {:>8} {:>8} {:>8} {:>6} {:>8}",
            ex.as_str(),
            stream.as_str(),
            st.messages,
            st.events,
            st.control,
            st.invalid,
            st.unknown_instrument,
            st.duplicates,
            st.time_fallback
        )?;
    }
    for (kind, n) in &s.other_kinds {
        writeln!(w, "skipped {n} `{kind}` lines (not raw messages)")?;
    }
    if s.bad_lines > 0 {
        writeln!(w, "{} unreadable lines, e.g.:", s.bad_lines)?;
        for m in &s.bad_line_samples {
            writeln!(w, "  {m}")?;
        }
    }
    for errs in s.error_samples.values() {
        for e in errs {
            writeln!(w, "invalid: {e}")?;
        }
    }
    Ok(())
}
