//! Atomic file replacement (temporary file, fsync, rename, directory fsync) and start-up
//! quarantine of bad files: a corrupt, empty or mismatched file is renamed aside, never overwritten.

use std::ffi::OsString;
use std::fmt;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The file-system step that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Creating the temporary file.
    Create,
    /// Writing or flushing the bytes.
    Write,
    /// `sync_all` of the temporary file.
    Sync,
    /// Renaming into place (or aside, for a quarantine).
    Rename,
    /// `sync_all` of the parent directory after the rename.
    SyncDir,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Step::Create => "create",
            Step::Write => "write",
            Step::Sync => "sync",
            Step::Rename => "rename",
            Step::SyncDir => "sync_dir",
        })
    }
}

/// Errors of atomic writes and quarantines.
#[derive(Debug, thiserror::Error)]
pub enum AtomicError {
    /// A file-system step failed for `path` (the target, or the file being quarantined).
    #[error("{step} failed for {}: {source}", path.display())]
    Io {
        /// The step.
        step: Step,
        /// The path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The value cannot be serialized to JSON.
    #[error("cannot serialize JSON for {}: {source}", path.display())]
    Json {
        /// The target path.
        path: PathBuf,
        /// The serializer error.
        #[source]
        source: serde_json::Error,
    },
}

/// Maps an I/O error of `step` on `path` into an [`AtomicError`].
fn io_err(step: Step, path: &Path) -> impl FnOnce(io::Error) -> AtomicError + '_ {
    move |source| AtomicError::Io {
        step,
        path: path.to_path_buf(),
        source,
    }
}

/// Replaces `path` with `bytes` atomically; the parent directory must already exist.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), AtomicError> {
    let no_name = || io::Error::new(io::ErrorKind::InvalidInput, "no file name");
    let file_name = path
        .file_name()
        .ok_or_else(|| io_err(Step::Create, path)(no_name()))?;
    let mut tmp_name = OsString::from(".");
    tmp_name.push(file_name);
    tmp_name.push(format!(".tmp.{}", std::process::id()));
    let tmp = path.with_file_name(tmp_name);

    if let Err((step, source)) = write_tmp_and_rename(&tmp, path, bytes) {
        // Best effort: the tmp file may not exist (failed create) or may already be renamed.
        let _ = fs::remove_file(&tmp);
        return Err(io_err(step, path)(source));
    }
    #[cfg(unix)]
    {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let synced = File::open(dir).and_then(|d| d.sync_all());
        synced.map_err(io_err(Step::SyncDir, path))?;
    }
    Ok(())
}

/// Removes the temporary files a killed writer left in `dir` (`.<name>.tmp.<pid>` of a process
/// that no longer writes: call at start-up, before any write). Returns how many were removed.
pub fn remove_stale_temps(dir: &Path) -> usize {
    let own = format!(".tmp.{}", std::process::id());
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') && name.contains(".tmp.") && !name.ends_with(&own) {
            match fs::remove_file(e.path()) {
                Ok(()) => {
                    removed += 1;
                    tracing::info!(path = %e.path().display(), "removed a temporary file of an interrupted write");
                }
                Err(err) => {
                    tracing::warn!(path = %e.path().display(), error = %err, "stale temporary file not removed")
                }
            }
        }
    }
    removed
}

/// Writes `bytes` to `tmp`, flushes and syncs it, then renames it over `path`.
fn write_tmp_and_rename(tmp: &Path, path: &Path, bytes: &[u8]) -> Result<(), (Step, io::Error)> {
    let mut file = File::create(tmp).map_err(|e| (Step::Create, e))?;
    file.write_all(bytes)
        .and_then(|()| file.flush())
        .map_err(|e| (Step::Write, e))?;
    file.sync_all().map_err(|e| (Step::Sync, e))?;
    drop(file);
    fs::rename(tmp, path).map_err(|e| (Step::Rename, e))
}

/// Writes `value` as compact JSON plus a trailing newline through [`write_atomic`].
pub fn write_json_atomic<T: serde::Serialize>(path: &Path, value: &T) -> Result<(), AtomicError> {
    let mut bytes = serde_json::to_vec(value).map_err(|source| AtomicError::Json {
        path: path.to_path_buf(),
        source,
    })?;
    bytes.push(b'\n');
    write_atomic(path, &bytes)
}

