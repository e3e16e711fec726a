//! The `rows_v2` array of DESIGN.md ("audit backtest --json") and the v2 section of the table.

use std::io::{self, Write};

use serde::Serialize;

use super::bootstrap::ci;
use super::{DaySums, PROTOCOL_V2, RowV2Kind, ScoresV2, SideSums};
use crate::backtest::score::HORIZONS;

/// One row of `rows_v2`: a row of protocol v2 at one horizon (DESIGN.md's keys first, then
/// the spec's other reported values; `null` where undefined).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RowV2 {
    /// `reach-only`, `uniform`, `heatmap-direct`, `reach-heatmap`, `forecast`,
    /// `projection-direct`, `tape-direct`.
    pub row: String,
    /// 15, 60 or 240.
    pub horizon: i64,
    /// Scored minutes.
    pub minutes: u64,
    /// `Σ n ln q / Σ n`, nats per dollar.
    pub score_usd: Option<f64>,
    /// `Σ c ln q / Σ c`, nats per liquidation event.
    pub score_event: Option<f64>,
    /// `score_usd` minus reach-only's, on the same minutes.
    pub skill_usd: Option<f64>,
    /// Its day-block bootstrap 95 % CI (`null` with fewer than 2 days).
    pub skill_usd_ci: Option<[f64; 2]>,
    /// `score_event` minus reach-only's.
    pub skill_event: Option<f64>,
    /// Its day-block bootstrap 95 % CI.
    pub skill_event_ci: Option<[f64; 2]>,
    /// `skill_usd` over the long side alone.
    pub skill_usd_long: Option<f64>,
    /// `skill_usd` over the short side alone.
    pub skill_usd_short: Option<f64>,
    /// UTC days with notional in a scored window (the bootstrap units, `m`).
    pub days: u64,
    /// `Σ n` over every scored window, USD.
    pub notional: f64,
    /// `Σ c` over every scored window.
    pub events: u64,
}

fn ratio(num: f64, den: f64) -> Option<f64> {
    (den > 0.0).then(|| num / den)
}

fn total(days: &DaySums) -> [SideSums; 2] {
    let mut t = [SideSums::default(); 2];
    for sides in days.values() {
        for (a, b) in t.iter_mut().zip(sides) {
            a.merge(b);
        }
    }
    t
}

impl RowV2 {
    /// The reported values of one row and horizon (`sums` `None`: the row has no values).
    pub fn of(
        kind: RowV2Kind,
        horizon: i64,
        minutes: u64,
        sums: Option<&DaySums>,
        truth: &DaySums,
    ) -> RowV2 {
        let t = total(truth);
        let both = |f: fn(&SideSums) -> f64, t: &[SideSums; 2]| f(&t[0]) + f(&t[1]);
        let notional = both(|s| s.n, &t);
        let events = both(|s| s.c, &t);
        let days = truth.values().filter(|s| s[0].n + s[1].n > 0.0).count() as u64;
        let mut row = RowV2 {
            row: kind.name().to_owned(),
            horizon,
            minutes,
            score_usd: None,
            score_event: None,
            skill_usd: None,
            skill_usd_ci: None,
            skill_event: None,
            skill_event_ci: None,
            skill_usd_long: None,
            skill_usd_short: None,
            days,
            notional,
            events: events as u64,
        };
        let Some(sums) = sums else { return row };
        let s = total(sums);
        row.score_usd = ratio(both(|x| x.n_lnq, &s), both(|x| x.n, &s));
        row.score_event = ratio(both(|x| x.c_lnq, &s), both(|x| x.c, &s));
        row.skill_usd = ratio(both(|x| x.n_skill, &s), both(|x| x.n, &s));
        row.skill_event = ratio(both(|x| x.c_skill, &s), both(|x| x.c, &s));
        row.skill_usd_long = ratio(s[0].n_skill, s[0].n);
        row.skill_usd_short = ratio(s[1].n_skill, s[1].n);
        let units = |d: fn(&SideSums) -> f64, n: fn(&SideSums) -> f64| -> Vec<(f64, f64)> {
            sums.values()
                .map(|x| (d(&x[0]) + d(&x[1]), n(&x[0]) + n(&x[1])))
                .collect()
        };
        row.skill_usd_ci = ci(&units(|x| x.n_skill, |x| x.n));
        row.skill_event_ci = ci(&units(|x| x.c_skill, |x| x.c));
        row
    }
}

/// The rows of a v2 scoring, in the order row, horizon; rows that exist on no line (a layer
/// no prediction carries) are left out, `forecast` is always there.
pub fn rows_v2(scores: &ScoresV2) -> Vec<RowV2> {
    let empty = DaySums::new();
    let mut out = Vec::new();
    for (ri, kind) in RowV2Kind::ALL.iter().enumerate() {
        for (hi, h) in HORIZONS.iter().enumerate() {
            let sums = scores.sums[ri][hi].as_ref();
            if sums.is_none() && *kind != RowV2Kind::Forecast {
                continue;
            }
            // Every existing row has the same truth; reach-only always exists.
            let truth = scores.sums[0][hi].as_ref().unwrap_or(&empty);
            out.push(RowV2::of(*kind, *h, scores.minutes[hi], sums, truth));
        }
    }
    out
}

fn cell(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".to_owned(), |x| format!("{x:+.4}"))
}

fn ci_cell(v: Option<[f64; 2]>) -> String {
    v.map_or_else(|| "n/a".to_owned(), |[a, b]| format!("[{a:+.3}, {b:+.3}]"))
}

/// Writes the v2 section of the table: per horizon, one line per row.
pub fn write_table_v2(rows: &[RowV2], out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "\n{PROTOCOL_V2}: log score per side and cell (nats), skill vs reach-only, day-block 95 % CI"
    )?;
    for h in HORIZONS {
        let block: Vec<&RowV2> = rows.iter().filter(|r| r.horizon == h).collect();
        let Some(first) = block.first() else { continue };
        writeln!(
            out,
            "\nH = {h} min, minutes {}, days {}, notional {:.0} USD, events {}",
            first.minutes, first.days, first.notional, first.events
        )?;
        writeln!(
            out,
            "{:<18} {:>9} {:>9} {:>9} {:>18} {:>9} {:>18} {:>9} {:>9}",
            "row",
            "score/$",
            "score/ev",
            "skill/$",
            "CI $",
            "skill/ev",
            "CI ev",
            "skill L",
            "skill S"
        )?;
        for r in block {
            writeln!(
                out,
                "{:<18} {:>9} {:>9} {:>9} {:>18} {:>9} {:>18} {:>9} {:>9}",
                r.row,
                cell(r.score_usd),
                cell(r.score_event),
                cell(r.skill_usd),
                ci_cell(r.skill_usd_ci),
                cell(r.skill_event),
                ci_cell(r.skill_event_ci),
                cell(r.skill_usd_long),
                cell(r.skill_usd_short),
            )?;
        }
    }
    Ok(())
}
