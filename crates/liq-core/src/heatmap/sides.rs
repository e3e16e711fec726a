//! Per-side bucket maps keyed by integer bucket index, in insertion order.

use indexmap::IndexMap;

use crate::event::Side;
use crate::grid::BucketStep;
use crate::hash::FnvBuild;

/// An insertion-ordered map from bucket index to a value (the reference's dicts keep insertion
/// order, which is observable in log order and float summation order). Hashed with FNV: the
/// keys are small integers of our own making.
pub type BucketMap<V> = IndexMap<i64, V, FnvBuild>;

/// One map per side.
#[derive(Clone, Debug, PartialEq)]
pub struct Sides<V> {
    /// Long positions (levels below price).
    pub long: BucketMap<V>,
    /// Short positions (levels above price).
    pub short: BucketMap<V>,
}

impl<V> Default for Sides<V> {
    fn default() -> Self {
        Sides {
            long: IndexMap::default(),
            short: IndexMap::default(),
        }
    }
}

impl<V> Sides<V> {
    /// The map of one side.
    pub fn side(&self, side: Side) -> &BucketMap<V> {
        match side {
            Side::Long => &self.long,
            Side::Short => &self.short,
        }
    }

    /// The map of one side, mutably.
    pub fn side_mut(&mut self, side: Side) -> &mut BucketMap<V> {
        match side {
            Side::Long => &mut self.long,
            Side::Short => &mut self.short,
        }
    }

    /// Both sides, long first.
    pub fn both(&self) -> [(Side, &BucketMap<V>); 2] {
        [(Side::Long, &self.long), (Side::Short, &self.short)]
    }
}

/// The keys of `side` that a minute with this `high`/`low` crosses, in map order: shorts at or
/// below the high (`high >= price`), longs at or above the low (`low <= price`).
pub fn crossed_keys<V>(
    map: &BucketMap<V>,
    step: &BucketStep,
    side: Side,
    high: f64,
    low: f64,
) -> Vec<i64> {
    let crossed = |p: f64| match side {
        Side::Short => high >= p,
        Side::Long => low <= p,
    };
    map.keys()
        .copied()
        .filter(|k| crossed(step.price(*k)))
        .collect()
}
