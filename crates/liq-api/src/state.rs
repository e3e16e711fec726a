//! The shared state behind the handlers: per-symbol published snapshots (atomic swaps), the
//! liquidation history buffers, the zone managers, the response cache and the clock.

use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use arc_swap::ArcSwapOption;
use liq_core::heatmap::history_buffer::{AddOutcome, HistoryBuffer};
use liq_core::zones::ZoneManager;

use crate::cache::ResponseCache;
use crate::forecast::ForecastSnapshot;
use crate::oi::OiSnapshot;
use crate::orderbook::ObBook;
use crate::snapshot::Snapshot;
use crate::symbols::{SYMBOLS, SymbolInfo};

/// Where `now` comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Clock {
    /// The system wall clock.
    System,
    /// A fixed time (tests).
    Fixed(f64),
}

impl Clock {
    /// Unix seconds.
    pub fn now(&self) -> f64 {
        match self {
            Clock::System => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64()),
            Clock::Fixed(t) => *t,
        }
    }
}

/// Snapshot version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// `liq_api_snapshot_{SYM}.json`.
    V1,
    /// `liq_api_snapshot_v2_{SYM}.json`.
    V2,
}

/// Everything published for one symbol.
#[derive(Debug)]
pub struct SymbolSlot {
    /// The symbol.
    pub info: SymbolInfo,
    v1: ArcSwapOption<Snapshot>,
    v2: ArcSwapOption<Snapshot>,
    hist_v1: RwLock<HistoryBuffer>,
    hist_v2: RwLock<HistoryBuffer>,
    zones: ArcSwapOption<RwLock<ZoneManager>>,
    ob: ArcSwapOption<ObBook>,
    oi: ArcSwapOption<OiSnapshot>,
    forecast: ArcSwapOption<ForecastSnapshot>,
}

fn read<T>(l: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(PoisonError::into_inner)
}

impl SymbolSlot {
    fn new(info: SymbolInfo) -> Self {
        SymbolSlot {
            info,
            v1: ArcSwapOption::empty(),
            v2: ArcSwapOption::empty(),
            hist_v1: RwLock::new(HistoryBuffer::default()),
            hist_v2: RwLock::new(HistoryBuffer::default()),
            zones: ArcSwapOption::empty(),
            ob: ArcSwapOption::empty(),
            oi: ArcSwapOption::empty(),
            forecast: ArcSwapOption::empty(),
        }
    }

    /// The published snapshot of `v`.
    pub fn snapshot(&self, v: Version) -> Option<Arc<Snapshot>> {
        match v {
            Version::V1 => self.v1.load_full(),
            Version::V2 => self.v2.load_full(),
        }
    }

    /// The history buffer of `v`, read-locked.
    pub fn history(&self, v: Version) -> RwLockReadGuard<'_, HistoryBuffer> {
        read(self.history_lock(v))
    }

    fn history_lock(&self, v: Version) -> &RwLock<HistoryBuffer> {
        match v {
            Version::V1 => &self.hist_v1,
            Version::V2 => &self.hist_v2,
        }
    }

    /// Replaces the history buffer of `v`.
    pub fn set_history(&self, v: Version, buf: HistoryBuffer) {
        *self
            .history_lock(v)
            .write()
            .unwrap_or_else(PoisonError::into_inner) = buf;
    }

    /// Publishes a snapshot and offers it to the history buffer (first of a minute wins).
    pub fn publish(&self, v: Version, snap: Snapshot) -> AddOutcome {
        let frame = snap.history_frame();
        match v {
            Version::V1 => self.v1.store(Some(Arc::new(snap))),
            Version::V2 => self.v2.store(Some(Arc::new(snap))),
        }
        let Some(frame) = frame else {
            return AddOutcome::SameMinute;
        };
        self.history_lock(v)
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .add(frame)
    }

    /// The zone manager, if the symbol has one.
    pub fn zones(&self) -> Option<Arc<RwLock<ZoneManager>>> {
        self.zones.load_full()
    }

    /// The order-book buffer (`None`: the state has none, api.md 6.1 "OB buffer object missing").
    pub fn orderbook(&self) -> Option<Arc<ObBook>> {
        self.ob.load_full()
    }

    /// Installs (or removes) the order-book buffer.
    pub fn set_orderbook(&self, book: Option<ObBook>) {
        self.ob.store(book.map(Arc::new));
    }

    /// The latest open-interest snapshot.
    pub fn oi(&self) -> Option<Arc<OiSnapshot>> {
        self.oi.load_full()
    }

    /// Publishes an open-interest snapshot.
    pub fn set_oi(&self, snap: OiSnapshot) {
        self.oi.store(Some(Arc::new(snap)));
    }

    /// The latest liquidation forecast.
    pub fn forecast(&self) -> Option<Arc<ForecastSnapshot>> {
        self.forecast.load_full()
    }

    /// Publishes a liquidation forecast.
    pub fn set_forecast(&self, snap: ForecastSnapshot) {
        self.forecast.store(Some(Arc::new(snap)));
    }

    /// Installs (or removes) the zone manager.
    pub fn set_zones(&self, m: Option<ZoneManager>) {
        self.zones.store(m.map(|m| Arc::new(RwLock::new(m))));
    }
}

/// Reads a zone manager under its lock.
pub fn read_zones(m: &RwLock<ZoneManager>) -> RwLockReadGuard<'_, ZoneManager> {
    read(m)
}

/// Server options that change answers.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Whether zone managers exist (the reference's "engine manager"): without, 503.
    pub engine: bool,
    /// Browser origin allowed by CORS (`None`: no CORS headers, as the reference).
    pub cors_origin: Option<String>,
    /// Whether an open-interest poller feeds `/oi` (without: 503 "OI poller not available").
    pub oi_poller: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            engine: true,
            cors_origin: None,
            oi_poller: false,
        }
    }
}

#[derive(Debug)]
struct Inner {
    clock: Clock,
    started: f64,
    slots: Vec<SymbolSlot>,
    cache: ResponseCache,
    options: Options,
}

/// The state every handler reads; cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

impl AppState {
    /// An empty state (no snapshot yet) for the configured symbols.
    pub fn new(clock: Clock, options: Options) -> Self {
        AppState {
            inner: Arc::new(Inner {
                clock,
                started: clock.now(),
                slots: SYMBOLS.iter().map(|s| SymbolSlot::new(*s)).collect(),
                cache: ResponseCache::default(),
                options,
            }),
        }
    }

    /// `now`, unix seconds.
    pub fn now(&self) -> f64 {
        self.inner.clock.now()
    }

    /// When the state was created.
    pub fn started(&self) -> f64 {
        self.inner.started
    }

    /// The slot of symbol index `i` (from [`crate::symbols::normalize`]).
    pub fn slot(&self, i: usize) -> &SymbolSlot {
        &self.inner.slots[i.min(self.inner.slots.len() - 1)]
    }

    /// Every slot, in [`SYMBOLS`] order.
    pub fn slots(&self) -> &[SymbolSlot] {
        &self.inner.slots
    }

    /// The response cache.
    pub fn cache(&self) -> &ResponseCache {
        &self.inner.cache
    }

    /// The options.
    pub fn options(&self) -> &Options {
        &self.inner.options
    }
}
