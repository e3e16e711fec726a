//! `audit books FILE [--json]`: replays the depth messages of a capture-v1 file through the
//! order-book reconstructors and reports, per exchange and instrument, how the rebuild went.
//!
//! Every instrument in the file is rebuilt, whether or not the symbol registry maps it: this is
//! a diagnostic of the recording. Each instrument gets the reconstructor of its exchange's
//! documented rule (Binance futures or spot by market, Bybit, OKX) with the default
//! configuration (strict sequencing, no gap tolerance). A REST snapshot is offered to the
//! reconstructor when the line appears in the file, as a live feed would fetch one; a Binance
//! reconstructor refuses a snapshot older than its buffered diffs or than its book.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;
use std::sync::Arc;

use liq_core::event::{EventKind, Exchange, Market};
use liq_core::normalize::{Batch, Normalizer, StreamKind};
use liq_core::orderbook::recon::{AnyReconstructor, ReconConfig, Reconstructor};
use liq_core::orderbook::stats::{ReconStats, SyncState};
use liq_core::symbols::SymbolRegistry;
use liq_store::capture::{self, CaptureError, LineReader};
use serde::Serialize;

use crate::normalize::raw_frame;

/// Why the command could not run.
#[derive(Debug, thiserror::Error)]
pub enum BooksCmdError {
    /// The input cannot be read.
    #[error(transparent)]
    Input(#[from] CaptureError),
    /// The file is not capture-v1.
    #[error("{0} is not a capture-v1 file (no meta line)")]
    NotCapture(String),
    /// Writing the output failed.
    #[error("cannot write output: {0}")]
    Output(#[from] io::Error),
}

impl BooksCmdError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            BooksCmdError::Input(_) | BooksCmdError::NotCapture(_) => crate::EXIT_USAGE,
            BooksCmdError::Output(_) => crate::EXIT_FAILURE,
        }
    }
}

/// One row of the report (the `--json` keys, in order).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BookRow {
    /// Exchange.
    pub exchange: Exchange,
    /// The exchange's instrument id (`spot:ID` when the file has it in two markets).
    pub symbol: String,
    /// Depth messages (snapshots and diffs).
    pub messages: u64,
    /// Snapshots applied.
    pub snapshots: u64,
    /// Diffs applied.
    pub updates_applied: u64,
    /// Sequence gaps detected.
    pub gaps: u64,
    /// Times the book was dropped to wait for a new snapshot.
    pub resyncs: u64,
    /// OKX checksums verified.
    pub checksum_ok: u64,
    /// OKX checksums failed.
    pub checksum_failed: u64,
    /// Final best bid (`null` when empty).
    pub best_bid: Option<f64>,
    /// Final best ask (`null` when empty).
    pub best_ask: Option<f64>,
    /// Final bid levels.
    pub bid_levels: u64,
    /// Final ask levels.
    pub ask_levels: u64,
}

/// One instrument's replay: its row plus the full counters and final state (text output).
#[derive(Clone, Debug)]
pub struct BookReport {
    /// The row.
    pub row: BookRow,
    /// Market of the instrument.
    pub market: Market,
    /// All counters.
    pub stats: ReconStats,
    /// Final state.
    pub state: SyncState,
}

/// What the run saw besides the books.
#[derive(Debug, Default)]
pub struct Summary {
    /// Lines read.
    pub lines: u64,
    /// Raw depth lines.
    pub depth_lines: u64,
    /// Lines that are not capture records or raw lines without a known exchange.
    pub bad_lines: u64,
    /// Depth messages the normalizer rejected.
    pub invalid_messages: u64,
}

