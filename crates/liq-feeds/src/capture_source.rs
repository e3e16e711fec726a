//! A [`MarketSource`] over capture-v1 files (`../shared/fixtures/README.md` section 1), so the
//! mock exchange can serve a recorded session to the real connectors.
//!
//! - `raw` lines with `via: ws` become [`WireMsg`]s; the routing topic comes from the line and
//!   the message: Binance from the stream kind and the event type (`aggTrade` ->
//!   `btcusdt@aggTrade`, `depthUpdate` -> `btcusdt@depth@100ms`, `markPriceUpdate` ->
//!   `btcusdt@markPrice@1s`, `forceOrder` on `*` -> `!forceOrder@arr`; a recorded
//!   combined-stream envelope gives its `stream` and is unwrapped), Bybit from the frame's
//!   `topic`, OKX from its `arg` (`channel:instId|instType|instFamily`).
//! - Protocol replies that were recorded (Bybit `success`/`op` acks and pongs, OKX `event`
//!   frames, Binance `{"result":..,"id":..}`) are skipped: the mock makes its own.
//! - `raw` lines with `via: rest` answer REST: a request is mapped to (exchange, market, stream,
//!   instrument) by its path and `symbol`/`instId`/`category` parameters, and answered with the
//!   latest recorded body at or before the source time (404 when none).
//! - Other kinds (`meta`, `minute`, `liquidation`) are skipped: a minute-level replay file has
//!   no raw lines and yields nothing.
//!
//! Several files (the fixtures are one file per stream) are merged by `ts` (file order on ties).
//! A line that does not parse is logged, counted and skipped; the rest of the file is served.

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use liq_core::event::{Exchange, Market, RatioKind};
use liq_core::normalize::StreamKind;
use liq_store::capture::{CaptureError, FORMAT_V1, LineReader, parse_line};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::wire::{MarketSource, RestAnswer, WireMsg};

/// Errors opening a capture source.
#[derive(Debug, thiserror::Error)]
pub enum CaptureSourceError {
    /// The file cannot be read.
    #[error(transparent)]
    Capture(#[from] CaptureError),
    /// The meta line names another format.
    #[error("{path}: format {format:?} is not {FORMAT_V1}")]
    Format {
        /// The file.
        path: String,
        /// The format found.
        format: String,
    },
}

/// What a capture source has read so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CaptureStats {
    /// WebSocket messages given.
    pub ws: u64,
    /// REST bodies indexed.
    pub rest: u64,
    /// Lines skipped (meta, minute, liquidation, recorded protocol replies, no topic).
    pub skipped: u64,
    /// Lines that did not parse.
    pub bad_lines: u64,
}

/// The key of a recorded REST answer.
type RestKey = (Exchange, Market, StreamKind, String);

/// One usable line.
enum Item {
    Ws(WireMsg),
    Rest { key: RestKey, ts: f64, body: String },
}

impl Item {
    fn ts(&self) -> f64 {
        match self {
            Item::Ws(m) => m.ts,
            Item::Rest { ts, .. } => *ts,
        }
    }
}

/// One file being read.
struct Cursor {
    reader: LineReader,
    next: Option<Item>,
    done: bool,
    path: PathBuf,
}

/// The fields of a message that decide its topic or mark it as a protocol reply.
#[derive(Deserialize)]
struct Probe<'a> {
    #[serde(borrow, default)]
    stream: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    data: Option<&'a RawValue>,
    #[serde(borrow, default)]
    e: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    topic: Option<Cow<'a, str>>,
    #[serde(default)]
    success: Option<bool>,
    #[serde(borrow, default)]
    op: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    event: Option<Cow<'a, str>>,
    #[serde(default)]
    arg: Option<Map<String, Value>>,
}

