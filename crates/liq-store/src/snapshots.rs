//! The snapshot files of the file inventory (feeds_and_service.md 6): the V2 body
//! `liq_api_snapshot_v2_{SYM}.json` and the V1 body `liq_api_snapshot_{SYM}.json`, each written
//! atomically (tmp, fsync, rename, directory fsync).

use std::path::{Path, PathBuf};

use liq_core::heatmap::snapshot::{V1Snapshot, V2Snapshot};

use crate::atomic::{AtomicError, write_json_atomic};

/// The V2 snapshot file of `symbol`.
pub fn v2_path(dir: &Path, symbol: &str) -> PathBuf {
    dir.join(format!("liq_api_snapshot_v2_{symbol}.json"))
}

/// The V1 snapshot file of `symbol`.
pub fn v1_path(dir: &Path, symbol: &str) -> PathBuf {
    dir.join(format!("liq_api_snapshot_{symbol}.json"))
}

/// Writes a V2 body atomically.
pub fn write_v2(dir: &Path, symbol: &str, body: &V2Snapshot) -> Result<(), AtomicError> {
    write_json_atomic(&v2_path(dir, symbol), body)
}

/// Writes a V1 body atomically.
pub fn write_v1(dir: &Path, symbol: &str, body: &V1Snapshot) -> Result<(), AtomicError> {
    write_json_atomic(&v1_path(dir, symbol), body)
}
