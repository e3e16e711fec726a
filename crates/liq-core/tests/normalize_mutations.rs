//! Property test: the normalizers never panic on mutated real messages, and whatever they produce
//! stays valid.
//!
//! The seeds are real exchange messages: a sample of the `raw` lines of the shared recordings
//! (`<shared fixtures>/raw/*.jsonl`, up to [`PER_FILE`] per file) and every line of
//! `fixtures/wire/*.jsonl`, each with its exchange, market and stream. Proptest mutates them
//! (byte flips, truncation, deleted or duplicated spans, number tokens replaced by extreme values,
//! strings swapped for numbers, wrapping in arrays) and checks every output with
//! `Batch::check_invariants` (the same check the fuzz targets run).
//!
//! The shared fixtures are found through `liq_store::shared_fixtures` (`LIQ_SHARED_FIXTURES`
//! overrides); without them the test is skipped, except under CI where it fails.
//!
//! The RNG seed is random per run (proptest's default); a failure prints the offending input;
//! `PROPTEST_RNG_SEED=<u64>` replays a seed. Cases first pick an (exchange, stream) group,
//! so rare streams such as liquidations get as many cases as depth or trades.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use liq_core::event::{Exchange, Market};
use liq_core::normalize::{Batch, Frame, Normalizer, StreamKind};
use liq_core::symbols::SymbolRegistry;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

/// Raw lines sampled per recording file.
const PER_FILE: usize = 40;
/// Proptest cases (each normalizes the original and twice the mutant).
const CASES: u32 = 8000;

/// One real message with the frame metadata it arrived with.
#[derive(Clone, Debug)]
struct Sample {
    origin: String,
    exchange: Exchange,
    market: Market,
    stream: StreamKind,
    instrument: Option<String>,
    payload: String,
}

/// Values that replace a number token.
const EXTREMES: &[&str] = &[
    "1e309",
    "-1e309",
    "-0",
    "0",
    "-1",
    "NaN",
    "99999999999999999999999",
    "1.7976931348623157e308",
    "1e300",
    "-1e300",
    "4e307",
    "5e-324",
    "1e-400",
    "\"\"",
    "\"NaN\"",
    "\"inf\"",
    "\"-0\"",
    "\"1e309\"",
    "null",
    "true",
    "[]",
    "{}",
];

