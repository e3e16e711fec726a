//! Log discovery and lenient JSON Lines reading (audit_and_plots.md 2.1, 2.2): per-symbol files
//! with their rotated siblings (oldest first), the shared viewer files, the state files, and
//! per-file counts of lines, records, malformed lines (with line numbers) and record types.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{Map, Value};

/// One parsed record (a JSON object).
pub type Rec = Map<String, Value>;

/// How many malformed line numbers a file keeps for the report.
pub const MAX_BAD_LINES_LISTED: usize = 20;

/// The per-symbol log families, in report order.
pub const KINDS: [&str; 7] = [
    "tape",
    "inference",
    "sweeps",
    "debug",
    "calibrator",
    "zones",
    "cycles",
];

/// The inventory entry of one file.
#[derive(Clone, Debug, Default, Serialize)]
pub struct FileInfo {
    /// File name (no directory).
    pub name: String,
    /// Size in bytes.
    pub bytes: u64,
    /// Non-empty lines.
    pub lines: usize,
    /// Parsed JSON objects.
    pub records: usize,
    /// Lines that are not JSON, or JSON that is not an object.
    pub malformed_lines: usize,
    /// Line numbers (1-based) of the first malformed lines.
    pub malformed_line_numbers: Vec<usize>,
    /// Record count per `type` (`NO_TYPE` when absent).
    pub types: BTreeMap<String, usize>,
    /// First and last epoch `ts` seen (numeric `ts` only).
    pub ts_min: Option<f64>,
    /// See `ts_min`.
    pub ts_max: Option<f64>,
}

/// Records of one log family (current file plus rotated siblings, oldest first).
#[derive(Clone, Debug, Default)]
pub struct Family {
    /// All records in reading order.
    pub records: Vec<Rec>,
    /// Inventory of each file read.
    pub files: Vec<FileInfo>,
}

impl Family {
    /// Records whose `type` equals `t`.
    pub fn of_type<'a>(&'a self, t: &'a str) -> impl Iterator<Item = &'a Rec> + 'a {
        self.records
            .iter()
            .filter(move |r| r.get("type").and_then(Value::as_str) == Some(t))
    }
}

/// Replaces the non-standard tokens `Infinity`, `-Infinity` and `NaN` outside strings by
/// `null` (the reference's calibrator writes them; serde_json rejects them).
pub fn sanitize_line(line: &str) -> std::borrow::Cow<'_, str> {
    if !line.contains("Infinity") && !line.contains("NaN") {
        return std::borrow::Cow::Borrowed(line);
    }
    let mut out = String::with_capacity(line.len());
    let mut in_str = false;
    let mut escaped = false;
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        if in_str {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_str = false;
            }
            rest = &rest[c.len_utf8()..];
            continue;
        }
        if c == '"' {
            in_str = true;
        }
        let token = ["-Infinity", "Infinity", "NaN"]
            .into_iter()
            .find(|t| rest.starts_with(t));
        if let Some(t) = token {
            out.push_str("null");
            rest = &rest[t.len()..];
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Reads one JSONL file. A missing file reads as empty (no inventory entry). Undecodable bytes
/// are replaced; bad lines are counted with their numbers and skipped.
pub fn read_file(path: &Path, family: &mut Family) {
    let Ok(bytes) = fs::read(path) else {
        return;
    };
    let mut info = FileInfo {
        name: path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
        bytes: bytes.len() as u64,
        ..FileInfo::default()
    };
    let text = String::from_utf8_lossy(&bytes);
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        info.lines += 1;
        match serde_json::from_str::<Value>(&sanitize_line(line)) {
            Ok(Value::Object(rec)) => {
                info.records += 1;
                let t = rec
                    .get("type")
                    .and_then(Value::as_str)
                    .unwrap_or("NO_TYPE")
                    .to_string();
                *info.types.entry(t).or_default() += 1;
                if let Some(ts) = rec.get("ts").and_then(Value::as_f64) {
                    info.ts_min = Some(info.ts_min.map_or(ts, |m| m.min(ts)));
                    info.ts_max = Some(info.ts_max.map_or(ts, |m| m.max(ts)));
                }
                family.records.push(rec);
            }
            _ => {
                info.malformed_lines += 1;
                if info.malformed_line_numbers.len() < MAX_BAD_LINES_LISTED {
                    info.malformed_line_numbers.push(i + 1);
                }
            }
        }
    }
    family.files.push(info);
}

