//! [`VecSource`]: a hand-made [`MarketSource`] for tests.

use liq_core::event::{Exchange, Market};
use liq_core::normalize::StreamKind;

use crate::wire::{MarketSource, RestAnswer, WireMsg};

/// One canned REST answer of a [`VecSource`].
#[derive(Clone, Debug)]
struct RestEntry {
    exchange: Exchange,
    path: String,
    query_contains: String,
    from_ts: f64,
    answer: RestAnswer,
}

/// A [`MarketSource`] over a fixed list of messages and canned REST answers, for tests of the
/// mock exchange and of the connectors.
///
/// Messages are served in `ts` order (stable for equal times); the source is exhausted after the
/// last one. A REST request gets the last added answer whose exchange and path match, whose
/// `query_contains` is a substring of the query and whose `from_ts <= now`; otherwise 404.
///
/// ```
/// use liq_core::event::Exchange;
/// use liq_core::normalize::StreamKind;
/// use liq_feeds::mock::VecSource;
/// use liq_feeds::{MarketSource, RestAnswer};
///
/// let msg = VecSource::binance(10.0, "BTCUSDT", StreamKind::Trades, "btcusdt@aggTrade",
///     r#"{"e":"aggTrade","s":"BTCUSDT","p":"1","q":"2","m":true}"#);
/// let mut src = VecSource::new(vec![msg]).with_rest(Exchange::Binance, "/fapi/v1/openInterest",
///     "symbol=BTCUSDT", 0.0, RestAnswer { status: 200, body: r#"{"openInterest":"5"}"#.into() });
/// assert_eq!(src.start_ts(), 10.0);
/// let mut out = Vec::new();
/// assert!(!src.advance(10.0, &mut out));
/// assert_eq!(out.len(), 1);
/// assert!(src.rest(Exchange::Binance, "/fapi/v1/openInterest", "symbol=BTCUSDT", 10.0).is_some());
/// ```
#[derive(Clone, Debug, Default)]
pub struct VecSource {
    msgs: Vec<WireMsg>,
    next: usize,
    rest: Vec<RestEntry>,
    start: Option<f64>,
}

impl VecSource {
    /// A source over `msgs` (sorted by `ts`, stable).
    pub fn new(mut msgs: Vec<WireMsg>) -> Self {
        msgs.sort_by(|a, b| a.ts.total_cmp(&b.ts));
        VecSource {
            msgs,
            ..VecSource::default()
        }
    }

    /// Sets the start time (default: the first message's `ts`, or 0).
    pub fn with_start(mut self, ts: f64) -> Self {
        self.start = Some(ts);
        self
    }

    /// Adds a REST answer (see the type's docs for the matching rule).
    pub fn with_rest(
        mut self,
        exchange: Exchange,
        path: &str,
        query_contains: &str,
        from_ts: f64,
        answer: RestAnswer,
    ) -> Self {
        self.rest.push(RestEntry {
            exchange,
            path: path.to_owned(),
            query_contains: query_contains.to_owned(),
            from_ts,
            answer,
        });
        self
    }

    /// Messages not given yet.
    pub fn remaining(&self) -> usize {
        self.msgs.len() - self.next
    }

    /// A message with every field given.
    pub fn msg(
        ts: f64,
        exchange: Exchange,
        market: Market,
        instrument: &str,
        stream: StreamKind,
        topic: &str,
        payload: &str,
    ) -> WireMsg {
        WireMsg {
            ts,
            exchange,
            market,
            instrument: instrument.to_owned(),
            stream,
            topic: topic.to_owned(),
            payload: payload.to_owned(),
        }
    }

    /// A Binance USD-M message (`topic` = stream name, `payload` = the inner event).
    pub fn binance(
        ts: f64,
        instrument: &str,
        stream: StreamKind,
        topic: &str,
        payload: &str,
    ) -> WireMsg {
        Self::msg(
            ts,
            Exchange::Binance,
            Market::Perp,
            instrument,
            stream,
            topic,
            payload,
        )
    }

    /// A Bybit linear message (`topic` = the frame's topic, `payload` = the whole frame).
    pub fn bybit(
        ts: f64,
        instrument: &str,
        stream: StreamKind,
        topic: &str,
        payload: &str,
    ) -> WireMsg {
        Self::msg(
            ts,
            Exchange::Bybit,
            Market::Perp,
            instrument,
            stream,
            topic,
            payload,
        )
    }

    /// An OKX swap message (`topic` = `channel:instId|instType`, `payload` = the whole frame).
    pub fn okx(
        ts: f64,
        instrument: &str,
        stream: StreamKind,
        topic: &str,
        payload: &str,
    ) -> WireMsg {
        Self::msg(
            ts,
            Exchange::Okx,
            Market::Perp,
            instrument,
            stream,
            topic,
            payload,
        )
    }
}

impl MarketSource for VecSource {
    fn advance(&mut self, until: f64, out: &mut Vec<WireMsg>) -> bool {
        while let Some(m) = self.msgs.get(self.next) {
            if m.ts > until {
                break;
            }
            out.push(m.clone());
            self.next += 1;
        }
        self.next < self.msgs.len()
    }

    fn rest(
        &mut self,
        exchange: Exchange,
        path: &str,
        query: &str,
        now: f64,
    ) -> Option<RestAnswer> {
        self.rest
            .iter()
            .rev()
            .find(|e| {
                e.exchange == exchange
                    && e.path == path
                    && query.contains(&e.query_contains)
                    && e.from_ts <= now
            })
            .map(|e| e.answer.clone())
    }

    fn start_ts(&self) -> f64 {
        self.start
            .or_else(|| self.msgs.first().map(|m| m.ts))
            .unwrap_or(0.0)
    }
}
