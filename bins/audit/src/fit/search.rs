//! The grid search and the leave-one-file-out evaluation of the forecast's parameters.

use std::collections::BTreeMap;

use liq_core::forecast::mass::prepare;
use liq_core::forecast::{CELLS, CONSTANTS, HorizonParams};

use super::Objective;
use super::data::FileData;
use super::report::{Family, FitReport, Fold, Pooled};
use crate::backtest::v2::bootstrap;

/// Blur widths searched (bins).
pub const BLURS: [f64; 6] = [0.0, 1.0, 2.0, 3.0, 5.0, 8.0];
/// Layer exponents searched.
pub const POWERS: [f64; 3] = [1.0, 0.5, 0.25];
/// Projection coefficients searched.
pub const PROJECTION: [f64; 11] = [0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 4.0];
/// Zone coefficients searched.
pub const ZONES: [f64; 6] = [0.0, 0.01, 0.03, 0.1, 0.3, 1.0];
/// Tape coefficients searched.
pub const TAPE: [f64; 5] = [0.0, 0.01, 0.03, 0.1, 0.3];

/// The nested model families, each adding one input to the previous (what each input earns).
pub const FAMILIES: [Family; 5] = [
    Family::PriorOnly,
    Family::StudyProjection,
    Family::ShapedProjection,
    Family::Zones,
    Family::Tape,
];

/// Skill sums of one file (or several).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Sums {
    /// `Σ n (ln q - ln q_reach)`.
    pub n_skill: f64,
    /// `Σ n`.
    pub n: f64,
    /// `Σ c (ln q - ln q_reach)`.
    pub c_skill: f64,
    /// `Σ c`.
    pub c: f64,
    /// `Σ n ln q_reach` (the prior's own score).
    pub n_reach: f64,
}

impl Sums {
    fn add(&mut self, o: &Sums) {
        self.n_skill += o.n_skill;
        self.n += o.n;
        self.c_skill += o.c_skill;
        self.c += o.c;
        self.n_reach += o.n_reach;
    }

    /// Skill per dollar (`None` without notional).
    pub fn skill_usd(&self) -> Option<f64> {
        (self.n > 0.0).then(|| self.n_skill / self.n)
    }

    /// Skill per event.
    pub fn skill_event(&self) -> Option<f64> {
        (self.c > 0.0).then(|| self.c_skill / self.c)
    }
}

/// The objective over the training files (every file but `skip`).
fn objective_of(per: &[Sums], skip: Option<usize>, o: Objective) -> f64 {
    let train = per
        .iter()
        .enumerate()
        .filter(|(fi, _)| Some(*fi) != skip)
        .map(|(_, s)| s);
    let both = |s: &Sums| s.skill_usd().unwrap_or(0.0) + s.skill_event().unwrap_or(0.0);
    match o {
        Objective::Usd | Objective::UsdEvent => {
            let mut tot = Sums::default();
            for s in train {
                tot.add(s);
            }
            if o == Objective::Usd {
                tot.skill_usd().unwrap_or(0.0)
            } else {
                both(&tot)
            }
        }
        Objective::FileMean => {
            let (mut sum, mut n) = (0.0, 0.0);
            for s in train.filter(|s| s.n > 0.0) {
                sum += both(s);
                n += 1.0;
            }
            if n > 0.0 { sum / n } else { 0.0 }
        }
    }
}

/// One cell of one sample: truth and the layer values there.
#[derive(Clone, Copy, Debug)]
struct Cell {
    n: f64,
    c: f64,
    r: f64,
    l: [f64; 3],
    lnq_reach: f64,
}

/// One minute, side and horizon with liquidations: the normaliser's parts and the cells.
#[derive(Clone, Debug)]
struct Sample {
    file: usize,
    day: i64,
    eps: f64,
    /// `Σ r` and `Σ r L` per layer.
    dots: [f64; 4],
    cells: Vec<Cell>,
}

