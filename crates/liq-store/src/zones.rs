//! The zone manager's file `liq_active_zones_{SYM}.json` (zones_orderbook.md A7, DECISIONS
//! zones 5): loaded at start-up with quarantine of bad files, saved atomically after the
//! minute's updates and at shutdown.

use std::path::{Path, PathBuf};

use liq_core::zones::{LoadReport, ZoneManager, ZonesFile};

use crate::atomic::{self, AtomicError, ReadOutcome, read_or_quarantine, write_atomic};

/// The zone file of `symbol` in `dir`.
pub fn zones_path(dir: &Path, symbol: &str) -> PathBuf {
    dir.join(format!("liq_active_zones_{symbol}.json"))
}

/// What became of the zone file at start-up.
#[derive(Clone, Debug, PartialEq)]
pub enum ZonesLoad {
    /// No file: the manager starts empty.
    Missing,
    /// Loaded (see the report's counts).
    Loaded(LoadReport),
    /// Unusable (empty, not JSON, another symbol): kept aside, the manager starts empty.
    Bad {
        /// Why.
        problem: String,
        /// Where the file went (`None`: left in place).
        kept_as: Option<PathBuf>,
    },
}

/// Loads `dir`'s zone file of `manager`'s symbol into the (empty) manager at `now`; never
/// fails: a bad file is reported, kept aside and the manager stays empty.
pub fn load_zones(dir: &Path, manager: &mut ZoneManager, now: f64) -> ZonesLoad {
    let path = zones_path(dir, manager.symbol());
    let now_secs = now as i64;
    match read_or_quarantine(&path, now_secs, ZonesFile::parse) {
        ReadOutcome::Missing => ZonesLoad::Missing,
        ReadOutcome::Bad {
            kept_as, detail, ..
        } => {
            tracing::warn!(path = %path.display(), ?kept_as, %detail, "zone file not loaded");
            ZonesLoad::Bad {
                problem: detail,
                kept_as,
            }
        }
        ReadOutcome::Loaded(file) => {
            let report = manager.load(&file, now);
            if let Some(found) = &report.wrong_symbol {
                let kept_as = atomic::quarantine(&path, "rejected", now_secs).ok();
                let problem = format!("zone file is for {found:?}, not {}", manager.symbol());
                tracing::warn!(path = %path.display(), ?kept_as, %problem, "zone file rejected");
                return ZonesLoad::Bad { problem, kept_as };
            }
            if report.invalid > 0 {
                tracing::warn!(path = %path.display(), invalid = report.invalid, "zone entries without price, side or weight skipped");
            }
            ZonesLoad::Loaded(report)
        }
    }
}

/// Loads `dir`'s zone file into the manager without touching the file: a reader (api-only)
/// must not move a writer's file aside. A missing or bad file leaves the manager empty;
/// returns what was loaded, or why nothing was.
pub fn read_zones(dir: &Path, manager: &mut ZoneManager, now: f64) -> Result<LoadReport, String> {
    let path = zones_path(dir, manager.symbol());
    let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let file = ZonesFile::parse(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    let report = manager.load(&file, now);
    match &report.wrong_symbol {
        Some(found) => Err(format!("{}: zone file is for {found:?}", path.display())),
        None => Ok(report),
    }
}

/// Writes the manager's zones atomically at `now`; `dir` must exist.
pub fn save_zones(dir: &Path, manager: &ZoneManager, now: f64) -> Result<(), AtomicError> {
    write_atomic(
        &zones_path(dir, manager.symbol()),
        manager.to_json(now).as_bytes(),
    )
}

#[cfg(test)]
mod tests {
    use liq_core::compat::ReferenceCompat;
    use liq_core::event::Side;
    use liq_core::heatmap::zones::ZoneSource;

    use super::*;

    fn manager() -> ZoneManager {
        ZoneManager::new("BTC", 20.0, &ReferenceCompat::fixed()).unwrap()
    }

    #[test]
    fn save_then_load_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let mut m = manager();
        m.create_or_reinforce(
            65000.0,
            Side::Long,
            1.0,
            ZoneSource::Tape,
            None,
            1.0,
            1000.0,
        );
        save_zones(dir.path(), &m, 1000.0).unwrap();
        let mut back = manager();
        let ZonesLoad::Loaded(rep) = load_zones(dir.path(), &mut back, 1030.0) else {
            panic!("loaded")
        };
        assert_eq!(rep.loaded, 1);
        assert_eq!(back.zones().next().unwrap().weight, 1.0);
    }

    #[test]
    fn a_reader_never_moves_a_bad_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = zones_path(dir.path(), "BTC");
        std::fs::write(&path, b"{ not json").unwrap();
        let mut m = manager();
        assert!(read_zones(dir.path(), &mut m, 0.0).is_err());
        assert!(path.exists(), "left in place");
        assert!(m.is_empty());
    }

    #[test]
    fn missing_bad_and_foreign_files() {
        let dir = tempfile::tempdir().unwrap();
        let mut m = manager();
        assert_eq!(load_zones(dir.path(), &mut m, 0.0), ZonesLoad::Missing);
        let path = zones_path(dir.path(), "BTC");
        std::fs::write(&path, b"{ not json").unwrap();
        let ZonesLoad::Bad { kept_as, .. } = load_zones(dir.path(), &mut m, 1_772_242_551.0) else {
            panic!("bad")
        };
        assert!(kept_as.is_some() && !path.exists());
        std::fs::write(&path, br#"{"symbol": "ETH", "zones": []}"#).unwrap();
        let ZonesLoad::Bad { kept_as, problem } = load_zones(dir.path(), &mut m, 1_772_242_552.0)
        else {
            panic!("foreign")
        };
        assert!(problem.contains("ETH"), "{problem}");
        assert_eq!(
            std::fs::read(kept_as.unwrap()).unwrap(),
            br#"{"symbol": "ETH", "zones": []}"#
        );
        assert!(m.is_empty());
    }
}
