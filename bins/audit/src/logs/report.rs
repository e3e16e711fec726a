//! The markdown report (audit_and_plots.md 7.3): header, shared files, then per symbol the
//! inventory, the runtime blocks [1]-[E], calibration history, the comprehensive sections C-O
//! with their letters and table layouts, the plot feed, A5, the invariants and the findings.

use std::io::{self, Write};

use super::ca::{Grid, LOOKBACKS};
use super::read::FileInfo;
use super::stats::utc_text;
use super::{Report, SymbolReport};

/// `{:,.0f}`: thousands separators, no decimals.
pub fn money(x: f64) -> String {
    let s = format!("{:.0}", x.abs());
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if x < 0.0 && out.chars().any(|c| c != '0' && c != ',') {
        format!("-{out}")
    } else {
        out
    }
}

fn opt(x: Option<f64>, prec: usize) -> String {
    x.map_or_else(|| "N/A".to_string(), |v| format!("{v:.prec$}"))
}

/// Section D's `format_time`: seconds below a minute, minutes above.
fn time(x: Option<f64>) -> String {
    match x {
        None => "N/A".to_string(),
        Some(v) if v < 0.0 => format!("-{:.1}s", v.abs()),
        Some(v) if v < 60.0 => format!("{v:.1}s"),
        Some(v) => format!("{:.1}m", v / 60.0),
    }
}

fn inventory(out: &mut impl Write, files: &[FileInfo]) -> io::Result<()> {
    writeln!(
        out,
        "| File | KB | Lines | Records | Malformed | Time range (UTC) | Record types |"
    )?;
    writeln!(out, "|---|---|---|---|---|---|---|")?;
    for f in files {
        let bad = if f.malformed_lines == 0 {
            "0".to_string()
        } else {
            let nums: Vec<String> = f
                .malformed_line_numbers
                .iter()
                .map(|n| n.to_string())
                .collect();
            format!("{} (lines {})", f.malformed_lines, nums.join(", "))
        };
        let range = match (f.ts_min, f.ts_max) {
            (Some(a), Some(b)) => format!("{} to {}", utc_text(a), utc_text(b)),
            _ => "-".to_string(),
        };
        let types: Vec<String> = f.types.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        writeln!(
            out,
            "| {} | {:.1} | {} | {} | {} | {} | {} |",
            f.name,
            f.bytes as f64 / 1024.0,
            f.lines,
            f.records,
            bad,
            range,
            types.join(", ")
        )?;
    }
    writeln!(out)
}

fn grid(out: &mut impl Write, title: &str, g: &Grid, gaps: bool) -> io::Result<()> {
    writeln!(out, "{title}\n")?;
    let cols: Vec<String> = g
        .tolerances
        .iter()
        .map(|t| format!("{:.2}%", t * 100.0))
        .collect();
    writeln!(out, "| Lookback | {} |", cols.join(" | "))?;
    writeln!(out, "|---|{}", "---|".repeat(cols.len()))?;
    for (l, row) in g.lookbacks.iter().zip(&g.cells) {
        let cells: Vec<String> = row
            .iter()
            .map(|c| format!("{:.1}%", 100.0 * if gaps { c.gap_rate } else { c.hit_rate }))
            .collect();
        writeln!(out, "| {l}m | {} |", cells.join(" | "))?;
    }
    writeln!(out)
}

fn counts(out: &mut impl Write, name: &str, g: &Grid) -> io::Result<()> {
    if let Some(c) = g.at(5, 0.005) {
        writeln!(
            out,
            "{name} at (5m, 0.50%): {} hits / {} gaps / {} misses\n",
            c.hits, c.gaps, c.misses
        )?;
    }
    Ok(())
}