/// One mutation of a message's bytes.
#[derive(Clone, Debug)]
enum Mutation {
    /// XOR one byte with a non-zero mask.
    FlipByte(Index, u8),
    /// Cut the message at a point.
    Truncate(Index),
    /// Remove a span.
    DeleteSpan(Index, usize),
    /// Insert a copy of a span right after it.
    DuplicateSpan(Index, usize),
    /// Replace one number token (bare or quoted) with an extreme value.
    ReplaceNumber(Index, &'static str, bool),
    /// Replace one string value with a number.
    StringToNumber(Index, &'static str),
    /// Replace one bare number with a string.
    NumberToString(Index),
    /// Wrap the whole message in `[...]`.
    WrapInArray,
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let extreme = proptest::sample::select(EXTREMES);
    prop_oneof![
        1 => (any::<Index>(), 1u8..=255).prop_map(|(i, m)| Mutation::FlipByte(i, m)),
        1 => any::<Index>().prop_map(Mutation::Truncate),
        1 => (any::<Index>(), 1usize..64).prop_map(|(i, n)| Mutation::DeleteSpan(i, n)),
        1 => (any::<Index>(), 1usize..64).prop_map(|(i, n)| Mutation::DuplicateSpan(i, n)),
        3 => (any::<Index>(), extreme.clone(), any::<bool>())
            .prop_map(|(i, v, q)| Mutation::ReplaceNumber(i, v, q)),
        2 => (any::<Index>(), extreme).prop_map(|(i, v)| Mutation::StringToNumber(i, v)),
        1 => any::<Index>().prop_map(Mutation::NumberToString),
        1 => Just(Mutation::WrapInArray),
    ]
}

/// Spans `(start, end)` of number-like tokens: `-`, digits, `.`, `e`, `+` runs starting with a
/// digit or `-`.
fn number_spans(s: &[u8]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        let prev_ok = i == 0 || !(s[i - 1].is_ascii_alphanumeric() || s[i - 1] == b'_');
        if prev_ok
            && (c.is_ascii_digit() || (c == b'-' && s.get(i + 1).is_some_and(u8::is_ascii_digit)))
        {
            let start = i;
            i += 1;
            while i < s.len() && matches!(s[i], b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-') {
                i += 1;
            }
            spans.push((start, i));
        } else {
            i += 1;
        }
    }
    spans
}

/// Spans of JSON string tokens including their quotes that are values (not object keys).
fn string_value_spans(s: &[u8]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut i = 0;
    while i < s.len() {
        if s[i] != b'"' {
            i += 1;
            continue;
        }
        let start = i;
        i += 1;
        while i < s.len() && s[i] != b'"' {
            i += if s[i] == b'\\' { 2 } else { 1 };
        }
        let end = (i + 1).min(s.len());
        i = end;
        let next = s[end..].iter().find(|b| !b.is_ascii_whitespace());
        if next != Some(&b':') {
            spans.push((start, end));
        }
    }
    spans
}

fn splice(s: &mut Vec<u8>, (start, end): (usize, usize), with: &[u8]) {
    s.splice(start..end, with.iter().copied());
}

impl Mutation {
    fn apply(&self, s: &mut Vec<u8>) {
        match *self {
            Mutation::FlipByte(i, mask) => {
                if !s.is_empty() {
                    let i = i.index(s.len());
                    s[i] ^= mask;
                }
            }
            Mutation::Truncate(i) => {
                let at = i.index(s.len() + 1);
                s.truncate(at);
            }
            Mutation::DeleteSpan(i, n) => {
                if !s.is_empty() {
                    let start = i.index(s.len());
                    let end = (start + n).min(s.len());
                    s.drain(start..end);
                }
            }
            Mutation::DuplicateSpan(i, n) => {
                if !s.is_empty() {
                    let start = i.index(s.len());
                    let end = (start + n).min(s.len());
                    let copy = s[start..end].to_vec();
                    splice(s, (end, end), &copy);
                }
            }
            Mutation::ReplaceNumber(i, value, with_quotes) => {
                let spans = number_spans(s);
                if spans.is_empty() {
                    return;
                }
                let (mut start, mut end) = spans[i.index(spans.len())];
                let quoted = start > 0 && s[start - 1] == b'"' && s.get(end) == Some(&b'"');
                if quoted && with_quotes {
                    start -= 1;
                    end += 1;
                }
                splice(s, (start, end), value.as_bytes());
            }
            Mutation::StringToNumber(i, value) => {
                let spans = string_value_spans(s);
                if !spans.is_empty() {
                    splice(s, spans[i.index(spans.len())], value.as_bytes());
                }
            }
            Mutation::NumberToString(i) => {
                let spans = number_spans(s);
                if !spans.is_empty() {
                    splice(s, spans[i.index(spans.len())], b"\"x\"");
                }
            }
            Mutation::WrapInArray => {
                s.insert(0, b'[');
                s.push(b']');
            }
        }
    }
}

fn jsonl_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    files
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Up to [`PER_FILE`] raw messages per recording, spread over the file.
fn raw_samples(shared: &Path) -> Vec<Sample> {
    let mut out = Vec::new();
    for path in jsonl_files(&shared.join("raw")) {
        let text = read(&path);
        let records: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("capture line is JSON"))
            .filter(|r: &serde_json::Value| r["kind"] == "raw")
            .collect();
        let step = records.len().div_ceil(PER_FILE).max(1);
        for (n, r) in records.iter().enumerate().step_by(step) {
            let field = |k: &str| {
                r[k].as_str()
                    .unwrap_or_else(|| panic!("{}: raw line without {k}", path.display()))
            };
            let instrument = match (field("via"), field("symbol")) {
                ("rest", sym) if sym != "*" => Some(sym.to_owned()),
                _ => None,
            };
            out.push(Sample {
                origin: format!("{}#{n}", path.display()),
                exchange: field("exchange").parse().expect("exchange"),
                market: field("market").parse().expect("market"),
                stream: field("stream").parse().expect("stream"),
                instrument,
                payload: serde_json::to_string(&r["msg"]).expect("msg serializes"),
            });
        }
    }
    out
}

