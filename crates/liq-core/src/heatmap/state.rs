//! The heatmap's persistent state (DECISIONS heatmap 5): the tape and projection buckets, the
//! learned offsets, the weights and buffer, the counters. One versioned document per symbol;
//! restored at start-up decayed for the minutes that passed (buckets under $100 dropped), or
//! ignored when nothing would survive (older than the layers' useful life).

use serde::{Deserialize, Serialize};

use super::engine::HeatmapEngine;
use super::inference::PositionBucket;
use super::tape::LiqBucket;
use crate::event::Side;

/// Version of the state document.
pub const STATE_VERSION: u32 = 1;

/// The tape's part.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TapeState {
    /// Long buckets `(key, bucket)` in map order.
    pub long: Vec<(i64, LiqBucket)>,
    /// Short buckets.
    pub short: Vec<(i64, LiqBucket)>,
    /// Events in the window.
    pub events_in_window: u64,
    /// Offset samples per tier, oldest first.
    pub offset_samples: Vec<(u32, Vec<(f64, Side)>)>,
    /// Tiers of the most recent offsets, oldest first.
    pub recent_tiers: Vec<u32>,
    /// Running totals.
    pub total_long_notional: f64,
    /// Running totals.
    pub total_short_notional: f64,
    /// Events ever.
    pub total_events: u64,
}

/// The inference's part.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InferenceState {
    /// Leverage weights.
    pub weights: Vec<(u32, f64)>,
    /// Projection buffer.
    pub buffer: f64,
    /// Long projection buckets.
    pub long: Vec<(i64, PositionBucket)>,
    /// Short projection buckets.
    pub short: Vec<(i64, PositionBucket)>,
    /// Inferences in the window.
    pub inferences_in_window: u64,
    /// The OI of the last minute (the next delta's base).
    pub last_oi: f64,
    /// The last reference price.
    pub current_price: f64,
    /// Running totals.
    pub total_inferred_long_usd: f64,
    /// Running totals.
    pub total_inferred_short_usd: f64,
}

/// The facade's counters.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EngineCounters {
    /// Minute of the last tape-learning push.
    pub last_tape_learning_push: i64,
    /// Liquidations ever.
    pub total_force_orders: u64,
    /// Inferences ever.
    pub total_inferences: u64,
    /// The reported config buffer (differs from the projections' under heatmap B2).
    pub config_buffer: f64,
}

/// One symbol's heatmap state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HeatmapState {
    /// [`STATE_VERSION`].
    pub version: u32,
    /// Symbol.
    pub symbol: String,
    /// Bucket step the keys belong to.
    pub step: f64,
    /// Save time, Unix seconds.
    pub saved_at: f64,
    /// The last minute closed.
    pub minute_key: i64,
    /// Tape.
    pub tape: TapeState,
    /// Inference.
    pub inference: InferenceState,
    /// Counters.
    pub counters: EngineCounters,
}

/// What a restore did.
#[derive(Clone, Debug, PartialEq)]
pub enum RestoreReport {
    /// Restored after decaying `minutes` minutes; `buckets` survived.
    Restored {
        /// Minutes of decay applied.
        minutes: i64,
        /// Buckets kept (tape + projections).
        buckets: usize,
    },
    /// Not used: another symbol, step or version, or nothing would survive the decay.
    Ignored(String),
}

impl HeatmapEngine {
    /// The state to persist after the minute `minute_key` closed.
    pub fn export_state(&self, minute_key: i64, now: f64) -> HeatmapState {
        HeatmapState {
            version: STATE_VERSION,
            symbol: self.config().symbol.clone(),
            step: self.config().step,
            saved_at: now,
            minute_key,
            tape: self.tape().export_state(),
            inference: self.inference().export_state(),
            counters: self.counters(),
        }
    }

    /// Restores `st` into a fresh engine at minute `now_minute`: every bucket decays for the
    /// minutes between the state's minute and `now_minute`.
    pub fn restore_state(&mut self, st: &HeatmapState, now_minute: i64) -> RestoreReport {
        if st.version != STATE_VERSION {
            return RestoreReport::Ignored(format!(
                "state version {} (expected {STATE_VERSION})",
                st.version
            ));
        }
        if st.symbol != self.config().symbol || st.step != self.config().step {
            return RestoreReport::Ignored(format!(
                "state of {} step {} (this engine: {} step {})",
                st.symbol,
                st.step,
                self.config().symbol,
                self.config().step
            ));
        }
        let minutes = (now_minute - st.minute_key).max(0);
        let factor = self
            .config()
            .decay
            .powi(i32::try_from(minutes).unwrap_or(i32::MAX));
        let biggest = st
            .tape
            .long
            .iter()
            .chain(&st.tape.short)
            .map(|(_, b)| b.notional)
            .chain(
                st.inference
                    .long
                    .iter()
                    .chain(&st.inference.short)
                    .map(|(_, b)| b.size_usd),
            )
            .fold(0.0, f64::max);
        if minutes > 0 && biggest * factor < super::tape::MIN_BUCKET_USD {
            return RestoreReport::Ignored(format!(
                "{minutes} minutes old: no bucket survives the decay (older than the layers' useful life)"
            ));
        }
        let minute = st.minute_key + minutes;
        let buckets = self.restore_parts(st, factor, minute);
        RestoreReport::Restored { minutes, buckets }
    }
}