/// The topic and payload of a recorded WebSocket message; `None` for protocol replies.
fn ws_topic(
    exchange: Exchange,
    symbol: &str,
    stream: StreamKind,
    msg: &str,
) -> Option<(String, String)> {
    // A message that is not an object (e.g. an OKX `pong`) has no topic.
    let p: Probe<'_> = serde_json::from_str(msg).ok()?;
    match exchange {
        Exchange::Binance => {
            if let (Some(s), Some(d)) = (&p.stream, p.data) {
                return Some((s.to_string(), d.get().to_owned()));
            }
            if p.id.is_some() {
                return None;
            }
            let sym = symbol.to_ascii_lowercase();
            let topic = match (p.e.as_deref(), stream) {
                (Some("aggTrade"), _) => format!("{sym}@aggTrade"),
                (Some("trade"), _) => format!("{sym}@trade"),
                (Some("depthUpdate"), _) | (None, StreamKind::Depth) => {
                    format!("{sym}@depth@100ms")
                }
                (Some("markPriceUpdate"), _) | (None, StreamKind::MarkPrice) => {
                    format!("{sym}@markPrice@1s")
                }
                (Some("forceOrder"), _) | (None, StreamKind::Liquidations) => {
                    if symbol == "*" {
                        "!forceOrder@arr".to_owned()
                    } else {
                        format!("{sym}@forceOrder")
                    }
                }
                (Some(e), _) => format!("{sym}@{e}"),
                (None, s) => format!("{sym}@{s}"),
            };
            Some((topic, msg.to_owned()))
        }
        Exchange::Bybit => {
            if p.success.is_some() || p.op.is_some() {
                return None;
            }
            Some((p.topic?.to_string(), msg.to_owned()))
        }
        Exchange::Okx => {
            if p.event.is_some() {
                return None;
            }
            let arg = p.arg?;
            Some((crate::mock::okx_arg_key(&arg)?, msg.to_owned()))
        }
    }
}

/// A query parameter.
fn param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Maps a REST request to the key of its recorded answers.
fn rest_key(exchange: Exchange, path: &str, query: &str) -> Option<RestKey> {
    let (market, stream, inst) = match exchange {
        Exchange::Binance => {
            let (market, tail) = if let Some(t) = path.strip_prefix("/fapi/v1/") {
                (Market::Perp, t)
            } else if let Some(t) = path.strip_prefix("/dapi/v1/") {
                (Market::Perp, t)
            } else if let Some(t) = path.strip_prefix("/api/v3/") {
                (Market::Spot, t)
            } else if let Some(t) = path.strip_prefix("/futures/data/") {
                (Market::Perp, t)
            } else {
                return None;
            };
            let stream = match tail {
                "depth" => StreamKind::Depth,
                "openInterest" => StreamKind::OpenInterest,
                "fundingRate" => StreamKind::Funding,
                "topLongShortAccountRatio" => StreamKind::TraderRatio(RatioKind::TopAccount),
                "topLongShortPositionRatio" => StreamKind::TraderRatio(RatioKind::TopPosition),
                "globalLongShortAccountRatio" => StreamKind::TraderRatio(RatioKind::GlobalAccount),
                _ => return None,
            };
            (market, stream, param(query, "symbol")?)
        }
        Exchange::Bybit => {
            let market = match param(query, "category") {
                Some("spot") => Market::Spot,
                _ => Market::Perp,
            };
            let stream = match path {
                "/v5/market/orderbook" => StreamKind::Depth,
                "/v5/market/open-interest" => StreamKind::OpenInterest,
                "/v5/market/tickers" => StreamKind::Ticker,
                "/v5/market/funding/history" => StreamKind::Funding,
                _ => return None,
            };
            (market, stream, param(query, "symbol")?)
        }
        Exchange::Okx => {
            let inst = param(query, "instId")?;
            let market = if inst.matches('-').count() >= 2 {
                Market::Perp
            } else {
                Market::Spot
            };
            let stream = match path {
                "/api/v5/market/books" | "/api/v5/market/books-full" => StreamKind::Depth,
                "/api/v5/public/open-interest" => StreamKind::OpenInterest,
                "/api/v5/public/funding-rate" => StreamKind::Funding,
                _ => return None,
            };
            (market, stream, inst)
        }
    };
    Some((exchange, market, stream, inst.to_owned()))
}

/// Parses one line into an item; `Ok(None)` for lines that are skipped.
fn parse_item(line: &str, line_no: u64) -> Result<Option<Item>, CaptureError> {
    let l = parse_line(line, line_no)?;
    if l.kind != "raw" {
        return Ok(None);
    }
    let bad = |reason: String| CaptureError::BadLine {
        line: line_no,
        reason,
    };
    let exchange =
        Exchange::from_str(l.exchange.as_deref().unwrap_or("")).map_err(|e| bad(e.to_string()))?;
    let market =
        Market::from_str(l.market.as_deref().unwrap_or("")).map_err(|e| bad(e.to_string()))?;
    let stream =
        StreamKind::from_str(l.stream.as_deref().unwrap_or("")).map_err(|e| bad(e.to_string()))?;
    let symbol = l.symbol.as_deref().unwrap_or("*").to_owned();
    let msg = l
        .msg
        .ok_or_else(|| bad("raw line without msg".to_owned()))?;
    match l.via.as_deref() {
        Some("rest") => Ok(Some(Item::Rest {
            key: (exchange, market, stream, symbol),
            ts: l.ts,
            body: msg.get().to_owned(),
        })),
        Some("ws") => Ok(
            ws_topic(exchange, &symbol, stream, msg.get()).map(|(topic, payload)| {
                Item::Ws(WireMsg {
                    ts: l.ts,
                    exchange,
                    market,
                    instrument: symbol,
                    stream,
                    topic,
                    payload,
                })
            }),
        ),
        other => Err(bad(format!("unknown via {other:?}"))),
    }
}

