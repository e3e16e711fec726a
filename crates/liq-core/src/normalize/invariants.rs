//! The invariants every normalized batch satisfies; checked by the fuzz targets and the
//! mutation property test, and cheap enough for debug assertions in callers.

use rust_decimal::Decimal;

use super::Batch;
use crate::event::{EventKind, Exchange};

fn positive(x: f64) -> bool {
    x.is_finite() && x > 0.0
}

impl Batch {
    /// Checks the batch of a message from `exchange`: liquidation price, quantity and notional
    /// finite and positive with `notional == price * qty`; trade price and size finite and
    /// positive; no negative order-book level; every error names the exchange first.
    pub fn check_invariants(&self, exchange: Exchange) -> Result<(), String> {
        for ev in &self.events {
            let bad = |what: &str| Err(format!("{what}: {ev:?}"));
            match &ev.kind {
                EventKind::Liquidation(l) => {
                    if !(positive(l.price) && positive(l.qty) && positive(l.notional_usd)) {
                        return bad("liquidation price, qty or notional not finite > 0");
                    }
                    if l.notional_usd != l.price * l.qty {
                        return bad("liquidation notional != price * qty");
                    }
                }
                EventKind::Trade(t) => {
                    if !(positive(t.price) && positive(t.size)) {
                        return bad("trade price or size not finite > 0");
                    }
                }
                EventKind::DepthSnapshot(d) | EventKind::DepthDiff(d) => {
                    let mut levels = d.bids.iter().chain(&d.asks);
                    if levels.any(|l| l.price < Decimal::ZERO || l.size < Decimal::ZERO) {
                        return bad("negative depth level");
                    }
                }
                EventKind::MarkPrice(_)
                | EventKind::OpenInterest(_)
                | EventKind::TraderRatio(_) => {}
            }
        }
        match self
            .errors
            .iter()
            .find(|e| !e.to_string().starts_with(exchange.as_str()))
        {
            Some(e) => Err(format!("error does not start with {exchange}: {e}")),
            None => Ok(()),
        }
    }
}
