//! The liquidation history files: round trips, a torn last write at every byte offset, a
//! reference-layout file (built per api.md 4.2) normalized to version 2 with its newest 720
//! records, one record per minute, the rewrite past 1440 records, a foreign file left alone.

use std::fs;

use liq_core::heatmap::history::{
    HistoryFrame, KEEP_RECORDS, Layout, MAGIC, REWRITE_ABOVE, Stop, V2_OVERHEAD,
    encode_reference_record,
};
use liq_core::heatmap::history_buffer::AddOutcome;
use liq_store::history::{HistoryFile, HistoryKind, file_name, load};

const T0: f64 = 1_772_242_440.0;

fn minute(i: usize) -> HistoryFrame {
    let n = 658 + i % 3;
    HistoryFrame {
        ts: T0 + 60.0 * i as f64 + 0.019,
        src: 65_000.0 + i as f64,
        step: 20.0,
        price_min: 59_180.0,
        price_max: 59_180.0 + 20.0 * (n as f64 - 1.0),
        long: (0..n).map(|k| ((k * 7 + i) % 256) as u8).collect(),
        short: (0..n).map(|k| ((k * 13 + i) % 256) as u8).collect(),
    }
}

#[test]
fn names() {
    assert_eq!(file_name(HistoryKind::V1, "BTC"), "liq_heatmap_v1_BTC.bin");
    assert_eq!(file_name(HistoryKind::V2, "SOL"), "liq_heatmap_v2_SOL.bin");
}

#[test]
fn appends_round_trip_and_dedup_by_minute() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join(file_name(HistoryKind::V2, "BTC"));
    let (mut file, load0) = HistoryFile::open(&path).unwrap();
    assert!(load0.frames.is_empty() && !path.exists());
    let frames: Vec<HistoryFrame> = (0..5).map(minute).collect();
    for f in &frames {
        assert_eq!(file.append(f).unwrap(), AddOutcome::Added);
        // A second snapshot of the same minute is not written.
        let mut again = f.clone();
        again.ts += 30.0;
        assert_eq!(file.append(&again).unwrap(), AddOutcome::SameMinute);
    }
    let mut bad = minute(9);
    bad.step = 0.0;
    assert!(matches!(file.append(&bad).unwrap(), AddOutcome::Invalid(_)));
    let bytes = fs::read(&path).unwrap();
    assert_eq!(&bytes[..8], &MAGIC);
    assert_eq!(bytes.len() as u64, file.file_size());
    let (file2, l) = HistoryFile::open(&path).unwrap();
    assert_eq!(
        (l.frames.as_slice(), l.layout, l.rewritten),
        (&frames[..], Layout::V2, false)
    );
    assert_eq!(file2.records(), 5);
    // An older minute after a restart is refused as well.
    let (mut file3, _) = HistoryFile::open(&path).unwrap();
    assert_eq!(file3.append(&minute(2)).unwrap(), AddOutcome::SameMinute);
}

#[test]
fn a_torn_last_write_at_every_offset() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("h.bin");
    let frames: Vec<HistoryFrame> = (0..4).map(minute).collect();
    let (mut file, _) = HistoryFile::open(&path).unwrap();
    frames
        .iter()
        .for_each(|f| assert_eq!(file.append(f).unwrap(), AddOutcome::Added));
    let whole = fs::read(&path).unwrap();
    let last = whole.len() - (V2_OVERHEAD + 2 * frames[3].n_buckets());
    let handle = fs::OpenOptions::new().write(true).open(&path).unwrap();
    for cut in (last..whole.len()).rev() {
        handle.set_len(cut as u64).unwrap();
        let l = load(&path).unwrap();
        assert_eq!(l.frames, frames[..3], "cut {cut}");
        let torn = (cut > last).then_some(Stop::Torn { offset: last });
        assert_eq!(l.stop, torn, "cut {cut}");
    }
    drop(handle);
    // Opening for writing drops the torn tail; the next append reads back.
    for off in [
        1,
        3,
        4,
        5,
        47,
        48,
        700,
        1365,
        V2_OVERHEAD + 2 * frames[3].n_buckets() - 1,
    ] {
        fs::write(&path, &whole[..last + off]).unwrap();
        let (mut file, l) = HistoryFile::open(&path).unwrap();
        assert!(l.rewritten);
        assert_eq!(fs::metadata(&path).unwrap().len(), last as u64);
        assert_eq!(file.append(&frames[3]).unwrap(), AddOutcome::Added);
        assert_eq!(load(&path).unwrap().frames, frames, "offset {off}");
    }
}

