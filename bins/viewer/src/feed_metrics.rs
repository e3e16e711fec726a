//! Feed counters for `/metrics`: the connectors' per-connection counters and the engine
//! thread's per-exchange ingest counters, set as absolute values (cheap, a few times a minute).

use liq_core::event::Exchange;
use liq_feeds::ExchangeStatus;
use liq_feeds::conn::ConnState;

use crate::ingest::Ingest;

/// Publishes the connectors' counters (label `exchange`, `connection`).
pub fn publish_feeds(status: &[ExchangeStatus]) {
    for s in status {
        let ex = s.exchange.as_str();
        for c in s.connections.iter().chain(s.pollers.iter()) {
            let labels = [("exchange", ex.to_string()), ("connection", c.name.clone())];
            metrics::counter!("feed_messages_total", &labels).absolute(c.messages);
            metrics::counter!("feed_bytes_total", &labels).absolute(c.bytes);
            metrics::counter!("feed_parse_errors_total", &labels).absolute(c.parse_errors);
            metrics::counter!("feed_reconnects_total", &labels).absolute(c.reconnects);
            metrics::counter!("feed_gaps_total", &labels).absolute(c.gaps);
            let live = matches!(c.state, ConnState::Live);
            metrics::gauge!("feed_connection_live", &labels).set(if live { 1.0 } else { 0.0 });
        }
    }
}

/// Publishes the engine thread's counters per exchange (messages normalized, rejected,
/// liquidations) and the live loop's late events.
pub fn publish_ingest(ingest: &Ingest, late: u64) {
    for (i, ex) in Exchange::ALL.iter().enumerate() {
        let c = ingest.counts[i];
        let labels = [("exchange", ex.as_str())];
        metrics::counter!("engine_messages_total", &labels).absolute(c.messages);
        metrics::counter!("engine_rejected_messages_total", &labels).absolute(c.errors);
        metrics::counter!("engine_liquidations_total", &labels).absolute(c.liquidations);
    }
    metrics::counter!("engine_late_events_total").absolute(late);
}