/// Samples per horizon for one layer shape.
fn samples(files: &[FileData], blur: f64, power: f64) -> [Vec<Sample>; 3] {
    let mut out: [Vec<Sample>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    for (fi, f) in files.iter().enumerate() {
        for m in &f.minutes {
            for s in 0..2 {
                let layers = [
                    prepare(&m.inputs.projection[s], blur, power),
                    prepare(&m.inputs.zones[s], blur, power),
                    prepare(&m.inputs.tape[s], blur, power),
                ];
                for (hi, h) in m.horizons.iter().enumerate() {
                    let Some(h) = h else { continue };
                    if h.cells[s].is_empty() {
                        continue;
                    }
                    let r = &h.r[s];
                    let mut dots = [0.0; 4];
                    dots[0] = r.iter().sum();
                    for (li, l) in layers.iter().enumerate() {
                        dots[li + 1] = r.iter().zip(l).map(|(a, b)| a * b).sum();
                    }
                    let cells = h.cells[s]
                        .iter()
                        .zip(&h.lnq_reach[s])
                        .map(|(c, lr)| Cell {
                            n: c.n,
                            c: c.c,
                            r: r[c.j],
                            l: [layers[0][c.j], layers[1][c.j], layers[2][c.j]],
                            lnq_reach: *lr,
                        })
                        .collect();
                    out[hi].push(Sample {
                        file: fi,
                        day: m.day,
                        eps: CONSTANTS[hi].eps,
                        dots,
                        cells,
                    });
                }
            }
        }
    }
    out
}

/// Adds one sample under coefficients `k` (projection, zones, tape) to `sums`.
fn eval_sample(s: &Sample, k: [f64; 3], sums: &mut Sums) {
    let z = s.dots[0] + k[0] * s.dots[1] + k[1] * s.dots[2] + k[2] * s.dots[3];
    for c in &s.cells {
        let m = 1.0 + k[0] * c.l[0] + k[1] * c.l[1] + k[2] * c.l[2];
        let q = if z > 0.0 && z.is_finite() {
            (1.0 - s.eps) * c.r * m / z + s.eps / CELLS as f64
        } else {
            // The all-zero rule (never met while the centre is in the band).
            s.eps / CELLS as f64
        };
        let d = q.ln() - c.lnq_reach;
        if c.n > 0.0 {
            sums.n += c.n;
            sums.n_skill += c.n * d;
            sums.n_reach += c.n * c.lnq_reach;
        }
        sums.c += c.c;
        sums.c_skill += c.c * d;
    }
}

/// A candidate: the shape and coefficient indices.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Candidate {
    blur: usize,
    power: usize,
    k: [usize; 3],
}

impl Candidate {
    fn params(&self) -> HorizonParams {
        HorizonParams {
            projection: PROJECTION[self.k[0]],
            zones: ZONES[self.k[1]],
            tape: TAPE[self.k[2]],
            blur: BLURS[self.blur],
            power: POWERS[self.power],
        }
    }

    fn coefs(&self) -> [f64; 3] {
        [PROJECTION[self.k[0]], ZONES[self.k[1]], TAPE[self.k[2]]]
    }

    fn in_family(&self, f: Family) -> bool {
        let plain = self.blur == 0 && self.power == 0;
        match f {
            Family::PriorOnly => plain && self.k == [0, 0, 0],
            Family::StudyProjection => plain && self.k[1] == 0 && self.k[2] == 0,
            Family::ShapedProjection => self.k[1] == 0 && self.k[2] == 0,
            Family::Zones => self.k[2] == 0,
            Family::Tape => true,
        }
    }
}

/// Per-day skill sums of the samples of `file` under `k`.
fn day_sums(samples: &[Sample], file: usize, k: [f64; 3]) -> BTreeMap<i64, Sums> {
    let mut out: BTreeMap<i64, Sums> = BTreeMap::new();
    for s in samples.iter().filter(|s| s.file == file) {
        eval_sample(s, k, out.entry(s.day).or_default());
    }
    out
}

