//! The order-book frame file: the golden file loads whole, a crash at every byte offset of the
//! last record keeps every complete record (and the next append stays aligned), appends
//! round-trip as version 2 next to version-1 records, compaction keeps the newest records.

use std::fs;
use std::path::Path;

use liq_core::orderbook::frame::{Frame, FrameGrid, FrameMarks};
use liq_core::orderbook::record::{RECORD_LEN, RecordVersion, encode_record};
use liq_store::ob_ring::{COMPACT_EVERY, ObRingFile, file_name, load, load_bytes, tail_since};

fn frame(slot: i64) -> Frame {
    let grid = FrameGrid {
        ts: slot as f64 * 30.0,
        src: 100.0,
        step: 1.0,
        price_min: 90.0,
        price_max: 93.0,
    };
    let x = slot as f64;
    Frame::from_raw(
        grid,
        vec![x, 0.0, 2.0 * x, 1.0],
        vec![0.0, x + 1.0, 3.0, 0.0],
        FrameMarks::default(),
    )
}

fn strip(f: &Frame) -> Frame {
    Frame {
        raw: None,
        ..f.clone()
    }
}

fn write_frames(path: &Path, slots: std::ops::Range<i64>) -> Vec<Frame> {
    let (mut file, _) = ObRingFile::open(path, 10_000).unwrap();
    slots
        .map(|s| {
            let f = frame(s);
            file.append(&f).unwrap();
            strip(&f)
        })
        .collect()
}

#[test]
fn file_names_per_symbol() {
    assert_eq!(file_name("BTC"), "ob_heatmap_30s.bin");
    assert_eq!(file_name("ETH"), "ob_heatmap_30s_ETH.bin");
    assert_eq!(file_name("SOL"), "ob_heatmap_30s_SOL.bin");
}

#[test]
fn golden_file_loads_whole_and_takes_v2_appends() {
    let Some(dir) = liq_store::shared_fixtures::dir("frames_ob_ring_golden") else {
        return;
    };
    let golden = fs::read(dir.join("golden/2026-02-28/ob_heatmap_30s.bin")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join(file_name("BTC"));
    fs::write(&path, &golden).unwrap();
    let (mut file, report) = ObRingFile::open(&path, 1440).unwrap();
    assert_eq!(
        (
            report.frames.len(),
            report.records_on_disk,
            report.v1_frames
        ),
        (94, 94, 94)
    );
    assert!(report.bad_records.is_empty() && !report.rewritten && report.torn_bytes == 0);
    let (ring, rejected) = report.ring(1440);
    assert_eq!((ring.len(), rejected), (94, 0));
    assert_eq!(ring.latest().unwrap().ts, 1772245200.0);
    // A new frame is appended as version 2 after the reference's records.
    let mut next = frame(1772245230 / 30);
    next.stats.norm_p99 = 42.0;
    file.append(&next).unwrap();
    assert_eq!(file.records_on_disk(), 95);
    let again = load(&path, 1440).unwrap();
    assert_eq!((again.frames.len(), again.v1_frames), (95, 94));
    assert_eq!(again.frames[94], strip(&next));
    assert_eq!(fs::read(&path).unwrap()[..golden.len()], golden[..]);
    // The tail of a separate reader.
    let tail = tail_since(&path, 1772245170.0).unwrap();
    assert_eq!(
        tail.iter().map(|f| f.ts).collect::<Vec<_>>(),
        [1772245200.0, 1772245230.0]
    );
    // Keeping fewer than the file holds: the newest.
    let last10 = load(&path, 10).unwrap();
    assert_eq!((last10.frames.len(), last10.records_on_disk), (10, 95));
    assert_eq!(last10.frames[9].ts, 1772245230.0);
}

#[test]
fn a_crash_at_every_offset_of_the_last_record_keeps_the_complete_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join(file_name("ETH"));
    let frames = write_frames(&path, 1..6);
    let whole = fs::read(&path).unwrap();
    assert_eq!(whole.len(), 5 * RECORD_LEN);
    let last = 4 * RECORD_LEN;
    // Truncate the file itself, one byte at a time from its end down to the last record's
    // start, and load it (no rewrite): the 4 complete records survive every cut.
    let handle = fs::OpenOptions::new().write(true).open(&path).unwrap();
    for cut in (last..whole.len()).rev() {
        handle.set_len(cut as u64).unwrap();
        let r = load(&path, 1440).unwrap();
        assert_eq!(r.frames, frames[..4], "cut {cut}");
        assert_eq!(r.torn_bytes, cut - last);
        assert_eq!(load_bytes(&whole[..cut], 1440), r);
    }
    drop(handle);
    // Opening for writing cuts the torn tail atomically, so the next append is aligned and all
    // 5 frames read back (offsets at every field boundary and a spread of others; each open
    // fsyncs, so not all 4096).
    let boundaries = [
        0, 1, 8, 40, 44, 75, 76, 1075, 1076, 2075, 2076, 2147, 2148, 2152, 2163, 2164, 4095,
    ];
    let cuts = boundaries.into_iter().chain((0..RECORD_LEN).step_by(512));
    for off in cuts {
        let cut = last + off;
        fs::write(&path, &whole[..cut]).unwrap();
        let (mut file, report) = ObRingFile::open(&path, 1440).unwrap();
        assert_eq!(report.frames, frames[..4], "cut {cut}");
        assert_eq!(report.rewritten, cut > last);
        assert_eq!(fs::metadata(&path).unwrap().len(), last as u64);
        file.append(&frames[4]).unwrap();
        assert_eq!(load(&path, 1440).unwrap().frames, frames, "cut {cut}");
    }
}

