//! Window statistics, stored snapshots and the minute cache (calibrator.md 3.2 to 3.5).

use std::collections::HashSet;

use indexmap::IndexMap;

use crate::event::Side;
use crate::hash::FnvBuild;

/// Source band of an event's distance from its reference price.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SrcBand {
    /// Within 1 %.
    Near,
    /// Within 2.5 %.
    Mid,
    /// Farther.
    Far,
}

impl SrcBand {
    /// Record name.
    pub fn as_str(self) -> &'static str {
        match self {
            SrcBand::Near => "NEAR",
            SrcBand::Mid => "MID",
            SrcBand::Far => "FAR",
        }
    }
}

/// Band of an event's distance from the implied level of its best tier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImpliedBand {
    /// Within 0.25 %.
    Near,
    /// Within 0.75 %.
    Mid,
    /// Farther.
    Far,
}

impl ImpliedBand {
    /// Record name.
    pub fn as_str(self) -> &'static str {
        match self {
            ImpliedBand::Near => "IMPLIED_NEAR",
            ImpliedBand::Mid => "IMPLIED_MID",
            ImpliedBand::Far => "IMPLIED_FAR",
        }
    }
}

/// Where an event's reference price came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SrcSource {
    /// The event-time mark price.
    Mark,
    /// The event-time order-book mid.
    Mid,
    /// The last close of the price tracker.
    Last,
    /// The snapshot's OHLC4.
    FallbackOhlc4,
}

impl SrcSource {
    /// Record name.
    pub fn as_str(self) -> &'static str {
        match self {
            SrcSource::Mark => "markPrice",
            SrcSource::Mid => "mid",
            SrcSource::Last => "last",
            SrcSource::FallbackOhlc4 => "fallback_ohlc4",
        }
    }
}

/// Per-window counts of event reference sources (`mark`, `mid`, `last`, `fallback`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct SourceCounts {
    /// Mark-priced events (0 under calibrator B2).
    pub mark: u64,
    /// Mid-priced events.
    pub mid: u64,
    /// Last-priced events.
    pub last: u64,
    /// Everything else.
    pub fallback: u64,
}

impl SourceCounts {
    /// Sum of all counts.
    pub fn total(&self) -> u64 {
        self.mark + self.mid + self.last + self.fallback
    }
}

/// Context of the first snapshot of the window in which a zone appeared (3.4).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ZoneMeta {
    /// Minute of that snapshot.
    pub origin_minute_key: i64,
    /// Its reference price.
    pub origin_src: f64,
    /// Its buffer.
    pub origin_buffer: f64,
    /// The zone's price.
    pub zone_price: f64,
}

/// Per-tier soft statistics, in ladder order of first touch.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SoftStats {
    /// Responsibility mass per tier.
    pub totals: IndexMap<u32, f64, FnvBuild>,
    /// Soft hit credit per tier (penalties make it negative).
    pub hits: IndexMap<u32, f64, FnvBuild>,
}

impl SoftStats {
    /// Adds `r` to a tier's mass and `credit` to its hits.
    pub fn add(&mut self, tier: u32, r: f64, credit: f64) {
        *self.totals.entry(tier).or_insert(0.0) += r;
        *self.hits.entry(tier).or_insert(0.0) += credit;
    }

    /// `(total, hits)` of a tier, 0 when untouched.
    pub fn get(&self, tier: u32) -> (f64, f64) {
        (
            self.totals.get(&tier).copied().unwrap_or(0.0),
            self.hits.get(&tier).copied().unwrap_or(0.0),
        )
    }
}

