//! Markdown of the runtime blocks [1]-[E] with the calibration history, and of the report's
//! tail: plot feed, A5 acceptance, log/state invariants, findings.

use std::io::{self, Write};

use super::SymbolReport;
use super::report::money;

fn opt(x: Option<f64>, prec: usize) -> String {
    x.map_or_else(|| "N/A".to_string(), |v| format!("{v:.prec$}"))
}

/// The runtime blocks.
pub fn runtime(out: &mut impl Write, s: &SymbolReport) -> io::Result<()> {
    let r = &s.runtime;
    writeln!(out, "### Runtime audit\n")?;
    let i = &r.ingestion;
    writeln!(
        out,
        "- [1] Force orders: {} (long {} ${}, short {} ${}; total ${:.2}) over {:.1} min, {:.2}/h: {}",
        i.count,
        i.long_count,
        money(i.long_notional_usd),
        i.short_count,
        money(i.short_notional_usd),
        i.total_notional_usd,
        i.time_range_minutes,
        i.events_per_hour,
        i.status
    )?;
    let f = &r.inference;
    writeln!(
        out,
        "- [3] Inference records: {} ({} long / {} short entries; ${} / ${}) over {:.1} min, {:.2}/h: {}",
        f.total_inference_events,
        f.long_projections,
        f.short_projections,
        money(f.total_inferred_long_usd),
        money(f.total_inferred_short_usd),
        f.time_range_minutes,
        f.inferences_per_hour,
        f.status
    )?;
    writeln!(
        out,
        "- [4] Sweep records: {} ({})",
        r.sweep_count,
        if r.sweep_count == 0 {
            "none logged; see S2 for whether any were due"
        } else {
            "ACTIVE"
        }
    )?;
    let h = &r.fo_hit_rate;
    let sides = super::report::join_counts;
    writeln!(
        out,
        "- [A] Force-order hit rate (tape FOs vs projections, 6-minute window, 0.5% of the bucket): {} valid, {} hits / {} misses = {:.2}%, median miss {:.2}%; hits by side: {}; misses by side: {}: {}",
        h.total,
        h.hits,
        h.misses,
        h.hit_rate,
        h.median_miss_pct,
        sides(&h.side_hits),
        sides(&h.side_misses),
        h.status
    )?;
    writeln!(
        out,
        "- [A2] Side coverage: same {} ({:.2}%), wrong {} ({:.2}%), gap {} ({:.2}%)",
        h.same, h.coverage_pct, h.wrong, h.wrong_side_pct, h.gap, h.gap_pct
    )?;
    let c = &r.calibrator;
    let lev: Vec<String> = c
        .leverage_offset_medians
        .iter()
        .map(|(k, v)| format!("{k}x {v:.2}"))
        .collect();
    let side: Vec<String> = c
        .side_offset_medians
        .iter()
        .map(|(k, v)| format!("{k} {v:.2}"))
        .collect();
    writeln!(
        out,
        "- [B] Calibrator events: {} ({} hits / {} misses = {:.2}%), minute inputs {}, approach summaries {}; median offset by tier: {}; by side: {}: {}",
        c.event_count,
        c.hit_count,
        c.miss_count,
        c.hit_rate,
        c.minute_inputs,
        c.approach_summaries,
        lev.join(", "),
        side.join(", "),
        c.status
    )?;
    let a = &r.approach;
    writeln!(
        out,
        "- [C] Approach: candidates {} / used {} / skipped {} (use rate {:.2}%)",
        a.total_candidates, a.total_used, a.total_skipped, a.use_rate
    )?;
    let y = &r.symmetry;
    writeln!(
        out,
        "- [D] Snapshot symmetry: price {:.2}, {} long / {} short levels, avg distance long {:.2}% / short {:.2}% (asymmetry {:.2} pp), notional ${:.2} / ${:.2}, ratio {:.2}: {}",
        y.price,
        y.long_levels,
        y.short_levels,
        y.avg_long_distance_pct,
        y.avg_short_distance_pct,
        y.distance_asymmetry,
        y.total_long_notional,
        y.total_short_notional,
        y.notional_ratio_long_short,
        y.status
    )?;
    let w = &r.weights;
    if w.present {
        let ws: Vec<String> = w
            .weights_by_leverage
            .iter()
            .map(|(k, v)| format!("{k}x {v:.4}"))
            .collect();
        writeln!(
            out,
            "- [E] Weights file: buffer {}, calibration count {}, {}\n",
            opt(w.buffer, 5),
            opt(w.calibration_count, 0),
            ws.join(", ")
        )?;
    } else {
        writeln!(out, "- [E] Weights file: not found\n")?;
    }
    let hist = &s.calibration_history;
    writeln!(out, "### Calibration history\n")?;
    if hist.cycles.is_empty() {
        writeln!(out, "No calibration cycle logged.\n")?;
    } else {
        writeln!(
            out,
            "| Minute | Count | Events | Hits | Hit rate | Buffer | Bias long | Bias short | Weights (sum) |"
        )?;
        writeln!(out, "|---|---|---|---|---|---|---|---|---|")?;
        for c in &hist.cycles {
            let ws: Vec<String> = c
                .weights
                .iter()
                .map(|(k, v)| format!("{k}:{v:.4}"))
                .collect();
            writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} ({:.4}) |",
                c.minute_key
                    .map_or_else(|| "?".to_string(), |k| k.to_string()),
                opt(c.calibration_count, 0),
                opt(c.total_events, 0),
                opt(c.hits, 0),
                opt(c.hit_rate, 4),
                opt(c.buffer, 5),
                opt(c.bias_pct_long, 6),
                opt(c.bias_pct_short, 6),
                ws.join(" "),
                c.weight_sum
            )?;
        }
        writeln!(out)?;
    }
    for (k, reason) in &hist.safety_trips {
        writeln!(
            out,
            "- Safety trip at minute {}: {reason}",
            k.map_or_else(|| "?".to_string(), |k| k.to_string())
        )?;
    }
    if !hist.safety_trips.is_empty() {
        writeln!(out)?;
    }
    Ok(())
}