/// Renames `path` to `<path>.bad-<reason>-<YYYYmmddTHHMMSSZ>[.N]` (first free name); returns it.
pub fn quarantine(path: &Path, reason: &str, now_unix_secs: i64) -> Result<PathBuf, AtomicError> {
    let keep = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    let lower = reason.chars().take(32).map(|c| c.to_ascii_lowercase());
    let mut reason: String = lower.map(|c| if keep(c) { c } else { '_' }).collect();
    if reason.is_empty() {
        reason.push_str("unknown");
    }
    let mut base = path.as_os_str().to_os_string();
    base.push(format!(".bad-{reason}-{}", utc_stamp(now_unix_secs)));
    let mut dest = PathBuf::from(&base);
    let mut n = 0u32;
    // Not race-free against another process, but the data directory has one owner at start-up.
    while fs::symlink_metadata(&dest).is_ok() {
        n += 1;
        let mut name = base.clone();
        name.push(format!(".{n}"));
        dest = PathBuf::from(name);
    }
    fs::rename(path, &dest).map_err(io_err(Step::Rename, path))?;
    tracing::warn!(from = %path.display(), to = %dest.display(), "bad file quarantined");
    Ok(dest)
}

/// `YYYYmmddTHHMMSSZ` (UTC) for Unix seconds.
/// `YYYYmmdd_HHMM` (UTC) of a Unix time: the rotation suffix of log files.
pub(crate) fn minute_stamp(unix_secs: i64) -> String {
    let (y, m, d) = civil_from_days(unix_secs.div_euclid(86_400));
    let s = unix_secs.rem_euclid(86_400);
    format!("{y:04}{m:02}{d:02}_{:02}{:02}", s / 3600, s / 60 % 60)
}

fn utc_stamp(unix_secs: i64) -> String {
    let (y, m, d) = civil_from_days(unix_secs.div_euclid(86_400));
    let s = unix_secs.rem_euclid(86_400);
    let (hh, mm, ss) = (s / 3600, s / 60 % 60, s % 60);
    format!("{y:04}{m:02}{d:02}T{hh:02}{mm:02}{ss:02}Z")
}

/// (year, month 1-12, day 1-31) of days since 1970-01-01 (Howard Hinnant's `civil_from_days`).
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365], from March 1st
    let mp = (5 * doy + 2) / 153; // [0, 11], March = 0
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m as u32, d as u32)
}

/// Why a file found at start-up was not loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadReason {
    /// Zero bytes or only whitespace (quarantined as `empty`).
    Empty,
    /// The parser rejected it: corrupt or mismatched content (quarantined as `invalid`).
    Invalid,
    /// Reading failed with an I/O error (left in place).
    Unreadable,
}

/// The result of [`read_or_quarantine`].
#[derive(Debug, PartialEq)]
pub enum ReadOutcome<T> {
    /// No file at the path.
    Missing,
    /// The file parsed.
    Loaded(T),
    /// The file is bad; `kept_as` is where it was moved (`None` if not moved).
    Bad {
        /// Why.
        reason: BadReason,
        /// The quarantine path, if the file was moved aside.
        kept_as: Option<PathBuf>,
        /// The parser's message or the I/O error.
        detail: String,
    },
}