#[test]
fn a_reference_file_is_read_and_normalized() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join(file_name(HistoryKind::V1, "ETH"));
    // 730 reference records (api.md 4.2), plus a record with ts 0 and a torn tail.
    let frames: Vec<HistoryFrame> = (0..730).map(minute).collect();
    let mut bytes = Vec::new();
    for f in &frames[..365] {
        bytes.extend_from_slice(&encode_reference_record(f).unwrap());
    }
    let mut zero = encode_reference_record(&minute(999)).unwrap();
    zero[..8].copy_from_slice(&0.0f64.to_le_bytes());
    bytes.extend_from_slice(&zero);
    for f in &frames[365..] {
        bytes.extend_from_slice(&encode_reference_record(f).unwrap());
    }
    // The header is 44 bytes: the long intensities start at offset 44.
    assert_eq!(bytes[44..48], frames[0].long[..4]);
    bytes.extend_from_slice(&[1u8; 1000]);
    fs::write(&path, &bytes).unwrap();
    let l = load(&path).unwrap();
    assert_eq!(
        (l.layout, l.records_in_file, l.skipped),
        (Layout::Reference, 731, 1)
    );
    assert_eq!(l.frames, frames[730 - KEEP_RECORDS..]);
    let (_, l) = HistoryFile::open(&path).unwrap();
    assert!(l.rewritten);
    let after = load(&path).unwrap();
    assert_eq!(
        (after.layout, after.stop, after.frames),
        (Layout::V2, None, frames[10..].to_vec())
    );
    let (_, l) = HistoryFile::open(&path).unwrap();
    assert!(!l.rewritten, "a normalized file is left as it is");
}

#[test]
fn past_1440_records_the_file_keeps_the_newest_720() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("h.bin");
    let (mut file, _) = HistoryFile::open(&path).unwrap();
    for i in 0..REWRITE_ABOVE {
        assert_eq!(file.append(&minute(i)).unwrap(), AddOutcome::Added);
    }
    assert_eq!(file.records(), REWRITE_ABOVE);
    assert_eq!(
        file.append(&minute(REWRITE_ABOVE)).unwrap(),
        AddOutcome::Added
    );
    assert_eq!(file.records(), KEEP_RECORDS);
    let l = load(&path).unwrap();
    let want: Vec<HistoryFrame> = (REWRITE_ABOVE + 1 - KEEP_RECORDS..=REWRITE_ABOVE)
        .map(minute)
        .collect();
    assert_eq!(l.frames, want);
    assert_eq!(fs::metadata(&path).unwrap().len(), file.file_size());
    assert_eq!(
        file.append(&minute(REWRITE_ABOVE)).unwrap(),
        AddOutcome::SameMinute
    );
}

#[test]
fn a_foreign_file_is_quarantined_not_overwritten() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("h.bin");
    fs::write(&path, vec![0xffu8; 4096 * 2]).unwrap();
    let (mut file, l) = HistoryFile::open(&path).unwrap();
    assert!(l.frames.is_empty() && l.rewritten && !path.exists());
    let aside: Vec<_> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(aside.len(), 1);
    assert!(aside[0].to_string_lossy().starts_with("h.bin.bad-history-"));
    assert_eq!(file.append(&minute(0)).unwrap(), AddOutcome::Added);
    assert_eq!(load(&path).unwrap().frames, [minute(0)]);
}
