//! Checks of invariants in the logs and state files (audit_and_plots.md section 6): they replace
//! the reference audit's fixed claims about its Python source. Each check passes or fails with
//! the offending items (the first few).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::ca_data::CaData;
use super::read::{self, Rec, StateFile, SymbolLogs, minute_of, num, num_or, text};
use super::runtime::entries;
use super::stats::pct;

/// How many offending items a check lists.
const MAX_ITEMS: usize = 5;

/// The result of one check.
#[derive(Clone, Debug, Serialize)]
pub struct Check {
    /// Id (`S1`, `S6`, `state`, ...).
    pub id: &'static str,
    /// What is checked.
    pub name: &'static str,
    /// `PASS`, `FAIL` or `N/A` (nothing to check).
    pub status: &'static str,
    /// Items checked.
    pub checked: usize,
    /// Violations.
    pub violations: usize,
    /// A measured value, when the check reports one.
    pub value: Option<f64>,
    /// The first offending items.
    pub items: Vec<String>,
}

impl Check {
    fn new(id: &'static str, name: &'static str) -> Self {
        Check {
            id,
            name,
            status: "N/A",
            checked: 0,
            violations: 0,
            value: None,
            items: Vec::new(),
        }
    }

    fn item(&mut self, ok: bool, what: impl FnOnce() -> String) {
        self.checked += 1;
        if !ok {
            self.violations += 1;
            if self.items.len() < MAX_ITEMS {
                self.items.push(what());
            }
        }
    }

    fn done(mut self) -> Self {
        self.status = if self.checked == 0 {
            "N/A"
        } else if self.violations == 0 {
            "PASS"
        } else {
            "FAIL"
        };
        self
    }
}

fn minute(r: &Rec) -> String {
    num(r, "minute_key").map_or_else(|| "?".to_string(), |k| format!("{k:.0}"))
}

/// S1: every inference record with entries projects both sides.
fn s1(s: &SymbolLogs) -> Check {
    let mut c = Check::new("S1", "inference records project both sides");
    for r in s.fam("inference").of_type("inference") {
        let sides: Vec<&str> = entries(r)
            .filter_map(|e| e.get("side").and_then(Value::as_str))
            .collect();
        if sides.is_empty() {
            continue;
        }
        let ok = sides.contains(&"long") && sides.contains(&"short");
        c.item(ok, || format!("minute {} one-sided", minute(r)));
    }
    c.value = Some(pct(c.violations, c.checked));
    c.done()
}

/// S2: bars that crossed a tape bucket vs logged sweeps (flag crossings without sweeps).
fn s2(s: &SymbolLogs) -> Check {
    let mut c = Check::new("S2", "tape-bucket crossings are logged as sweeps");
    let mut live: Vec<(i64, bool, f64)> = s
        .fam("tape")
        .of_type("forceOrder")
        .filter_map(|r| {
            let bucket = num(r, "bucket").filter(|b| *b > 0.0)?;
            let k = minute_of(num(r, "ts")?);
            Some((k, text(r, "side") == "long", bucket))
        })
        .collect();
    let mut crossings = 0usize;
    for r in s.fam("cycles").of_type("cycle_summary") {
        let (Some(m), Some(h), Some(l)) = (num(r, "minute_key"), num(r, "high"), num(r, "low"))
        else {
            continue;
        };
        let m = read::minute(m);
        live.retain(|&(k, long, b)| {
            // The bar of rollover m covers the interval of key m − 1.
            let crossed = k < m && if long { l > 0.0 && l <= b } else { h >= b };
            crossings += usize::from(crossed);
            !crossed
        });
    }
    let sweeps = s.fam("sweeps").of_type("sweep").count();
    c.value = Some(crossings as f64);
    c.item(crossings == 0 || sweeps > 0, || {
        format!("{crossings} crossings, 0 sweep records")
    });
    c.done()
}

/// S3 and S10: projections only when OI rose; shares of minutes with projections and with a
/// negative OI delta.
fn s3_s10(d: &CaData) -> (Check, Check) {
    let mut s3 = Check::new("S3", "projected_added > 0 implies oi_delta_usd > 0");
    let mut s10 = Check::new("S10", "no projections in minutes with oi_delta_usd < 0");
    let (mut with_proj, mut negative) = (0, 0);
    for (k, ctx) in &d.contexts {
        let proj = ctx.added_long > 0.0 || ctx.added_short > 0.0;
        with_proj += usize::from(proj);
        s3.item(!proj || ctx.oi_delta_usd > 0.0, || {
            format!("minute {k}: oi_delta_usd {}", ctx.oi_delta_usd)
        });
        if ctx.oi_delta_usd < 0.0 {
            negative += 1;
            s10.item(!proj, || {
                format!("minute {k}: projections with negative OI")
            });
        }
    }
    s3.value = Some(pct(with_proj, d.contexts.len()));
    s10.value = Some(pct(negative, d.contexts.len()));
    (s3.done(), s10.done())
}

