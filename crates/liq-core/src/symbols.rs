//! The symbol registry: which instruments of which exchange feed which short symbol, and each
//! symbol's grid configuration.
//!
//! BTC, ETH and SOL (the reference's `SYMBOL_CONFIGS`) are the defaults, not special cases: any
//! symbol can be added by configuration ([`RegistryConfig`], deserializable from TOML/JSON).

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::event::{Exchange, Market};
use crate::hash::FnvBuild;

/// How an instrument's reported size converts to base units.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Contract {
    /// Size is `contracts * ct_val * ct_mult` base units (ct_val 1 for size-in-base feeds).
    Linear {
        /// Contract value in base units (OKX `ctVal`).
        ct_val: f64,
        /// Contract multiplier (OKX `ctMult`).
        #[serde(default = "one")]
        ct_mult: f64,
    },
    /// Size is `contracts * ct_val * ct_mult / price` base units (ct_val in quote currency).
    Inverse {
        /// Contract value in quote currency (e.g. 100 USD).
        ct_val: f64,
        /// Contract multiplier.
        #[serde(default = "one")]
        ct_mult: f64,
    },
}

fn one() -> f64 {
    1.0
}

impl Contract {
    /// Size already in base units.
    pub const BASE: Contract = Contract::Linear {
        ct_val: 1.0,
        ct_mult: 1.0,
    };

    /// Converts a reported size at `price` to base units.
    ///
    /// Linear: `size * ct_val * ct_mult`, evaluated left to right in f64 (the reference's
    /// `12 * 0.01 = 0.12`); inverse: that product divided by the price.
    pub fn base_qty(&self, size: f64, price: f64) -> f64 {
        match *self {
            Contract::Linear { ct_val, ct_mult } => size * ct_val * ct_mult,
            Contract::Inverse { ct_val, ct_mult } => size * ct_val * ct_mult / price,
        }
    }
}

/// One exchange instrument that feeds a symbol.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InstrumentConfig {
    /// The exchange.
    pub exchange: Exchange,
    /// The market (default `perp`).
    #[serde(default = "perp")]
    pub market: Market,
    /// The exchange's instrument id, exactly as in its messages.
    pub id: String,
    /// Size conversion (default: sizes are base units).
    #[serde(default = "base_contract")]
    pub contract: Contract,
}

fn perp() -> Market {
    Market::Perp
}

fn base_contract() -> Contract {
    Contract::BASE
}

/// Configuration of one symbol.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SymbolConfig {
    /// Short symbol, e.g. `BTC`.
    pub symbol: String,
    /// Heatmap bucket step in quote currency (BTC 20, ETH 1, SOL 0.1).
    pub bucket_step: f64,
    /// Order-book heatmap step.
    pub ob_step: f64,
    /// Order-book heatmap half-range as a fraction of the mid (0.10 = ±10%).
    pub ob_range_pct: f64,
    /// Order-book update-id gap tolerance.
    pub ob_gap_tolerance: u64,
    /// The instruments feeding this symbol.
    pub instruments: Vec<InstrumentConfig>,
}

/// Registry configuration: the list of symbols, in registration order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RegistryConfig {
    /// The symbols.
    pub symbols: Vec<SymbolConfig>,
}

impl Default for RegistryConfig {
    /// BTC, ETH and SOL with the reference's `SYMBOL_CONFIGS` and the USDT-margined perpetuals
    /// of Binance, Bybit and OKX (OKX contract values 0.01 / 0.1 / 1).
    fn default() -> Self {
        let sym = |symbol: &str, step: f64, gap: u64, okx_ct: f64| {
            let usdt = format!("{symbol}USDT");
            SymbolConfig {
                symbol: symbol.to_owned(),
                bucket_step: step,
                ob_step: step,
                ob_range_pct: 0.10,
                ob_gap_tolerance: gap,
                instruments: vec![
                    InstrumentConfig {
                        exchange: Exchange::Binance,
                        market: Market::Perp,
                        id: usdt.clone(),
                        contract: Contract::BASE,
                    },
                    InstrumentConfig {
                        exchange: Exchange::Bybit,
                        market: Market::Perp,
                        id: usdt,
                        contract: Contract::BASE,
                    },
                    InstrumentConfig {
                        exchange: Exchange::Okx,
                        market: Market::Perp,
                        id: format!("{symbol}-USDT-SWAP"),
                        contract: Contract::Linear {
                            ct_val: okx_ct,
                            ct_mult: 1.0,
                        },
                    },
                ],
            }
        };
        RegistryConfig {
            symbols: vec![
                sym("BTC", 20.0, 1000, 0.01),
                sym("ETH", 1.0, 50, 0.1),
                sym("SOL", 0.10, 5, 1.0),
            ],
        }
    }
}