/// A JSON state file: absent, unparsable (with the error), or parsed.
#[derive(Clone, Debug, Default)]
pub enum StateFile {
    /// Not in the directory.
    #[default]
    Missing,
    /// Present but not JSON.
    Bad(String),
    /// Parsed.
    Ok(Value),
}

impl StateFile {
    /// Reads `path` (lenient about `Infinity`/`NaN`).
    pub fn read(path: &Path) -> Self {
        let Ok(bytes) = fs::read(path) else {
            return StateFile::Missing;
        };
        let text = String::from_utf8_lossy(&bytes);
        match serde_json::from_str::<Value>(&sanitize_line(&text)) {
            Ok(v) => StateFile::Ok(v),
            Err(e) => StateFile::Bad(e.to_string()),
        }
    }

    /// The parsed value, if any.
    pub fn value(&self) -> Option<&Value> {
        match self {
            StateFile::Ok(v) => Some(v),
            _ => None,
        }
    }
}

/// Everything read for one symbol.
#[derive(Clone, Debug, Default)]
pub struct SymbolLogs {
    /// Symbol, e.g. `BTC`.
    pub symbol: String,
    /// Log families by kind (`tape`, `inference`, ...).
    pub families: BTreeMap<&'static str, Family>,
    /// `liq_api_snapshot_v2_{SYM}.json`.
    pub snapshot_v2: StateFile,
    /// `liq_calibrator_weights_{SYM}.json`.
    pub weights: StateFile,
    /// `liq_active_zones_{SYM}.json`.
    pub active_zones: StateFile,
}

impl SymbolLogs {
    /// The family of `kind` (empty when absent).
    pub fn fam(&self, kind: &str) -> &Family {
        static EMPTY: Family = Family {
            records: Vec::new(),
            files: Vec::new(),
        };
        self.families.get(kind).unwrap_or(&EMPTY)
    }
}

/// The whole directory.
#[derive(Clone, Debug, Default)]
pub struct LogDir {
    /// Per-symbol logs, sorted by symbol.
    pub symbols: Vec<SymbolLogs>,
    /// `liq_debug.jsonl` (viewer-level) and rotations.
    pub viewer_debug: Family,
    /// `plot_feed.jsonl` and rotations.
    pub plot_feed: Family,
    /// Whether the legacy un-suffixed names were used (one symbol, BTC).
    pub legacy: bool,
}

/// `(base, stamp)` of a `*.jsonl` file name: `liq_tape_BTC.20260203_0019.jsonl` gives
/// `("liq_tape_BTC", Some("20260203_0019"))`.
fn split_name(name: &str) -> Option<(&str, Option<&str>)> {
    let stem = name.strip_suffix(".jsonl")?;
    match stem.split_once('.') {
        Some((base, stamp)) => Some((base, Some(stamp))),
        None => Some((stem, None)),
    }
}

/// Files of `base` in `names`: rotated ones by stamp, then the current one.
fn family_paths(dir: &Path, names: &[String], base: &str) -> Vec<PathBuf> {
    let mut rotated: Vec<(&str, &String)> = Vec::new();
    let mut current = None;
    for n in names {
        if let Some((b, stamp)) = split_name(n)
            && b == base
        {
            match stamp {
                Some(s) => rotated.push((s, n)),
                None => current = Some(n),
            }
        }
    }
    rotated.sort();
    rotated
        .into_iter()
        .map(|(_, n)| dir.join(n))
        .chain(current.map(|n| dir.join(n)))
        .collect()
}

fn read_family(dir: &Path, names: &[String], base: &str) -> Family {
    let mut fam = Family::default();
    for p in family_paths(dir, names, base) {
        read_file(&p, &mut fam);
    }
    fam
}

/// The symbols with a tape, calibrator or zone log in `names`.
pub fn discover_symbols(names: &[String]) -> Vec<String> {
    let mut syms: Vec<String> = names
        .iter()
        .filter_map(|n| split_name(n))
        .filter_map(|(base, _)| {
            ["liq_tape_", "liq_calibrator_", "liq_zones_"]
                .iter()
                .find_map(|p| base.strip_prefix(p))
        })
        .filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric()))
        .map(str::to_string)
        .collect();
    syms.sort();
    syms.dedup();
    syms
}