/// Plot feed, A5, invariants and findings.
pub fn tail(out: &mut impl Write, s: &SymbolReport) -> io::Result<()> {
    let p = &s.plot_feed;
    writeln!(out, "### Plot feed\n")?;
    writeln!(
        out,
        "Records {} | candles {} | minutes {} .. {} | last record zones: {} long / {} short{}\n",
        p.records,
        p.candles,
        p.first_minute
            .map_or_else(|| "-".to_string(), |m| m.to_string()),
        p.last_minute
            .map_or_else(|| "-".to_string(), |m| m.to_string()),
        p.last_long_zones,
        p.last_short_zones,
        p.last_weakest_long
            .map_or_else(String::new, |(pr, st)| format!(
                " (weakest long {pr} at {st})"
            ))
    )?;
    let a = &s.a5;
    writeln!(out, "### A5. Acceptance (zone lifecycle)\n")?;
    writeln!(
        out,
        "Zone log: {} created records; price path: {} bars from {}. Combined = manager source `combined`; strong = max weight >= 0.5 (about $50k).\n",
        a.created_records, a.bars, a.bar_source
    )?;
    writeln!(
        out,
        "| Set | Lives | Swept | Expired | Merged | Vanished | Alive | Median lifespan (min) | Swept rate |"
    )?;
    writeln!(out, "|---|---|---|---|---|---|---|---|---|")?;
    for (name, c) in [("combined", &a.combined), ("all sources", &a.all)] {
        writeln!(
            out,
            "| {name} | {} | {} | {} | {} | {} | {} | {} | {} |",
            c.lives,
            c.swept,
            c.expired,
            c.merged,
            c.vanished,
            c.alive,
            opt(c.lifespan_median_min, 1),
            opt(c.swept_rate, 3)
        )?;
    }
    writeln!(
        out,
        "\nStrong lives {}: vanished {}, merged {}, alive {}, expired untouched {}; lost before touch {}\n",
        a.strong_total,
        a.strong_vanished,
        a.strong_merged,
        a.strong_alive,
        a.strong_expired_untouched,
        opt(a.strong_lost_before_touch, 3)
    )?;
    writeln!(out, "### Log/state invariants\n")?;
    writeln!(
        out,
        "| Check | What | Status | Checked | Violations | Value | Offending items |"
    )?;
    writeln!(out, "|---|---|---|---|---|---|---|")?;
    for c in &s.invariants {
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            c.id,
            c.name,
            c.status,
            c.checked,
            c.violations,
            opt(c.value, 4),
            c.items.join("; ").replace('|', "\\|")
        )?;
    }
    writeln!(out)?;
    writeln!(out, "### Findings\n")?;
    writeln!(out, "| Id | Severity | Metric | Value | Threshold |")?;
    writeln!(out, "|---|---|---|---|---|")?;
    for f in &s.findings {
        writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            f.id,
            f.severity,
            f.metric,
            opt(f.value, 4),
            f.threshold
        )?;
    }
    writeln!(out)
}
