//! A [`MarketSource`](crate::MarketSource) over a capture-v1 file (placeholder).