/// Why a registry configuration was rejected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RegistryError {
    /// Two symbols share a name.
    #[error("symbol {0:?} is configured twice")]
    DuplicateSymbol(String),
    /// One instrument maps to two symbols.
    #[error("{exchange} {market} instrument {id:?} is mapped twice")]
    DuplicateInstrument {
        /// Exchange.
        exchange: &'static str,
        /// Market.
        market: &'static str,
        /// Instrument id.
        id: String,
    },
    /// A step, range or contract value is not finite and positive.
    #[error("symbol {symbol:?}: {field} must be finite and > 0, got {value}")]
    BadNumber {
        /// Symbol.
        symbol: String,
        /// Field name.
        field: &'static str,
        /// Value.
        value: f64,
    },
    /// A symbol name is empty or not upper-case alphanumeric.
    #[error("symbol name {0:?} must be 1-10 upper-case letters or digits")]
    BadName(String),
}

/// A resolved instrument: what the normalizer needs per message.
#[derive(Clone, Debug, PartialEq)]
pub struct Instrument {
    /// Short symbol.
    pub symbol: Arc<str>,
    /// Instrument id (shared, so events can hold it without allocating).
    pub id: Arc<str>,
    /// Size conversion.
    pub contract: Contract,
}

/// The symbol registry, built once from a [`RegistryConfig`].
#[derive(Clone, Debug)]
pub struct SymbolRegistry {
    symbols: Vec<SymbolConfig>,
    names: Vec<Arc<str>>,
    // One map per (exchange, market), keyed by instrument id.
    by_instrument: [HashMap<Box<str>, Instrument, FnvBuild>; 6],
}

fn slot(exchange: Exchange, market: Market) -> usize {
    let e = match exchange {
        Exchange::Binance => 0,
        Exchange::Bybit => 1,
        Exchange::Okx => 2,
    };
    e * 2 + usize::from(market == Market::Spot)
}

fn positive(symbol: &str, field: &'static str, value: f64) -> Result<(), RegistryError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(RegistryError::BadNumber {
            symbol: symbol.to_owned(),
            field,
            value,
        })
    }
}

impl SymbolRegistry {
    /// Builds and validates a registry.
    pub fn new(config: RegistryConfig) -> Result<Self, RegistryError> {
        let mut names: Vec<Arc<str>> = Vec::new();
        let mut by_instrument: [HashMap<Box<str>, Instrument, FnvBuild>; 6] = Default::default();
        for s in &config.symbols {
            let valid_name = !s.symbol.is_empty()
                && s.symbol.len() <= 10
                && s.symbol
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
            if !valid_name {
                return Err(RegistryError::BadName(s.symbol.clone()));
            }
            if names.iter().any(|n| **n == *s.symbol) {
                return Err(RegistryError::DuplicateSymbol(s.symbol.clone()));
            }
            positive(&s.symbol, "bucket_step", s.bucket_step)?;
            positive(&s.symbol, "ob_step", s.ob_step)?;
            positive(&s.symbol, "ob_range_pct", s.ob_range_pct)?;
            let name: Arc<str> = Arc::from(s.symbol.as_str());
            for i in &s.instruments {
                let (Contract::Linear { ct_val, ct_mult } | Contract::Inverse { ct_val, ct_mult }) =
                    i.contract;
                positive(&s.symbol, "ct_val", ct_val)?;
                positive(&s.symbol, "ct_mult", ct_mult)?;
                let map = &mut by_instrument[slot(i.exchange, i.market)];
                if map.contains_key(i.id.as_str()) {
                    return Err(RegistryError::DuplicateInstrument {
                        exchange: i.exchange.as_str(),
                        market: i.market.as_str(),
                        id: i.id.clone(),
                    });
                }
                map.insert(
                    i.id.as_str().into(),
                    Instrument {
                        symbol: name.clone(),
                        id: Arc::from(i.id.as_str()),
                        contract: i.contract,
                    },
                );
            }
            names.push(name);
        }
        Ok(SymbolRegistry {
            symbols: config.symbols,
            names,
            by_instrument,
        })
    }

    /// The default registry (BTC, ETH, SOL).
    pub fn default_registry() -> Self {
        // The default configuration is valid by construction (checked by a test).
        match Self::new(RegistryConfig::default()) {
            Ok(r) => r,
            Err(e) => unreachable!("default registry is invalid: {e}"),
        }
    }

    /// Looks up an instrument.
    pub fn instrument(&self, exchange: Exchange, market: Market, id: &str) -> Option<&Instrument> {
        self.by_instrument[slot(exchange, market)].get(id)
    }

    /// The configured symbols, in registration order.
    pub fn symbols(&self) -> &[SymbolConfig] {
        &self.symbols
    }

    /// The configuration of one symbol.
    pub fn symbol(&self, name: &str) -> Option<&SymbolConfig> {
        self.symbols.iter().find(|s| s.symbol == name)
    }

    /// The shared name of a configured symbol.
    pub fn symbol_name(&self, name: &str) -> Option<&Arc<str>> {
        self.names.iter().find(|n| ***n == *name)
    }