/// Writes the whole report.
pub fn write_markdown(r: &Report, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "# Liquidation heatmap log audit\n")?;
    writeln!(out, "- Directory: `{}`", r.dir)?;
    let syms: Vec<&str> = r.symbols.iter().map(|s| s.symbol.as_str()).collect();
    writeln!(out, "- Symbols: {}", syms.join(", "))?;
    writeln!(
        out,
        "- Local-time strings read at UTC{:+} h ({}); all times below are UTC",
        r.log_utc_offset_hours, r.offset_source
    )?;
    if r.legacy {
        writeln!(out, "- Legacy un-suffixed log names (one symbol, BTC)")?;
    }
    writeln!(out, "- Malformed lines: {}", r.malformed_lines)?;
    let v: Vec<String> = r.verdict.iter().map(|(k, v)| format!("{k} {v}")).collect();
    writeln!(out, "- Verdict: {} ({})\n", r.overall(), v.join(", "))?;
    writeln!(out, "## Shared files\n")?;
    inventory(out, &r.shared_inventory)?;
    let a = &r.aggression;
    writeln!(out, "### [2] Aggression accumulator (viewer debug)\n")?;
    writeln!(
        out,
        "Minutes: {} | avg trades {:.1} | median trades {:.1} | avg notional ${}/min | fallback {:.2}% | zero-trade minutes {} | {}\n",
        a.total_minutes,
        a.avg_trade_count,
        a.median_trade_count,
        money(a.avg_notional_usd),
        a.fallback_used_rate,
        a.zero_trade_minutes,
        a.status
    )?;
    for s in &r.symbols {
        symbol(out, s)?;
    }
    Ok(())
}

fn symbol(out: &mut impl Write, s: &SymbolReport) -> io::Result<()> {
    writeln!(out, "## {}: {}\n", s.symbol, s.verdict)?;
    writeln!(out, "### A. Data Inventory\n")?;
    let files: Vec<FileInfo> = super::read::KINDS
        .iter()
        .filter_map(|k| s.inventory.get(*k))
        .flatten()
        .cloned()
        .collect();
    inventory(out, &files)?;
    let e = &s.event_counts;
    writeln!(
        out,
        "Calibrator events: {} ({} long / {} short); duplicates {}, unparsable timestamps {}, price_insane {}\n",
        e.events,
        s.events.long_events,
        s.events.short_events,
        e.duplicates,
        e.unparsed,
        e.price_insane
    )?;
    super::report_ra::runtime(out, s)?;
    ca_sections(out, s)?;
    super::report_ra::tail(out, s)
}

