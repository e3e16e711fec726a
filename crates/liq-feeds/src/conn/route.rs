//! Classifying inbound text frames per exchange: market data (with its routing key), heartbeat
//! replies, subscription acks and rejections.
//!
//! Only the envelope is parsed here; the payload goes to the engine verbatim (for Binance
//! combined streams, the inner `data` object, see [`crate::wire::WireMsg`]).

use std::borrow::Cow;

use liq_core::event::Exchange;
use liq_core::normalize::StreamKind;
use serde::Deserialize;
use serde_json::value::RawValue;

/// What one inbound text frame is.
#[derive(Debug, PartialEq)]
pub enum Inbound<'a> {
    /// Market data.
    Data {
        /// Routing key in the exchange's naming (see `WireMsg::topic`).
        topic: String,
        /// Instrument id (`*` for an all-instrument channel).
        instrument: String,
        /// Stream kind.
        stream: StreamKind,
        /// The payload to forward.
        payload: &'a str,
    },
    /// A heartbeat reply (Bybit pong, OKX `pong`).
    Pong,
    /// A subscription acknowledgement or another harmless control frame.
    Control,
    /// A rejected subscription or an error event, with the exchange's message.
    Rejected(String),
    /// The exchange announced it will close the connection (OKX `notice` 64008 before a
    /// service upgrade): reconnect now, on our terms.
    ReconnectAdvised(String),
    /// Valid JSON of no known shape (counted, forwarded nowhere).
    Unknown,
    /// Not JSON at all.
    Invalid,
}

/// Classifies one text frame of `exchange`.
pub fn classify(exchange: Exchange, text: &str) -> Inbound<'_> {
    match exchange {
        Exchange::Binance => binance(text),
        Exchange::Bybit => bybit(text),
        Exchange::Okx => okx(text),
    }
}

/// Binance stream kind from a stream name (`btcusdt@depth@100ms`, `!forceOrder@arr`).
pub fn binance_stream_kind(name: &str) -> StreamKind {
    if name.contains("forceOrder") {
        StreamKind::Liquidations
    } else if name.contains("@aggTrade") || name.ends_with("@trade") {
        StreamKind::Trades
    } else if name.contains("@markPrice") {
        StreamKind::MarkPrice
    } else if name.contains("@depth") {
        StreamKind::Depth
    } else {
        StreamKind::Unknown
    }
}

/// Binance instrument id from a stream name: the upper-cased symbol, `*` for `!` streams.
pub fn binance_instrument(name: &str) -> String {
    if name.starts_with('!') {
        return "*".to_owned();
    }
    name.split('@').next().unwrap_or("").to_ascii_uppercase()
}

#[derive(Deserialize)]
struct BinanceEnvelope<'a> {
    #[serde(borrow)]
    stream: Option<Cow<'a, str>>,
    #[serde(borrow)]
    data: Option<&'a RawValue>,
    #[serde(borrow)]
    msg: Option<Cow<'a, str>>,
    code: Option<serde_json::Value>,
    id: Option<serde_json::Value>,
}

fn binance(text: &str) -> Inbound<'_> {
    let Ok(env) = serde_json::from_str::<BinanceEnvelope<'_>>(text) else {
        return if serde_json::from_str::<&RawValue>(text).is_ok() {
            Inbound::Unknown
        } else {
            Inbound::Invalid
        };
    };
    match (env.stream, env.data) {
        (Some(stream), Some(data)) => Inbound::Data {
            stream: binance_stream_kind(&stream),
            instrument: binance_instrument(&stream),
            topic: stream.into_owned(),
            payload: data.get(),
        },
        _ if env.code.is_some() => Inbound::Rejected(format!(
            "{} {}",
            env.code.map(|c| c.to_string()).unwrap_or_default(),
            env.msg.unwrap_or_default()
        )),
        // `{"result":null,"id":1}`: the answer to a SUBSCRIBE/LIST request.
        _ if env.id.is_some() => Inbound::Control,
        _ => Inbound::Unknown,
    }
}

/// Bybit stream kind from a topic (`orderbook.50.BTCUSDT`, `allLiquidation.BTCUSDT`).
pub fn bybit_stream_kind(topic: &str) -> StreamKind {
    match topic.split('.').next().unwrap_or("") {
        "allLiquidation" | "liquidation" => StreamKind::Liquidations,
        "orderbook" => StreamKind::Depth,
        "publicTrade" => StreamKind::Trades,
        "tickers" => StreamKind::Ticker,
        _ => StreamKind::Unknown,
    }
}

