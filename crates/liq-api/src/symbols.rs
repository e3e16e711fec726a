//! The symbols the API serves and the normalization of section 3 (400 for anything else).

use crate::error::ApiError;

/// One configured symbol.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SymbolInfo {
    /// Normalized name (`BTC`).
    pub name: &'static str,
    /// Zone and liquidation-grid step (BTC 20, ETH 1, SOL 0.1).
    pub step: f64,
    /// The reference's fallback history range `(lo, hi)` (api.md 5.6 step 3).
    pub fallback: (i64, i64),
}

/// The configured symbols, sorted by name (the order of `/health`).
pub const SYMBOLS: [SymbolInfo; 3] = [
    SymbolInfo {
        name: "BTC",
        step: 20.0,
        fallback: (85_000, 115_000),
    },
    SymbolInfo {
        name: "ETH",
        step: 1.0,
        fallback: (1_500, 5_000),
    },
    SymbolInfo {
        name: "SOL",
        step: 0.1,
        fallback: (50, 400),
    },
];

/// Longest symbol value accepted (DECISIONS HTTP API 4).
pub const MAX_SYMBOL_LEN: usize = 10;

/// Section 3: strip, upper-case, drop every `USDT`; the index into [`SYMBOLS`] or 400 quoting
/// the raw value. An absent value is `BTC`; a value longer than 10 characters (after the
/// strip) is 400 too, so `BTCUSDTUSDT` is refused (DECISIONS HTTP API 4).
pub fn normalize(raw: Option<&str>) -> Result<usize, ApiError> {
    let raw = raw.unwrap_or("BTC");
    let norm = raw.trim().to_uppercase().replace("USDT", "");
    let found = (raw.trim().chars().count() <= MAX_SYMBOL_LEN)
        .then(|| SYMBOLS.iter().position(|s| s.name == norm))
        .flatten();
    found.ok_or_else(|| ApiError::BadRequest(invalid_message(raw)))
}

fn invalid_message(raw: &str) -> String {
    let names: Vec<&str> = SYMBOLS.iter().map(|s| s.name).collect();
    format!(
        "Invalid symbol '{raw}'. Valid symbols: {}",
        names.join(", ")
    )
}

/// The reference's history fallback grid: `lo, lo+20, …` while `< hi + 20`, step 20.
pub fn fallback_grid(info: &SymbolInfo) -> Vec<f64> {
    let (lo, hi) = info.fallback;
    (lo..hi + 20).step_by(20).map(|p| p as f64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalization() {
        for ok in ["btc", "BTCUSDT", "btcusdt", "USDTBTC", " eth "] {
            assert!(normalize(Some(ok)).is_ok(), "{ok}");
        }
        assert_eq!(normalize(None), Ok(0));
        assert_eq!(normalize(Some(" eth ")), Ok(1));
        for bad in ["XRP", "", "BTC-PERP", "BTCUSDTUSDT"] {
            assert!(normalize(Some(bad)).is_err(), "{bad}");
        }
        assert_eq!(
            normalize(Some("XRP")),
            Err(ApiError::BadRequest(
                "Invalid symbol 'XRP'. Valid symbols: BTC, ETH, SOL".into()
            ))
        );
    }

    #[test]
    fn fallbacks() {
        assert_eq!(fallback_grid(&SYMBOLS[0]).len(), 1501);
        assert_eq!(fallback_grid(&SYMBOLS[1]).len(), 176);
        let sol = fallback_grid(&SYMBOLS[2]);
        assert_eq!((sol.len(), sol[18]), (19, 410.0));
    }
}