/// Reads `dir` (log files) and `state_dir` (state files; usually the same directory).
/// Returns `None` when no symbol's logs are found.
pub fn load(dir: &Path, state_dir: &Path, only: Option<&str>) -> std::io::Result<Option<LogDir>> {
    let mut names: Vec<String> = fs::read_dir(dir)?
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .collect();
    names.sort();
    let mut syms = discover_symbols(&names);
    let legacy = syms.is_empty()
        && names
            .iter()
            .any(|n| split_name(n).is_some_and(|(b, _)| b == "liq_tape" || b == "liq_calibrator"));
    if legacy {
        syms.push("BTC".to_string());
    }
    if let Some(o) = only {
        syms.retain(|s| s.eq_ignore_ascii_case(o));
    }
    if syms.is_empty() {
        return Ok(None);
    }
    let mut out = LogDir {
        legacy,
        viewer_debug: read_family(dir, &names, "liq_debug"),
        plot_feed: read_family(dir, &names, "plot_feed"),
        ..LogDir::default()
    };
    for sym in syms {
        let mut s = SymbolLogs {
            symbol: sym.clone(),
            ..SymbolLogs::default()
        };
        for kind in KINDS {
            let base = if legacy {
                format!("liq_{kind}")
            } else {
                format!("liq_{kind}_{sym}")
            };
            s.families.insert(kind, read_family(dir, &names, &base));
        }
        let state = |name: String| {
            let p = state_dir.join(&name);
            if p.exists() {
                StateFile::read(&p)
            } else {
                StateFile::read(&dir.join(name))
            }
        };
        let suffix = if legacy {
            String::new()
        } else {
            format!("_{sym}")
        };
        s.snapshot_v2 = state(format!("liq_api_snapshot_v2{suffix}.json"));
        s.weights = state(format!("liq_calibrator_weights{suffix}.json"));
        s.active_zones = state(format!("liq_active_zones{suffix}.json"));
        out.symbols.push(s);
    }
    Ok(Some(out))
}

/// Numeric field, `None` when absent, null or not a number (booleans count as 0/1).
pub fn num(r: &Rec, k: &str) -> Option<f64> {
    match r.get(k)? {
        Value::Number(n) => n.as_f64(),
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        _ => None,
    }
}

/// Largest minute key magnitude the audit keeps (2^40 minutes, about two million years): keys
/// read from the logs are clamped to it so that window arithmetic cannot overflow.
pub const MAX_MINUTE: i64 = 1 << 40;

/// A minute key from a JSON number (clamped to [`MAX_MINUTE`]; NaN gives 0).
pub fn minute(x: f64) -> i64 {
    (x as i64).clamp(-MAX_MINUTE, MAX_MINUTE)
}

/// The minute key `floor(ts / 60)` of epoch seconds (clamped like [`minute`]).
pub fn minute_of(ts: f64) -> i64 {
    minute((ts / 60.0).floor())
}

/// Numeric field with a default.
pub fn num_or(r: &Rec, k: &str, d: f64) -> f64 {
    num(r, k).unwrap_or(d)
}

/// String field, `""` when absent.
pub fn text<'a>(r: &'a Rec, k: &str) -> &'a str {
    r.get(k).and_then(Value::as_str).unwrap_or("")
}

/// Python truthiness of a JSON value.
pub fn truthy(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|x| x != 0.0),
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_replaces_tokens_outside_strings_only() {
        let s = sanitize_line(r#"{"a": Infinity, "b": -Infinity, "c": NaN, "d": "NaN Infinity"}"#);
        assert_eq!(
            s,
            r#"{"a": null, "b": null, "c": null, "d": "NaN Infinity"}"#
        );
    }

    #[test]
    fn names_split_and_symbols_found() {
        let names: Vec<String> = [
            "liq_tape_BTC.jsonl",
            "liq_zones_ETH.20260203_0019.jsonl",
            "liq_calibrator_weights_SOL.json",
            "liq_debug.jsonl",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(discover_symbols(&names), vec!["BTC", "ETH"]);
        assert_eq!(
            split_name("liq_tape_BTC.20260203_0019.jsonl"),
            Some(("liq_tape_BTC", Some("20260203_0019")))
        );
    }
}