#[derive(Deserialize)]
struct BybitEnvelope<'a> {
    #[serde(borrow)]
    topic: Option<Cow<'a, str>>,
    success: Option<bool>,
    #[serde(borrow)]
    ret_msg: Option<Cow<'a, str>>,
    #[serde(borrow)]
    op: Option<Cow<'a, str>>,
}

fn bybit(text: &str) -> Inbound<'_> {
    let Ok(env) = serde_json::from_str::<BybitEnvelope<'_>>(text) else {
        return if serde_json::from_str::<&RawValue>(text).is_ok() {
            Inbound::Unknown
        } else {
            Inbound::Invalid
        };
    };
    if let Some(topic) = env.topic {
        let instrument = topic.rsplit('.').next().unwrap_or("").to_owned();
        return Inbound::Data {
            stream: bybit_stream_kind(&topic),
            instrument,
            topic: topic.into_owned(),
            payload: text,
        };
    }
    // Bybit v5 "Connect": the ping reply is `{"success":true,"ret_msg":"pong","op":"ping",...}`
    // on public channels (`{"op":"pong",...}` on private ones).
    let is_pong = env.op.as_deref() == Some("pong") || env.ret_msg.as_deref() == Some("pong");
    match env.success {
        Some(false) => Inbound::Rejected(format!(
            "{}: {}",
            env.op.unwrap_or_default(),
            env.ret_msg.unwrap_or_default()
        )),
        _ if is_pong => Inbound::Pong,
        Some(true) => Inbound::Control,
        None => Inbound::Unknown,
    }
}

/// OKX stream kind from a channel name.
pub fn okx_stream_kind(channel: &str) -> StreamKind {
    match channel {
        "liquidation-orders" => StreamKind::Liquidations,
        "books" | "books5" | "bbo-tbt" | "books-l2-tbt" | "books50-l2-tbt" => StreamKind::Depth,
        "trades" | "trades-all" => StreamKind::Trades,
        "open-interest" => StreamKind::OpenInterest,
        "funding-rate" => StreamKind::Funding,
        "mark-price" => StreamKind::MarkPrice,
        _ => StreamKind::Unknown,
    }
}

#[derive(Deserialize)]
struct OkxArg<'a> {
    #[serde(borrow)]
    channel: Option<Cow<'a, str>>,
    #[serde(rename = "instId", borrow)]
    inst_id: Option<Cow<'a, str>>,
    #[serde(rename = "instType", borrow)]
    inst_type: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct OkxEnvelope<'a> {
    #[serde(borrow)]
    arg: Option<OkxArg<'a>>,
    #[serde(borrow)]
    event: Option<Cow<'a, str>>,
    code: Option<serde_json::Value>,
    #[serde(borrow)]
    msg: Option<Cow<'a, str>>,
    data: Option<&'a RawValue>,
}

