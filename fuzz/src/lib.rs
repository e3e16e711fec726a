//! Shared driver of the `normalize_*` fuzz targets.
//!
//! Input layout (one fuzz input):
//!
//! * byte 0 selects the frame: bits 0-3 (modulo 11) the stream hint ([`STREAMS`]), bit 7 the
//!   market (set: spot, clear: perp), bit 6 whether an instrument hint follows;
//! * with bit 6 set, the bytes up to the first `\n` are the instrument hint;
//! * the rest is the payload (lossily converted to UTF-8).
//!
//! The payload is normalized twice by one fresh [`Normalizer`] (exercising the Bybit ticker merge
//! and the liquidation de-duplication), and every output is checked with [`check_batch`].

use std::sync::{Arc, OnceLock};

use liq_core::event::{Exchange, Market, RatioKind};
use liq_core::normalize::{Batch, Frame, Normalizer, StreamKind};
use liq_core::symbols::SymbolRegistry;

/// Stream hints, indexed by `byte0 & 0x0f` (modulo the length).
pub const STREAMS: [Option<StreamKind>; 11] = [
    None,
    Some(StreamKind::Liquidations),
    Some(StreamKind::Trades),
    Some(StreamKind::MarkPrice),
    Some(StreamKind::Depth),
    Some(StreamKind::OpenInterest),
    Some(StreamKind::Funding),
    Some(StreamKind::Ticker),
    Some(StreamKind::TraderRatio(RatioKind::TopAccount)),
    Some(StreamKind::TraderRatio(RatioKind::TopPosition)),
    Some(StreamKind::TraderRatio(RatioKind::GlobalAccount)),
];

/// Bit of byte 0 selecting the spot market.
pub const SPOT_BIT: u8 = 0x80;
/// Bit of byte 0 announcing an instrument hint line.
pub const INSTRUMENT_BIT: u8 = 0x40;

fn registry() -> Arc<SymbolRegistry> {
    static REGISTRY: OnceLock<Arc<SymbolRegistry>> = OnceLock::new();
    REGISTRY
        .get_or_init(|| Arc::new(SymbolRegistry::default_registry()))
        .clone()
}

/// Runs one fuzz input against the normalizer of `exchange`.
pub fn run(exchange: Exchange, data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let stream = STREAMS[usize::from(selector & 0x0f) % STREAMS.len()];
    let market = if selector & SPOT_BIT != 0 {
        Market::Spot
    } else {
        Market::Perp
    };
    let (instrument, payload) = if selector & INSTRUMENT_BIT != 0 {
        match rest.iter().position(|&b| b == b'\n') {
            Some(i) => (Some(String::from_utf8_lossy(&rest[..i])), &rest[i + 1..]),
            None => (None, rest),
        }
    } else {
        (None, rest)
    };
    let payload = String::from_utf8_lossy(payload);

    let mut n = Normalizer::new(registry());
    let mut batch = Batch::default();
    for (i, receive_ts) in [1.0, 2.0].into_iter().enumerate() {
        let frame = Frame {
            exchange,
            market,
            stream,
            instrument: instrument.as_deref(),
            payload: &payload,
            receive_ts,
        };
        n.normalize(&frame, &mut batch);
        if let Err(violation) = batch.check_invariants(exchange) {
            panic!("call {i}: {violation}");
        }
    }
}
