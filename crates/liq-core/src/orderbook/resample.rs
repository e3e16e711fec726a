//! Unified grids and resampling of frames onto them (api.md 4.4, 5.7, 5.8; zones_orderbook.md
//! B10): what the order-book history endpoint and the price overrides of the latest-frame
//! endpoint need.
//!
//! Grids are built from integer bucket keys, so a cell's price is the same `f64` whichever frame
//! or grid produced it. [`ResampleMode::Point`] is the reference's exact-key lookup (an exact copy
//! when the steps are equal); [`ResampleMode::Cover`] also fills grids finer than the frame (each
//! cell takes the frame cell that contains it) and takes the maximum over the frame cells of a
//! coarser cell (api.md A11), which matters for frames whose step was widened (DECISIONS zones 8).

use std::borrow::Borrow;

use thiserror::Error;

use super::frame::Frame;
use crate::grid::{BucketStep, GridError};

/// How a frame's cells map onto a grid of another step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResampleMode {
    /// The reference: a cell takes the frame's byte at the same bucket key, 0 where the frame
    /// has no such bucket; on key collisions (coarser grid) the last frame cell wins.
    #[default]
    Point,
    /// Equal steps: as `Point`. Finer grid: the frame cell containing the cell's price. Coarser
    /// grid: the maximum of the frame cells whose price rounds into the cell.
    Cover,
}

/// Why a grid cannot be built.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ResampleError {
    /// The step is not a valid bucket step.
    #[error("bad step: {0}")]
    Step(#[from] GridError),
    /// A bound is not finite.
    #[error("grid bound {0} is not finite")]
    Bound(f64),
    /// The grid would exceed the caller's cell limit.
    #[error("grid of {cells} cells exceeds the limit of {limit}")]
    TooLarge {
        /// Cells requested.
        cells: u64,
        /// The limit.
        limit: usize,
    },
}

/// A grid shared by several frames: `prices[j]` is bucket key `k_min + j` at `step`.
#[derive(Debug, Clone, PartialEq)]
pub struct UnifiedGrid {
    /// The grid's prices, ascending (empty when `price_max < price_min` or no frame).
    pub prices: Vec<f64>,
    /// The bucket-rounded lower bound (also when `prices` is empty).
    pub price_min: f64,
    /// The bucket-rounded upper bound.
    pub price_max: f64,
    /// The grid step.
    pub step: f64,
    /// Bucket key of `prices[0]`.
    pub k_min: i64,
}

/// `ob_grid(frames, pmin, pmax, step)` (api.md 4.4): bounds default to the frames' extreme
/// `price_min`/`price_max`, are rounded to buckets, and span an index-built grid; empty without
/// frames or when `pmax < pmin`. Grids longer than `max_cells` are an error.
pub fn ob_grid<F: Borrow<Frame>>(
    frames: &[F],
    pmin: Option<f64>,
    pmax: Option<f64>,
    step: f64,
    max_cells: usize,
) -> Result<UnifiedGrid, ResampleError> {
    let s = BucketStep::new(step)?;
    let empty = |price_min, price_max| UnifiedGrid {
        prices: Vec::new(),
        price_min,
        price_max,
        step,
        k_min: 0,
    };
    if frames.is_empty() {
        return Ok(empty(0.0, 0.0));
    }
    let lo = pmin.unwrap_or_else(|| {
        frames
            .iter()
            .map(|f| f.borrow().price_min)
            .fold(f64::INFINITY, f64::min)
    });
    let hi = pmax.unwrap_or_else(|| {
        frames
            .iter()
            .map(|f| f.borrow().price_max)
            .fold(f64::NEG_INFINITY, f64::max)
    });
    let k_lo = s.try_key(lo).ok_or(ResampleError::Bound(lo))?;
    let k_hi = s.try_key(hi).ok_or(ResampleError::Bound(hi))?;
    let (price_min, price_max) = (s.price(k_lo), s.price(k_hi));
    if k_hi < k_lo {
        return Ok(empty(price_min, price_max));
    }
    let cells = (k_hi - k_lo) as u64 + 1;
    if cells > max_cells as u64 {
        return Err(ResampleError::TooLarge {
            cells,
            limit: max_cells,
        });
    }
    Ok(UnifiedGrid {
        prices: s.grid_from_keys(k_lo, k_hi),
        price_min,
        price_max,
        step,
        k_min: k_lo,
    })
}

impl UnifiedGrid {
    /// The grid of one frame, exactly its own cells (no resampling needed).
    pub fn of_frame(frame: &Frame) -> Result<UnifiedGrid, ResampleError> {
        let s = BucketStep::new(frame.step)?;
        let k_min = s
            .try_key(frame.price_min)
            .ok_or(ResampleError::Bound(frame.price_min))?;
        let n = frame.n_prices() as i64;
        let prices = s.grid_from_keys(k_min, k_min + n - 1);
        Ok(UnifiedGrid {
            price_min: s.price(k_min),
            price_max: prices.last().copied().unwrap_or(frame.price_max),
            prices,
            step: frame.step,
            k_min,
        })
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        self.prices.len()
    }

