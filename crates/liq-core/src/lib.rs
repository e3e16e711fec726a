//! Pure, synchronous, deterministic domain logic of the liquidation heatmap service.
//!
//! No tokio, no file system, no network, no clock: time enters as arguments. See
//! `docs/ARCHITECTURE.md` for how the crates fit together.
//!
//! The entry point for embedding is [`engine::EngineManager`]: one engine per symbol (heatmap,
//! zone manager, calibrator), fed with normalized market events ([`normalize::Normalizer`]
//! turns exchange messages into [`event::MarketEvent`]s) or with a replay's minute bars, and
//! closing minutes explicitly. Each minute close returns the V1/V2 snapshot bodies and the
//! calibration run of that symbol; log records are drained with `take_records`.
//!
//! ```
//! use liq_core::calibrator::{Calibrator, CalibratorConfig};
//! use liq_core::compat::ReferenceCompat;
//! use liq_core::engine::{EngineManager, SymbolSpec};
//! use liq_core::heatmap::replay::{MinuteBar, ReplayRecord};
//! use liq_core::zones::ZoneManager;
//!
//! let compat = ReferenceCompat::fixed();
//! let mut engine = EngineManager::new(compat);
//! let spec = &SymbolSpec::defaults()[0]; // BTC, step 20
//! let (calibrator, _) = Calibrator::new(CalibratorConfig::runtime("BTC", 20.0, &compat), None);
//! let zones = ZoneManager::new("BTC", 20.0, &compat).unwrap();
//! engine.add_symbol(spec, calibrator, zones).unwrap();
//!
//! let bar = MinuteBar {
//!     symbol: "BTC".into(), minute_key: 29_537_375, ts: 1_772_242_500.05, open: None,
//!     high: 65_745.85, low: 65_732.75, close: 65_740.0, src: 65_742.525,
//!     oi: None, oi_delta: Some(-1.08), taker_buy_usd: None, taker_sell_usd: None,
//!     taker_buy_share: Some(0.719), taker_buy_qty: None, taker_sell_qty: None,
//! };
//! let minute = engine.apply_replay(&ReplayRecord::Minute(bar)).unwrap();
//! assert_eq!(minute.symbol, "BTC");
//! assert!(minute.v2.is_some() && minute.error.is_none());
//! ```
//!
//! `examples/top_pools.rs` replays a capture file this way and prints each symbol's top pools
//! per minute.
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

pub mod calibrator;
pub mod checksum;
pub mod compat;
pub mod engine;
pub mod event;
pub mod forecast;
pub mod grid;
pub mod hash;
pub mod heatmap;
pub mod leverage;
pub mod normalize;
pub mod orderbook;
pub mod pipeline;
pub mod pyfmt;
pub mod symbols;
pub mod zones;