/// Runs the replay.
pub fn run(path: &Path) -> Result<(Vec<BookReport>, Summary), BooksCmdError> {
    let mut norm = Normalizer::new(Arc::new(SymbolRegistry::default_registry()));
    let cfg = ReconConfig::default();
    let mut books: BTreeMap<(Exchange, Market, Arc<str>), AnyReconstructor> = BTreeMap::new();
    let mut summary = Summary::default();
    let mut reader = LineReader::open(path)?;
    let mut batch = Batch::default();
    let mut first = true;
    while let Some((line_no, line)) = reader.next_line()? {
        summary.lines += 1;
        if std::mem::take(&mut first) && !capture::is_capture_meta(line) {
            return Err(BooksCmdError::NotCapture(path.display().to_string()));
        }
        if line.trim().is_empty() {
            continue;
        }
        let Ok(rec) = capture::parse_line(line, line_no) else {
            summary.bad_lines += 1;
            continue;
        };
        if rec.kind != "raw" {
            continue;
        }
        let Ok(frame) = raw_frame(&rec, line_no) else {
            summary.bad_lines += 1;
            continue;
        };
        if frame.stream.is_some_and(|s| s != StreamKind::Depth) {
            continue;
        }
        summary.depth_lines += 1;
        batch.clear();
        norm.normalize(&frame, &mut batch);
        summary.invalid_messages += batch.errors.len() as u64;
        for ev in &batch.events {
            if !matches!(
                ev.kind,
                EventKind::DepthSnapshot(_) | EventKind::DepthDiff(_)
            ) {
                continue;
            }
            books
                .entry((ev.exchange, ev.market, ev.instrument.clone()))
                .or_insert_with(|| AnyReconstructor::new(ev.exchange, ev.market, &cfg))
                .on_event(ev);
        }
    }
    let mut markets_of: BTreeMap<(Exchange, &str), usize> = BTreeMap::new();
    for (ex, _, id) in books.keys() {
        *markets_of.entry((*ex, id)).or_default() += 1;
    }
    let reports = books
        .iter()
        .map(|((ex, market, id), r)| {
            let symbol = if markets_of.get(&(*ex, &**id)).copied().unwrap_or(0) > 1 {
                format!("{}:{id}", market.as_str())
            } else {
                id.to_string()
            };
            report(*ex, *market, symbol, r)
        })
        .collect();
    Ok((reports, summary))
}

fn report(exchange: Exchange, market: Market, symbol: String, r: &AnyReconstructor) -> BookReport {
    let s = r.stats();
    let book = r.book();
    BookReport {
        row: BookRow {
            exchange,
            symbol,
            messages: s.messages,
            snapshots: s.snapshots,
            updates_applied: s.updates_applied,
            gaps: s.gaps,
            resyncs: s.resyncs,
            checksum_ok: s.checksum_ok,
            checksum_failed: s.checksum_failed,
            best_bid: book.best_bid().and_then(|l| to_f64(l.price)),
            best_ask: book.best_ask().and_then(|l| to_f64(l.price)),
            bid_levels: book.bid_levels() as u64,
            ask_levels: book.ask_levels() as u64,
        },
        market,
        stats: s,
        state: r.state(),
    }
}

/// The nearest f64 of an exact decimal (through its text, which is correctly rounded).
fn to_f64(d: impl std::fmt::Display) -> Option<f64> {
    d.to_string().parse().ok()
}

/// Writes `{"books": [...]}` on one line.
pub fn write_json(reports: &[BookReport], out: &mut dyn Write) -> io::Result<()> {
    #[derive(Serialize)]
    struct Out<'a> {
        books: Vec<&'a BookRow>,
    }
    let body = Out {
        books: reports.iter().map(|r| &r.row).collect(),
    };
    serde_json::to_writer(&mut *out, &body).map_err(io::Error::from)?;
    out.write_all(b"\n")
}

/// Writes a readable table, one instrument per line, then the notes.
pub fn write_table(reports: &[BookReport], summary: &Summary, w: &mut dyn Write) -> io::Result<()> {
    writeln!(
        w,
        "audit books: {} lines, {} depth messages, {} instruments",
        summary.lines,
        summary.depth_lines,
        reports.len()
    )?;
    writeln!(
        w,
        "{:<8} {:<5} {:<14} {:>6} {:>5} {:>7} {:>5} {:>5} {:>5} {:>6} {:>5} {:>5} {:>12} {:>12} {:>5} {:>5}  state",
        "exchange",
        "mkt",
        "symbol",
        "msgs",
        "snaps",
        "applied",
        "stale",
        "drop",
        "gaps",
        "resync",
        "ckok",
        "ckbad",
        "best_bid",
        "best_ask",
        "bids",
        "asks"
    )?;
    let num = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| v.to_string());
    for r in reports {
        let (row, s) = (&r.row, &r.stats);
        writeln!(
            w,
            "{:<8} {:<5} {:<14} {:>6} {:>5} {:>7} {:>5} {:>5} {:>5} {:>6} {:>5} {:>5} {:>12} {:>12} {:>5} {:>5}  {}",
            row.exchange.as_str(),
            r.market.as_str(),
            row.symbol,
            row.messages,
            row.snapshots,
            row.updates_applied,
            s.stale,
            s.dropped,
            row.gaps,
            row.resyncs,
            row.checksum_ok,
            row.checksum_failed,
            num(row.best_bid),
            num(row.best_ask),
            row.bid_levels,
            row.ask_levels,
            r.state.as_str()
        )?;
    }
    if summary.bad_lines > 0 {
        writeln!(w, "{} unreadable lines skipped", summary.bad_lines)?;
    }
    if summary.invalid_messages > 0 {
        writeln!(
            w,
            "{} depth messages rejected by the normalizer (see `audit normalize`)",
            summary.invalid_messages
        )?;
    }
    Ok(())
}
