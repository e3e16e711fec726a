//! The capture-v1 writer (fixtures README section 1): a `meta` first line, then `raw` exchange
//! messages as received, `minute` bars and `liquidation` lines; gzip when the file name ends in
//! `.gz`. Lines are buffered; `finish` flushes (and ends the gzip stream). The reader is
//! [`crate::capture`].

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::value::RawValue;
use thiserror::Error;

use liq_core::heatmap::replay::{MinuteBar, ReplayLiquidation};

use crate::capture::FORMAT_V1;

/// A writer failure, naming the file.
#[derive(Debug, Error)]
pub enum CaptureWriteError {
    /// Creating, writing or finishing failed.
    #[error("{op} {path}: {source}")]
    Io {
        /// What was being done.
        op: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// A line did not serialize (a message that is not JSON).
    #[error("{path}: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: serde_json::Error,
    },
}

enum Sink {
    Plain(BufWriter<File>),
    Gzip(flate2::write::GzEncoder<BufWriter<File>>),
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sink::Plain(w) => w.write(buf),
            Sink::Gzip(w) => w.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::Plain(w) => w.flush(),
            Sink::Gzip(w) => w.flush(),
        }
    }
}

/// Writes one capture-v1 file.
pub struct CaptureWriter {
    path: PathBuf,
    out: Sink,
    line: Vec<u8>,
    lines: u64,
}

#[derive(Serialize)]
struct RawLine<'a> {
    ts: f64,
    kind: &'static str,
    exchange: &'a str,
    market: &'a str,
    symbol: &'a str,
    stream: &'a str,
    via: &'a str,
    msg: &'a RawValue,
}

#[derive(Serialize)]
struct MinuteLine<'a> {
    ts: f64,
    kind: &'static str,
    symbol: &'a str,
    minute_key: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    open: Option<f64>,
    high: f64,
    low: f64,
    close: f64,
    src: f64,
    oi: Option<f64>,
    oi_delta: Option<f64>,
    taker_buy_usd: Option<f64>,
    taker_sell_usd: Option<f64>,
    taker_buy_share: Option<f64>,
    taker_buy_qty: Option<f64>,
    taker_sell_qty: Option<f64>,
}

#[derive(Serialize)]
struct LiquidationLine<'a> {
    ts: f64,
    kind: &'static str,
    symbol: &'a str,
    exchange: Option<&'a str>,
    side: &'static str,
    price: f64,
    qty: f64,
    notional_usd: f64,
}

impl CaptureWriter {
    /// Creates `path` (truncating) and writes the `meta` line with `dataset` and `ts`.
    pub fn create(path: &Path, dataset: &str, ts: f64) -> Result<Self, CaptureWriteError> {
        let file = File::create(path).map_err(|source| CaptureWriteError::Io {
            op: "creating",
            path: path.to_path_buf(),
            source,
        })?;
        let buf = BufWriter::with_capacity(1 << 16, file);
        let out = if path.extension().is_some_and(|e| e == "gz") {
            Sink::Gzip(flate2::write::GzEncoder::new(
                buf,
                flate2::Compression::fast(),
            ))
        } else {
            Sink::Plain(buf)
        };
        let mut w = CaptureWriter {
            path: path.to_path_buf(),
            out,
            line: Vec::with_capacity(4096),
            lines: 0,
        };
        w.put(
            &serde_json::json!({"ts": ts, "kind": "meta", "format": FORMAT_V1, "dataset": dataset}),
        )?;
        Ok(w)
    }

    fn put<T: Serialize>(&mut self, v: &T) -> Result<(), CaptureWriteError> {
        self.line.clear();
        serde_json::to_writer(&mut self.line, v).map_err(|source| CaptureWriteError::Json {
            path: self.path.clone(),
            source,
        })?;
        self.line.push(b'\n');
        self.out
            .write_all(&self.line)
            .map_err(|source| CaptureWriteError::Io {
                op: "writing",
                path: self.path.clone(),
                source,
            })?;
        self.lines += 1;
        Ok(())
    }

    /// One exchange message as received (`msg` is the message's JSON text, kept verbatim).
    #[allow(clippy::too_many_arguments)]
    pub fn raw(
        &mut self,
        ts: f64,
        exchange: &str,
        market: &str,
        symbol: &str,
        stream: &str,
        via: &str,
        msg: &str,
    ) -> Result<(), CaptureWriteError> {
        let msg: &RawValue =
            serde_json::from_str(msg).map_err(|source| CaptureWriteError::Json {
                path: self.path.clone(),
                source,
            })?;
        self.put(&RawLine {
            ts,
            kind: "raw",
            exchange,
            market,
            symbol,
            stream,
            via,
            msg,
        })
    }

