//! `viewer --replay FILE` of a raw capture (exchange messages as received): every message goes
//! through the normalizer into the engine exactly as live frames would, and minutes close from
//! the recording's own receive time.

use std::path::Path;
use std::str::FromStr;
use std::time::Instant;

use liq_core::event::{Exchange, Market};
use liq_core::normalize::StreamKind;
use liq_store::capture::{LineReader, parse_line};

use crate::files::DataDir;
use crate::ingest::{Ingest, Raw};
use crate::replay::{ReplayOptions, build_engine};
use crate::session::Session;

/// Whether the file holds raw exchange messages (its first non-meta line is `raw`).
pub fn is_raw_capture(file: &Path) -> bool {
    let Ok(mut r) = LineReader::open(file) else {
        return false;
    };
    for _ in 0..64 {
        match r.next_line() {
            Ok(Some((n, line))) => match parse_line(line, n) {
                Ok(l) if l.kind == "meta" => continue,
                Ok(l) => return l.kind == "raw",
                Err(_) => continue,
            },
            _ => return false,
        }
    }
    false
}

/// Runs a raw capture; returns the number of minute closes.
pub fn run(opts: &ReplayOptions<'_>) -> anyhow::Result<u64> {
    let started = Instant::now();
    let mut reader = LineReader::open(opts.file)
        .map_err(|e| anyhow::anyhow!("reading {}: {e}", opts.file.display()))?;
    let mut ingest = Ingest::new();
    let mut session: Option<Session> = None;
    let (mut bad_lines, mut messages, mut last_ts) = (0u64, 0u64, 0.0f64);
    let mut read_error = None;
    loop {
        let (n, line) = match reader.next_line() {
            Ok(Some(x)) => x,
            Ok(None) => break,
            Err(e) => {
                read_error = Some(e);
                break;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        let rec = match parse_line(line, n) {
            Ok(r) => r,
            Err(e) => {
                bad_lines += 1;
                tracing::warn!(file = %opts.file.display(), error = %e, "bad line skipped");
                continue;
            }
        };
        if rec.kind != "raw" {
            continue;
        }
        let exchange = rec.exchange.as_deref().map(Exchange::from_str);
        let market = rec
            .market
            .as_deref()
            .map_or(Ok(Market::Perp), Market::from_str);
        let (Some(Ok(exchange)), Ok(market), Some(msg)) = (exchange, market, rec.msg) else {
            bad_lines += 1;
            tracing::warn!(
                line = n,
                "raw line without a known exchange, market or message"
            );
            continue;
        };
        let ts = rec.ts;
        if session.is_none() {
            let out = DataDir::open(opts.data_dir)?;
            let mut engine = build_engine(opts.data_dir, opts.compat, ts)?;
            engine.set_registry(ingest.registry());
            let mut fresh = Session::new(engine, out, opts.snapshot_every);
            fresh.publisher = crate::publish::start_or_warn(opts.api.as_ref());
            session = Some(fresh);
        }
        let Some(s) = session.as_mut() else {
            continue;
        };
        if let Some(speed) = opts.speed {
            let wait = (ts - last_ts) / speed;
            if last_ts > 0.0 && wait > 0.0 {
                std::thread::sleep(std::time::Duration::from_secs_f64(wait));
            }
        }
        last_ts = ts;
        for p in s.engine.advance_to(ts) {
            s.on_products(p, ts);
        }
        let stream = rec
            .stream
            .as_deref()
            .and_then(|x| StreamKind::from_str(x).ok());
        let raw = Raw {
            exchange,
            market,
            stream,
            instrument: rec.symbol.as_deref(),
            payload: msg.get(),
            ts,
        };
        ingest.message(s, &raw, |_| {});
        messages += 1;
        s.drain(ts);
    }
    let minutes = match session.as_mut() {
        Some(s) => {
            s.finish(last_ts);
            s.linger(opts.keep_serving);
            s.minutes
        }
        None => 0,
    };
    tracing::info!(
        messages,
        minutes,
        bad_lines,
        seconds = started.elapsed().as_secs_f64(),
        "raw replay done"
    );
    match read_error {
        Some(e) => Err(anyhow::anyhow!(
            "{e} (the messages before it were replayed and written)"
        )),
        None => Ok(minutes),
    }
}
