//! Reader of the `capture-v1` line format (`../shared/fixtures/README.md` section 1).
//!
//! JSON Lines, one object per line with `ts` (Unix seconds) and `kind` (`meta`, `raw`, `minute`,
//! `liquidation`); files ending in `.gz` are read through gzip. Lines are parsed borrowing from
//! the line buffer, so a raw exchange message is handed to the normalizer without a copy.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

use liq_core::event::Side;
use liq_core::heatmap::replay::{MinuteBar, ReplayLiquidation, ReplayRecord};
use serde::Deserialize;
use serde_json::value::RawValue;

/// Errors of the capture reader.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// The file cannot be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// A line is not a capture record.
    #[error("line {line}: {reason}")]
    BadLine {
        /// 1-based line number.
        line: u64,
        /// Why.
        reason: String,
    },
}

/// One parsed capture line (fields the reader does not know are ignored).
#[derive(Debug, Deserialize)]
pub struct CaptureLine<'a> {
    /// Time the line became available (receive time for raw messages), Unix seconds.
    pub ts: f64,
    /// `meta`, `raw`, `minute` or `liquidation`.
    #[serde(borrow)]
    pub kind: Cow<'a, str>,
    /// Exchange of a raw message.
    #[serde(borrow, default)]
    pub exchange: Option<Cow<'a, str>>,
    /// `perp` or `spot`.
    #[serde(borrow, default)]
    pub market: Option<Cow<'a, str>>,
    /// The exchange's instrument id (`*` for all-instrument channels), or a short symbol on
    /// minute and liquidation lines.
    #[serde(borrow, default)]
    pub symbol: Option<Cow<'a, str>>,
    /// `depth`, `trades`, `liquidations`, `open_interest`, `funding`, `ticker`.
    #[serde(borrow, default)]
    pub stream: Option<Cow<'a, str>>,
    /// `ws` or `rest`.
    #[serde(borrow, default)]
    pub via: Option<Cow<'a, str>>,
    /// The exchange message as received.
    #[serde(borrow, default)]
    pub msg: Option<&'a RawValue>,
    /// The `format` of a meta line.
    #[serde(borrow, default)]
    pub format: Option<Cow<'a, str>>,
}

/// The format name of version 1.
pub const FORMAT_V1: &str = "capture-v1";

/// Parses one line.
pub fn parse_line(line: &str, line_no: u64) -> Result<CaptureLine<'_>, CaptureError> {
    serde_json::from_str(line).map_err(|e| CaptureError::BadLine {
        line: line_no,
        reason: e.to_string(),
    })
}

/// Whether a first line is a capture-v1 meta line.
pub fn is_capture_meta(first_line: &str) -> bool {
    matches!(parse_line(first_line, 1), Ok(l) if l.kind == "meta" && l.format.as_deref() == Some(FORMAT_V1))
}

/// Opens a file for line reading, through gzip when the name ends in `.gz`.
pub fn open_lines(path: &Path) -> Result<Box<dyn BufRead + Send>, CaptureError> {
    let file = File::open(path).map_err(|source| CaptureError::Io {
        path: path.display().to_string(),
        source,
    })?;
    let gz = path.extension().is_some_and(|e| e == "gz");
    Ok(if gz {
        Box::new(BufReader::new(flate2::read::MultiGzDecoder::new(file)))
    } else {
        Box::new(BufReader::with_capacity(1 << 16, file))
    })
}

/// Reads lines one at a time into a reused buffer, counting them and stripping the newline.
pub struct LineReader {
    inner: Box<dyn BufRead + Send>,
    buf: String,
    line_no: u64,
    path: String,
}

impl LineReader {
    /// Opens `path` (see [`open_lines`]).
    pub fn open(path: &Path) -> Result<Self, CaptureError> {
        Ok(LineReader {
            inner: open_lines(path)?,
            buf: String::new(),
            line_no: 0,
            path: path.display().to_string(),
        })
    }