impl Cursor {
    /// Reads until the next usable line (or the end).
    fn fill(&mut self, stats: &mut CaptureStats) {
        while self.next.is_none() && !self.done {
            match self.reader.next_line() {
                Ok(Some((no, line))) => match parse_item(line, no) {
                    Ok(Some(item)) => self.next = Some(item),
                    Ok(None) => stats.skipped += 1,
                    Err(e) => {
                        stats.bad_lines += 1;
                        tracing::warn!(path = %self.path.display(), error = %e, "capture source: line skipped");
                    }
                },
                Ok(None) => self.done = true,
                Err(e) => {
                    tracing::warn!(path = %self.path.display(), error = %e, "capture source: read failed");
                    self.done = true;
                }
            }
        }
    }
}

/// A [`MarketSource`] over one or more capture-v1 files.
pub struct CaptureSource {
    cursors: Vec<Cursor>,
    pending: VecDeque<WireMsg>,
    rest: HashMap<RestKey, Vec<(f64, String)>>,
    start: f64,
    stats: CaptureStats,
}

impl CaptureSource {
    /// Opens one file.
    pub fn open(path: &Path) -> Result<Self, CaptureSourceError> {
        Self::open_many(&[path])
    }

    /// Opens several files, merged by `ts`.
    pub fn open_many<P: AsRef<Path>>(paths: &[P]) -> Result<Self, CaptureSourceError> {
        let mut stats = CaptureStats::default();
        let mut cursors = Vec::new();
        for p in paths {
            let path = p.as_ref();
            let mut reader = LineReader::open(path)?;
            // The first line is the meta line; refuse another format.
            let mut first = None;
            if let Some((no, line)) = reader.next_line()? {
                match parse_line(line, no) {
                    Ok(l) if l.kind == "meta" => {
                        if let Some(f) = l.format.as_deref()
                            && f != FORMAT_V1
                        {
                            return Err(CaptureSourceError::Format {
                                path: path.display().to_string(),
                                format: f.to_owned(),
                            });
                        }
                        stats.skipped += 1;
                    }
                    _ => first = Some(parse_item(line, no)),
                }
            }
            let mut c = Cursor {
                reader,
                next: None,
                done: false,
                path: path.to_owned(),
            };
            match first {
                Some(Ok(item)) => c.next = item,
                Some(Err(e)) => {
                    stats.bad_lines += 1;
                    tracing::warn!(path = %path.display(), error = %e, "capture source: line skipped");
                }
                None => {}
            }
            c.fill(&mut stats);
            cursors.push(c);
        }
        let start = cursors
            .iter()
            .filter_map(|c| c.next.as_ref().map(Item::ts))
            .reduce(f64::min)
            .unwrap_or(0.0);
        Ok(CaptureSource {
            cursors,
            pending: VecDeque::new(),
            rest: HashMap::new(),
            start,
            stats,
        })
    }

    /// What has been read so far.
    pub fn stats(&self) -> CaptureStats {
        self.stats
    }

    /// Takes every line with `ts <= until` in merged order; REST bodies go to the index,
    /// WebSocket messages to `sink`.
    fn pull(&mut self, until: f64, mut sink: impl FnMut(WireMsg)) {
        loop {
            let mut best: Option<(usize, f64)> = None;
            for (i, c) in self.cursors.iter().enumerate() {
                if let Some(ts) = c.next.as_ref().map(Item::ts)
                    && ts <= until
                    && best.is_none_or(|(_, b)| ts < b)
                {
                    best = Some((i, ts));
                }
            }
            let Some((i, _)) = best else { return };
            let c = &mut self.cursors[i];
            if let Some(item) = c.next.take() {
                match item {
                    Item::Ws(m) => {
                        self.stats.ws += 1;
                        sink(m);
                    }
                    Item::Rest { key, ts, body } => {
                        self.stats.rest += 1;
                        self.rest.entry(key).or_default().push((ts, body));
                    }
                }
            }
            c.fill(&mut self.stats);
        }
    }
}

