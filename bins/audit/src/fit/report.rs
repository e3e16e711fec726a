//! The fit's report: per model family the folds (parameters chosen without the left-out
//! file, and that file's skill), the pooled out-of-sample skill with its day-block CI, and
//! the parameters fitted on every file.

use std::collections::BTreeMap;
use std::io::{self, Write};

use liq_core::forecast::{HORIZONS, HorizonParams};
use serde::Serialize;

use super::Objective;
use super::data::FileData;
use super::search::Sums;

/// A nested model family: each adds one input to the one before.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    /// The reach prior alone (skill 0 by definition).
    PriorOnly,
    /// Reach x (1 + a P), the study's model (spec 2.7): no blur, linear.
    StudyProjection,
    /// The projection with a fitted blur and exponent.
    ShapedProjection,
    /// Plus the active zones.
    Zones,
    /// Plus the observed tape.
    Tape,
}

impl Family {
    /// A short label.
    pub fn label(self) -> &'static str {
        match self {
            Family::PriorOnly => "reach prior alone",
            Family::StudyProjection => "reach x projection (study form)",
            Family::ShapedProjection => "+ blur and exponent",
            Family::Zones => "+ zones",
            Family::Tape => "+ tape",
        }
    }
}

/// One fold: the left-out file, the parameters fitted on the others, its skill.
#[derive(Clone, Debug, Serialize)]
pub struct Fold {
    /// The left-out file.
    pub left_out: String,
    /// Parameters per horizon 15, 60, 240.
    pub params: [HorizonParams; 3],
    /// The left-out file's skill per dollar, per horizon.
    pub skill_usd: [Option<f64>; 3],
    /// Its skill per event.
    pub skill_event: [Option<f64>; 3],
}

/// The pooled out-of-sample result of one family.
#[derive(Clone, Debug, Serialize)]
pub struct Pooled {
    /// Skill per dollar per horizon.
    pub skill_usd: [Option<f64>; 3],
    /// Its day-block CI.
    pub skill_usd_ci: [Option<[f64; 2]>; 3],
    /// Skill per event.
    pub skill_event: [Option<f64>; 3],
    /// Its day-block CI.
    pub skill_event_ci: [Option<[f64; 2]>; 3],
    /// The reach prior's own score per dollar on the same cells.
    pub reach_score_usd: [Option<f64>; 3],
    /// Calendar days with notional.
    pub days: [usize; 3],
}

impl Pooled {
    /// Pools the left-out sums; `ci` computes a CI from day units `(D, N)`.
    pub fn of(
        pooled: &[Sums; 3],
        days: &[BTreeMap<i64, Sums>; 3],
        ci: impl Fn(&[(f64, f64)]) -> Option<[f64; 2]>,
    ) -> Self {
        let units = |hi: usize, event: bool| -> Vec<(f64, f64)> {
            days[hi]
                .values()
                .map(|s| {
                    if event {
                        (s.c_skill, s.c)
                    } else {
                        (s.n_skill, s.n)
                    }
                })
                .collect()
        };
        Pooled {
            skill_usd: pooled.map(|s| s.skill_usd()),
            skill_usd_ci: std::array::from_fn(|hi| ci(&units(hi, false))),
            skill_event: pooled.map(|s| s.skill_event()),
            skill_event_ci: std::array::from_fn(|hi| ci(&units(hi, true))),
            reach_score_usd: pooled.map(|s| (s.n > 0.0).then(|| s.n_reach / s.n)),
            days: std::array::from_fn(|hi| days[hi].values().filter(|s| s.n > 0.0).count()),
        }
    }
}

/// One family's results.
#[derive(Clone, Debug, Serialize)]
pub struct FamilyReport {
    /// The family.
    pub family: Family,
    /// Leave-one-file-out folds.
    pub folds: Vec<Fold>,
    /// Pooled out of sample.
    pub pooled: Pooled,
    /// Parameters fitted on every file (what a default would be).
    pub all_files_params: [HorizonParams; 3],
    /// Their in-sample skill per dollar.
    pub all_files_skill_usd: [Option<f64>; 3],
}

/// The forecast a horizon gets: the richest family whose every added input improved the
/// pooled out-of-sample skill per dollar over the family before it.
#[derive(Clone, Debug, Serialize)]
pub struct Selected {
    /// `H`.
    pub horizon: u32,
    /// The family.
    pub family: Family,
    /// Its parameters fitted on every file (the defaults to serve).
    pub params: HorizonParams,
    /// Its pooled out-of-sample skill per dollar.
    pub skill_usd: Option<f64>,
    /// Its CI.
    pub skill_usd_ci: Option<[f64; 2]>,
    /// Its pooled out-of-sample skill per event.
    pub skill_event: Option<f64>,
}

/// Per horizon, walks the nested families in order and keeps the last one that improved.
fn select(families: &[FamilyReport]) -> Vec<Selected> {
    (0..3)
        .map(|hi| {
            let mut best = &families[0];
            for f in &families[1..] {
                let (new, old) = (f.pooled.skill_usd[hi], best.pooled.skill_usd[hi]);
                if let (Some(n), Some(o)) = (new, old)
                    && n > o
                {
                    best = f;
                }
            }
            Selected {
                horizon: HORIZONS[hi],
                family: best.family,
                params: best.all_files_params[hi],
                skill_usd: best.pooled.skill_usd[hi],
                skill_usd_ci: best.pooled.skill_usd_ci[hi],
                skill_event: best.pooled.skill_event[hi],
            }
        })
        .collect()
}

