//! Reference compatibility: one switch per Python-reference bug that a golden test must be able
//! to reproduce (DESIGN.md rule 4, DECISIONS.md). Our fixes are the default (`false`); the
//! `reference()` preset turns every switch on at once.
//!
//! Switches are named after their component and bug id in the specs (`heatmap_b1` is heatmap.md
//! section 9, B1). Bugs whose reference behaviour cannot be expressed at all in typed Rust have no
//! switch: heatmap B21 (an unknown side string counted as short) is impossible with the `Side`
//! enum.

use serde::{Deserialize, Serialize};

/// The reference-compatibility switches; `true` reproduces the reference's behaviour.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReferenceCompat {
    /// Heatmap B1: the opening threshold and the closing factor use the OI just received
    /// instead of the previous minute's OI.
    pub heatmap_b1: bool,
    /// Heatmap B2 (= calibrator B4, one bug, one switch): a calibrated buffer updates only the
    /// reported config, never the buffer of the projections; and the calibrator keeps its own
    /// implied level `1/L + b + 0.01/L` instead of the one formula `1/L + b`.
    #[serde(alias = "calibrator_b4")]
    pub heatmap_b2: bool,
    /// Heatmap B6: the entry estimate looks for neighbour buckets by float addition, which
    /// misses on fractional steps.
    pub heatmap_b6: bool,
    /// Heatmap B7: tape learning counts the aggregate of all tiers for a tier without samples
    /// and includes the disabled tier.
    pub heatmap_b7: bool,
    /// Heatmap B10: an OI of 0 after real values is a real value (a fake closing step).
    pub heatmap_b10: bool,
    /// Heatmap B11: the tape sweep runs even when the minute's high or low is 0.
    pub heatmap_b11: bool,
    /// Heatmap B12: the taker flow of a rollover is whichever minute was archived last.
    pub heatmap_b12: bool,
    /// Heatmap B20: the zone tracker runs for BTC only, with a fixed step of 20.
    pub heatmap_b20: bool,
    /// Calibrator B1: the entropy kill switch trips below the fixed 1.6 nats, which the default
    /// weights already are (fixed: below `0.85 * ln(n_enabled)`, and only for a run whose own
    /// update lowered the entropy).
    pub calibrator_b1: bool,
    /// Calibrator B2: mark-priced events are counted as `fallback` in the source counter, so
    /// the mark sentinel fires on a healthy mark stream.
    pub calibrator_b2: bool,
    /// Calibrator B3: tolerance tuning truncates (`int(tol * 1.2)` cannot grow 4) and judges
    /// only misses, so it can never shrink (fixed: round up, judge every event's distance; a
    /// tolerance at its bound no longer trips the kill switch, it never reaches the weights).
    pub calibrator_b3: bool,
    /// Calibrator B7: the volatility EWMA moves on every event (bursts at one mark price pin
    /// it to the floor) instead of once per minute.
    pub calibrator_b7: bool,
    /// Calibrator B8: a weights file with a bad ladder still loads its buffer, tolerance,
    /// count, offsets and bias (fixed: validated first, rejected whole).
    pub calibrator_b8: bool,
    /// Calibrator B9: a weights file on another ladder is taken as-is (the engine then ignores
    /// it) instead of being migrated onto the configured ladder.
    pub calibrator_b9: bool,
    /// Calibrator B10: the degenerate fallback mixes legacy config weights with 1.0 for tiers
    /// the legacy config lacks.
    pub calibrator_b10: bool,
    /// Calibrator B11: a miss on a side without zones adds an infinite distance to the window's
    /// miss total (fixed: only finite distances are averaged). JSON writes `null` either way.
    pub calibrator_b11: bool,
    /// Calibrator B14: the max-weight kill switch trips on a largest weight the engine handed
    /// in (its hourly tape learning concentrates weights on long runs), which stops the only
    /// counterweight (fixed: only a run whose own update raised the largest weight to the cap
    /// counts). The 0.35 cap stays before anchoring in both.
    pub calibrator_b14: bool,
    /// Calibrator B20: the engine receives the proposal before the save-time enforcement of
    /// disabled tiers (all zeros when the engine had no enabled weight) instead of the weights
    /// the calibrator keeps.
    pub calibrator_b20: bool,
    /// Zones Z1: a new zone takes its full weight, above the 5.0 cap (fixed: capped).
    pub zones_z1: bool,
    /// Zones Z2: a load keeps the saved weights for any downtime (fixed: the decay of the
    /// minutes that passed is applied, DECISIONS zones 5).
    pub zones_z2: bool,
    /// Zones Z4: a loaded price is kept as stored, a duplicate key replaces the earlier zone
    /// (fixed: re-bucketed, duplicates summed).
    pub zones_z4: bool,
    /// Zones Z8: an OI drop fades every zone, observed ones included (fixed: only the
    /// projected part; the file carries both parts).
    pub zones_z8: bool,
    /// Zones Z10: a sweep with a zero bound removes every long zone (fixed: skipped).
    pub zones_z10: bool,
    /// Zones Z13: merges are silent and keep the kept zone's reinforcement time (fixed: a
    /// `zone_merged` record, the later time).
    pub zones_z13: bool,
    /// Order book O1: the frames sum Binance's book only (fixed: every configured exchange,
    /// DECISIONS zones 2).
    pub orderbook_o1: bool,
}

impl ReferenceCompat {
    /// Our fixes everywhere (the default).
    pub fn fixed() -> Self {
        Self::default()
    }

    /// The Python reference's behaviour everywhere (`--reference-compat`).
    pub fn reference() -> Self {
        ReferenceCompat {
            heatmap_b1: true,
            heatmap_b2: true,
            heatmap_b6: true,
            heatmap_b7: true,
            heatmap_b10: true,
            heatmap_b11: true,
            heatmap_b12: true,
            heatmap_b20: true,
            calibrator_b1: true,
            calibrator_b2: true,
            calibrator_b3: true,
            calibrator_b7: true,
            calibrator_b8: true,
            calibrator_b9: true,
            calibrator_b10: true,
            calibrator_b11: true,
            calibrator_b14: true,
            calibrator_b20: true,
            zones_z1: true,
            zones_z2: true,
            zones_z4: true,
            zones_z8: true,
            zones_z10: true,
            zones_z13: true,
            orderbook_o1: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_and_config_names() {
        assert_eq!(ReferenceCompat::fixed(), ReferenceCompat::default());
        let r = ReferenceCompat::reference();
        let v = serde_json::to_value(r).unwrap();
        let on = v
            .as_object()
            .unwrap()
            .values()
            .filter(|b| **b == true)
            .count();
        assert_eq!(
            on,
            v.as_object().unwrap().len(),
            "reference turns every switch on"
        );
        let partial: ReferenceCompat = serde_json::from_str(r#"{"heatmap_b2": true}"#).unwrap();
        assert!(partial.heatmap_b2 && !partial.heatmap_b1);
        assert!(serde_json::from_str::<ReferenceCompat>(r#"{"heatmap_b99": true}"#).is_err());
        let alias: ReferenceCompat = serde_json::from_str(r#"{"calibrator_b4": true}"#).unwrap();
        assert!(alias.heatmap_b2, "calibrator B4 is heatmap B2: one switch");
    }
}