/// Searches every candidate on every file, then evaluates each family leaving one file out.
pub fn fit(files: &[FileData], objective: Objective) -> FitReport {
    let nf = files.len();
    // table[h] = (candidate, per-file sums)
    let mut table: [Vec<(Candidate, Vec<Sums>)>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    for (bi, blur) in BLURS.iter().enumerate() {
        for (pi, power) in POWERS.iter().enumerate() {
            // A blur or power only matters with a layer in play; the plain shape carries the
            // all-zero candidate.
            let smp = samples(files, *blur, *power);
            for (hi, hs) in smp.iter().enumerate() {
                for a in 0..PROJECTION.len() {
                    for z in 0..ZONES.len() {
                        for t in 0..TAPE.len() {
                            let c = Candidate {
                                blur: bi,
                                power: pi,
                                k: [a, z, t],
                            };
                            if (a, z, t) == (0, 0, 0) && (bi, pi) != (0, 0) {
                                continue;
                            }
                            let mut per = vec![Sums::default(); nf];
                            let k = c.coefs();
                            for s in hs {
                                eval_sample(s, k, &mut per[s.file]);
                            }
                            table[hi].push((c, per));
                        }
                    }
                }
            }
        }
    }
    let best = |hi: usize, fam: Family, skip: Option<usize>| -> Candidate {
        let mut best: Option<(f64, Candidate)> = None;
        for (c, per) in &table[hi] {
            if !c.in_family(fam) {
                continue;
            }
            let v = objective_of(per, skip, objective);
            if best.as_ref().is_none_or(|(bv, _)| v > *bv) {
                best = Some((v, *c));
            }
        }
        best.map_or(
            Candidate {
                blur: 0,
                power: 0,
                k: [0, 0, 0],
            },
            |(_, c)| c,
        )
    };
    let mut families = Vec::new();
    for fam in FAMILIES {
        let mut folds = Vec::new();
        let mut pooled: [Sums; 3] = [Sums::default(); 3];
        let mut days: [BTreeMap<i64, Sums>; 3] = Default::default();
        // Day sums need the samples of each chosen shape: group the folds' choices by shape.
        let mut choices: Vec<[Candidate; 3]> = Vec::new();
        for fi in 0..nf {
            choices.push(std::array::from_fn(|hi| best(hi, fam, Some(fi))));
        }
        for (fi, ch) in choices.iter().enumerate() {
            let mut left_out = [Sums::default(); 3];
            for hi in 0..3 {
                let c = ch[hi];
                let smp = samples(
                    std::slice::from_ref(&files[fi]),
                    BLURS[c.blur],
                    POWERS[c.power],
                );
                for (day, s) in day_sums(&smp[hi], 0, c.coefs()) {
                    left_out[hi].add(&s);
                    days[hi].entry(day).or_default().add(&s);
                }
                pooled[hi].add(&left_out[hi]);
            }
            folds.push(Fold {
                left_out: files[fi].name.clone(),
                params: ch.map(|c| c.params()),
                skill_usd: left_out.map(|s| s.skill_usd()),
                skill_event: left_out.map(|s| s.skill_event()),
            });
        }
        let all: [Candidate; 3] = std::array::from_fn(|hi| best(hi, fam, None));
        let in_sample: [Sums; 3] = std::array::from_fn(|hi| {
            let mut tot = Sums::default();
            if let Some((_, per)) = table[hi].iter().find(|(c, _)| *c == all[hi]) {
                for s in per {
                    tot.add(s);
                }
            }
            tot
        });
        families.push((
            fam,
            folds,
            Pooled::of(&pooled, &days, bootstrap::ci),
            all.map(|c| c.params()),
            in_sample.map(|s| s.skill_usd()),
        ));
    }
    FitReport::new(files, objective, families)
}

/// The skill sums of `params` (one set per horizon) pooled over `files`: the search's own
/// evaluation, for checking it against the engine's forecast.
pub fn evaluate(files: &[FileData], params: &[HorizonParams; 3]) -> [Sums; 3] {
    std::array::from_fn(|hi| {
        let p = &params[hi];
        let smp = samples(files, p.blur, p.power);
        let mut tot = Sums::default();
        for s in &smp[hi] {
            eval_sample(s, [p.projection, p.zones, p.tape], &mut tot);
        }
        tot
    })
}
