//! `audit`: the operator's tool over recordings and logs (DESIGN.md "Command-line surface").

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use audit::{EXIT_OK, backtest, books, chart, fit, logs, normalize};
use clap::{Parser, Subcommand};
use liq_core::event::{Exchange, Market};
use liq_core::normalize::StreamKind;

/// Log metrics, order-book reports, prediction backtests and charts.
#[derive(Parser, Debug)]
#[command(version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Print one normalized event per line as JSON (summary on stderr).
    Normalize {
        /// A capture-v1 file, or with --exchange a file of raw messages (one per line).
        file: PathBuf,
        /// Read FILE as raw messages of this exchange (binance, bybit, okx).
        #[arg(long)]
        exchange: Option<Exchange>,
        /// Raw mode: market of the messages (perp, spot).
        #[arg(long, requires = "exchange")]
        market: Option<Market>,
        /// Raw mode: stream of the messages (detected per message when absent).
        #[arg(long, requires = "exchange")]
        stream: Option<StreamKind>,
        /// Raw mode: instrument id, for REST answers that do not name it.
        #[arg(long, requires = "exchange")]
        instrument: Option<String>,
    },
    /// Order-book rebuild report per exchange and instrument.
    Books {
        /// A capture-v1 file.
        file: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Metrics and markdown report over JSONL logs.
    Logs {
        /// The log directory.
        dir: PathBuf,
        /// Print JSON instead of markdown.
        #[arg(long)]
        json: bool,
        /// Offset of the logs' local-time strings from UTC, in hours (the reference's logs of
        /// 2026-02-28: -5); default: inferred from the tape, else UTC.
        #[arg(long, value_name = "HOURS", allow_hyphen_values = true, value_parser = parse_tz_offset)]
        tz_offset: Option<f64>,
        /// Read the state files (snapshots, weights, zones) from this directory instead of DIR.
        #[arg(long, value_name = "DIR")]
        state_dir: Option<PathBuf>,
        /// Audit only this symbol.
        #[arg(long, value_name = "SYM")]
        symbol: Option<String>,
        /// Exit 0 even when a symbol's verdict is FAIL (by default FAIL exits 1, spec 7.3).
        #[arg(long)]
        no_fail_exit: bool,
    },
    /// Prediction scoring per spec/prediction_eval.md.
    Backtest {
        /// A capture-v1 replay.
        file: PathBuf,
        /// Print the protocol JSON.
        #[arg(long)]
        json: bool,
        /// Use the reference preset.
        #[arg(long)]
        reference_compat: bool,
        /// Write the heatmap's predictions to PATH.
        #[arg(long, value_name = "PATH")]
        emit_predictions: Option<PathBuf>,
        /// Turn one reference-compatibility switch on (repeatable), e.g. heatmap_b1: measures
        /// one fix switched back.
        #[arg(long = "switch", value_name = "NAME")]
        switches: Vec<String>,
        /// Detach the calibrator (no calibration reaches the engine).
        #[arg(long)]
        no_calibrator: bool,
    },
    /// Fits the forecast's parameters on replays, leaving one file out (protocol v2).
    ForecastFit {
        /// The capture-v1 replays (at least two).
        #[arg(required = true, num_args = 2..)]
        files: Vec<PathBuf>,
        /// Print JSON instead of markdown.
        #[arg(long)]
        json: bool,
        /// The skill the search maximises on the training files.
        #[arg(long, value_enum, default_value = "file-mean")]
        objective: fit::Objective,
    },
    /// SVG chart of candles, heatmap, zones and liquidations.
    Chart {
        /// A capture-v1 replay, or a plot_feed.jsonl (candles and zones only); detected from
        /// the first line.
        #[arg(long, visible_alias = "feed", value_name = "FILE")]
        replay: PathBuf,
        /// Output SVG file.
        #[arg(long, value_name = "FILE.svg")]
        out: PathBuf,
        /// Symbol to draw.
        #[arg(long, value_name = "SYM", default_value = "BTC")]
        symbol: String,
        /// First minute shown: epoch minute or UTC time YYYY-MM-DDTHH:MM.
        #[arg(long, value_name = "MINUTE", value_parser = parse_minute)]
        from: Option<i64>,
        /// Last minute shown: epoch minute or UTC time YYYY-MM-DDTHH:MM.
        #[arg(long, value_name = "MINUTE", value_parser = parse_minute)]
        to: Option<i64>,
        /// Show only the last N minutes.
        #[arg(long, visible_alias = "window", value_name = "N")]
        last: Option<u32>,
        /// Replay with the reference preset.
        #[arg(long)]
        reference_compat: bool,
    },
}

