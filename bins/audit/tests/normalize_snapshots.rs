//! Insta snapshots of `audit normalize` over every shared raw recording and every hand-written
//! wire fixture of `fixtures/wire/`.
//!
//! Order-book events are condensed (level count, first level and an FNV-1a hash of the full
//! level array) to keep the snapshots reviewable; any change in any level changes the hash.
//! Every other event is snapshotted verbatim, in output order.

use std::path::{Path, PathBuf};

use audit::normalize::{self, Options};
use serde_json::{Value, json};

fn fnv1a(s: &str) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("{h:016x}")
}

fn condense(levels: &Value) -> Value {
    let arr = levels.as_array().cloned().unwrap_or_default();
    json!({
        "n": arr.len(),
        "first": arr.first(),
        "fnv": fnv1a(&levels.to_string()),
    })
}

fn render(path: &Path, opts: &Options) -> String {
    let mut out = Vec::new();
    let (norm, summary) = normalize::run(path, opts, &mut out).expect("normalize runs");
    let mut text = Vec::new();
    normalize::write_summary(&norm, &summary, &mut text).expect("summary");
    let mut s = String::from_utf8(text).expect("utf8");
    s.push_str("---\n");
    for line in String::from_utf8(out).expect("utf8").lines() {
        let mut v: Value = serde_json::from_str(line).expect("each output line is JSON");
        let is_depth = v["type"].as_str().is_some_and(|t| t.starts_with("depth_"));
        if is_depth {
            for side in ["bids", "asks"] {
                let c = condense(&v[side]);
                v[side] = c;
            }
            s.push_str(&v.to_string());
        } else {
            s.push_str(line);
        }
        s.push('\n');
    }
    s
}

fn jsonl_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("readable directory")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_shared_raw_recording() {
    let Some(dir) = liq_store::shared_fixtures::dir("every_shared_raw_recording") else {
        return;
    };
    let files = jsonl_files(&dir.join("raw"));
    assert!(files.len() >= 30, "expected the shared raw recordings");
    for f in files {
        let name = f
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("name")
            .to_owned();
        let text = render(&f, &Options::default());
        assert!(
            !text.contains("invalid:"),
            "{name} has invalid messages:\n{text}"
        );
        insta::assert_snapshot!(format!("raw__{name}"), text);
    }
}

#[test]
fn every_hand_written_wire_fixture() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/wire");
    let files = jsonl_files(&dir);
    assert!(files.len() >= 10);
    for f in files {
        let name = f
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("name")
            .to_owned();
        // {exchange}_{market}_{stream}
        let mut parts = name.splitn(3, '_');
        let exchange = parts
            .next()
            .and_then(|s| s.parse().ok())
            .expect("exchange in name");
        let market = parts
            .next()
            .and_then(|s| s.parse().ok())
            .expect("market in name");
        let stream = parts
            .next()
            .and_then(|s| s.parse().ok())
            .expect("stream in name");
        let opts = Options {
            exchange: Some(exchange),
            market: Some(market),
            stream: Some(stream),
            instrument: None,
        };
        insta::assert_snapshot!(format!("wire__{name}"), render(&f, &opts));
        // Detection without the stream hint gives the same events, except for the ratio
        // endpoints, whose kind cannot be told from the message.
        if !name.contains("ratio") {
            let detected = render(
                &f,
                &Options {
                    stream: None,
                    ..opts.clone()
                },
            );
            let events = |t: &str| t.split("---\n").nth(1).map(str::to_owned);
            assert_eq!(events(&detected), events(&render(&f, &opts)), "{name}");
        }
    }
}
