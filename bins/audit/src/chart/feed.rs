//! The chart's data from a `plot_feed.jsonl` (spec/audit_and_plots.md 8.1; the reference's
//! or the viewer's): the symbol's records only (P1), one candle per `minute` (the last record
//! wins; the bar is the minute before `minute`), and the top zones of every record joined into
//! lives: a zone seen at consecutive records is one segment from `minute - age` to its last
//! record. No heatmap and no liquidations: the feed carries neither.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use liq_core::event::Side;
use serde::Deserialize;

use super::{Candle, ChartData, ChartError, InputKind, ZoneSpan};

/// One feed line (unknown keys ignored; the viewer writes `null` opens and closes when unknown).
#[derive(Deserialize)]
struct FeedLine {
    symbol: String,
    minute: i64,
    #[serde(default)]
    o: Option<f64>,
    h: f64,
    l: f64,
    #[serde(default)]
    c: Option<f64>,
    #[serde(default)]
    long_zones: Vec<(f64, f64, f64)>,
    #[serde(default)]
    short_zones: Vec<(f64, f64, f64)>,
}

/// Reads `file` and collects `symbol`'s candles and zone lives.
pub fn collect(file: &Path, symbol: &str) -> Result<ChartData, ChartError> {
    let path = || file.display().to_string();
    let f = File::open(file).map_err(|e| ChartError::Unreadable {
        path: path(),
        reason: e.to_string(),
    })?;
    let mut bad_lines = 0u64;
    // minute -> the last record of that minute.
    let mut by_minute: BTreeMap<i64, FeedLine> = BTreeMap::new();
    for (i, line) in BufReader::new(f).split(b'\n').enumerate() {
        let line = line.map_err(|e| ChartError::Read {
            path: path(),
            reason: e.to_string(),
        })?;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<FeedLine>(&line) {
            Ok(r) if !super::plausible_minute(r.minute) => {
                bad_lines += 1;
                tracing::warn!(file = %file.display(), line = i + 1, minute = r.minute, "implausible minute skipped");
            }
            Ok(r) if r.symbol == symbol => {
                by_minute.insert(r.minute, r);
            }
            Ok(_) => {}
            Err(e) => {
                bad_lines += 1;
                tracing::warn!(file = %file.display(), line = i + 1, error = %e, "bad line skipped");
            }
        }
    }
    let mut candles = Vec::new();
    let mut zones: Vec<ZoneSpan> = Vec::new();
    // (side, price) -> (index of its open span, minute last seen).
    let mut open: HashMap<(bool, u64), (usize, i64)> = HashMap::new();
    for (&minute, r) in &by_minute {
        if let (Some(o), Some(c)) = (r.o, r.c)
            && o > 0.0
            && c > 0.0
            && r.h > 0.0
            && r.l > 0.0
        {
            candles.push(Candle {
                minute: minute - 1,
                open: o,
                high: r.h,
                low: r.l,
                close: c,
            });
        }
        let sides = [(Side::Long, &r.long_zones), (Side::Short, &r.short_zones)];
        for (side, list) in sides {
            for &(price, strength, age) in list.iter().take(5) {
                if !(price.is_finite() && strength.is_finite() && price > 0.0) {
                    continue;
                }
                let key = (side == Side::Long, price.to_bits());
                let now = minute as f64;
                match open.get_mut(&key) {
                    Some((i, last)) if minute - *last <= 1 => {
                        let span = &mut zones[*i];
                        span.end = now;
                        span.weight = span.weight.max(strength);
                        *last = minute;
                    }
                    _ => {
                        let age = if age.is_finite() { age.max(0.0) } else { 0.0 };
                        open.insert(key, (zones.len(), minute));
                        zones.push(ZoneSpan {
                            side,
                            price,
                            start: now - age,
                            end: now,
                            weight: strength,
                        });
                    }
                }
            }
        }
    }
    if by_minute.is_empty() && bad_lines > 0 {
        return Err(ChartError::Unreadable {
            path: path(),
            reason: format!("no plot-feed line ({bad_lines} bad lines)"),
        });
    }
    Ok(ChartData {
        symbol: symbol.to_owned(),
        kind: InputKind::PlotFeed,
        preset: None,
        candles,
        liqs: Vec::new(),
        zones,
        heat: Vec::new(),
        bad_lines,
    })
}
