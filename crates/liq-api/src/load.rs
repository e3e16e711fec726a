//! Loading the state from a data directory (what a viewer writes) and the 5-second reload of
//! the snapshot files (api.md 4.1).

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use liq_core::compat::ReferenceCompat;
use liq_core::heatmap::history::KEEP_RECORDS;
use liq_core::heatmap::history_buffer::HistoryBuffer;
use liq_core::zones::ZoneManager;
use liq_store::history::{HistoryKind, file_name};
use liq_store::snapshots::{v1_path, v2_path};
use liq_store::zones::{read_zones, zones_path};

use crate::orderbook::ObBook;
use crate::snapshot::Snapshot;
use crate::state::{AppState, Clock, Options, Version};

/// The reload period of the snapshot files.
pub const RELOAD_EVERY: Duration = Duration::from_secs(5);

/// What one reload pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ReloadReport {
    /// Snapshot bodies that changed and were published.
    pub published: usize,
    /// Files that could not be read or parsed (the previous body stays).
    pub failed: usize,
}

/// Remembers the zone files' modification times so a reload reads only changed ones.
#[derive(Debug, Default, Clone)]
pub struct Reloader {
    zone_mtimes: Vec<Option<SystemTime>>,
    /// `(size, modification time)` of each frame file when last tailed.
    ob_seen: Vec<Option<(u64, Option<SystemTime>)>>,
    oi_mtimes: Vec<Option<SystemTime>>,
    forecast_mtimes: Vec<Option<SystemTime>>,
}

fn snapshot_path(dir: &Path, v: Version, sym: &str) -> PathBuf {
    match v {
        Version::V1 => v1_path(dir, sym),
        Version::V2 => v2_path(dir, sym),
    }
}

/// A state serving `dir`: history files, order-book frame files, zone files and the snapshot
/// files read once.
pub fn load_dir(dir: &Path, clock: Clock, options: Options) -> (AppState, Reloader) {
    let state = AppState::new(clock, options);
    for slot in state.slots() {
        for (v, kind) in [
            (Version::V1, HistoryKind::V1),
            (Version::V2, HistoryKind::V2),
        ] {
            let path = dir.join(file_name(kind, slot.info.name));
            match liq_store::history::load(&path) {
                Ok(load) => {
                    slot.set_history(v, HistoryBuffer::from_frames(KEEP_RECORDS, load.frames))
                }
                Err(e) => tracing::warn!(error = %e, "history file not loaded"),
            }
        }
        slot.set_orderbook(Some(ObBook::load(dir, slot.info.name)));
    }
    let mut reloader = Reloader::default();
    reloader.reload(dir, &state);
    (state, reloader)
}

fn mtime(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

impl Reloader {
    /// One pass: every symbol's V1 then V2 file (a changed body is published and offered to
    /// the history buffer), the frames appended to every order-book file, the OI and forecast files, then every
    /// zone file whose modification time changed.
    pub fn reload(&mut self, dir: &Path, state: &AppState) -> ReloadReport {
        let mut report = ReloadReport::default();
        for slot in state.slots() {
            for v in [Version::V1, Version::V2] {
                let path = snapshot_path(dir, v, slot.info.name);
                let bytes = match std::fs::read(&path) {
                    Ok(b) => b,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                    Err(e) => {
                        tracing::warn!(path = %path.display(), error = %e, "snapshot not read");
                        report.failed += 1;
                        continue;
                    }
                };
                match Snapshot::parse(&bytes) {
                    Ok(snap) => {
                        let same = slot.snapshot(v).is_some_and(|old| old.body == snap.body);
                        if !same {
                            slot.publish(v, snap);
                            report.published += 1;
                        }
                    }
                    Err(e) => {
                        tracing::warn!(path = %path.display(), error = %e, "snapshot not parsed");
                        report.failed += 1;
                    }
                }
            }
        }
        // New order-book frames appended to the files (api.md 4.3); a file whose size and
        // modification time did not change is not read again.
        self.ob_seen.resize(state.slots().len(), None);
        for (i, slot) in state.slots().iter().enumerate() {
            let Some(book) = slot.orderbook() else {
                continue;
            };
            let seen = std::fs::metadata(&book.file)
                .ok()
                .map(|m| (m.len(), m.modified().ok()));
            if seen.is_none() || seen == self.ob_seen[i] {
                continue;
            }
            self.ob_seen[i] = seen;
            if let Some(book) = book.tailed() {
                slot.set_orderbook(Some(book));
                report.published += 1;
            }
        }
        // The OI snapshot files a viewer writes each minute.
        self.oi_mtimes.resize(state.slots().len(), None);
        for (i, slot) in state.slots().iter().enumerate() {
            let path = dir.join(crate::oi::oi_file_name(slot.info.name));
            let m = mtime(&path);
            if m.is_none() || m == self.oi_mtimes[i] {
                continue;
            }
            self.oi_mtimes[i] = m;
            match std::fs::read(&path)
                .ok()
                .and_then(|b| crate::oi::parse_oi(&b))
            {
                Some(snap) => {
                    slot.set_oi(snap);
                    report.published += 1;
                }
                None => tracing::warn!(path = %path.display(), "OI file not read"),
            }
        }
        // The forecast files a viewer writes each minute.
        self.forecast_mtimes.resize(state.slots().len(), None);
        for (i, slot) in state.slots().iter().enumerate() {
            let path = dir.join(crate::forecast::forecast_file_name(slot.info.name));
            let m = mtime(&path);
            if m.is_none() || m == self.forecast_mtimes[i] {
                continue;
            }
            self.forecast_mtimes[i] = m;
            match std::fs::read(&path)
                .ok()
                .and_then(|b| crate::forecast::parse_forecast_file(&b))
            {
                Some(snap) => {
                    slot.set_forecast(snap);
                    report.published += 1;
                }
                None => tracing::warn!(path = %path.display(), "forecast file not read"),
            }
        }
        self.zone_mtimes.resize(state.slots().len(), None);
        if state.options().engine {
            for (i, slot) in state.slots().iter().enumerate() {
                let path = zones_path(dir, slot.info.name);
                let m = mtime(&path);
                if slot.zones().is_some() && m == self.zone_mtimes[i] {
                    continue;
                }
                self.zone_mtimes[i] = m;
                match ZoneManager::new(slot.info.name, slot.info.step, &ReferenceCompat::default())
                {
                    Ok(mut zm) => {
                        zm.set_logging(false);
                        // Read only: a reader never moves the viewer's files aside.
                        if let Err(problem) = read_zones(dir, &mut zm, state.now()) {
                            tracing::debug!(%problem, "zone file not loaded");
                        }
                        slot.set_zones(Some(zm));
                        report.published += 1;
                    }
                    Err(e) => tracing::warn!(error = %e, "zone manager not created"),
                }
            }
        }
        if report.published > 0 {
            state.cache().clear();
        }
        report
    }
}

/// Reloads `dir` every [`RELOAD_EVERY`] until `stop` resolves.
pub async fn reload_loop(
    dir: PathBuf,
    state: AppState,
    mut reloader: Reloader,
    stop: impl std::future::Future<Output = ()>,
) {
    let mut tick = tokio::time::interval(RELOAD_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                let (d, s, mut r) = (dir.clone(), state.clone(), reloader);
                match tokio::task::spawn_blocking(move || { r.reload(&d, &s); r }).await {
                    Ok(r) => reloader = r,
                    Err(e) => {
                        tracing::error!(error = %e, "reload task failed");
                        reloader = Reloader::default();
                    }
                }
            }
            () = &mut stop => break,
        }
    }
}