/// S6: the weights file sums to 1, disabled tiers are 0, its ladder is the calibrator's.
fn s6(s: &SymbolLogs) -> Check {
    let mut c = Check::new("S6", "weights on the simplex, disabled tiers zero, ladder");
    let Some(w) = s.weights.value().and_then(Value::as_object) else {
        return c.done();
    };
    let by: BTreeMap<i64, f64> = w
        .get("weights_by_leverage")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| Some((k.parse().ok()?, v.as_f64()?)))
        .collect();
    let sum: f64 = by.values().sum();
    c.value = Some(sum);
    // Weights are written with 6 decimals: each may be off by half a unit of the last place.
    let tol = 1e-6 + 5e-7 * by.len() as f64;
    c.item((sum - 1.0).abs() <= tol, || format!("sum of weights {sum}"));
    for v in by.values() {
        c.item(*v >= 0.0, || format!("negative weight {v}"));
    }
    for t in liq_core::leverage::DEFAULT_DISABLED_TIERS {
        if let Some(v) = by.get(&i64::from(t)) {
            c.item(*v == 0.0, || format!("disabled tier {t}x has weight {v}"));
        }
    }
    let ladder = |v: Option<&Value>| -> Vec<i64> {
        v.and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_i64)
            .collect()
    };
    let file_ladder = ladder(w.get("ladder"));
    let cal_ladder = s
        .fam("calibrator")
        .records
        .iter()
        .rev()
        .find(|r| matches!(text(r, "type"), "calibration" | "event") && r.contains_key("ladder"))
        .map(|r| ladder(r.get("ladder")));
    if let Some(cl) = cal_ladder
        && !file_ladder.is_empty()
    {
        c.item(cl == file_ladder, || {
            format!("file ladder {file_ladder:?} vs calibrator {cl:?}")
        });
    }
    c.done()
}

/// S7: `miss_usd = event_price − nearest_implied_corrected` within 0.01 per event.
fn s7(s: &SymbolLogs) -> Check {
    let mut c = Check::new("S7", "miss_usd = event_price - nearest_implied_corrected");
    for r in s.fam("calibrator").of_type("event") {
        let (Some(m), Some(p), Some(n)) = (
            num(r, "miss_usd"),
            num(r, "event_price"),
            num(r, "nearest_implied_corrected"),
        ) else {
            continue;
        };
        c.item((m - (p - n)).abs() <= 0.01 + 1e-9, || {
            format!("event {}: miss_usd {m} vs {}", text(r, "timestamp"), p - n)
        });
    }
    c.done()
}

/// S8: `Σ skip_reasons = approach_skipped` and `#skipped_zones = skip_reasons.not_in_top_k`.
fn s8(s: &SymbolLogs) -> Check {
    let mut c = Check::new("S8", "skip_reasons add up to approach_skipped");
    for r in s.fam("calibrator").of_type("approach_minute_summary") {
        let Some(reasons) = r.get("skip_reasons").and_then(Value::as_object) else {
            continue;
        };
        let sum: f64 = reasons.values().filter_map(Value::as_f64).sum();
        let skipped = num_or(r, "approach_skipped", 0.0);
        c.item(sum == skipped, || {
            format!(
                "minute {}: skip_reasons {sum} vs skipped {skipped}",
                minute(r)
            )
        });
        if let Some(n) = reasons.get("not_in_top_k").and_then(Value::as_f64) {
            let zones = r
                .get("skipped_zones")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            c.item(zones as f64 == n, || {
                format!(
                    "minute {}: {zones} skipped_zones vs not_in_top_k {n}",
                    minute(r)
                )
            });
        }
    }
    c.done()
}

/// S9: the share of events attributed to the top tier of the ladder (informative).
fn s9(s: &SymbolLogs) -> Check {
    let mut c = Check::new("S9", "events attributed to the top tier (informative)");
    let mut top = 0;
    let mut n = 0;
    for r in s.fam("calibrator").of_type("event") {
        let Some(l) = num(r, "attributed_leverage") else {
            continue;
        };
        let ladder_top = r
            .get("ladder")
            .and_then(Value::as_array)
            .and_then(|a| a.iter().filter_map(Value::as_f64).reduce(f64::max));
        n += 1;
        top += usize::from(ladder_top == Some(l));
    }
    if n > 0 {
        c.value = Some(pct(top, n));
        c.checked = n;
        c.status = "PASS";
    }
    c
}

/// State files parse.
fn state(s: &SymbolLogs) -> Check {
    let mut c = Check::new("state", "state files parse");
    for (name, f) in [
        ("liq_api_snapshot_v2", &s.snapshot_v2),
        ("liq_calibrator_weights", &s.weights),
        ("liq_active_zones", &s.active_zones),
    ] {
        match f {
            StateFile::Missing => {}
            StateFile::Bad(e) => c.item(false, || format!("{name}_{}.json: {e}", s.symbol)),
            StateFile::Ok(_) => c.item(true, String::new),
        }
    }
    c.done()
}

/// Minute keys of the per-minute logs have no gaps (a gap is a restart or a lost minute).
fn minute_gaps(s: &SymbolLogs) -> Check {
    let mut c = Check::new("minutes", "no gaps in minute keys");
    for (kind, t) in [
        ("cycles", "cycle_summary"),
        ("debug", "minute_inference"),
        ("calibrator", "minute_inputs"),
    ] {
        let mut keys: Vec<i64> = s
            .fam(kind)
            .of_type(t)
            .filter_map(|r| num(r, "minute_key").map(read::minute))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        for w in keys.windows(2) {
            c.item(w[1] - w[0] == 1, || {
                format!("{t}: {} minutes missing after {}", w[1] - w[0] - 1, w[0])
            });
        }
    }
    c.done()
}

/// Every check of one symbol.
pub fn checks(s: &SymbolLogs, d: &CaData) -> Vec<Check> {
    let (s3, s10) = s3_s10(d);
    vec![
        s1(s),
        s2(s),
        s3,
        s6(s),
        s7(s),
        s8(s),
        s9(s),
        s10,
        state(s),
        minute_gaps(s),
    ]
}
