//! The `[leverage]` service configuration and the per-symbol ladder registry it resolves to.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{DisabledTiers, Ladder, LeverageError, TierWeights};

/// Ladder settings for one symbol (or the default) as written in the service config.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LadderOverride {
    /// Tiers; when given, `weights` must be given too.
    pub ladder: Option<Vec<u32>>,
    /// Weights aligned to `ladder` (or to the inherited ladder when `ladder` is absent).
    pub weights: Option<Vec<f64>>,
    /// Disabled tiers; inherited when absent.
    pub disabled_tiers: Option<Vec<u32>>,
}

/// The `[leverage]` configuration: an optional default override and per-symbol overrides.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LeverageConfig {
    /// Replaces the built-in runtime default for every symbol without its own entry.
    pub default: Option<LadderOverride>,
    /// Per-symbol overrides keyed by short symbol (`BTC`); keys are matched case-insensitively.
    pub symbols: BTreeMap<String, LadderOverride>,
}

/// Resolved ladder settings of one symbol: weights on a ladder plus the disabled tiers.
#[derive(Debug, Clone, PartialEq)]
pub struct SymbolLadder {
    /// Ladder and weights.
    pub weights: TierWeights,
    /// Tiers skipped by projection and learning.
    pub disabled: DisabledTiers,
}

impl Default for SymbolLadder {
    fn default() -> Self {
        Self {
            weights: TierWeights::runtime_default(),
            disabled: DisabledTiers::default(),
        }
    }
}

impl SymbolLadder {
    /// The ladder.
    pub fn ladder(&self) -> &Ladder {
        self.weights.ladder()
    }

    /// The enabled tiers in ladder order.
    pub fn enabled_tiers(&self) -> Vec<u32> {
        self.disabled.enabled(self.ladder().tiers())
    }

    /// `base` with `ov` applied on top.
    fn overridden(base: &Self, ov: &LadderOverride) -> Result<Self, LeverageError> {
        let weights = match (&ov.ladder, &ov.weights) {
            (Some(l), Some(w)) => TierWeights::new(Ladder::new(l.clone())?, w.clone())?,
            (Some(l), None) => {
                let ladder = Ladder::new(l.clone())?;
                if ladder != *base.ladder() {
                    return Err(LeverageError::MissingWeights);
                }
                base.weights.clone()
            }
            (None, Some(w)) => base.weights.with_weights(w.clone())?,
            (None, None) => base.weights.clone(),
        };
        let disabled = ov.disabled_tiers.as_ref().map_or_else(
            || base.disabled.clone(),
            |d| DisabledTiers::new(d.iter().copied()),
        );
        Ok(Self { weights, disabled })
    }
}

/// Per-symbol ladder registry: the configured overrides, else the default for any symbol.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LeverageRegistry {
    default: SymbolLadder,
    symbols: BTreeMap<String, SymbolLadder>,
}

impl LeverageRegistry {
    /// Registry with the built-in runtime default for every symbol.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registry built from `config`; each symbol override applies on top of the default.
    pub fn from_config(config: &LeverageConfig) -> Result<Self, LeverageError> {
        let wrap = |sym: &str| {
            let sym = sym.to_string();
            move |e| LeverageError::Symbol(sym, Box::new(e))
        };
        let default = match &config.default {
            Some(ov) => {
                SymbolLadder::overridden(&SymbolLadder::default(), ov).map_err(wrap("default"))?
            }
            None => SymbolLadder::default(),
        };
        let mut symbols = BTreeMap::new();
        for (sym, ov) in &config.symbols {
            let resolved = SymbolLadder::overridden(&default, ov).map_err(wrap(sym))?;
            let key = sym.to_ascii_uppercase();
            if symbols.insert(key.clone(), resolved).is_some() {
                return Err(LeverageError::DuplicateSymbol(key));
            }
        }
        Ok(Self { default, symbols })
    }

    /// Settings of `symbol` (case-insensitive), or the default.
    pub fn get(&self, symbol: &str) -> &SymbolLadder {
        self.symbols
            .get(&symbol.to_ascii_uppercase())
            .unwrap_or(&self.default)
    }

    /// The settings used for symbols without an entry.
    pub fn default_ladder(&self) -> &SymbolLadder {
        &self.default
    }

    /// Sets (or replaces) the settings of `symbol`.
    pub fn insert(&mut self, symbol: &str, ladder: SymbolLadder) {
        self.symbols.insert(symbol.to_ascii_uppercase(), ladder);
    }

    /// Symbols with their own entry, upper-cased, in ascending order.
    pub fn symbols(&self) -> impl Iterator<Item = &str> + '_ {
        self.symbols.keys().map(String::as_str)
    }
}
