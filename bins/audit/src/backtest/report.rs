//! The backtest's output: the `--json` object of DESIGN.md ("audit backtest --json") and the
//! readable table (rows x horizons, per minute set).

use std::io::{self, Write};

use serde::Serialize;

use super::metrics::{K10, wilson_lb};
use super::score::{Acc, BandSums, HORIZONS, MinuteSet, RowKind, Scores};
use super::v2::{RowV2, ScoresV2, write_table_v2};

/// Protocol identifier.
pub const PROTOCOL: &str = "prediction-eval-v1";

/// One row of the JSON: a model or baseline at one horizon and minute set (spec 6.5 names;
/// `null` where undefined).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    /// `heatmap`, `tape-only`, `projection-only`, `distance-only`, `uniform`.
    pub row: String,
    /// 15, 60 or 240.
    pub horizon: i64,
    /// `all` or `non_overlapping`.
    pub minute_set: &'static str,
    /// Scored minutes.
    pub minutes: u64,
    /// capture@5 %.
    pub capture5: Option<f64>,
    /// capture@10 %.
    pub capture10: Option<f64>,
    /// capture@20 %.
    pub capture20: Option<f64>,
    /// capture@10 % of the long side.
    pub capture10_long: Option<f64>,
    /// capture@10 % of the short side.
    pub capture10_short: Option<f64>,
    /// precision@10 %.
    pub precision10: Option<f64>,
    /// Its Wilson 95 % lower bound.
    pub precision10_wilson_lb: Option<f64>,
    /// Its `n` (40 per minute).
    pub precision10_n: u64,
    /// Touched zones / zones.
    pub zone_touch: Option<f64>,
    /// Touched and confirmed zones / zones.
    pub zone_touch_liq: Option<f64>,
    /// Zones (rows with a zone metric; `null` for the others).
    pub zones: Option<u64>,
    /// Out-of-band share of the notional of the horizon's windows.
    pub band_excluded_share: Option<f64>,
    /// precision@10 % of the long side (table only; not in the protocol JSON).
    #[serde(skip)]
    pub precision10_long: Option<f64>,
    /// precision@10 % of the short side (table only).
    #[serde(skip)]
    pub precision10_short: Option<f64>,
}

/// The `--json` object.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// `prediction-eval-v1`.
    pub protocol: &'static str,
    /// The replay as given.
    pub file: String,
    /// `default` or `reference`.
    pub preset: String,
    /// Fixes switched back or the calibrator detached (absent for the plain preset).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// Every row, horizon and minute set.
    pub rows: Vec<Row>,
    /// Protocol v2 rows (spec/prediction_eval_v2.md), per row and horizon.
    pub rows_v2: Vec<RowV2>,
    /// Lines of the replay that did not parse and were skipped (reported on stderr).
    #[serde(skip)]
    pub bad_lines: u64,
    /// The pooled sums behind the rows (to pool several files).
    #[serde(skip)]
    pub scores: Scores,
    /// The pooled v2 sums behind `rows_v2` (to pool several files).
    #[serde(skip)]
    pub scores_v2: ScoresV2,
}

fn ratio(num: f64, den: f64) -> Option<f64> {
    (den > 0.0).then(|| num / den)
}

impl Row {
    /// The reported values of one accumulator.
    pub fn of(kind: RowKind, horizon: i64, set: MinuteSet, a: &Acc, band: &BandSums) -> Row {
        let cap = |k: usize| {
            ratio(
                a.captured[k][0] + a.captured[k][1],
                a.notional[0] + a.notional[1],
            )
        };
        let n = 40 * a.minutes;
        let per_side = 20.0 * a.minutes as f64;
        let zones = kind.has_zones().then_some(a.zones);
        Row {
            row: kind.name().to_owned(),
            horizon,
            minute_set: set.name(),
            minutes: a.minutes,
            capture5: cap(0),
            capture10: cap(K10),
            capture20: cap(2),
            capture10_long: ratio(a.captured[K10][0], a.notional[0]),
            capture10_short: ratio(a.captured[K10][1], a.notional[1]),
            precision10: ratio(a.hits[0] + a.hits[1], n as f64),
            precision10_wilson_lb: wilson_lb(a.hits[0] + a.hits[1], n as f64),
            precision10_n: n,
            zone_touch: zones.and_then(|z| ratio(a.touched as f64, z as f64)),
            zone_touch_liq: zones.and_then(|z| ratio(a.confirmed as f64, z as f64)),
            zones,
            band_excluded_share: if a.minutes > 0 {
                ratio(band.excluded, band.total)
            } else {
                None
            },
            precision10_long: ratio(a.hits[0], per_side),
            precision10_short: ratio(a.hits[1], per_side),
        }
    }
}

/// The rows of a scoring, in the order row, horizon, minute set.
pub fn rows(scores: &Scores) -> Vec<Row> {
    let mut out = Vec::new();
    for (ri, kind) in RowKind::ALL.iter().enumerate() {
        for (hi, h) in HORIZONS.iter().enumerate() {
            for (si, set) in MinuteSet::ALL.iter().enumerate() {
                out.push(Row::of(
                    *kind,
                    *h,
                    *set,
                    &scores.rows[ri][hi][si],
                    &scores.band[hi][si],
                ));
            }
        }
    }
    out
}

/// Writes the JSON object and a newline.
pub fn write_json(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    out.write_all(b"\n")
}

fn cell(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".to_owned(), |x| format!("{x:.4}"))
}

/// Writes the readable table: one block per minute set and horizon, one line per row.
pub fn write_table(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "{} on {} (preset {}{})",
        report.protocol,
        report.file,
        report.preset,
        report
            .variant
            .as_ref()
            .map_or_else(String::new, |v| format!(", variant {v}"))
    )?;
    for set in MinuteSet::ALL {
        for h in HORIZONS {
            let block: Vec<&Row> = report
                .rows
                .iter()
                .filter(|r| r.horizon == h && r.minute_set == set.name())
                .collect();
            let share = block.first().and_then(|r| r.band_excluded_share);
            writeln!(
                out,
                "\nH = {h} min, minutes: {} (band_excluded_share {})",
                set.name(),
                cell(share)
            )?;
            writeln!(
                out,
                "{:<16} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>8} {:>7} {:>7} {:>6}",
                "row",
                "minutes",
                "cap@5",
                "cap@10",
                "cap@20",
                "c10 L",
                "c10 S",
                "prec10",
                "p10 L",
                "p10 S",
                "Wilson",
                "n",
                "touch",
                "t+liq",
                "zones"
            )?;
            for r in block {
                writeln!(
                    out,
                    "{:<16} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>8} {:>7} {:>7} {:>6}",
                    r.row,
                    r.minutes,
                    cell(r.capture5),
                    cell(r.capture10),
                    cell(r.capture20),
                    cell(r.capture10_long),
                    cell(r.capture10_short),
                    cell(r.precision10),
                    cell(r.precision10_long),
                    cell(r.precision10_short),
                    cell(r.precision10_wilson_lb),
                    r.precision10_n,
                    cell(r.zone_touch),
                    cell(r.zone_touch_liq),
                    r.zones.map_or_else(|| "".to_owned(), |z| z.to_string()),
                )?;
            }
        }
    }
    write_table_v2(&report.rows_v2, out)?;
    if report.scores.price_mismatch > 0 {
        writeln!(
            out,
            "\nwarning: {} scored minutes have a prediction price that differs from the replay's src",
            report.scores.price_mismatch
        )?;
    }
    Ok(())
}