/// The statistics of the open window (3.5), reset after every calibration run.
#[derive(Clone, Debug, PartialEq)]
pub struct WindowStats {
    /// Events processed.
    pub total_events: u64,
    /// Binary hits.
    pub hits: u64,
    /// Binary misses.
    pub misses: u64,
    /// Sum of hit strengths.
    pub total_hit_strength: f64,
    /// Sum of miss distances in buckets (+inf under calibrator B11 for sides without zones).
    pub total_miss_distance: f64,
    /// Misses whose distance entered `total_miss_distance`.
    pub finite_misses: u64,
    /// Soft statistics.
    pub soft: SoftStats,
    /// Buffer tuning samples (USD).
    pub distance_directions: Vec<f64>,
    /// Tolerance tuning samples (buckets) of misses.
    pub miss_distances: Vec<f64>,
    /// Tolerance tuning samples (buckets) of every calibrating event (calibrator B3 fixed).
    pub event_distances: Vec<f64>,
    /// Legacy USD miss samples, longs.
    pub long_offsets: Vec<f64>,
    /// Legacy USD miss samples, shorts.
    pub short_offsets: Vec<f64>,
    /// Percent miss samples, longs.
    pub long_miss_pct: Vec<f64>,
    /// Percent miss samples, shorts.
    pub short_miss_pct: Vec<f64>,
    /// Best-tier histogram in first-attribution order.
    pub attributed: IndexMap<u32, u64, FnvBuild>,
    /// Source band counts NEAR, MID, FAR.
    pub band_counts: [u64; 3],
    /// Implied band counts NEAR, MID, FAR.
    pub implied_band_counts: [u64; 3],
    /// Highest sane event price (0 when none).
    pub window_high: f64,
    /// Lowest sane event price (+inf when none).
    pub window_low: f64,
    /// Zones approached this window, `(bucket index, side)`.
    pub reached_zones: HashSet<(i64, Side), FnvBuild>,
    /// Every snapshot of this window, in call order: a zone's origin (its first appearance
    /// in the window, 3.4) is looked up here when it is penalized.
    pub window_snapshots: Vec<std::sync::Arc<StoredSnapshot>>,
    /// Identifiability: tier nearest each event.
    pub ident_best_l: Vec<u32>,
    /// Identifiability: gap between the two nearest tiers, percent.
    pub ident_gap_pct: Vec<f64>,
    /// Identifiability: responsibility of the best tier.
    pub ident_resp_best: Vec<f64>,
    /// Approach events credited.
    pub approach_events: u64,
    /// Reference-source counts.
    pub sources: SourceCounts,
}

impl Default for WindowStats {
    fn default() -> Self {
        WindowStats {
            total_events: 0,
            hits: 0,
            misses: 0,
            total_hit_strength: 0.0,
            total_miss_distance: 0.0,
            finite_misses: 0,
            soft: SoftStats::default(),
            distance_directions: Vec::new(),
            miss_distances: Vec::new(),
            event_distances: Vec::new(),
            long_offsets: Vec::new(),
            short_offsets: Vec::new(),
            long_miss_pct: Vec::new(),
            short_miss_pct: Vec::new(),
            attributed: IndexMap::default(),
            band_counts: [0; 3],
            implied_band_counts: [0; 3],
            window_high: 0.0,
            window_low: f64::INFINITY,
            reached_zones: HashSet::default(),
            window_snapshots: Vec::new(),
            ident_best_l: Vec::new(),
            ident_gap_pct: Vec::new(),
            ident_resp_best: Vec::new(),
            approach_events: 0,
            sources: SourceCounts::default(),
        }
    }
}

impl WindowStats {
    /// The judged price range `[low (1 - 0.75 %), high (1 + 0.75 %)]`, when a sane event set
    /// the window's bounds.
    pub fn judged_range(&self) -> Option<(f64, f64)> {
        if self.window_high <= 0.0 || self.window_low == f64::INFINITY {
            return None;
        }
        Some((
            self.window_low * (1.0 - super::config::APPROACH_PCT),
            self.window_high * (1.0 + super::config::APPROACH_PCT),
        ))
    }
}

/// A stored minute snapshot (3.2).
#[derive(Clone, Debug, PartialEq)]
pub struct StoredSnapshot {
    /// Rollover instant.
    pub timestamp: f64,
    /// Minute key.
    pub minute_key: i64,
    /// Reference price.
    pub src: f64,
    /// Long zones.
    pub pred_longs: Vec<(f64, f64)>,
    /// Short zones.
    pub pred_shorts: Vec<(f64, f64)>,
    /// Ladder.
    pub ladder: Vec<u32>,
    /// Weights.
    pub weights: Vec<f64>,
    /// Buffer.
    pub buffer: f64,
    /// Bucket width.
    pub steps: f64,
}

impl StoredSnapshot {
    /// The zones of a side.
    pub fn zones(&self, side: Side) -> &[(f64, f64)] {
        match side {
            Side::Long => &self.pred_longs,
            Side::Short => &self.pred_shorts,
        }
    }
}

/// The market part of a snapshot (3.3); only the newest and the previous are read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MinuteCacheEntry {
    /// Minute key.
    pub minute_key: i64,
    /// Reference price.
    pub src: f64,
    /// High (or src).
    pub high: f64,
    /// Low (or src).
    pub low: f64,
    /// Close (or src).
    pub close: f64,
    /// Taker buy volume (or 0).
    pub buy: f64,
    /// Taker sell volume (or 0).
    pub sell: f64,
    /// OI change (or 0).
    pub oi_change: f64,
    /// Depth band (or empty).
    pub depth_band: Vec<(f64, f64)>,
}
