//! Finding the shared recorded data (`../shared/fixtures` from the repository root).
//!
//! Every test that uses the shared data goes through [`dir`]: `LIQ_SHARED_FIXTURES` overrides
//! the path. When the data is missing a test should skip with a message, except when `CI` is
//! set, where [`dir`] panics so that CI cannot pass without the data.

use std::path::PathBuf;

/// Environment variable that overrides the location of the shared fixtures.
pub const ENV: &str = "LIQ_SHARED_FIXTURES";

/// The default location: `<repo>/../shared/fixtures`.
pub fn default_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures")
}

/// The shared fixtures directory, or `None` (after printing that the caller skips) when it is
/// missing outside CI.
///
/// # Panics
///
/// When the directory is missing and the `CI` environment variable is set.
pub fn dir(test: &str) -> Option<PathBuf> {
    let d = std::env::var_os(ENV).map_or_else(default_dir, PathBuf::from);
    if d.join("manifest.json").is_file() {
        return Some(d);
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "{test}: shared fixtures not found at {} (set {ENV}); CI requires them",
            d.display()
        );
    }
    eprintln!(
        "{test}: SKIPPED, shared fixtures not found at {} (set {ENV})",
        d.display()
    );
    None
}