    /// Instrument ids of one exchange and market, e.g. to build subscriptions.
    pub fn instruments_of(&self, exchange: Exchange, market: Market) -> Vec<&Instrument> {
        let mut v: Vec<&Instrument> = self.by_instrument[slot(exchange, market)]
            .values()
            .collect();
        v.sort_by(|a, b| a.id.cmp(&b.id));
        v
    }
}

impl Default for SymbolRegistry {
    fn default() -> Self {
        Self::default_registry()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_registry_maps_usdt_perps() {
        let r = SymbolRegistry::default_registry();
        let i = r
            .instrument(Exchange::Okx, Market::Perp, "SOL-USDT-SWAP")
            .unwrap();
        assert_eq!(&*i.symbol, "SOL");
        assert_eq!(i.contract.base_qty(12.0, 80.0), 12.0);
        let b = r
            .instrument(Exchange::Okx, Market::Perp, "BTC-USDT-SWAP")
            .unwrap();
        assert_eq!(b.contract.base_qty(12.0, 65550.1), 0.12);
        assert!(
            r.instrument(Exchange::Binance, Market::Spot, "BTCUSDT")
                .is_none()
        );
        assert!(
            r.instrument(Exchange::Binance, Market::Perp, "BTCUSDT_260327")
                .is_none()
        );
        assert!(
            r.instrument(Exchange::Okx, Market::Perp, "BTC-USD-SWAP")
                .is_none()
        );
        assert_eq!(r.symbols().len(), 3);
        assert_eq!(r.symbol("ETH").unwrap().ob_gap_tolerance, 50);
        assert_eq!(r.symbol("SOL").unwrap().bucket_step, 0.10);
    }

    #[test]
    fn any_symbol_can_be_added_by_config() {
        let cfg: RegistryConfig = serde_json::from_str(
            r#"{"symbols":[{"symbol":"DOGE","bucket_step":0.0001,"ob_step":0.0001,
                "ob_range_pct":0.1,"ob_gap_tolerance":5,"instruments":[
                {"exchange":"okx","id":"DOGE-USDT-SWAP","contract":{"type":"linear","ct_val":1000}},
                {"exchange":"okx","id":"DOGE-USD-SWAP","contract":{"type":"inverse","ct_val":10}}]}]}"#,
        )
        .unwrap();
        let r = SymbolRegistry::new(cfg).unwrap();
        let i = r
            .instrument(Exchange::Okx, Market::Perp, "DOGE-USDT-SWAP")
            .unwrap();
        assert_eq!(i.contract.base_qty(2.0, 0.1), 2000.0);
        let inv = r
            .instrument(Exchange::Okx, Market::Perp, "DOGE-USD-SWAP")
            .unwrap();
        assert_eq!(inv.contract.base_qty(10.0, 0.5), 200.0);
    }

    #[test]
    fn the_documented_toml_example_is_the_default_plus_doge() {
        let text = include_str!("../../../fixtures/config/symbols.toml");
        let cfg: RegistryConfig = toml::from_str(text).unwrap();
        let default = RegistryConfig::default();
        assert_eq!(cfg.symbols[..3], default.symbols[..]);
        let r = SymbolRegistry::new(cfg).unwrap();
        let doge = r
            .instrument(Exchange::Okx, Market::Perp, "DOGE-USDT-SWAP")
            .unwrap();
        assert_eq!(doge.contract.base_qty(3.0, 0.1), 3000.0);
        assert_eq!(r.symbol("DOGE").unwrap().bucket_step, 0.0001);
    }

    #[test]
    fn inverse_contract_matches_spec_n19() {
        let c = Contract::Inverse {
            ct_val: 100.0,
            ct_mult: 1.0,
        };
        let q = c.base_qty(10.0, 65000.0);
        assert!((q - 0.015384615384615385).abs() < 1e-15);
    }

    #[test]
    fn rejects_bad_configs() {
        let mut cfg = RegistryConfig::default();
        cfg.symbols[1].symbol = "BTC".into();
        assert!(matches!(
            SymbolRegistry::new(cfg),
            Err(RegistryError::DuplicateSymbol(_))
        ));
        let mut cfg = RegistryConfig::default();
        cfg.symbols[0].bucket_step = 0.0;
        assert!(matches!(
            SymbolRegistry::new(cfg),
            Err(RegistryError::BadNumber { .. })
        ));
        let mut cfg = RegistryConfig::default();
        cfg.symbols[1].instruments[0].id = "BTCUSDT".into();
        assert!(matches!(
            SymbolRegistry::new(cfg),
            Err(RegistryError::DuplicateInstrument { .. })
        ));
        let mut cfg = RegistryConfig::default();
        cfg.symbols[0].symbol = "btc".into();
        assert!(matches!(
            SymbolRegistry::new(cfg),
            Err(RegistryError::BadName(_))
        ));
    }
}