    /// Whether the grid has no cell.
    pub fn is_empty(&self) -> bool {
        self.prices.is_empty()
    }
}

/// One frame's bid and ask bytes on `grid`.
pub fn resample(frame: &Frame, grid: &UnifiedGrid, mode: ResampleMode) -> (Vec<u8>, Vec<u8>) {
    let mut bid = vec![0u8; grid.len()];
    let mut ask = vec![0u8; grid.len()];
    resample_into(frame, grid, mode, &mut bid, &mut ask);
    (bid, ask)
}

/// [`resample`] into caller-owned rows of `grid.len()` bytes (zeroed here first).
pub fn resample_into(
    frame: &Frame,
    grid: &UnifiedGrid,
    mode: ResampleMode,
    bid: &mut [u8],
    ask: &mut [u8],
) {
    bid.fill(0);
    ask.fill(0);
    let Ok(target) = BucketStep::new(grid.step) else {
        return;
    };
    let finer = frame.step > grid.step;
    let coarser = frame.step < grid.step;
    if mode == ResampleMode::Cover
        && finer
        && let Ok(fs) = BucketStep::new(frame.step)
    {
        let k0 = fs.key(frame.price_min);
        for (j, &p) in grid.prices.iter().enumerate() {
            let cell = usize::try_from(fs.key(p).saturating_sub(k0)).ok();
            let fb = cell.and_then(|i| frame.bid_u8.get(i));
            let fa = cell.and_then(|i| frame.ask_u8.get(i));
            if let (Some(&fb), Some(&fa), Some(b), Some(a)) =
                (fb, fa, bid.get_mut(j), ask.get_mut(j))
            {
                (*b, *a) = (fb, fa);
            }
        }
        return;
    }
    // Same step and a bucket-aligned frame (every frame this service or the reference
    // writes): cell i has key k0 + i, so the rows are a shifted copy.
    let k0 = target.key(frame.price_min);
    if !finer && !coarser && target.price(k0) == frame.price_min {
        let n = frame.bid_u8.len().min(frame.ask_u8.len());
        let lo = grid.k_min.saturating_sub(k0).clamp(0, n as i64);
        let hi = (grid.k_min.saturating_add(grid.len() as i64))
            .saturating_sub(k0)
            .clamp(lo, n as i64);
        // 0 <= lo <= hi <= n; when non-empty, target cells k0 + lo - k_min.. are in the grid.
        let (lo, hi) = (lo as usize, hi as usize);
        if hi > lo {
            let j0 = (k0 + lo as i64 - grid.k_min) as usize;
            let span = j0..j0 + (hi - lo);
            if let (Some(b), Some(a)) = (bid.get_mut(span.clone()), ask.get_mut(span)) {
                b.copy_from_slice(&frame.bid_u8[lo..hi]);
                a.copy_from_slice(&frame.ask_u8[lo..hi]);
            }
        }
        return;
    }
    let take_max = mode == ResampleMode::Cover && coarser;
    for (i, p) in frame.prices().into_iter().enumerate() {
        let Ok(j) = usize::try_from(target.key(p).saturating_sub(grid.k_min)) else {
            continue;
        };
        let (Some(&fb), Some(&fa)) = (frame.bid_u8.get(i), frame.ask_u8.get(i)) else {
            continue;
        };
        if let (Some(b), Some(a)) = (bid.get_mut(j), ask.get_mut(j)) {
            (*b, *a) = if take_max {
                ((*b).max(fb), (*a).max(fa))
            } else {
                (fb, fa)
            };
        }
    }
}

/// Sums per-cell values of a grid starting at `pmin` with `step` into `grid`: each source cell
/// goes to the grid cell its price rounds into (source cells outside the grid are dropped), so
/// the total over the grid's span is conserved. For raw notionals (USD per bucket).
pub fn rebin_sum(values: &[f64], pmin: f64, step: f64, grid: &UnifiedGrid) -> Vec<f64> {
    let mut out = vec![0.0; grid.len()];
    let Ok(target) = BucketStep::new(grid.step) else {
        return out;
    };
    let prices = super::frame::grid_prefix(pmin, step, values.len());
    for (p, v) in prices.into_iter().zip(values) {
        if let Some(cell) = usize::try_from(target.key(p).saturating_sub(grid.k_min))
            .ok()
            .and_then(|j| out.get_mut(j))
        {
            *cell += v;
        }
    }
    out
}