#[test]
fn bad_records_are_skipped_not_fatal() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("ob.bin");
    let frames = write_frames(&path, 1..4);
    let mut bytes = fs::read(&path).unwrap();
    bytes[RECORD_LEN + 40..RECORD_LEN + 44].copy_from_slice(&5000u32.to_le_bytes());
    fs::write(&path, &bytes).unwrap();
    let r = load(&path, 1440).unwrap();
    assert_eq!(r.frames, [frames[0].clone(), frames[2].clone()]);
    assert_eq!(r.bad_records.len(), 1);
    assert_eq!(r.bad_records[0].0, 1);
    // Missing file: empty, created by the first append.
    let fresh = tmp.path().join("none.bin");
    let (mut file, r) = ObRingFile::open(&fresh, 1440).unwrap();
    assert!(r.frames.is_empty() && !fresh.exists());
    file.append(&frame(7)).unwrap();
    assert_eq!(fs::metadata(&fresh).unwrap().len(), RECORD_LEN as u64);
}

#[test]
fn retention_at_open_and_every_100_appends() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("ob.bin");
    // 30 records, capacity 20: the open rewrites the newest 20.
    let frames = write_frames(&path, 1..31);
    let (mut file, r) = ObRingFile::open(&path, 20).unwrap();
    assert!(r.rewritten);
    assert_eq!(r.frames, frames[10..]);
    assert_eq!(file.records_on_disk(), 20);
    // Appends grow the file until the 100th, which compacts it back to 20.
    for s in 31..31 + i64::from(COMPACT_EVERY) - 1 {
        file.append(&frame(s)).unwrap();
    }
    assert_eq!(file.records_on_disk(), 20 + COMPACT_EVERY as usize - 1);
    let last = 31 + i64::from(COMPACT_EVERY) - 1;
    file.append(&frame(last)).unwrap();
    assert_eq!(file.records_on_disk(), 20);
    assert_eq!(file.file_size(), 20 * RECORD_LEN as u64);
    let r = load(&path, 1440).unwrap();
    assert_eq!(r.frames.last().unwrap().ts, last as f64 * 30.0);
    assert_eq!(r.frames.len(), 20);
    let stats = file.stats();
    assert_eq!(stats.frames_written_total, u64::from(COMPACT_EVERY));
    assert!(stats.last_write_unix_ms > 0);
    // The v2 record on disk is the encoder's bytes.
    let bytes = fs::read(&path).unwrap();
    let want = encode_record(&frame(last), RecordVersion::V2).unwrap();
    assert_eq!(&bytes[bytes.len() - RECORD_LEN..], &want[..]);
}
