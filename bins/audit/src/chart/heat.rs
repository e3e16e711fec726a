//! The heatmap's colour field: the V2 columns reduced to at most [`MAX_COLS`] x [`MAX_ROWS`]
//! cells (the largest intensity of the minutes and grid prices a cell covers, per side),
//! quantized to [`LEVELS`] colour levels and merged into vertical runs of equal colour, so a
//! long file still gives an SVG of a few megabytes at most.

use liq_core::event::Side;

use super::HeatColumn;

/// Most columns of cells.
pub const MAX_COLS: usize = 400;
/// Most rows of cells.
pub const MAX_ROWS: usize = 200;
/// Colour levels (level 0 is not drawn).
pub const LEVELS: u8 = 12;

/// One merged run of cells: minutes `[x0, x1)`, prices `[y0, y1)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cell {
    /// Left edge, epoch minutes.
    pub x0: f64,
    /// Right edge, epoch minutes.
    pub x1: f64,
    /// Bottom price.
    pub y0: f64,
    /// Top price.
    pub y1: f64,
    /// The side with the larger intensity.
    pub side: Side,
    /// Colour level, 1..=[`LEVELS`] (square root of the intensity over the field's 99th
    /// percentile).
    pub level: u8,
}

/// The field's cells over minutes `[lo, hi]` and prices `[ymin, ymax]`.
pub fn cells(cols: &[HeatColumn], lo: i64, hi: i64, ymin: f64, ymax: f64) -> Vec<Cell> {
    let span = ymax - ymin;
    if cols.is_empty() || hi < lo || !span.is_finite() || span <= 0.0 {
        return Vec::new();
    }
    let minutes = usize::try_from(hi - lo + 1).unwrap_or(usize::MAX);
    let group = minutes.div_ceil(MAX_COLS).max(1);
    let ncols = minutes.div_ceil(group);
    // Rows no finer than the grid step, so that every row holds a grid price.
    let step = cols
        .iter()
        .map(|c| c.step)
        .filter(|s| *s > 0.0 && s.is_finite())
        .fold(f64::INFINITY, f64::min);
    let by_step = if step.is_finite() {
        (span / step).floor().max(1.0) as usize
    } else {
        MAX_ROWS
    };
    let nrows = MAX_ROWS.min(by_step);
    let row_h = span / nrows as f64;
    // (long, short) per cell, column-major.
    let mut grid = vec![(0f32, 0f32); ncols * nrows];
    for c in cols {
        let Ok(ci) = usize::try_from(c.minute - lo) else {
            continue;
        };
        let ci = ci / group;
        if ci >= ncols {
            continue;
        }
        for (i, (l, s)) in c.long.iter().zip(&c.short).enumerate() {
            if *l <= 0.0 && *s <= 0.0 {
                continue;
            }
            let p = c.price0 + i as f64 * c.step;
            let r = ((p - ymin) / row_h).floor();
            if r < 0.0 || r >= nrows as f64 {
                continue;
            }
            let cell = &mut grid[ci * nrows + r as usize];
            cell.0 = cell.0.max(*l);
            cell.1 = cell.1.max(*s);
        }
    }
    let mut values: Vec<f32> = grid
        .iter()
        .map(|(l, s)| l.max(*s))
        .filter(|v| *v > 0.0 && v.is_finite())
        .collect();
    if values.is_empty() {
        return Vec::new();
    }
    values.sort_by(f32::total_cmp);
    let p99 = f64::from(values[((values.len() - 1) * 99) / 100]).max(f64::MIN_POSITIVE);
    let level = |v: f32| -> u8 {
        let x = (f64::from(v) / p99).clamp(0.0, 1.0).sqrt();
        (x * f64::from(LEVELS)).floor().min(f64::from(LEVELS)) as u8
    };
    let mut out = Vec::new();
    for ci in 0..ncols {
        let x0 = (lo + (ci * group) as i64) as f64;
        let x1 = ((lo + ((ci + 1) * group) as i64).min(hi + 1)) as f64;
        let mut run: Option<(usize, Side, u8)> = None;
        for r in 0..=nrows {
            let here = (r < nrows)
                .then(|| {
                    let (l, s) = grid[ci * nrows + r];
                    let side = if l >= s { Side::Long } else { Side::Short };
                    (side, level(l.max(s)))
                })
                .filter(|(_, lv)| *lv > 0);
            match (run, here) {
                (Some((_, side, lv)), Some((s2, l2))) if side == s2 && lv == l2 => {}
                _ => {
                    if let Some((start, side, lv)) = run {
                        out.push(Cell {
                            x0,
                            x1,
                            y0: ymin + start as f64 * row_h,
                            y1: ymin + r as f64 * row_h,
                            side,
                            level: lv,
                        });
                    }
                    run = here.map(|(s, l)| (r, s, l));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(minute: i64, long: &[f32], short: &[f32]) -> HeatColumn {
        HeatColumn {
            minute,
            price0: 100.0,
            step: 1.0,
            long: long.to_vec(),
            short: short.to_vec(),
        }
    }

    #[test]
    fn merges_equal_runs_and_skips_empty_cells() {
        // Prices 100..104: long 1,1 at 100-101, nothing at 102, short 1 at 103-104.
        let c = col(10, &[1.0, 1.0, 0.0, 0.0, 0.0], &[0.0, 0.0, 0.0, 1.0, 1.0]);
        let got = cells(&[c], 10, 10, 100.0, 105.0);
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(
            (got[0].side, got[0].y0, got[0].y1),
            (Side::Long, 100.0, 102.0)
        );
        assert_eq!(
            (got[1].side, got[1].y0, got[1].y1),
            (Side::Short, 103.0, 105.0)
        );
        assert!(
            got.iter()
                .all(|c| c.level == LEVELS && c.x0 == 10.0 && c.x1 == 11.0)
        );
    }

    #[test]
    fn long_ranges_are_grouped_into_at_most_max_cols() {
        let cols: Vec<HeatColumn> = (0..4000).map(|m| col(m, &[1.0], &[0.0])).collect();
        let got = cells(&cols, 0, 3999, 100.0, 101.0);
        assert_eq!(got.len(), MAX_COLS);
        assert_eq!(got[0].x1 - got[0].x0, 10.0);
        assert_eq!(got.last().map(|c| c.x1), Some(4000.0));
    }
}
