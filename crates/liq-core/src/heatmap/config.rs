//! Per-symbol heatmap configuration (heatmap.md 1.3, 4.1). No hidden defaults: `runtime`
//! gives the reference's runtime row for a symbol and its step.

use serde::{Deserialize, Serialize};

/// Configuration of one symbol's heatmap engine.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HeatmapConfig {
    /// Short symbol.
    pub symbol: String,
    /// Bucket step.
    pub step: f64,
    /// Per-minute multiplier of tape and projections (0.995).
    pub decay: f64,
    /// Maintenance-margin buffer of the projected liquidation price (0.002).
    pub buffer: f64,
    /// Weight of the tape in combined maps (0.35).
    pub tape_weight: f64,
    /// Weight of the projections in combined maps (0.65).
    pub projection_weight: f64,
    /// Pool chaining radius as a fraction of the centre price (0.005).
    pub cluster_radius_pct: f64,
    /// Default minimum pool notional (10000; the V2 snapshot passes 1000).
    pub min_notional_usd: f64,
    /// Pools kept per side (20).
    pub max_pools_per_side: usize,
}

impl HeatmapConfig {
    /// The reference's runtime configuration for `symbol` with bucket step `step`.
    pub fn runtime(symbol: &str, step: f64) -> Self {
        HeatmapConfig {
            symbol: symbol.to_owned(),
            step,
            decay: 0.995,
            buffer: 0.002,
            tape_weight: 0.35,
            projection_weight: 0.65,
            cluster_radius_pct: 0.005,
            min_notional_usd: 10000.0,
            max_pools_per_side: 20,
        }
    }
}
