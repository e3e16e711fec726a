//! Findings and verdicts (audit_and_plots.md 7.3): each check with PASS / WARN / FAIL / N/A,
//! the metric, its value and the threshold; a symbol's verdict is its worst finding.

use serde::Serialize;

use super::SymbolReport;
use super::runtime::Aggression;

/// One finding.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    /// Id (`A5.1`, `M`, `A2`, `S7`, ...).
    pub id: String,
    /// `PASS`, `WARN`, `FAIL` or `N/A`.
    pub severity: &'static str,
    /// What was measured.
    pub metric: String,
    /// The value (`null` when undefined).
    pub value: Option<f64>,
    /// The rule.
    pub threshold: String,
}

fn f(
    id: &str,
    severity: &'static str,
    metric: &str,
    value: Option<f64>,
    threshold: &str,
) -> Finding {
    Finding {
        id: id.to_string(),
        severity,
        metric: metric.to_string(),
        value,
        threshold: threshold.to_string(),
    }
}

/// The worst of `severities` (`N/A` counts as `PASS`).
pub fn worst(severities: impl Iterator<Item = &'static str>) -> &'static str {
    let mut w = "PASS";
    for s in severities {
        if s == "FAIL" {
            return "FAIL";
        }
        if s == "WARN" {
            w = "WARN";
        }
    }
    w
}

fn pass_fail(ok: Option<bool>) -> &'static str {
    match ok {
        None => "N/A",
        Some(true) => "PASS",
        Some(false) => "FAIL",
    }
}

/// The findings of one symbol; `bad_lines` counts its malformed lines and the shared files'.
pub fn findings(r: &SymbolReport, aggression: &Aggression, bad_lines: usize) -> Vec<Finding> {
    let mut v = Vec::new();
    let a5 = &r.a5;
    let m1 = a5.combined.lifespan_median_min;
    v.push(f(
        "A5.1",
        pass_fail(m1.map(|x| x > 20.0)),
        "median combined-zone lifespan, minutes",
        m1,
        "> 20",
    ));
    let m2 = a5.combined.swept_rate;
    v.push(f(
        "A5.2",
        pass_fail(m2.map(|x| x > 0.40)),
        "combined-zone swept rate",
        m2,
        "> 0.40",
    ));
    let m3 = a5.strong_lost_before_touch;
    v.push(f(
        "A5.3",
        pass_fail(m3.map(|x| x < 0.30)),
        "share of strong zones expired before a touch",
        m3,
        "< 0.30",
    ));
    let oi = &r.oi_health;
    let sev = if oi.total == 0 {
        "N/A"
    } else if oi.validity_excl_first_pct > 99.0 {
        "PASS"
    } else if oi.validity_excl_first_pct > 90.0 {
        "WARN"
    } else {
        "FAIL"
    };
    v.push(f(
        "M",
        sev,
        "OI validity excluding each process's first minute, %",
        (oi.total > 0).then_some(oi.validity_excl_first_pct),
        "> 99 PASS, > 90 WARN",
    ));
    let fo = &r.runtime.fo_hit_rate;
    let has_fo = fo.total > 0;
    v.push(f(
        "A2.wrong_side",
        pass_fail(has_fo.then_some(fo.wrong_side_pct <= 30.0)),
        "wrong-side share of force orders, %",
        has_fo.then_some(fo.wrong_side_pct),
        "<= 30",
    ));
    v.push(f(
        "A2.gaps",
        match has_fo {
            false => "N/A",
            true if fo.gap_pct <= 10.0 => "PASS",
            true => "WARN",
        },
        "force orders during inference gaps, %",
        has_fo.then_some(fo.gap_pct),
        "<= 10",
    ));
    if r.symbol == "BTC" {
        let has = aggression.total_minutes > 0;
        v.push(f(
            "aggression",
            match has {
                false => "N/A",
                true if aggression.fallback_used_rate <= 5.0 => "PASS",
                true => "WARN",
            },
            "aggression fallback minutes, %",
            has.then_some(aggression.fallback_used_rate),
            "<= 5",
        ));
    }
    let errs = &r.error_scan;
    let (sev, n) = if errs.contains_key("error") {
        ("FAIL", errs.get("error").map_or(0, |e| e.count))
    } else if errs.is_empty() {
        ("PASS", 0)
    } else {
        ("WARN", errs.values().map(|e| e.count).sum())
    };
    v.push(f(
        "N",
        sev,
        "problem records in the calibrator log",
        Some(n as f64),
        "none PASS; safety_trip/warning/event_rejected/mark_stream_missing WARN; error FAIL",
    ));
    for c in &r.invariants {
        let sev = match (c.id, c.status) {
            (_, "N/A") => "N/A",
            (_, "PASS") => "PASS",
            // Informative checks and gaps (restarts) do not fail a run.
            ("S9", _) => "PASS",
            ("minutes" | "S3", _) => "WARN",
            _ => "FAIL",
        };
        let value = if c.status == "FAIL" {
            Some(c.violations as f64)
        } else {
            c.value
        };
        v.push(f(c.id, sev, c.name, value, "no violation"));
    }
    v.push(f(
        "malformed",
        if bad_lines == 0 { "PASS" } else { "WARN" },
        "malformed lines",
        Some(bad_lines as f64),
        "0",
    ));
    v
}
