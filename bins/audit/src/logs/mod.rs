//! `audit logs DIR`: metrics, acceptance criteria and invariant checks over the JSONL logs the
//! service writes (ours and the Python reference's), per spec/audit_and_plots.md with the answers
//! of spec/DECISIONS.md (audit 1-4). [`run`] reads and computes; [`report::write_markdown`] and
//! [`write_json`] print.

pub mod a5;
pub mod ca;
pub mod ca_data;
pub mod ca_misc;
pub mod findings;
pub mod history;
pub mod invariants;
pub mod read;
pub mod report;
pub mod report_ra;
pub mod runtime;
pub mod stats;

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use thiserror::Error;

use findings::Finding;
use read::FileInfo;

/// Options of `audit logs`.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// UTC offset of the logs' local-time strings, hours (the reference's logs of 2026-02-28:
    /// -5). `None`: inferred from the tape, else UTC.
    pub tz_offset_hours: Option<f64>,
    /// Where the state files are (default: the log directory).
    pub state_dir: Option<PathBuf>,
    /// Audit only this symbol.
    pub symbol: Option<String>,
}

/// Why the command could not run.
#[derive(Debug, Error)]
pub enum LogsError {
    /// The directory is missing or unreadable.
    #[error("cannot read log directory {path}: {source}")]
    Dir {
        /// The directory.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// No log of any symbol.
    #[error(
        "no logs in {0}: expected liq_tape_SYM.jsonl, liq_calibrator_SYM.jsonl or liq_zones_SYM.jsonl (or the legacy liq_tape.jsonl / liq_calibrator.jsonl)"
    )]
    Empty(PathBuf),
    /// `--symbol` names a symbol without logs.
    #[error("no logs of symbol {symbol} in {dir}")]
    NoSuchSymbol {
        /// The symbol asked for.
        symbol: String,
        /// The directory.
        dir: PathBuf,
    },
}

impl LogsError {
    /// The exit code (2: unreadable input).
    pub fn exit_code(&self) -> u8 {
        crate::EXIT_USAGE
    }
}

/// Everything computed for one symbol.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SymbolReport {
    /// Symbol.
    pub symbol: String,
    /// Inventory per log family.
    pub inventory: BTreeMap<String, Vec<FileInfo>>,
    /// Malformed lines over the symbol's files.
    pub malformed_lines: usize,
    /// Runtime blocks [1]-[E].
    pub runtime: runtime::Runtime,
    /// Calibration cycles.
    pub calibration_history: history::History,
    /// Events read, duplicates, unparsable timestamps, `price_insane`.
    pub event_counts: EventCounts,
    /// CA sections C, D, F, H, J, K, L.
    pub events: ca::EventSections,
    /// CA section E.
    pub reaction: ca_misc::Reaction,
    /// CA section I.
    pub offsets: BTreeMap<i64, ca_misc::TierOffsets>,
    /// CA section M.
    pub oi_health: ca_misc::OiHealth,
    /// CA section N.
    pub error_scan: BTreeMap<String, ca_misc::ProblemType>,
    /// CA section O.
    pub sweeps: ca_misc::Sweeps,
    /// Plot feed of the symbol.
    pub plot_feed: ca_misc::PlotFeed,
    /// A5.
    pub a5: a5::A5,
    /// Log/state invariants.
    pub invariants: Vec<invariants::Check>,
    /// Findings with severities.
    pub findings: Vec<Finding>,
    /// `PASS`, `WARN` or `FAIL`.
    pub verdict: &'static str,
}

/// Event bookkeeping of the CA loader.
#[derive(Clone, Debug, Default, Serialize)]
pub struct EventCounts {
    /// De-duplicated events.
    pub events: usize,
    /// Duplicates dropped.
    pub duplicates: usize,
    /// Timestamps that did not parse.
    pub unparsed: usize,
    /// `price_insane` events (excluded from offsets).
    pub price_insane: usize,
}