    /// One minute bar.
    pub fn minute(&mut self, b: &MinuteBar) -> Result<(), CaptureWriteError> {
        self.put(&MinuteLine {
            ts: b.ts,
            kind: "minute",
            symbol: &b.symbol,
            minute_key: b.minute_key,
            open: b.open,
            high: b.high,
            low: b.low,
            close: b.close,
            src: b.src,
            oi: b.oi,
            oi_delta: b.oi_delta,
            taker_buy_usd: b.taker_buy_usd,
            taker_sell_usd: b.taker_sell_usd,
            taker_buy_share: b.taker_buy_share,
            taker_buy_qty: b.taker_buy_qty,
            taker_sell_qty: b.taker_sell_qty,
        })
    }

    /// One liquidation.
    pub fn liquidation(
        &mut self,
        l: &ReplayLiquidation,
        exchange: Option<&str>,
    ) -> Result<(), CaptureWriteError> {
        self.put(&LiquidationLine {
            ts: l.ts,
            kind: "liquidation",
            symbol: &l.symbol,
            exchange,
            side: l.side.as_str(),
            price: l.price,
            qty: l.qty,
            notional_usd: l.notional_usd,
        })
    }

    /// Lines written, the meta line included.
    pub fn lines(&self) -> u64 {
        self.lines
    }

    /// Flushes buffered lines to the file (a gzip sync flush: everything written so far can be
    /// decompressed, though the stream is not ended).
    pub fn flush(&mut self) -> Result<(), CaptureWriteError> {
        self.out.flush().map_err(|source| CaptureWriteError::Io {
            op: "flushing",
            path: self.path.clone(),
            source,
        })
    }

    /// Flushes and closes (ends the gzip stream).
    pub fn finish(self) -> Result<(), CaptureWriteError> {
        let path = self.path.clone();
        let io = |op: &'static str| {
            move |source| CaptureWriteError::Io {
                op,
                path: path.clone(),
                source,
            }
        };
        match self.out {
            Sink::Plain(mut w) => w.flush().map_err(io("flushing")),
            Sink::Gzip(w) => w
                .finish()
                .and_then(|mut b| b.flush())
                .map_err(io("finishing")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::{LineReader, ReplayReader, is_capture_meta, parse_line};

    #[test]
    fn round_trip_plain_and_gzip() {
        let Some(dir) = crate::shared_fixtures::dir("capture_write_round_trip") else {
            return;
        };
        let src = dir.join("replay/btc_eth_sol_2026-02-28T0133Z_47m.jsonl");
        let records: Vec<_> = ReplayReader::open(&src)
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        let tmp = tempfile::tempdir().unwrap();
        for name in ["copy.jsonl", "copy.jsonl.gz"] {
            let path = tmp.path().join(name);
            let mut w = CaptureWriter::create(&path, "copy", 1.0).unwrap();
            for r in &records {
                match r {
                    liq_core::heatmap::replay::ReplayRecord::Minute(b) => w.minute(b).unwrap(),
                    liq_core::heatmap::replay::ReplayRecord::Liquidation(l) => {
                        w.liquidation(l, None).unwrap()
                    }
                }
            }
            w.raw(
                2.0,
                "okx",
                "perp",
                "BTC-USDT-SWAP",
                "trades",
                "ws",
                r#"{"arg":{"channel":"trades"},"data":[{"px":"1.5"}]}"#,
            )
            .unwrap();
            assert_eq!(w.lines(), records.len() as u64 + 2);
            w.finish().unwrap();
            let back: Vec<_> = ReplayReader::open(&path)
                .unwrap()
                .map(|r| r.unwrap())
                .collect();
            assert_eq!(back, records, "{name}");
            let mut lines = LineReader::open(&path).unwrap();
            let (_, first) = lines.next_line().unwrap().unwrap();
            assert!(is_capture_meta(first));
            let mut last = String::new();
            while let Some((n, l)) = lines.next_line().unwrap() {
                last = l.to_string();
                let _ = n;
            }
            let raw = parse_line(&last, 0).unwrap();
            assert_eq!(
                raw.msg.unwrap().get(),
                r#"{"arg":{"channel":"trades"},"data":[{"px":"1.5"}]}"#,
                "verbatim"
            );
        }
    }
}
