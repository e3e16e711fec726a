//! OKX contract values from `GET /api/v5/public/instruments?instType=SWAP` (spec 2.2, F6):
//! per `instId` `ctVal`, `ctMult`, `ctType` (`linear`/`inverse`). Applied to the registry's OKX
//! instruments at start-up; instruments missing from the answer keep their configured value
//! (with a warning).

use std::collections::HashMap;

use liq_core::event::Exchange;
use liq_core::symbols::{Contract, RegistryConfig};
use serde::Deserialize;
use tracing::warn;

/// Contract values by OKX `instId`.
pub type OkxContracts = HashMap<String, Contract>;

#[derive(Deserialize)]
struct Answer {
    code: Option<String>,
    msg: Option<String>,
    #[serde(default)]
    data: Vec<Item>,
}

#[derive(Deserialize)]
struct Item {
    #[serde(rename = "instId")]
    inst_id: String,
    #[serde(rename = "ctVal", default)]
    ct_val: String,
    #[serde(rename = "ctMult", default)]
    ct_mult: String,
    #[serde(rename = "ctType", default)]
    ct_type: String,
}

/// Parses the instruments answer. Items with unusable values are skipped.
///
/// Documented item (abridged): `{"instId":"BTC-USDT-SWAP","ctVal":"0.01","ctMult":"1",
/// "ctValCcy":"BTC","ctType":"linear","settleCcy":"USDT",...}`.
pub fn parse_okx_instruments(body: &str) -> Result<OkxContracts, String> {
    let a: Answer = serde_json::from_str(body).map_err(|e| e.to_string())?;
    if let Some(code) = a.code.as_deref().filter(|c| *c != "0") {
        return Err(format!("OKX error {code}: {}", a.msg.unwrap_or_default()));
    }
    let mut out = OkxContracts::new();
    for it in a.data {
        let val: f64 = it.ct_val.parse().unwrap_or(f64::NAN);
        let mult: f64 = if it.ct_mult.is_empty() {
            1.0
        } else {
            it.ct_mult.parse().unwrap_or(f64::NAN)
        };
        if !(val.is_finite() && val > 0.0 && mult.is_finite() && mult > 0.0) {
            continue;
        }
        let c = match it.ct_type.as_str() {
            "inverse" => Contract::Inverse {
                ct_val: val,
                ct_mult: mult,
            },
            _ => Contract::Linear {
                ct_val: val,
                ct_mult: mult,
            },
        };
        out.insert(it.inst_id, c);
    }
    Ok(out)
}

/// Sets each configured OKX instrument's contract from `contracts`; returns the ids that were
/// not in the answer (they keep the configured value, with a warning).
pub fn apply_okx_contracts(config: &mut RegistryConfig, contracts: &OkxContracts) -> Vec<String> {
    let mut missing = Vec::new();
    for s in &mut config.symbols {
        for i in s
            .instruments
            .iter_mut()
            .filter(|i| i.exchange == Exchange::Okx)
        {
            match contracts.get(&i.id) {
                Some(c) => i.contract = *c,
                None => {
                    warn!(inst_id = %i.id, contract = ?i.contract, "OKX instrument not in the instruments answer: keeping the configured contract value");
                    missing.push(i.id.clone());
                }
            }
        }
    }
    missing
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_linear_and_inverse_and_applies() {
        let body = r#"{"code":"0","msg":"","data":[
            {"instId":"BTC-USDT-SWAP","ctVal":"0.01","ctMult":"1","ctType":"linear","ctValCcy":"BTC"},
            {"instId":"BTC-USD-SWAP","ctVal":"100","ctMult":"1","ctType":"inverse","ctValCcy":"USD"},
            {"instId":"ETH-USDT-SWAP","ctVal":"0.1","ctMult":"1","ctType":"linear"},
            {"instId":"BAD-USDT-SWAP","ctVal":"","ctMult":"1","ctType":"linear"}]}"#;
        let c = parse_okx_instruments(body).unwrap();
        assert_eq!(c.len(), 3);
        assert_eq!(
            c["BTC-USD-SWAP"],
            Contract::Inverse {
                ct_val: 100.0,
                ct_mult: 1.0
            }
        );
        let mut cfg = RegistryConfig::default();
        let mut c2 = c.clone();
        c2.insert(
            "ETH-USDT-SWAP".into(),
            Contract::Linear {
                ct_val: 0.2,
                ct_mult: 1.0,
            },
        );
        let missing = apply_okx_contracts(&mut cfg, &c2);
        assert_eq!(missing, vec!["SOL-USDT-SWAP".to_string()]);
        let eth = cfg.symbols.iter().find(|s| s.symbol == "ETH").unwrap();
        let okx = eth
            .instruments
            .iter()
            .find(|i| i.exchange == Exchange::Okx)
            .unwrap();
        assert_eq!(
            okx.contract,
            Contract::Linear {
                ct_val: 0.2,
                ct_mult: 1.0
            }
        );
        assert!(
            parse_okx_instruments(r#"{"code":"50011","msg":"Too Many Requests","data":[]}"#)
                .is_err()
        );
        assert!(parse_okx_instruments("nope").is_err());
    }
}
