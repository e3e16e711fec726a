//! The per-symbol engine state `liq_engine_state_{SYM}.json` (DECISIONS heatmap 5): the tape
//! and projection layers, learned offsets, weights, counters and a replay's running OI, written
//! atomically; a bad file at start-up is kept aside and the engine starts empty.

use std::path::{Path, PathBuf};

use liq_core::engine::SymbolState;

use crate::atomic::{AtomicError, ReadOutcome, read_or_quarantine, write_json_atomic};

/// The state file of `symbol`.
pub fn state_path(dir: &Path, symbol: &str) -> PathBuf {
    dir.join(format!("liq_engine_state_{symbol}.json"))
}

/// Writes a symbol's state atomically.
pub fn save_state(dir: &Path, symbol: &str, st: &SymbolState) -> Result<(), AtomicError> {
    write_json_atomic(&state_path(dir, symbol), st)
}

/// Reads a symbol's state: `Ok(None)` when there is none, `Err(problem)` when the file was bad
/// (it is kept aside, see [`crate::atomic::quarantine`]).
pub fn load_state(dir: &Path, symbol: &str, now: f64) -> Result<Option<SymbolState>, String> {
    let path = state_path(dir, symbol);
    let parse = |b: &[u8]| serde_json::from_slice::<SymbolState>(b).map_err(|e| e.to_string());
    match read_or_quarantine(&path, now as i64, parse) {
        ReadOutcome::Missing => Ok(None),
        ReadOutcome::Loaded(st) => Ok(Some(st)),
        ReadOutcome::Bad {
            kept_as, detail, ..
        } => {
            tracing::warn!(path = %path.display(), ?kept_as, %detail, "engine state not loaded");
            Err(format!("{}: {detail}", path.display()))
        }
    }
}