/// Every line of `fixtures/wire/<exchange>_<market>_<stream>.jsonl`.
fn wire_samples() -> Vec<Sample> {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/wire"));
    let mut out = Vec::new();
    for path in jsonl_files(dir) {
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("file name");
        let mut parts = name.splitn(3, '_');
        let (Some(ex), Some(market), Some(stream)) = (parts.next(), parts.next(), parts.next())
        else {
            panic!("{}: not <exchange>_<market>_<stream>.jsonl", path.display());
        };
        for (n, line) in read(&path).lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            out.push(Sample {
                origin: format!("{}#{n}", path.display()),
                exchange: ex.parse().expect("exchange"),
                market: market.parse().expect("market"),
                stream: stream.parse().expect("stream"),
                instrument: None,
                payload: line.to_owned(),
            });
        }
    }
    out
}

#[test]
fn normalize_survives_mutated_real_messages() {
    let Some(shared) = liq_store::shared_fixtures::dir("normalize_mutations") else {
        return;
    };
    let mut samples = raw_samples(&shared);
    let raw = samples.len();
    samples.extend(wire_samples());
    assert!(raw > 0, "no raw messages found under {}", shared.display());
    // Cases pick a (exchange, stream) group first, so that rare streams (liquidations: a few
    // wire lines and one OKX recording) get as many cases as depth or trades.
    let mut groups: BTreeMap<(Exchange, StreamKind), Vec<usize>> = BTreeMap::new();
    for (i, s) in samples.iter().enumerate() {
        groups.entry((s.exchange, s.stream)).or_default().push(i);
    }
    let groups: Vec<Vec<usize>> = groups.into_values().collect();
    eprintln!(
        "normalize_mutations: {raw} raw + {} wire samples in {} groups",
        samples.len() - raw,
        groups.len()
    );

    let registry = Arc::new(SymbolRegistry::default_registry());
    let config = Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let strategy = (
        0..groups.len(),
        any::<Index>(),
        any::<bool>(),
        proptest::collection::vec(mutation(), 1..=3),
    );
    let result = runner.run(&strategy, |(group, i, hinted, mutations)| {
        let sample = &samples[*i.get(&groups[group])];
        let mut bytes = sample.payload.clone().into_bytes();
        for m in &mutations {
            m.apply(&mut bytes);
        }
        let mutant = String::from_utf8_lossy(&bytes);
        let mut n = Normalizer::new(registry.clone());
        let mut batch = Batch::default();
        // The original first (so stateful paths see a valid prior state), then the mutant twice.
        let inputs = [(sample.payload.as_str(), 1.0), (&mutant, 2.0), (&mutant, 3.0)];
        for (step, (payload, receive_ts)) in inputs.into_iter().enumerate() {
            let frame = Frame {
                exchange: sample.exchange,
                market: sample.market,
                stream: hinted.then_some(sample.stream),
                instrument: sample.instrument.as_deref(),
                payload,
                receive_ts,
            };
            n.normalize(&frame, &mut batch);
            batch.check_invariants(sample.exchange).map_err(|v| {
                TestCaseError::fail(format!(
                    "{v}\n  sample {} ({} {} {}, hinted: {hinted}), step {step}\n  payload: {payload}",
                    sample.origin,
                    sample.exchange,
                    sample.market.as_str(),
                    sample.stream,
                ))
            })?;
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