    /// The next line (without its line ending) and its 1-based number; `None` at the end.
    pub fn next_line(&mut self) -> Result<Option<(u64, &str)>, CaptureError> {
        self.buf.clear();
        let n = self
            .inner
            .read_line(&mut self.buf)
            .map_err(|source| CaptureError::Io {
                path: self.path.clone(),
                source,
            })?;
        if n == 0 {
            return Ok(None);
        }
        self.line_no += 1;
        let line = self.buf.trim_end_matches(['\n', '\r']);
        Ok(Some((self.line_no, line)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_raw_line_and_borrows_the_message() {
        let line = r#"{"ts":1706607144.2317066,"kind":"raw","exchange":"binance","market":"perp","symbol":"BTCUSD_PERP","stream":"depth","via":"ws","msg":{"e":"depthUpdate","b":[["21692.9","65"]],"a":[]}}"#;
        let l = parse_line(line, 1).unwrap();
        assert_eq!(l.kind, "raw");
        assert_eq!(l.exchange.as_deref(), Some("binance"));
        assert_eq!(l.stream.as_deref(), Some("depth"));
        assert_eq!(
            l.msg.unwrap().get(),
            r#"{"e":"depthUpdate","b":[["21692.9","65"]],"a":[]}"#
        );
        assert!(!is_capture_meta(line));
        assert!(is_capture_meta(
            r#"{"ts":1,"kind":"meta","format":"capture-v1"}"#
        ));
        assert!(parse_line("{", 7).is_err());
    }
}

/// The fields of `minute` and `liquidation` lines.
#[derive(Debug, Deserialize)]
struct ReplayLine<'a> {
    ts: f64,
    #[serde(borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    symbol: Option<Cow<'a, str>>,
    minute_key: Option<i64>,
    open: Option<f64>,
    high: Option<f64>,
    low: Option<f64>,
    close: Option<f64>,
    src: Option<f64>,
    oi: Option<f64>,
    oi_delta: Option<f64>,
    taker_buy_usd: Option<f64>,
    taker_sell_usd: Option<f64>,
    taker_buy_share: Option<f64>,
    taker_buy_qty: Option<f64>,
    taker_sell_qty: Option<f64>,
    #[serde(borrow)]
    side: Option<Cow<'a, str>>,
    price: Option<f64>,
    qty: Option<f64>,
    notional_usd: Option<f64>,
}

/// Parses a `minute` or `liquidation` line; `Ok(None)` for other kinds.
pub fn parse_replay_line(line: &str, line_no: u64) -> Result<Option<ReplayRecord>, CaptureError> {
    let bad = |reason: &str| CaptureError::BadLine {
        line: line_no,
        reason: reason.to_owned(),
    };
    let l: ReplayLine<'_> = serde_json::from_str(line).map_err(|e| bad(&e.to_string()))?;
    let symbol = || {
        l.symbol
            .as_deref()
            .map(str::to_owned)
            .ok_or_else(|| bad("missing symbol"))
    };
    let req = |v: Option<f64>, f: &str| v.ok_or_else(|| bad(&format!("missing {f}")));
    Ok(match &*l.kind {
        "minute" => Some(ReplayRecord::Minute(MinuteBar {
            symbol: symbol()?,
            minute_key: l.minute_key.ok_or_else(|| bad("missing minute_key"))?,
            ts: l.ts,
            open: l.open,
            high: req(l.high, "high")?,
            low: req(l.low, "low")?,
            close: req(l.close, "close")?,
            src: req(l.src, "src")?,
            oi: l.oi,
            oi_delta: l.oi_delta,
            taker_buy_usd: l.taker_buy_usd,
            taker_sell_usd: l.taker_sell_usd,
            taker_buy_share: l.taker_buy_share,
            taker_buy_qty: l.taker_buy_qty,
            taker_sell_qty: l.taker_sell_qty,
        })),
        "liquidation" => Some(ReplayRecord::Liquidation(ReplayLiquidation {
            symbol: symbol()?,
            ts: l.ts,
            side: match l.side.as_deref() {
                Some("long") => Side::Long,
                Some("short") => Side::Short,
                _ => return Err(bad("side must be long or short")),
            },
            price: req(l.price, "price")?,
            qty: req(l.qty, "qty")?,
            notional_usd: req(l.notional_usd, "notional_usd")?,
        })),
        _ => None,
    })
}

/// Reads every `minute` and `liquidation` line of a replay file, in file order.
pub fn read_replay(path: &Path) -> Result<Vec<ReplayRecord>, CaptureError> {
    let mut reader = LineReader::open(path)?;
    let mut out = Vec::new();
    while let Some((n, line)) = reader.next_line()? {
        if line.trim().is_empty() {
            continue;
        }
        if let Some(r) = parse_replay_line(line, n)? {
            out.push(r);
        }
    }
    Ok(out)
}

/// A streaming, lenient reader of a replay file: yields each `minute` and `liquidation` record
/// in file order; a bad line yields its [`CaptureError::BadLine`] (line number and reason) and
/// reading goes on; an I/O error (a truncated gzip) yields [`CaptureError::Io`] naming the file
/// after every complete line before it, then the reader ends.
pub struct ReplayReader {
    lines: LineReader,
    done: bool,
    bytes: u64,
}

impl ReplayReader {
    /// Opens `path` (gzip when it ends in `.gz`).
    pub fn open(path: &Path) -> Result<Self, CaptureError> {
        Ok(ReplayReader {
            lines: LineReader::open(path)?,
            done: false,
            bytes: 0,
        })
    }

    /// Uncompressed bytes read so far (for progress against a plain file's size).
    pub fn bytes_read(&self) -> u64 {
        self.bytes
    }
}

impl Iterator for ReplayReader {
    type Item = Result<ReplayRecord, CaptureError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            match self.lines.next_line() {
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
                Ok(None) => self.done = true,
                Ok(Some((n, line))) => {
                    self.bytes += line.len() as u64 + 1;
                    if line.trim().is_empty() {
                        continue;
                    }
                    match parse_replay_line(line, n) {
                        Ok(Some(r)) => return Some(Ok(r)),
                        Ok(None) => continue,
                        Err(e) => return Some(Err(e)),
                    }
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod reader_tests {
    use std::io::Write;

    use super::*;

    const MINUTE: &str = r#"{"ts":120.5,"kind":"minute","symbol":"BTC","minute_key":2,"open":1,"high":2,"low":1,"close":2,"src":1.5,"oi":null,"oi_delta":null,"oi_delta_usd":null,"taker_buy_usd":null,"taker_sell_usd":null,"taker_buy_share":0.5,"taker_buy_qty":null,"taker_sell_qty":null}"#;

    #[test]
    fn bad_lines_are_reported_with_their_number_and_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.jsonl");
        let text = format!(
            "{{\"ts\":1,\"kind\":\"meta\",\"format\":\"capture-v1\"}}\n{MINUTE}\nnot json\n{{\"ts\":2,\"kind\":\"liquidation\",\"symbol\":\"BTC\",\"side\":\"up\",\"price\":1,\"qty\":1,\"notional_usd\":1}}\n\n{MINUTE}\n"
        );
        std::fs::write(&path, text).unwrap();
        let items: Vec<Result<ReplayRecord, CaptureError>> =
            ReplayReader::open(&path).unwrap().collect();
        assert_eq!(items.len(), 4);
        assert!(items[0].is_ok() && items[3].is_ok());
        let lines: Vec<u64> = items
            .iter()
            .filter_map(|r| match r {
                Err(CaptureError::BadLine { line, .. }) => Some(*line),
                _ => None,
            })
            .collect();
        assert_eq!(lines, vec![3, 4]);
    }

    #[test]
    fn a_truncated_gzip_ends_with_an_error_naming_the_file_after_the_complete_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.jsonl.gz");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        for _ in 0..200 {
            writeln!(enc, "{MINUTE}").unwrap();
        }
        let full = enc.finish().unwrap();
        std::fs::write(&path, &full[..full.len() - 30]).unwrap();
        let items: Vec<Result<ReplayRecord, CaptureError>> =
            ReplayReader::open(&path).unwrap().collect();
        let ok = items.iter().filter(|r| r.is_ok()).count();
        assert!(ok > 0 && ok < 200, "{ok}");
        match items.last() {
            Some(Err(e @ CaptureError::Io { .. })) => {
                assert!(e.to_string().contains("r.jsonl.gz"), "{e}")
            }
            other => panic!("{other:?}"),
        }
    }
}