impl MarketSource for CaptureSource {
    fn advance(&mut self, until: f64, out: &mut Vec<WireMsg>) -> bool {
        while self.pending.front().is_some_and(|m| m.ts <= until) {
            if let Some(m) = self.pending.pop_front() {
                out.push(m);
            }
        }
        if self.pending.is_empty() {
            self.pull(until, |m| out.push(m));
        }
        !self.pending.is_empty() || self.cursors.iter().any(|c| c.next.is_some())
    }

    fn rest(
        &mut self,
        exchange: Exchange,
        path: &str,
        query: &str,
        now: f64,
    ) -> Option<RestAnswer> {
        let key = rest_key(exchange, path, query)?;
        let mut pending = std::mem::take(&mut self.pending);
        self.pull(now, |m| pending.push_back(m));
        self.pending = pending;
        let hist = self.rest.get(&key)?;
        // Bodies were indexed in time order: the last one at or before `now`.
        let n = hist.partition_point(|(ts, _)| *ts <= now);
        let (_, body) = hist.get(n.checked_sub(1)?)?;
        Some(RestAnswer {
            status: 200,
            body: body.clone(),
        })
    }

    fn start_ts(&self) -> f64 {
        self.start
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_from_lines_and_messages() {
        let t = |ex, sym, s, m| ws_topic(ex, sym, s, m).map(|(t, _)| t);
        assert_eq!(
            t(
                Exchange::Binance,
                "BTCUSDT",
                StreamKind::Trades,
                r#"{"e":"aggTrade","s":"BTCUSDT"}"#
            )
            .as_deref(),
            Some("btcusdt@aggTrade")
        );
        assert_eq!(
            t(
                Exchange::Binance,
                "*",
                StreamKind::Liquidations,
                r#"{"e":"forceOrder","o":{}}"#
            )
            .as_deref(),
            Some("!forceOrder@arr")
        );
        let (topic, payload) = ws_topic(
            Exchange::Binance,
            "BTCUSDT",
            StreamKind::Depth,
            r#"{"stream":"btcusdt@depth","data":{"e":"depthUpdate","u":1}}"#,
        )
        .unwrap();
        assert_eq!(
            (topic.as_str(), payload.as_str()),
            ("btcusdt@depth", r#"{"e":"depthUpdate","u":1}"#)
        );
        assert_eq!(
            t(
                Exchange::Binance,
                "BTCUSDT",
                StreamKind::Depth,
                r#"{"result":null,"id":1}"#
            ),
            None
        );
        assert_eq!(
            t(
                Exchange::Bybit,
                "BTCUSDT",
                StreamKind::Trades,
                r#"{"success":true,"ret_msg":"pong","op":"ping"}"#
            ),
            None
        );
        assert_eq!(
            t(
                Exchange::Okx,
                "*",
                StreamKind::Liquidations,
                r#"{"arg":{"channel":"liquidation-orders","instType":"SWAP"},"data":[]}"#
            )
            .as_deref(),
            Some("liquidation-orders:SWAP")
        );
        assert_eq!(
            t(
                Exchange::Okx,
                "*",
                StreamKind::Liquidations,
                r#"{"event":"subscribe","arg":{}}"#
            ),
            None
        );
        assert_eq!(
            t(Exchange::Okx, "*", StreamKind::Liquidations, "pong"),
            None
        );
    }

    #[test]
    fn rest_requests_map_to_recorded_streams() {
        let k = rest_key(
            Exchange::Binance,
            "/fapi/v1/depth",
            "symbol=BTCUSDT&limit=1000",
        )
        .unwrap();
        assert_eq!(
            k,
            (
                Exchange::Binance,
                Market::Perp,
                StreamKind::Depth,
                "BTCUSDT".into()
            )
        );
        let k = rest_key(
            Exchange::Bybit,
            "/v5/market/orderbook",
            "category=spot&symbol=BTCUSDC",
        )
        .unwrap();
        assert_eq!(k.1, Market::Spot);
        let k = rest_key(
            Exchange::Okx,
            "/api/v5/public/open-interest",
            "instId=BTC-USDT-SWAP",
        )
        .unwrap();
        assert_eq!((k.1, k.2), (Market::Perp, StreamKind::OpenInterest));
        assert!(rest_key(Exchange::Okx, "/api/v5/public/instruments", "instType=SWAP").is_none());
    }
}
