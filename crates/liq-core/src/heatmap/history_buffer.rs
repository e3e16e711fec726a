//! The in-memory liquidation history buffer of one symbol and version (api.md 4.2): the last 720
//! minute frames, at most one per wall-clock minute (the first frame seen in a minute wins).

use std::collections::VecDeque;
use std::sync::Arc;

use super::history::{HistoryError, HistoryFrame, KEEP_RECORDS};
use crate::orderbook::ring::{StrideAnchor, stride_select};

/// What happened to a frame offered to a buffer or a file.
#[derive(Debug, Clone, PartialEq)]
pub enum AddOutcome {
    /// Appended.
    Added,
    /// Not appended: its minute is not after the newest frame's minute.
    SameMinute,
    /// Not appended: the frame is invalid.
    Invalid(HistoryError),
}

/// The dedup rule: `frame` is kept only if valid and its minute `floor(ts/60)` is after
/// `last_minute` (the newest kept frame's minute).
pub fn admit(last_minute: Option<i64>, frame: &HistoryFrame) -> AddOutcome {
    if let Err(e) = frame.validate() {
        return AddOutcome::Invalid(e);
    }
    match last_minute {
        Some(m) if frame.minute() <= m => AddOutcome::SameMinute,
        _ => AddOutcome::Added,
    }
}

/// A bounded buffer of minute frames, oldest first.
#[derive(Debug, Clone)]
pub struct HistoryBuffer {
    frames: VecDeque<Arc<HistoryFrame>>,
    capacity: usize,
}

impl Default for HistoryBuffer {
    fn default() -> Self {
        Self::new(KEEP_RECORDS)
    }
}

impl HistoryBuffer {
    /// An empty buffer of at most `capacity` frames (at least 1).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        HistoryBuffer {
            frames: VecDeque::with_capacity(capacity),
            capacity,
        }
    }

    /// A buffer holding the newest `capacity` of `frames` that pass [`admit`] in order.
    pub fn from_frames(capacity: usize, frames: impl IntoIterator<Item = HistoryFrame>) -> Self {
        let mut b = Self::new(capacity);
        for f in frames {
            b.add(f);
        }
        b
    }

    /// Offers a frame; the oldest falls out when the buffer is full.
    pub fn add(&mut self, frame: HistoryFrame) -> AddOutcome {
        let outcome = admit(self.last_minute(), &frame);
        if outcome == AddOutcome::Added {
            if self.frames.len() == self.capacity {
                self.frames.pop_front();
            }
            self.frames.push_back(Arc::new(frame));
        }
        outcome
    }

    /// Minute of the newest frame.
    pub fn last_minute(&self) -> Option<i64> {
        self.frames.back().map(|f| f.minute())
    }

    /// Frames held.
    pub fn len(&self) -> usize {
        self.frames.len()
    }

    /// Whether no frame is held.
    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// The newest frame.
    pub fn latest(&self) -> Option<&Arc<HistoryFrame>> {
        self.frames.back()
    }

    /// Every frame, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Arc<HistoryFrame>> + ExactSizeIterator {
        self.frames.iter()
    }

    /// `get_frames(minutes, stride)`: the newest `min(minutes, len)` frames, then every
    /// `stride`-th from `anchor`, oldest first.
    pub fn get_frames(
        &self,
        minutes: usize,
        stride: usize,
        anchor: StrideAnchor,
    ) -> Vec<Arc<HistoryFrame>> {
        let skip = self.frames.len().saturating_sub(minutes);
        let sel: Vec<_> = self.frames.iter().skip(skip).cloned().collect();
        stride_select(sel, stride, anchor)
    }
}
