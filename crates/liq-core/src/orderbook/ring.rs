//! The in-memory ring of a symbol's last frames (zones_orderbook.md B8, api.md 4.3): 1440
//! frames (12 h of 30-second slots), strictly increasing `ts`, shared as `Arc<Frame>`.

use std::collections::VecDeque;
use std::sync::Arc;

use thiserror::Error;

use super::frame::{Frame, SLOT_SECS};

/// Frames kept in memory and on disk (12 hours of 30-second slots).
pub const RING_CAPACITY: usize = 1440;

/// Why a frame was not added.
#[derive(Debug, Clone, Copy, PartialEq, Error)]
pub enum RingError {
    /// The frame's `ts` is not after the newest frame's (frames are placed by `ts`).
    #[error("frame ts {ts} is not after the newest frame's {last}")]
    NotNewer {
        /// The rejected frame's `ts`.
        ts: f64,
        /// The newest frame's `ts`.
        last: f64,
    },
}

/// Which end a strided selection starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StrideAnchor {
    /// Indices `0, stride, 2·stride, …` of the selection (the reference: the newest frame is
    /// included only when `(k − 1) mod stride = 0`, api.md A6).
    #[default]
    Oldest,
    /// Indices `k−1, k−1−stride, …`, returned oldest first (always includes the newest).
    Newest,
}

/// A bounded ring of frames, oldest first.
#[derive(Debug, Clone)]
pub struct FrameRing {
    frames: VecDeque<Arc<Frame>>,
    capacity: usize,
}

impl Default for FrameRing {
    fn default() -> Self {
        Self::new(RING_CAPACITY)
    }
}

impl FrameRing {
    /// An empty ring holding at most `capacity` frames (at least 1).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        FrameRing {
            frames: VecDeque::with_capacity(capacity),
            capacity,
        }
    }

    /// Appends a frame whose `ts` is after the newest one's; returns the frame that fell out.
    pub fn push(&mut self, frame: impl Into<Arc<Frame>>) -> Result<Option<Arc<Frame>>, RingError> {
        let frame = frame.into();
        if let Some(last) = self.frames.back() {
            // Anything but "greater" (also a NaN ts) is refused.
            if frame.ts.partial_cmp(&last.ts) != Some(std::cmp::Ordering::Greater) {
                return Err(RingError::NotNewer {
                    ts: frame.ts,
                    last: last.ts,
                });
            }
        }
        let evicted = if self.frames.len() == self.capacity {
            self.frames.pop_front()
        } else {
            None
        };
        self.frames.push_back(frame);
        Ok(evicted)
    }

    /// Capacity.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Frames held.
    pub fn len(&self) -> usize {
        self.frames.len()
    }

    /// Whether no frame is held.
    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// The newest frame (`get_latest`).
    pub fn latest(&self) -> Option<&Arc<Frame>> {
        self.frames.back()
    }

    /// The oldest frame.
    pub fn oldest(&self) -> Option<&Arc<Frame>> {
        self.frames.front()
    }

    /// Every frame, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Arc<Frame>> + ExactSizeIterator {
        self.frames.iter()
    }

    /// The newest `k` frames (all if fewer), oldest first.
    pub fn latest_n(&self, k: usize) -> Vec<Arc<Frame>> {
        let skip = self.frames.len().saturating_sub(k);
        self.frames.iter().skip(skip).cloned().collect()
    }

    /// `get_frames(minutes, stride)`: the newest `minutes·60/30` frames, then every `stride`-th
    /// from `anchor` (stride 0 counts as 1), oldest first.
    pub fn get_frames(
        &self,
        minutes: usize,
        stride: usize,
        anchor: StrideAnchor,
    ) -> Vec<Arc<Frame>> {
        let per_minute = (60.0 / SLOT_SECS) as usize;
        let sel = self.latest_n(minutes.saturating_mul(per_minute));
        stride_select(sel, stride, anchor)
    }

    /// Frames with `t0 ≤ ts ≤ t1`, oldest first.
    pub fn range(&self, t0: f64, t1: f64) -> Vec<Arc<Frame>> {
        let start = self.frames.partition_point(|f| f.ts < t0);
        let end = self.frames.partition_point(|f| f.ts <= t1);
        self.frames.range(start..end.max(start)).cloned().collect()
    }

    /// Frames with `ts > t`, oldest first (what a tailing reader has not seen yet).
    pub fn since(&self, t: f64) -> Vec<Arc<Frame>> {
        let start = self.frames.partition_point(|f| f.ts <= t);
        self.frames.range(start..).cloned().collect()
    }
}

/// Every `stride`-th element of `sel` from `anchor`, kept in order (stride 0 counts as 1).
pub fn stride_select<T>(sel: Vec<T>, stride: usize, anchor: StrideAnchor) -> Vec<T> {
    let stride = stride.max(1);
    if stride == 1 {
        return sel;
    }
    let k = sel.len();
    let offset = match anchor {
        StrideAnchor::Oldest => 0,
        StrideAnchor::Newest => (k.saturating_sub(1)) % stride,
    };
    sel.into_iter()
        .enumerate()
        .filter(|(i, _)| *i >= offset && (i - offset) % stride == 0)
        .map(|(_, f)| f)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orderbook::frame::{FrameGrid, FrameMarks};

    fn frame(ts: f64) -> Frame {
        let grid = FrameGrid {
            ts,
            src: 100.0,
            step: 1.0,
            price_min: 90.0,
            price_max: 91.0,
        };
        Frame::from_raw(grid, vec![1.0, 2.0], vec![0.0, 3.0], FrameMarks::default())
    }

    #[test]
    fn capacity_order_and_selection() {
        let mut r = FrameRing::new(5);
        assert!(r.latest().is_none());
        for i in 0..8 {
            let ev = r.push(frame(30.0 * (i + 1) as f64)).unwrap();
            assert_eq!(ev.is_some(), i >= 5);
        }
        assert_eq!(r.len(), 5);
        assert_eq!(r.oldest().unwrap().ts, 120.0);
        assert_eq!(r.latest().unwrap().ts, 240.0);
        assert_eq!(
            r.push(frame(240.0)),
            Err(RingError::NotNewer {
                ts: 240.0,
                last: 240.0
            })
        );
        let ts = |v: Vec<Arc<Frame>>| v.iter().map(|f| f.ts).collect::<Vec<_>>();
        assert_eq!(ts(r.latest_n(2)), [210.0, 240.0]);
        assert_eq!(ts(r.latest_n(99)).len(), 5);
        // 1 minute = 2 frames; stride 2 from the oldest keeps only the first of them.
        assert_eq!(ts(r.get_frames(1, 2, StrideAnchor::Oldest)), [210.0]);
        assert_eq!(ts(r.get_frames(1, 2, StrideAnchor::Newest)), [240.0]);
        assert_eq!(ts(r.get_frames(2, 2, StrideAnchor::Oldest)), [150.0, 210.0]);
        assert_eq!(ts(r.get_frames(2, 2, StrideAnchor::Newest)), [180.0, 240.0]);
        assert_eq!(ts(r.get_frames(2, 0, StrideAnchor::Newest)).len(), 4);
        assert_eq!(ts(r.range(150.0, 210.0)), [150.0, 180.0, 210.0]);
        assert_eq!(ts(r.range(211.0, 100.0)), Vec::<f64>::new());
        assert_eq!(ts(r.since(180.0)), [210.0, 240.0]);
    }
}