/// Reads and parses `path`; an empty or invalid file is quarantined. Never panics itself.
pub fn read_or_quarantine<T>(
    path: &Path,
    now_unix_secs: i64,
    parse: impl FnOnce(&[u8]) -> Result<T, String>,
) -> ReadOutcome<T> {
    let (reason, detail) = match fs::read(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return ReadOutcome::Missing,
        Err(e) => (BadReason::Unreadable, e.to_string()),
        Ok(b) if b.iter().all(u8::is_ascii_whitespace) => (BadReason::Empty, "no content".into()),
        Ok(b) => match parse(&b) {
            Ok(value) => return ReadOutcome::Loaded(value),
            Err(msg) => (BadReason::Invalid, msg),
        },
    };
    let tag = match reason {
        BadReason::Empty => Some("empty"),
        BadReason::Invalid => Some("invalid"),
        BadReason::Unreadable => None, // may be transient: leave the file where it is
    };
    let kept_as = tag.and_then(|tag| {
        quarantine(path, tag, now_unix_secs)
            .inspect_err(|e| tracing::warn!(path = %path.display(), error = %e, "not quarantined"))
            .ok()
    });
    ReadOutcome::Bad {
        reason,
        kept_as,
        detail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: i64 = 1_772_242_551; // 2026-02-28T01:35:51Z
    const STAMP: &str = "20260228T013551Z";

    fn parse_u32(bytes: &[u8]) -> Result<u32, String> {
        serde_json::from_slice(bytes).map_err(|e| e.to_string())
    }

    fn names(dir: &Path) -> Vec<String> {
        let entries = fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name());
        let mut v: Vec<String> = entries.map(|n| n.to_string_lossy().into_owned()).collect();
        v.sort();
        v
    }

    fn bad<T: fmt::Debug>(out: ReadOutcome<T>) -> (BadReason, Option<PathBuf>, String) {
        match out {
            ReadOutcome::Bad {
                reason,
                kept_as,
                detail,
            } => (reason, kept_as, detail),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn round_trip_missing_then_loaded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        assert_eq!(
            read_or_quarantine(&path, T, parse_u32),
            ReadOutcome::Missing
        );
        write_json_atomic(&path, &7u32).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"7\n");
        assert_eq!(
            read_or_quarantine(&path, T, parse_u32),
            ReadOutcome::Loaded(7)
        );
    }

    #[test]
    fn overwrite_keeps_only_new_content_and_no_tmp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.json");
        write_atomic(&path, b"old content, longer").unwrap();
        write_atomic(&path, b"new").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        assert_eq!(names(dir.path()), ["w.json"]);
    }

    #[test]
    fn failed_rename_removes_the_tmp_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("sub");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("x"), "x").unwrap();
        let err = write_atomic(&target, b"data").unwrap_err();
        assert!(err.to_string().starts_with("rename failed for "), "{err}");
        assert_eq!(names(dir.path()), ["sub"]);
    }

    #[test]
    fn missing_directory_is_an_error_naming_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nope").join("w.json");
        let err = write_atomic(&path, b"x").unwrap_err();
        let want = format!("create failed for {}: ", path.display());
        assert!(err.to_string().starts_with(&want), "{err}");
        assert!(!dir.path().join("nope").exists());
    }

    #[test]
    fn civil_from_days_known_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(civil_from_days(19_783), (2024, 3, 1));
        assert_eq!(civil_from_days(20_512), (2026, 2, 28));
        assert_eq!(utc_stamp(T), STAMP);
        assert_eq!(utc_stamp(0), "19700101T000000Z");
        assert_eq!(utc_stamp(-1), "19691231T235959Z");
    }

    #[test]
    fn quarantine_name_and_collision_suffixes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("z.json");
        let base = format!("z.json.bad-invalid-{STAMP}");
        for (i, want) in [base.clone(), format!("{base}.1"), format!("{base}.2")]
            .iter()
            .enumerate()
        {
            fs::write(&path, format!("v{i}")).unwrap();
            let kept = quarantine(&path, "invalid", T).unwrap();
            assert_eq!(kept, dir.path().join(want));
            assert!(!path.exists());
        }
        for (i, name) in names(dir.path()).iter().enumerate() {
            assert_eq!(
                fs::read_to_string(dir.path().join(name)).unwrap(),
                format!("v{i}")
            );
        }
    }

    #[test]
    fn quarantine_sanitizes_reason() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a");
        fs::write(&path, "x").unwrap();
        let kept = quarantine(&path, "Wrong Symbol/ETH", 0).unwrap();
        assert_eq!(
            kept,
            dir.path().join("a.bad-wrong_symbol_eth-19700101T000000Z")
        );
    }

    #[test]
    fn read_empty_is_quarantined() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("e.json");
        fs::write(&path, " \n\t").unwrap();
        let (reason, kept, _) = bad(read_or_quarantine(&path, T, parse_u32));
        assert_eq!(reason, BadReason::Empty);
        assert_eq!(
            kept,
            Some(dir.path().join(format!("e.json.bad-empty-{STAMP}")))
        );
        assert!(!path.exists());
    }

    #[test]
    fn read_invalid_is_quarantined_with_original_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("i.json");
        fs::write(&path, b"{\"trunc").unwrap();
        let (reason, kept, detail) = bad(read_or_quarantine(&path, T, parse_u32));
        assert_eq!(reason, BadReason::Invalid);
        assert!(detail.contains("expected u32"), "{detail}");
        assert!(!path.exists());
        assert_eq!(fs::read(kept.unwrap()).unwrap(), b"{\"trunc");
        assert_eq!(names(dir.path()), [format!("i.json.bad-invalid-{STAMP}")]);
    }

    #[test]
    fn read_unreadable_is_left_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d");
        fs::create_dir(&path).unwrap();
        let (reason, kept, _) = bad(read_or_quarantine(&path, T, parse_u32));
        assert_eq!((reason, kept), (BadReason::Unreadable, None));
        assert!(path.is_dir());
    }
}