/// The whole report.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    /// The directory as given.
    pub dir: String,
    /// Offset of local-time strings from UTC, hours.
    pub log_utc_offset_hours: f64,
    /// `given`, `inferred from tape` or `default (UTC)`.
    pub offset_source: &'static str,
    /// Whether legacy un-suffixed names were read.
    pub legacy: bool,
    /// Viewer-level debug log: aggression block.
    pub aggression: runtime::Aggression,
    /// Inventory of the shared files (`liq_debug.jsonl`, `plot_feed.jsonl`).
    pub shared_inventory: Vec<FileInfo>,
    /// Per symbol.
    pub symbols: Vec<SymbolReport>,
    /// Verdict per symbol.
    pub verdict: BTreeMap<String, &'static str>,
    /// Malformed lines over all files.
    pub malformed_lines: usize,
}

impl Report {
    /// `FAIL` if any symbol fails, else `WARN` if any warns, else `PASS`.
    pub fn overall(&self) -> &'static str {
        findings::worst(self.verdict.values().copied())
    }
}

/// Reads `dir` and computes the report.
pub fn run(dir: &Path, opts: &Options) -> Result<Report, LogsError> {
    let state_dir = opts.state_dir.as_deref().unwrap_or(dir);
    let logs = read::load(dir, state_dir, opts.symbol.as_deref())
        .map_err(|source| LogsError::Dir {
            path: dir.to_path_buf(),
            source,
        })?
        .ok_or_else(|| match &opts.symbol {
            Some(symbol) => LogsError::NoSuchSymbol {
                symbol: symbol.clone(),
                dir: dir.to_path_buf(),
            },
            None => LogsError::Empty(dir.to_path_buf()),
        })?;
    let (offset_s, offset_source) =
        ca_data::log_offset_seconds(&logs.symbols, opts.tz_offset_hours);
    let aggression = runtime::aggression(&logs.viewer_debug);
    let shared_inventory: Vec<FileInfo> = logs
        .viewer_debug
        .files
        .iter()
        .chain(&logs.plot_feed.files)
        .cloned()
        .collect();
    let shared_bad: usize = shared_inventory.iter().map(|f| f.malformed_lines).sum();
    let mut out = Report {
        dir: dir.display().to_string(),
        log_utc_offset_hours: offset_s / 3600.0,
        offset_source,
        legacy: logs.legacy,
        aggression,
        shared_inventory,
        malformed_lines: shared_bad,
        ..Report::default()
    };
    for s in &logs.symbols {
        let d = ca_data::load(s, offset_s);
        let inventory: BTreeMap<String, Vec<FileInfo>> = s
            .families
            .iter()
            .map(|(k, f)| (k.to_string(), f.files.clone()))
            .collect();
        let malformed_lines = inventory
            .values()
            .flatten()
            .map(|f| f.malformed_lines)
            .sum();
        let mut r = SymbolReport {
            symbol: s.symbol.clone(),
            inventory,
            malformed_lines,
            runtime: runtime::runtime(s),
            calibration_history: history::history(s.fam("calibrator")),
            event_counts: EventCounts {
                events: d.events.len(),
                duplicates: d.duplicate_events,
                unparsed: d.unparsed_events,
                price_insane: d.insane_events,
            },
            events: ca::event_sections(&d),
            reaction: ca_misc::reaction(&d),
            offsets: ca_misc::offsets(&d),
            oi_health: ca_misc::oi_health(&d),
            error_scan: ca_misc::error_scan(s.fam("calibrator")),
            sweeps: ca_misc::sweeps(s.fam("sweeps")),
            plot_feed: ca_misc::plot_feed(&logs.plot_feed, &s.symbol),
            a5: a5::a5(s),
            invariants: invariants::checks(s, &d),
            ..SymbolReport::default()
        };
        let bad = r.malformed_lines + shared_bad;
        r.findings = findings::findings(&r, &out.aggression, bad);
        r.verdict = findings::worst(r.findings.iter().map(|f| f.severity));
        out.malformed_lines += r.malformed_lines;
        out.verdict.insert(r.symbol.clone(), r.verdict);
        out.symbols.push(r);
    }
    Ok(out)
}

/// Writes the report as one JSON object (unrounded values) and a newline.
pub fn write_json(report: &Report, out: &mut impl Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report).map_err(io::Error::other)?;
    writeln!(out)
}