/// `--tz-offset`: a finite number of hours within the UTC offsets in use (-12 to +14).
fn parse_tz_offset(s: &str) -> Result<f64, String> {
    let h: f64 = s
        .parse()
        .map_err(|_| format!("`{s}` is not a number of hours"))?;
    if h.is_finite() && (-12.0..=14.0).contains(&h) {
        Ok(h)
    } else {
        Err(format!("`{s}` is not a UTC offset (-12 to +14 hours)"))
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Normalize {
            file,
            exchange,
            market,
            stream,
            instrument,
        } => {
            let opts = normalize::Options {
                exchange,
                market,
                stream,
                instrument,
            };
            let stdout = io::stdout();
            let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
            let result = normalize::run(&file, &opts, &mut out);
            let flushed = out.flush();
            match result {
                Ok((norm, summary)) => {
                    let _ = normalize::write_summary(&norm, &summary, &mut io::stderr());
                    if let Err(e) = flushed
                        && e.kind() != io::ErrorKind::BrokenPipe
                    {
                        eprintln!("audit normalize: cannot write output: {e}");
                        return ExitCode::from(audit::EXIT_FAILURE);
                    }
                    ExitCode::from(EXIT_OK)
                }
                Err(normalize::NormalizeCmdError::Output(e))
                    if e.kind() == io::ErrorKind::BrokenPipe =>
                {
                    ExitCode::from(EXIT_OK)
                }
                Err(e) => {
                    eprintln!("audit normalize: {e}");
                    ExitCode::from(e.exit_code())
                }
            }
        }
        Command::Books { file, json } => run_books(&file, json),
        Command::Backtest {
            file,
            json,
            reference_compat,
            emit_predictions,
            switches,
            no_calibrator,
        } => {
            let opts = backtest::Options {
                reference_compat,
                switches,
                calibrator_off: no_calibrator,
                emit_predictions,
                progress: true,
            };
            run_backtest(&file, json, &opts)
        }
        Command::Logs {
            dir,
            json,
            tz_offset,
            state_dir,
            symbol,
            no_fail_exit,
        } => {
            let opts = logs::Options {
                tz_offset_hours: tz_offset,
                state_dir,
                symbol,
            };
            run_logs(&dir, json, !no_fail_exit, &opts)
        }
        Command::ForecastFit {
            files,
            json,
            objective,
        } => run_fit(
            &fit::FitOptions {
                files,
                objective,
                progress: true,
            },
            json,
        ),
        Command::Chart {
            replay,
            out,
            symbol,
            from,
            to,
            last,
            reference_compat,
        } => {
            let opts = chart::Options {
                symbol,
                from,
                to,
                last,
                reference_compat,
                progress: true,
                ..chart::Options::new(replay, out)
            };
            run_chart(&opts)
        }
    }
}

fn parse_minute(s: &str) -> Result<i64, String> {
    chart::time::parse_minute(s)
        .ok_or_else(|| format!("{s:?} is neither an epoch minute nor YYYY-MM-DDTHH:MM (UTC)"))
}

