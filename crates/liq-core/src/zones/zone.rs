//! One persistent zone (zones_orderbook.md A2) and where its weight came from.

use indexmap::IndexMap;

use crate::event::Side;
use crate::heatmap::zones::ZoneSource;

/// Origin of a zone's contributions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZoneOrigin {
    /// Observed liquidations only.
    Tape,
    /// Projected levels only.
    Inference,
    /// Both.
    Combined,
    /// A sweep (never produced; kept for files that hold it).
    Sweep,
    /// A file without the field.
    Unknown,
}

impl ZoneOrigin {
    /// The JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            ZoneOrigin::Tape => "tape",
            ZoneOrigin::Inference => "inference",
            ZoneOrigin::Combined => "combined",
            ZoneOrigin::Sweep => "sweep",
            ZoneOrigin::Unknown => "unknown",
        }
    }

    /// Parses the JSON name (anything else is `Unknown`).
    pub fn parse(s: &str) -> Self {
        match s {
            "tape" => ZoneOrigin::Tape,
            "inference" => ZoneOrigin::Inference,
            "combined" => ZoneOrigin::Combined,
            "sweep" => ZoneOrigin::Sweep,
            _ => ZoneOrigin::Unknown,
        }
    }

    /// The origin of one contribution.
    pub fn of(source: ZoneSource) -> Self {
        match source {
            ZoneSource::Tape => ZoneOrigin::Tape,
            ZoneSource::Inference => ZoneOrigin::Inference,
        }
    }
}

/// A persistent zone.
#[derive(Clone, Debug, PartialEq)]
pub struct Zone {
    /// Bucket price (a file's price as stored under the reference's load rule).
    pub price: f64,
    /// Side.
    pub side: Side,
    /// Current intensity (dimensionless, about USD / 100 000 x tier weight x confidence).
    pub weight: f64,
    /// The part of `weight` built from observed liquidations (DECISIONS zones 9).
    pub observed: f64,
    /// The part built from projections.
    pub projected: f64,
    /// Creation time, Unix seconds.
    pub created_at: f64,
    /// Creation or last reinforcement (or, with the merge fix, the later of a merge pair).
    pub last_reinforced_at: f64,
    /// Reinforcements.
    pub reinforcement_count: u64,
    /// Origin.
    pub source: ZoneOrigin,
    /// Adjusted weight contributed per tier, insertion-ordered, never decayed (Z5).
    pub tier_contributions: IndexMap<u32, f64>,
}

impl Zone {
    /// Sets the total to `w`, moving the parts in proportion (both zero: the total goes to the
    /// part of the zone's own origin).
    pub(crate) fn set_weight(&mut self, w: f64) {
        let parts = self.observed + self.projected;
        if parts > 0.0 && parts.is_finite() {
            let f = w / parts;
            self.observed *= f;
            self.projected *= f;
        } else if self.source == ZoneOrigin::Tape {
            self.observed = w;
            self.projected = 0.0;
        } else {
            self.observed = 0.0;
            self.projected = w;
        }
        self.weight = w;
    }

    /// Adds `add` to the part of `origin` and to the total, then caps the total at `cap` (the
    /// cap moves both parts in proportion).
    pub(crate) fn add_capped(&mut self, add: f64, origin: ZoneOrigin, cap: f64) {
        let total = (self.weight + add).min(cap);
        match origin {
            ZoneOrigin::Tape => self.observed += add,
            _ => self.projected += add,
        }
        if total == self.weight + add {
            self.weight = total;
        } else {
            self.set_weight(total);
        }
    }

    /// Multiplies the total and both parts.
    pub(crate) fn scale(&mut self, f: f64) {
        self.weight *= f;
        self.observed *= f;
        self.projected *= f;
    }

    /// Adds a tier contribution (a new tier goes to the end of the map).
    pub(crate) fn contribute(&mut self, tier: u32, c: f64) {
        *self.tier_contributions.entry(tier).or_insert(0.0) += c;
    }
}