fn ca_sections(out: &mut impl Write, s: &SymbolReport) -> io::Result<()> {
    let ev = &s.events;
    writeln!(out, "### C. Hit Rate Analysis\n")?;
    writeln!(
        out,
        "Events: calibrator `event` records, de-duplicated. Tape = liquidation buckets of the minutes before the event's own (self-match filter); inference = projections of `[k-L, k]`; combined = both. Tolerance is relative to the event price.\n"
    )?;
    for (name, g) in [
        ("Tape (self-match filtered)", &ev.tape),
        ("Inference", &ev.inference),
        ("Combined", &ev.combined),
    ] {
        grid(out, &format!("**{name}: hit rate**"), g, false)?;
        grid(out, &format!("**{name}: gap rate**"), g, true)?;
        counts(out, name, g)?;
    }
    writeln!(out, "### D. Lead-Time Analysis\n")?;
    let l = &ev.inference_lead;
    writeln!(
        out,
        "Inference (5m, 0.50%): n {} | P50 {} | P90 {} | P95 {} | <= 0: {}\n",
        l.n,
        time(l.p50),
        time(l.p90),
        time(l.p95),
        l.pct_negative
            .map_or_else(|| "N/A".to_string(), |p| format!("{p:.1}%"))
    )?;
    let re = &s.reaction;
    writeln!(out, "### E. Reaction/SR Validity Metrics\n")?;
    writeln!(
        out,
        "Inference zones {} | touched {} | reacted {} | swept {} (bars m..m+5, 0.1% band, 20 bps after the first touch)\n",
        re.total_zones, re.touched, re.reacted, re.swept
    )?;
    writeln!(out, "| Quartile (by size) | N | Touch | React | Sweep |")?;
    writeln!(out, "|---|---|---|---|---|")?;
    for (i, q) in re.quartiles.iter().enumerate() {
        writeln!(
            out,
            "| Q{} | {} | {:.1}% | {:.1}% | {:.1}% |",
            i + 1,
            q.n,
            q.touch_rate,
            q.react_rate,
            q.sweep_rate
        )?;
    }
    writeln!(out)?;
    writeln!(out, "### F. Long/Short Asymmetry Diagnostics\n")?;
    writeln!(
        out,
        "Candidates as the reference (tape of `[k-5, k]`, own minute included, plus inference).\n"
    )?;
    for (title, m) in [
        ("Side", &ev.asymmetry.by_side),
        ("Buy weight", &ev.asymmetry.by_buy_weight),
        ("OI delta", &ev.asymmetry.by_oi_delta),
    ] {
        writeln!(
            out,
            "| {title} | N | Gap Rate | Hit Rate (0.5%) | Miss Dist P50 |"
        )?;
        writeln!(out, "|---|---|---|---|---|")?;
        for (k, b) in m {
            writeln!(
                out,
                "| {k} | {} | {:.1}% | {:.1}% | {} |",
                b.n,
                b.gap_rate,
                b.hit_rate_0_5pct,
                b.miss_dist_p50
                    .map_or_else(|| "N/A".to_string(), |d| format!("{:.3}%", d * 100.0))
            )?;
        }
        writeln!(out)?;
    }
    let ap = &s.runtime.approach;
    writeln!(out, "### G. Approach Pipeline Audit\n")?;
    writeln!(
        out,
        "Minutes {} | candidates {} | used {} | skipped {} | use rate {:.2}%\n",
        ap.minutes, ap.total_candidates, ap.total_used, ap.total_skipped, ap.use_rate
    )?;
    writeln!(out, "| Skip reason (skip_reasons) | Count |")?;
    writeln!(out, "|---|---|")?;
    for (k, n) in &ap.skip_reasons {
        writeln!(out, "| {k} | {n} |")?;
    }
    for (k, n) in &ap.skipped_zone_reasons {
        writeln!(out, "| {k} (skipped_zones) | {n} |")?;
    }
    writeln!(out)?;
    let g = &ev.gaps;
    writeln!(out, "### H. Inference Gap Audit\n")?;
    writeln!(
        out,
        "With inference (same side, `[k-5, k]`): {} | without: {}\n",
        g.with_inference, g.without_inference
    )?;
    writeln!(out, "| Cause | Count | % of Gaps |")?;
    writeln!(out, "|---|---|---|")?;
    for (k, n) in &g.causes {
        writeln!(
            out,
            "| {k} | {n} | {:.1}% |",
            super::stats::pct(*n, g.without_inference)
        )?;
    }
    writeln!(
        out,
        "\nTop cause: {}\n",
        g.top_cause.as_deref().unwrap_or("none")
    )?;
    writeln!(out, "### I. Calibrator Sanity Checks\n")?;
    writeln!(
        out,
        "| Tier | N | Median | MAD | P05 | P95 | Long | Short |"
    )?;
    writeln!(out, "|---|---|---|---|---|---|---|---|")?;
    for (t, o) in &s.offsets {
        let label = if o.n < 30 { " (N<30)" } else { "" };
        writeln!(
            out,
            "| {t}x{label} | {} | ${:.2} | ${:.2} | ${:.2} | ${:.2} | {} | {} |",
            o.n, o.median, o.mad, o.p05, o.p95, o.long, o.short
        )?;
    }
    let outliers: Vec<String> = s
        .offsets
        .iter()
        .filter(|(_, o)| o.outlier)
        .map(|(t, _)| format!("{t}x"))
        .collect();
    writeln!(
        out,
        "\nSign convention: `miss_usd = event_price - nearest_implied_corrected` (checked per event, S7). Potential outliers (|median| > 10000 or MAD > 5000): {}\n",
        if outliers.is_empty() {
            "none".to_string()
        } else {
            outliers.join(", ")
        }
    )?;
    writeln!(out, "### J. Per-Side Hit Rates (combined)\n")?;
    for (side, g) in &ev.per_side {
        grid(out, &format!("**{side}**"), g, false)?;
    }
    writeln!(out, "### K. Tape Hit Rates (self-match filter)\n")?;
    let mut k = ev.tape.clone();
    let rows: Vec<usize> = (0..k.lookbacks.len())
        .filter(|i| k.lookbacks[*i] != 0)
        .collect();
    k.lookbacks = rows.iter().map(|i| LOOKBACKS[*i]).collect();
    k.cells = rows.iter().map(|i| ev.tape.cells[*i].clone()).collect();
    grid(out, "Window `[k-L, k-1]`:", &k, false)?;
    writeln!(out, "### L. Miss Distance Analysis\n")?;
    for side in ["long", "short"] {
        match ev.miss.get(side) {
            None => writeln!(out, "**{side}**: No data\n")?,
            Some(m) => writeln!(
                out,
                "**{side}** (n {}): mean ${:.2} | P25 ${} | median ${} | P75 ${} | P95 ${} | abs mean {} % | abs median {} %\n",
                m.n,
                m.mean_usd.unwrap_or(0.0),
                opt(m.p25_usd, 2),
                opt(m.median_usd, 2),
                opt(m.p75_usd, 2),
                opt(m.p95_usd, 2),
                opt(m.abs_mean_pct, 4),
                opt(m.abs_median_pct, 4)
            )?,
        }
    }
    let oi = &s.oi_health;
    writeln!(out, "### M. OI Stream Health\n")?;
    writeln!(
        out,
        "Minutes {} | valid {} ({:.1}%) | zero {} | positive {} | negative {} | median OI delta ${} | span {} min ({:.1} h) | gaps > 2 min: {} (max {}) | process starts {} | valid excluding each first minute {:.1}% | status {}\n",
        oi.total,
        oi.valid,
        oi.validity_pct,
        oi.zero,
        oi.positive,
        oi.negative,
        oi.oi_p50.map_or_else(|| "N/A".to_string(), money),
        oi.span_minutes,
        oi.span_minutes as f64 / 60.0,
        oi.n_gaps,
        oi.max_gap_minutes,
        oi.process_starts,
        oi.validity_excl_first_pct,
        oi.status
    )?;
    writeln!(out, "### N. Error Scan\n")?;
    if s.error_scan.is_empty() {
        writeln!(out, "No errors found. Clean run.\n")?;
    } else {
        writeln!(out, "| Type | Count | Sample |")?;
        writeln!(out, "|---|---|---|")?;
        for (t, p) in &s.error_scan {
            writeln!(
                out,
                "| {t} | {} | `{}` |",
                p.count,
                p.sample.replace('|', "\\|")
            )?;
        }
        writeln!(out)?;
    }
    let sw = &s.sweeps;
    writeln!(out, "### O. Sweep Analysis\n")?;
    let by = join_counts;
    writeln!(
        out,
        "Sweeps {} | by side: {} | by layer: {} | notional ${} (median ${}) | avg trades {}\n",
        sw.total,
        by(&sw.by_side),
        by(&sw.by_layer),
        money(sw.total_notional_usd),
        sw.median_notional_usd
            .map_or_else(|| "N/A".to_string(), money),
        opt(sw.avg_trade_count, 1)
    )
}

/// `key count, key count, …` of a count map, in key order.
pub(crate) fn join_counts(m: &std::collections::BTreeMap<String, usize>) -> String {
    m.iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}