fn run_chart(opts: &chart::Options) -> ExitCode {
    let started = std::time::Instant::now();
    match chart::run(opts) {
        Ok(s) => {
            eprintln!(
                "audit chart: wrote {} ({} bytes, {:.1} s): {} minutes, {} candles of {} min, {} heatmap cells, {} zones, {} liquidations{}",
                opts.out.display(),
                s.bytes,
                started.elapsed().as_secs_f64(),
                s.minutes,
                s.candles,
                s.candle_minutes,
                s.heat_cells,
                s.zones,
                s.liquidations,
                if s.bad_lines > 0 {
                    format!(", {} bad lines skipped", s.bad_lines)
                } else {
                    String::new()
                }
            );
            ExitCode::from(EXIT_OK)
        }
        Err(e) => {
            eprintln!("audit chart: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

fn run_fit(opts: &fit::FitOptions, json: bool) -> ExitCode {
    let report = match fit::run(opts) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("audit forecast-fit: {e}");
            return ExitCode::from(e.exit_code());
        }
    };
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let written = if json {
        serde_json::to_writer_pretty(&mut out, &report)
            .map_err(io::Error::other)
            .and_then(|()| writeln!(out))
    } else {
        fit::write_markdown(&report, &mut out)
    };
    match written.and_then(|()| out.flush()) {
        Ok(()) => ExitCode::from(EXIT_OK),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::from(EXIT_OK),
        Err(e) => {
            eprintln!("audit forecast-fit: cannot write output: {e}");
            ExitCode::from(audit::EXIT_FAILURE)
        }
    }
}

fn run_backtest(file: &std::path::Path, json: bool, opts: &backtest::Options) -> ExitCode {
    let report = match backtest::run(file, opts) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("audit backtest: {e}");
            return ExitCode::from(e.exit_code());
        }
    };
    if report.bad_lines > 0 {
        eprintln!(
            "audit backtest: {} bad lines skipped in {}",
            report.bad_lines,
            file.display()
        );
    }
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let written = if json {
        backtest::write_json(&report, &mut out)
    } else {
        backtest::write_table(&report, &mut out)
    };
    match written.and_then(|()| out.flush()) {
        Ok(()) => ExitCode::from(EXIT_OK),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::from(EXIT_OK),
        Err(e) => {
            eprintln!("audit backtest: cannot write output: {e}");
            ExitCode::from(audit::EXIT_FAILURE)
        }
    }
}

fn run_logs(dir: &std::path::Path, json: bool, fail_exit: bool, opts: &logs::Options) -> ExitCode {
    let report = match logs::run(dir, opts) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("audit logs: {e}");
            return ExitCode::from(e.exit_code());
        }
    };
    if report.malformed_lines > 0 {
        eprintln!(
            "audit logs: {} malformed lines skipped (listed in the inventory)",
            report.malformed_lines
        );
    }
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let written = if json {
        logs::write_json(&report, &mut out)
    } else {
        logs::report::write_markdown(&report, &mut out)
    };
    match written.and_then(|()| out.flush()) {
        Ok(()) if fail_exit && report.overall() == "FAIL" => ExitCode::from(audit::EXIT_FAILURE),
        Ok(()) => ExitCode::from(EXIT_OK),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::from(EXIT_OK),
        Err(e) => {
            eprintln!("audit logs: cannot write output: {e}");
            ExitCode::from(audit::EXIT_FAILURE)
        }
    }
}

fn run_books(file: &std::path::Path, json: bool) -> ExitCode {
    let (reports, summary) = match books::run(file) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("audit books: {e}");
            return ExitCode::from(e.exit_code());
        }
    };
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let written = if json {
        books::write_json(&reports, &mut out)
    } else {
        books::write_table(&reports, &summary, &mut out)
    };
    match written.and_then(|()| out.flush()) {
        Ok(()) => ExitCode::from(EXIT_OK),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::from(EXIT_OK),
        Err(e) => {
            eprintln!("audit books: cannot write output: {e}");
            ExitCode::from(audit::EXIT_FAILURE)
        }
    }
}