fn okx(text: &str) -> Inbound<'_> {
    // OKX v5 "Connect": the reply to the text `ping` is the text `pong` (not JSON).
    if text.trim() == "pong" {
        return Inbound::Pong;
    }
    let Ok(env) = serde_json::from_str::<OkxEnvelope<'_>>(text) else {
        return if serde_json::from_str::<&RawValue>(text).is_ok() {
            Inbound::Unknown
        } else {
            Inbound::Invalid
        };
    };
    match env.event.as_deref() {
        Some("error") => {
            let code = env.code.map(|c| c.to_string()).unwrap_or_default();
            return Inbound::Rejected(format!("{code} {}", env.msg.unwrap_or_default()));
        }
        // OKX v5 "Notification of websocket service upgrade": `{"event":"notice","code":"64008",
        // "msg":"The connection will soon be closed for a service upgrade. Please reconnect."}`.
        Some("notice") => {
            let code = env.code.map(|c| c.to_string()).unwrap_or_default();
            return Inbound::ReconnectAdvised(format!("{code} {}", env.msg.unwrap_or_default()));
        }
        // `subscribe`/`unsubscribe` acks, `channel-conn-count`.
        Some(_) => return Inbound::Control,
        None => {}
    }
    match (env.arg, env.data) {
        (Some(arg), Some(_)) => {
            let channel = arg.channel.unwrap_or_default();
            let (key, instrument) = match (arg.inst_id, arg.inst_type) {
                (Some(id), _) => (id.to_string(), id.into_owned()),
                (None, Some(t)) => (t.into_owned(), "*".to_owned()),
                (None, None) => (String::new(), "*".to_owned()),
            };
            Inbound::Data {
                stream: okx_stream_kind(&channel),
                topic: format!("{channel}:{key}"),
                instrument,
                payload: text,
            }
        }
        _ => Inbound::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binance_combined_frame_forwards_the_inner_event() {
        let t = r#"{"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","U":1,"u":2}}"#;
        assert_eq!(
            classify(Exchange::Binance, t),
            Inbound::Data {
                topic: "btcusdt@depth@100ms".into(),
                instrument: "BTCUSDT".into(),
                stream: StreamKind::Depth,
                payload: r#"{"e":"depthUpdate","U":1,"u":2}"#,
            }
        );
        let t = r#"{"stream":"!forceOrder@arr","data":{"e":"forceOrder","o":{}}}"#;
        match classify(Exchange::Binance, t) {
            Inbound::Data {
                instrument, stream, ..
            } => {
                assert_eq!(instrument, "*");
                assert_eq!(stream, StreamKind::Liquidations);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            classify(Exchange::Binance, r#"{"result":null,"id":1}"#),
            Inbound::Control
        );
        assert!(matches!(
            classify(Exchange::Binance, r#"{"code":-1121,"msg":"Invalid symbol."}"#),
            Inbound::Rejected(m) if m.contains("Invalid symbol")
        ));
        assert_eq!(classify(Exchange::Binance, "{\"stre"), Inbound::Invalid);
        assert_eq!(classify(Exchange::Binance, "[1,2]"), Inbound::Unknown);
    }

    #[test]
    fn bybit_topics_acks_and_pongs() {
        let t = r#"{"topic":"allLiquidation.BTCUSDT","type":"snapshot","ts":1,"data":[]}"#;
        assert_eq!(
            classify(Exchange::Bybit, t),
            Inbound::Data {
                topic: "allLiquidation.BTCUSDT".into(),
                instrument: "BTCUSDT".into(),
                stream: StreamKind::Liquidations,
                payload: t,
            }
        );
        let pong = r#"{"success":true,"ret_msg":"pong","conn_id":"x","op":"ping"}"#;
        assert_eq!(classify(Exchange::Bybit, pong), Inbound::Pong);
        let ack = r#"{"success":true,"ret_msg":"","conn_id":"x","op":"subscribe"}"#;
        assert_eq!(classify(Exchange::Bybit, ack), Inbound::Control);
        let nack =
            r#"{"success":false,"ret_msg":"error:handler not found,topic:foo","op":"subscribe"}"#;
        assert!(
            matches!(classify(Exchange::Bybit, nack), Inbound::Rejected(m) if m.contains("handler not found"))
        );
        assert_eq!(bybit_stream_kind("orderbook.50.ETHUSDT"), StreamKind::Depth);
        assert_eq!(bybit_stream_kind("tickers.ETHUSDT"), StreamKind::Ticker);
        assert_eq!(bybit_stream_kind("publicTrade.ETHUSDT"), StreamKind::Trades);
    }

    #[test]
    fn okx_channels_events_and_text_pong() {
        let t = r#"{"arg":{"channel":"liquidation-orders","instType":"SWAP"},"data":[]}"#;
        assert_eq!(
            classify(Exchange::Okx, t),
            Inbound::Data {
                topic: "liquidation-orders:SWAP".into(),
                instrument: "*".into(),
                stream: StreamKind::Liquidations,
                payload: t,
            }
        );
        let t = r#"{"arg":{"channel":"books","instId":"BTC-USDT-SWAP"},"action":"snapshot","data":[{}]}"#;
        match classify(Exchange::Okx, t) {
            Inbound::Data {
                topic,
                instrument,
                stream,
                ..
            } => {
                assert_eq!(topic, "books:BTC-USDT-SWAP");
                assert_eq!(instrument, "BTC-USDT-SWAP");
                assert_eq!(stream, StreamKind::Depth);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(classify(Exchange::Okx, "pong"), Inbound::Pong);
        let ack = r#"{"event":"subscribe","arg":{"channel":"books","instId":"BTC-USDT-SWAP"},"connId":"a"}"#;
        assert_eq!(classify(Exchange::Okx, ack), Inbound::Control);
        let err = r#"{"event":"error","code":"60012","msg":"Invalid request","connId":"a"}"#;
        assert!(
            matches!(classify(Exchange::Okx, err), Inbound::Rejected(m) if m.contains("60012"))
        );
        assert_eq!(classify(Exchange::Okx, "garbage{"), Inbound::Invalid);
        let notice = r#"{"event":"notice","code":"64008","msg":"The connection will soon be closed for a service upgrade. Please reconnect.","connId":"a"}"#;
        assert!(
            matches!(classify(Exchange::Okx, notice), Inbound::ReconnectAdvised(m) if m.contains("64008"))
        );
        assert_eq!(okx_stream_kind("open-interest"), StreamKind::OpenInterest);
        assert_eq!(okx_stream_kind("funding-rate"), StreamKind::Funding);
    }
}