/// The whole report (`--json`).
#[derive(Clone, Debug, Serialize)]
pub struct FitReport {
    /// Protocol of the scores.
    pub protocol: &'static str,
    /// The replays.
    pub files: Vec<String>,
    /// Scored minutes per file and horizon.
    pub scored_minutes: Vec<[u64; 3]>,
    /// What the search maximised.
    pub objective: Objective,
    /// Per family.
    pub families: Vec<FamilyReport>,
    /// Per horizon, the selected forecast.
    pub selected: Vec<Selected>,
}

/// What [`super::search::fit`] hands over per family.
pub type FamilyParts = (
    Family,
    Vec<Fold>,
    Pooled,
    [HorizonParams; 3],
    [Option<f64>; 3],
);

impl FitReport {
    /// Assembles the report.
    pub fn new(files: &[FileData], objective: Objective, families: Vec<FamilyParts>) -> Self {
        let families: Vec<FamilyReport> = families
            .into_iter()
            .map(
                |(family, folds, pooled, all_files_params, all_files_skill_usd)| FamilyReport {
                    family,
                    folds,
                    pooled,
                    all_files_params,
                    all_files_skill_usd,
                },
            )
            .collect();
        FitReport {
            protocol: crate::backtest::v2::PROTOCOL_V2,
            files: files.iter().map(|f| f.name.clone()).collect(),
            scored_minutes: files.iter().map(|f| f.scored).collect(),
            objective,
            selected: select(&families),
            families,
        }
    }
}

fn num(x: Option<f64>) -> String {
    x.map_or_else(|| "n/a".to_owned(), |v| format!("{v:+.3}"))
}

fn ci(x: Option<[f64; 2]>) -> String {
    x.map_or_else(|| "n/a".to_owned(), |[a, b]| format!("[{a:+.3}, {b:+.3}]"))
}

fn params(p: &HorizonParams) -> String {
    format!(
        "a={} z={} t={} blur={} pow={}",
        p.projection, p.zones, p.tape, p.blur, p.power
    )
}

/// Writes the report as markdown tables.
pub fn write_markdown(r: &FitReport, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "Forecast fit, {} (skill vs the frozen reach-only prior), objective {:?}, {} files\n",
        r.protocol,
        r.objective,
        r.files.len()
    )?;
    writeln!(
        out,
        "Pooled leave-one-file-out skill (nats per dollar [day-block CI]; per event [CI])\n"
    )?;
    write!(out, "| model |")?;
    for h in HORIZONS {
        write!(out, " $ H={h} | event H={h} |")?;
    }
    writeln!(out)?;
    writeln!(out, "|---|---|---|---|---|---|---|")?;
    for f in &r.families {
        write!(out, "| {} |", f.family.label())?;
        for hi in 0..3 {
            write!(
                out,
                " {} {} | {} {} |",
                num(f.pooled.skill_usd[hi]),
                ci(f.pooled.skill_usd_ci[hi]),
                num(f.pooled.skill_event[hi]),
                ci(f.pooled.skill_event_ci[hi])
            )?;
        }
        writeln!(out)?;
    }
    writeln!(
        out,
        "\nSelected per horizon (each added input improved the pooled skill per dollar)\n"
    )?;
    writeln!(
        out,
        "| H | model | skill $ [CI] | skill event | parameters (all files) |"
    )?;
    writeln!(out, "|---|---|---|---|---|")?;
    for s in &r.selected {
        writeln!(
            out,
            "| {} | {} | {} {} | {} | {} |",
            s.horizon,
            s.family.label(),
            num(s.skill_usd),
            ci(s.skill_usd_ci),
            num(s.skill_event),
            params(&s.params)
        )?;
    }
    for f in &r.families {
        writeln!(
            out,
            "\n{}: folds (skill per dollar / per event of the left-out file, parameters fitted on the others)\n",
            f.family.label()
        )?;
        writeln!(
            out,
            "| left out | H=15 | H=60 | H=240 | params H=15 | params H=60 | params H=240 |"
        )?;
        writeln!(out, "|---|---|---|---|---|---|---|")?;
        for fold in &f.folds {
            write!(out, "| {} |", fold.left_out)?;
            for hi in 0..3 {
                write!(
                    out,
                    " {} / {} |",
                    num(fold.skill_usd[hi]),
                    num(fold.skill_event[hi])
                )?;
            }
            for p in &fold.params {
                write!(out, " {} |", params(p))?;
            }
            writeln!(out)?;
        }
        write!(out, "| all files (in sample) |")?;
        for hi in 0..3 {
            write!(out, " {} |", num(f.all_files_skill_usd[hi]))?;
        }
        for p in &f.all_files_params {
            write!(out, " {} |", params(p))?;
        }
        writeln!(out)?;
    }
    Ok(())
}
