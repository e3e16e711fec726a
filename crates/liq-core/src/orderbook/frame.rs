//! Order-book heatmap frames (zones_orderbook.md B7): one 30-second slot of resting notional per
//! price bucket, normalized to `u8` intensities with the combined p50/p95 of its non-zero cells.
//!
//! [`Frame::from_raw`] is the reference's emission step 3 onwards (B7 steps 5-9): NumPy's pairwise
//! sums for the totals, NumPy's linear percentiles, truncating `u8` scaling. The binary record of a
//! frame is in [`super::record`].

use crate::event::Exchange;
use crate::grid::{ndigits, py_round};

/// Length of a frame's slot in seconds; a frame's `ts` is the start of its slot (B7, O9).
pub const SLOT_SECS: f64 = 30.0;

/// Length of a frame's slot in milliseconds (the API's `frame_interval_ms`).
pub const SLOT_MS: u32 = 30_000;

/// Most cells a frame (and its 4096-byte record) holds per side.
pub const MAX_CELLS: usize = 1000;

/// A set of exchanges as a bit mask: Binance 1, Bybit 2, OKX 4 (the v2 record's mask bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ExchangeSet(u8);

impl ExchangeSet {
    /// No exchange.
    pub const EMPTY: ExchangeSet = ExchangeSet(0);
    /// Binance, Bybit and OKX.
    pub const ALL: ExchangeSet = ExchangeSet(0b111);

    /// The mask bit of one exchange.
    pub fn bit(ex: Exchange) -> u8 {
        match ex {
            Exchange::Binance => 1,
            Exchange::Bybit => 2,
            Exchange::Okx => 4,
        }
    }

    /// The set holding exactly `ex`.
    pub fn single(ex: Exchange) -> Self {
        ExchangeSet(Self::bit(ex))
    }

    /// The set of the listed exchanges.
    pub fn of(exchanges: &[Exchange]) -> Self {
        ExchangeSet(exchanges.iter().fold(0, |m, &e| m | Self::bit(e)))
    }

    /// The set of a mask byte; unknown bits are dropped.
    pub fn from_bits(bits: u8) -> Self {
        ExchangeSet(bits & Self::ALL.0)
    }

    /// The mask byte.
    pub fn bits(self) -> u8 {
        self.0
    }

    /// Whether `ex` is in the set.
    pub fn contains(self, ex: Exchange) -> bool {
        self.0 & Self::bit(ex) != 0
    }

    /// Adds `ex`.
    pub fn insert(&mut self, ex: Exchange) {
        self.0 |= Self::bit(ex);
    }

