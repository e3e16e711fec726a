//! The interface the heatmap uses to drive the persistent-zone manager (heatmap.md 6.5). The
//! manager itself is its own component; the engine runs without one (`None`).

use serde::Serialize;

use crate::event::Side;

/// Where a zone contribution comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZoneSource {
    /// An observed liquidation.
    Tape,
    /// A projected liquidation level.
    Inference,
}

/// The nine summary counters of a zone manager (V2 `stats.zone_manager`, cycle records). A
/// side without zones prints its total weight as the integer `0` (Python's `sum([])`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ZoneSummary {
    /// Active long zones.
    pub active_zones_long: u64,
    /// Active short zones.
    pub active_zones_short: u64,
    /// Total long weight, rounded to 2 dp.
    pub total_weight_long: f64,
    /// Total short weight, rounded to 2 dp.
    pub total_weight_short: f64,
    /// Zones created.
    pub zones_created_total: u64,
    /// Reinforcements.
    pub zones_reinforced_total: u64,
    /// Zones swept.
    pub zones_swept_total: u64,
    /// Zones expired.
    pub zones_expired_total: u64,
    /// Zones merged.
    pub zones_merged_total: u64,
}

impl Serialize for ZoneSummary {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(9))?;
        m.serialize_entry("active_zones_long", &self.active_zones_long)?;
        m.serialize_entry("active_zones_short", &self.active_zones_short)?;
        for (k, n, w) in [
            (
                "total_weight_long",
                self.active_zones_long,
                self.total_weight_long,
            ),
            (
                "total_weight_short",
                self.active_zones_short,
                self.total_weight_short,
            ),
        ] {
            if n == 0 {
                m.serialize_entry(k, &0u8)?;
            } else {
                m.serialize_entry(k, &w)?;
            }
        }
        m.serialize_entry("zones_created_total", &self.zones_created_total)?;
        m.serialize_entry("zones_reinforced_total", &self.zones_reinforced_total)?;
        m.serialize_entry("zones_swept_total", &self.zones_swept_total)?;
        m.serialize_entry("zones_expired_total", &self.zones_expired_total)?;
        m.serialize_entry("zones_merged_total", &self.zones_merged_total)?;
        m.end()
    }
}

/// Calls the heatmap makes into a zone manager, in the order of heatmap.md 6.5. `now` is the
/// time of the call (a liquidation's event time, the minute's rollover instant).
pub trait ZoneSink: std::fmt::Debug {
    /// A tape or projection contribution at a bucket price.
    #[allow(clippy::too_many_arguments)]
    fn create_or_reinforce(
        &mut self,
        price: f64,
        side: Side,
        weight: f64,
        source: ZoneSource,
        tier: Option<u32>,
        confidence: f64,
        now: f64,
    );
    /// Sweep zones the minute's range crossed.
    fn sweep(&mut self, high: f64, low: f64, now: f64);
    /// Per-minute decay and expiry.
    fn apply_decay_and_expire(&mut self, current_price: f64, now: f64);
    /// Multiply zone weights by `factor` (an OI drop); `projected_only` per DECISIONS zones 6/9.
    fn scale_weights(&mut self, factor: f64, projected_only: bool);
    /// Merge nearby zones; returns the number of merges.
    fn merge_nearby_zones(&mut self, now: f64) -> u64;
    /// The summary counters.
    fn summary(&self) -> ZoneSummary;
}

/// Reborrows an optional zone sink for one call (shortens the trait object's lifetime, which
/// `Option::as_deref_mut` cannot do).
pub fn reborrow<'a>(z: &'a mut Option<&mut dyn ZoneSink>) -> Option<&'a mut dyn ZoneSink> {
    match z {
        Some(z) => Some(&mut **z),
        None => None,
    }
}
