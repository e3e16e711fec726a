//! Order books (zones_orderbook.md part B): per-exchange reconstructors that follow each
//! exchange's documented sync rules, exact integer-tick levels, the 30-second accumulator and
//! its binary frames, the frame ring and resampling.

pub mod accumulator;
pub mod binance;
pub mod book;
pub mod bybit;
pub mod encode;
pub mod frame;
pub mod okx;
pub mod recon;
pub mod record;
pub mod resample;
pub mod ring;
pub mod stats;