    /// Removes `ex`.
    pub fn remove(&mut self, ex: Exchange) {
        self.0 &= !Self::bit(ex);
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The members, in [`Exchange::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Exchange> {
        Exchange::ALL.into_iter().filter(move |&e| self.contains(e))
    }
}

/// The normalization statistics of a frame (B7 steps 7-8), USD per bucket for USD-M books.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FrameStats {
    /// Median of the combined pool of positive bid then ask cells (0 when empty).
    pub norm_p50: f64,
    /// 90th percentile of the combined pool (0 when empty).
    pub norm_p90: f64,
    /// 95th percentile of the combined pool (1 when empty).
    pub norm_p95: f64,
    /// 99th percentile of the combined pool (1 when empty).
    pub norm_p99: f64,
    /// Maximum of the combined pool (1 when empty).
    pub norm_max: f64,
    /// Median of the positive bid cells (0 when none).
    pub bid_p50: f64,
    /// 95th percentile of the positive bid cells (1 when none).
    pub bid_p95: f64,
    /// Maximum of the positive bid cells (1 when none).
    pub bid_max: f64,
    /// Median of the positive ask cells (0 when none).
    pub ask_p50: f64,
    /// 95th percentile of the positive ask cells (1 when none).
    pub ask_p95: f64,
    /// Maximum of the positive ask cells (1 when none).
    pub ask_max: f64,
}

/// What the frame's slot went through, stored in the v2 record (see [`super::record`]).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FrameMarks {
    /// A sequence gap, resync or lost book was detected since the previous emitted frame.
    pub gap: bool,
    /// The exchanges whose gap is marked.
    pub gap_exchanges: ExchangeSet,
    /// The exchanges whose books were summed into the frame (empty = unknown, v1 records).
    pub exchanges: ExchangeSet,
    /// The grid step is a multiple of the configured step because of the 1000-cell cap.
    pub step_widened: bool,
    /// Wall clock of the last book update in the slot (0 when unknown); the frame shows the book
    /// as it stood then (O9).
    pub last_update_ts: f64,
}

/// The raw per-cell notionals behind a frame's intensities (in memory only, never persisted).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RawCells {
    /// Resting bid notional per grid cell.
    pub bid: Vec<f64>,
    /// Resting ask notional per grid cell.
    pub ask: Vec<f64>,
}

/// One order-book heatmap frame: grid, intensities, totals and statistics.
#[derive(Clone, Debug, PartialEq)]
pub struct Frame {
    /// Slot start, unix seconds (a whole multiple of 30).
    pub ts: f64,
    /// The reference mid the grid is centred on.
    pub src: f64,
    /// The grid step (a multiple of the configured step when [`FrameMarks::step_widened`]).
    pub step: f64,
    /// Price of cell 0.
    pub price_min: f64,
    /// Price of the last cell.
    pub price_max: f64,
    /// Bid intensities, one per cell.
    pub bid_u8: Vec<u8>,
    /// Ask intensities, one per cell.
    pub ask_u8: Vec<u8>,
    /// Sum of the bid cells (NumPy pairwise order).
    pub total_bid_notional: f64,
    /// Sum of the ask cells (NumPy pairwise order).
    pub total_ask_notional: f64,
    /// The normalization statistics.
    pub stats: FrameStats,
    /// Gap, exchange and step marks.
    pub marks: FrameMarks,
    /// The raw notionals, for frames built in this process (`None` when read from a record).
    pub raw: Option<RawCells>,
}

/// The grid of a frame being built: slot start, centre and bucket-aligned bounds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FrameGrid {
    /// Slot start, unix seconds.
    pub ts: f64,
    /// The reference mid.
    pub src: f64,
    /// The grid step.
    pub step: f64,
    /// Price of cell 0.
    pub price_min: f64,
    /// Price of the last cell.
    pub price_max: f64,
}

impl Frame {
    /// Normalizes raw per-cell notionals into a frame (B7 steps 6-9); `bid_raw` and `ask_raw`
    /// must have one value per grid cell (the shorter length wins otherwise).
    pub fn from_raw(
        grid: FrameGrid,
        bid_raw: Vec<f64>,
        ask_raw: Vec<f64>,
        marks: FrameMarks,
    ) -> Frame {
        let n = bid_raw.len().min(ask_raw.len());
        let (mut bid_raw, mut ask_raw) = (bid_raw, ask_raw);
        bid_raw.truncate(n);
        ask_raw.truncate(n);
        let total_bid_notional = pairwise_sum(&bid_raw);
        let total_ask_notional = pairwise_sum(&ask_raw);
        let mut bids: Vec<f64> = bid_raw.iter().copied().filter(|&v| v > 0.0).collect();
        let mut asks: Vec<f64> = ask_raw.iter().copied().filter(|&v| v > 0.0).collect();
        let mut pool: Vec<f64> = bids.iter().chain(&asks).copied().collect();
        let (norm_p50, norm_p90, norm_p95, norm_p99, norm_max) = if pool.is_empty() {
            (0.0, 0.0, 1.0, 1.0, 1.0)
        } else {
            pool.sort_by(f64::total_cmp);
            let p = |q| percentile_sorted(&pool, q);
            (p(50.0), p(90.0), p(95.0), p(99.0), pool[pool.len() - 1])
        };
        let side = |v: &mut Vec<f64>| {
            if v.is_empty() {
                return (0.0, 1.0, 1.0);
            }
            v.sort_by(f64::total_cmp);
            let p50 = percentile_sorted(v, 50.0);
            let p95 = percentile_sorted(v, 95.0);
            (p50, p95, v[v.len() - 1])
        };
        let (bid_p50, bid_p95, bid_max) = side(&mut bids);
        let (ask_p50, ask_p95, ask_max) = side(&mut asks);
        let bid_u8 = intensities(&bid_raw, norm_p50, norm_p95);
        let ask_u8 = intensities(&ask_raw, norm_p50, norm_p95);
        Frame {
            ts: grid.ts,
            src: grid.src,
            step: grid.step,
            price_min: grid.price_min,
            price_max: grid.price_max,
            bid_u8,
            ask_u8,
            total_bid_notional,
            total_ask_notional,
            stats: FrameStats {
                norm_p50,
                norm_p90,
                norm_p95,
                norm_p99,
                norm_max,
                bid_p50,
                bid_p95,
                bid_max,
                ask_p50,
                ask_p95,
                ask_max,
            },
            marks,
            raw: Some(RawCells {
                bid: bid_raw,
                ask: ask_raw,
            }),
        }
    }

    /// Number of grid cells (`n_prices`).
    pub fn n_prices(&self) -> usize {
        self.bid_u8.len()
    }

    /// The grid: cell `i` is `py_round(py_round(price_min) + i·step, ndigits(step))` (B9; never
    /// built by repeated addition).
    pub fn prices(&self) -> Vec<f64> {
        grid_prefix(self.price_min, self.step, self.n_prices())
    }

    /// Slot start in milliseconds, `trunc(ts·1000)` (the API's `frame_ts_ms`).
    pub fn ts_ms(&self) -> u64 {
        // Saturating float-to-int cast: negative or NaN give 0.
        (self.ts * 1000.0) as u64
    }

    /// Approximate notional of an intensity byte (B9): `u/255·(p95 − p50) + p50` for `u > 0`,
    /// else 0; `p95 − p50` is 1 when `p95 ≤ p50`.
    pub fn approx_notional(&self, u: u8) -> f64 {
        if u == 0 {
            return 0.0;
        }
        let (p50, p95) = (self.stats.norm_p50, self.stats.norm_p95);
        let span = if p95 > p50 { p95 - p50 } else { 1.0 };
        f64::from(u) / 255.0 * span + p50
    }
}

/// The first `n` points of the index-built grid from `pmin` with `step` (spec `grid()` of
/// api.md 0, truncated or extended to `n` elements).
pub fn grid_prefix(pmin: f64, step: f64, n: usize) -> Vec<f64> {
    let nd = ndigits(step);
    let pmin = py_round(pmin, nd);
    (0..n)
        .map(|i| py_round(pmin + i as f64 * step, nd))
        .collect()
}

/// `trunc(clamp(((raw − p50)/(p95 − p50))·255, 0, 255))` per cell; all 0 when `p95 ≤ p50`.
pub fn intensities(raw: &[f64], p50: f64, p95: f64) -> Vec<u8> {
    if p95 <= p50 {
        return vec![0; raw.len()];
    }
    let span = p95 - p50;
    raw.iter()
        .map(|&v| {
            let x = ((v - p50) / span) * 255.0;
            // Clamped to [0, 255] first, so the truncating cast is exact (NaN casts to 0).
            x.clamp(0.0, 255.0) as u8
        })
        .collect()
}

/// NumPy's pairwise summation of an `f64` array (`numpy.sum`, bit for bit; B7 step 6).
pub fn pairwise_sum(a: &[f64]) -> f64 {
    let n = a.len();
    if n < 8 {
        return a.iter().fold(0.0, |s, &x| s + x);
    }
    if n <= 128 {
        let mut r = [a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]];
        let full = n - n % 8;
        for block in a[8..full].chunks_exact(8) {
            for (acc, x) in r.iter_mut().zip(block) {
                *acc += x;
            }
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for &x in &a[full..] {
            res += x;
        }
        return res;
    }
    let mut n2 = n / 2;
    n2 -= n2 % 8;
    pairwise_sum(&a[..n2]) + pairwise_sum(&a[n2..])
}

/// NumPy's default ("linear") percentile `q` (0..=100) of ascending `sorted` values, bit for bit
/// (B7); 0 for an empty slice.
pub fn percentile_sorted(sorted: &[f64], q: f64) -> f64 {
    let m = sorted.len();
    if m == 0 {
        return 0.0;
    }
    let h = (m - 1) as f64 * (q / 100.0);
    if h >= (m - 1) as f64 {
        return sorted[m - 1];
    }
    // 0 <= h < m - 1 here, so lo + 1 < m.
    let lo = h.floor().max(0.0) as usize;
    let g = h - lo as f64;
    let d = sorted[lo + 1] - sorted[lo];
    if g < 0.5 {
        sorted[lo] + d * g
    } else {
        sorted[lo + 1] - d * (1.0 - g)
    }
}

/// NumPy's median of unsorted values: the middle value, or the mean of the two middle ones;
/// 0 for an empty slice.
pub fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        m if m % 2 == 1 => v[m / 2],
        m => (v[m / 2 - 1] + v[m / 2]) / 2.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairwise_small_medium_large() {
        let a: Vec<f64> = (0..7).map(|i| i as f64 * 0.1).collect();
        assert_eq!(pairwise_sum(&a), a.iter().fold(0.0, |s, x| s + x));
        let b: Vec<f64> = (0..300).map(|i| (i as f64).sqrt() * 1.1).collect();
        let n2 = 150 - 150 % 8;
        assert_eq!(
            pairwise_sum(&b),
            pairwise_sum(&b[..n2]) + pairwise_sum(&b[n2..])
        );
        assert_eq!(pairwise_sum(&[]), 0.0);
        let c = [1.0; 20];
        assert_eq!(pairwise_sum(&c), 20.0);
    }

    #[test]
    fn percentile_matches_numpy_examples() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(percentile_sorted(&v, 50.0), 2.5);
        assert_eq!(percentile_sorted(&v, 100.0), 4.0);
        assert_eq!(percentile_sorted(&v, 0.0), 1.0);
        // h = 3 * 0.95 = 2.85: g >= 0.5 branch, 4 - 1 * 0.15.
        assert_eq!(
            percentile_sorted(&v, 95.0),
            4.0 - (1.0 - (3.0 * 0.95 - 2.0))
        );
        assert_eq!(percentile_sorted(&[7.0], 95.0), 7.0);
        assert_eq!(median(&[3.0, 1.0, 2.0, 10.0]), 2.5);
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
    }

    #[test]
    fn empty_frame_defaults() {
        let grid = FrameGrid {
            ts: 30.0,
            src: 100.0,
            step: 1.0,
            price_min: 90.0,
            price_max: 92.0,
        };
        let f = Frame::from_raw(grid, vec![0.0; 3], vec![0.0; 3], FrameMarks::default());
        let s = f.stats;
        assert_eq!(
            (s.norm_p50, s.norm_p90, s.norm_p95, s.norm_p99, s.norm_max),
            (0.0, 0.0, 1.0, 1.0, 1.0)
        );
        assert_eq!((s.bid_p50, s.bid_p95, s.bid_max), (0.0, 1.0, 1.0));
        assert_eq!(f.bid_u8, [0, 0, 0]);
        assert_eq!(f.prices(), [90.0, 91.0, 92.0]);
        assert_eq!(f.approx_notional(0), 0.0);
    }

    #[test]
    fn exchange_set_bits() {
        let mut s = ExchangeSet::of(&[Exchange::Binance, Exchange::Okx]);
        assert_eq!(s.bits(), 5);
        assert!(s.contains(Exchange::Okx) && !s.contains(Exchange::Bybit));
        s.insert(Exchange::Bybit);
        assert_eq!(s, ExchangeSet::ALL);
        s.remove(Exchange::Binance);
        assert_eq!(
            s.iter().collect::<Vec<_>>(),
            [Exchange::Bybit, Exchange::Okx]
        );
        assert_eq!(ExchangeSet::from_bits(0xff), ExchangeSet::ALL);
    }
}
