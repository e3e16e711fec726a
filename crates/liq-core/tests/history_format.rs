//! The liquidation history records (DECISIONS heatmap 6, api.md 4.2): version-2 round trips,
//! a torn last record at every byte offset, CRC and length corruption, the reference's fixed
//! 4096-byte layout built byte by byte from the spec, and the one-per-minute buffer.

use liq_core::heatmap::history::{
    DecodedFile, HistoryError, HistoryFrame, Layout, MAGIC, Stop, V2_OVERHEAD, decode_file,
    decode_reference_record, encode_file, encode_record, encode_reference_record, intensity_u8,
};
use liq_core::heatmap::history_buffer::{AddOutcome, HistoryBuffer, admit};
use liq_core::orderbook::ring::StrideAnchor;
use proptest::prelude::*;

fn hframe(ts: f64, n: usize, seed: u8) -> HistoryFrame {
    HistoryFrame {
        ts,
        src: 65_892.725,
        step: 20.0,
        price_min: 59_300.0,
        price_max: 59_300.0 + 20.0 * (n as f64 - 1.0),
        long: (0..n).map(|i| (i as u8).wrapping_mul(seed)).collect(),
        short: (0..n).map(|i| (i as u8).wrapping_add(seed)).collect(),
    }
}

fn minutes(n: usize) -> Vec<HistoryFrame> {
    (0..n)
        .map(|i| {
            hframe(
                1_772_242_440.0 + 60.0 * i as f64 + 0.003,
                660 + i % 3,
                i as u8,
            )
        })
        .collect()
}

proptest! {
    #[test]
    fn v2_files_round_trip(
        ns in prop::collection::vec(1usize..1500, 0..6),
        seed in any::<u8>(),
    ) {
        let frames: Vec<HistoryFrame> = ns.iter().enumerate()
            .map(|(i, &n)| hframe(60.0 * (i + 1) as f64, n, seed))
            .collect();
        let bytes = encode_file(&frames).unwrap();
        prop_assert_eq!(&bytes[..8], &MAGIC);
        let want_len = 8 + ns.iter().map(|n| V2_OVERHEAD + 2 * n).sum::<usize>();
        prop_assert_eq!(bytes.len(), want_len);
        let d = decode_file(&bytes);
        prop_assert_eq!(d, DecodedFile { layout: Layout::V2, frames, skipped: 0, readable_len: want_len, stop: None });
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..9000), magic in any::<bool>()) {
        let mut b = if magic { MAGIC.to_vec() } else { Vec::new() };
        b.extend_from_slice(&bytes);
        let d = decode_file(&b);
        prop_assert!(d.readable_len <= b.len());
    }
}

#[test]
fn a_torn_last_record_at_every_offset_keeps_the_others() {
    let frames = minutes(3);
    let bytes = encode_file(&frames).unwrap();
    let last_start = bytes.len() - (V2_OVERHEAD + 2 * frames[2].n_buckets());
    for cut in last_start..bytes.len() {
        let d = decode_file(&bytes[..cut]);
        assert_eq!(d.frames, frames[..2], "cut at {cut}");
        assert_eq!(d.readable_len, last_start);
        let want = (cut > last_start).then_some(Stop::Torn { offset: last_start });
        assert_eq!(d.stop, want, "cut at {cut}");
    }
    // A torn magic, an empty file.
    assert_eq!(decode_file(&MAGIC[..3]).stop, Some(Stop::TornMagic));
    let empty = decode_file(&[]);
    assert_eq!(
        (empty.layout, empty.stop, empty.frames.len()),
        (Layout::V2, None, 0)
    );
}

#[test]
fn a_bad_crc_or_length_ends_the_readable_part() {
    let frames = minutes(3);
    let bytes = encode_file(&frames).unwrap();
    let second = 8 + V2_OVERHEAD + 2 * frames[0].n_buckets();
    let mut b = bytes.clone();
    b[second + 60] ^= 1; // a long intensity of record 2
    let d = decode_file(&b);
    assert_eq!(
        (d.frames.len(), d.stop),
        (1, Some(Stop::BadCrc { offset: second }))
    );
    let mut b = bytes.clone();
    b[second..second + 4].copy_from_slice(&7u32.to_le_bytes());
    assert_eq!(
        decode_file(&b).stop,
        Some(Stop::BadLength { offset: second })
    );
    let mut b = bytes;
    b[second + 44] ^= 1; // n_buckets disagrees with record_len
    assert_eq!(
        decode_file(&b).stop,
        Some(Stop::BadLength { offset: second })
    );
}

#[test]
fn intact_but_invalid_records_are_skipped() {
    let mut zero_ts = hframe(60.0, 4, 1);
    let ok = hframe(120.0, 4, 2);
    let mut bytes = MAGIC.to_vec();
    encode_record(&ok, &mut bytes).unwrap();
    assert_eq!(
        encode_record(
            &HistoryFrame {
                long: vec![],
                short: vec![],
                ..ok.clone()
            },
            &mut bytes
        ),
        Err(HistoryError::Cells { long: 0, short: 0 })
    );
    zero_ts.ts = 0.0;
    assert!(encode_record(&zero_ts, &mut bytes).is_err());
    // Write the invalid record by hand (a foreign writer), with a correct CRC.
    let start = bytes.len();
    let n = 4usize;
    bytes.extend_from_slice(&((V2_OVERHEAD + 2 * n) as u32).to_le_bytes());
    for v in [0.0f64, 1.0, 20.0, 100.0, 160.0] {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    bytes.extend_from_slice(&(n as u32).to_le_bytes());
    bytes.extend_from_slice(&[0u8; 8]);
    let crc = crc32fast::hash(&bytes[start..]);
    bytes.extend_from_slice(&crc.to_le_bytes());
    encode_record(&ok, &mut bytes).unwrap();
    let d = decode_file(&bytes);
    assert_eq!(
        (d.frames.len(), d.skipped, d.stop, d.readable_len),
        (2, 1, None, bytes.len())
    );
}

/// A reference record laid out by hand from api.md 4.2 (44-byte header `<dddddI`).
fn reference_record(
    ts: f64,
    src: f64,
    pmin: f64,
    pmax: f64,
    step: f64,
    long: &[u8],
    short: &[u8],
) -> Vec<u8> {
    let mut b = Vec::with_capacity(4096);
    for v in [ts, src, pmin, pmax, step] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    b.extend_from_slice(&(long.len() as u32).to_le_bytes());
    assert_eq!(b.len(), 44);
    b.extend_from_slice(long);
    b.resize(1044, 0);
    b.extend_from_slice(short);
    b.resize(4096, 0);
    b
}

#[test]
fn reference_layout_is_read() {
    let long = [0u8, 17, 62, 11];
    let short = [37u8, 137, 37, 0];
    let r1 = reference_record(
        1772245200.003,
        65892.725,
        60620.0,
        60680.0,
        20.0,
        &long,
        &short,
    );
    let f = decode_reference_record(&r1).unwrap();
    assert_eq!(
        (f.ts, f.src, f.step, f.price_min, f.price_max),
        (1772245200.003, 65892.725, 20.0, 60620.0, 60680.0)
    );
    assert_eq!(
        (f.long.as_slice(), f.short.as_slice()),
        (&long[..], &short[..])
    );
    assert_eq!(f.prices(), [60620.0, 60640.0, 60660.0, 60680.0]);
    assert_eq!(encode_reference_record(&f).unwrap().to_vec(), r1);
    // A file: a valid record, ts 0 (skipped), n 0 (skipped), n 1001 (skipped), another valid
    // record, then a torn tail.
    let r0 = reference_record(0.0, 1.0, 1.0, 2.0, 1.0, &[1], &[1]);
    let rn = reference_record(1772245260.0, 1.0, 1.0, 2.0, 1.0, &[], &[]);
    let mut rbig = reference_record(1772245320.0, 1.0, 1.0, 2.0, 1.0, &[1], &[1]);
    rbig[40..44].copy_from_slice(&1001u32.to_le_bytes());
    let r2 = reference_record(1772245380.0, 81.2, 75.0, 75.5, 0.1, &[1; 6], &[2; 6]);
    let mut file = [r1, r0, rn, rbig, r2].concat();
    file.extend_from_slice(&[9u8; 100]);
    let d = decode_file(&file);
    assert_eq!(d.layout, Layout::Reference);
    assert_eq!(
        (d.frames.len(), d.skipped, d.readable_len),
        (2, 3, 5 * 4096)
    );
    assert_eq!(d.stop, Some(Stop::Torn { offset: 5 * 4096 }));
    // The SOL grid is index-built: no 75.19999999999999.
    assert_eq!(d.frames[1].prices(), [75.0, 75.1, 75.2, 75.3, 75.4, 75.5]);
    // Too long for the reference layout: refused, not truncated.
    assert!(matches!(
        encode_reference_record(&hframe(60.0, 1001, 1)),
        Err(HistoryError::TooMany { n: 1001, max: 1000 })
    ));
}

#[test]
fn intensities_truncate() {
    assert_eq!(intensity_u8(0.5384615384615384), 137);
    assert_eq!(
        (
            intensity_u8(1.0),
            intensity_u8(2.0),
            intensity_u8(-1.0),
            intensity_u8(f64::NAN)
        ),
        (255, 255, 0, 0)
    );
    let f = HistoryFrame::from_intensities(
        60.0,
        1.0,
        20.0,
        100.0,
        140.0,
        &[0.0, 0.5, 1.0],
        &[0.1, 0.2],
    );
    assert_eq!((f.long, f.short), (vec![0, 127], vec![25, 51]));
}

#[test]
fn one_frame_per_minute_and_capacity() {
    let mut b = HistoryBuffer::new(3);
    assert_eq!(b.add(hframe(120.5, 4, 1)), AddOutcome::Added);
    assert_eq!(b.add(hframe(179.9, 4, 2)), AddOutcome::SameMinute);
    assert_eq!(b.add(hframe(60.0, 4, 2)), AddOutcome::SameMinute);
    assert!(matches!(
        b.add(hframe(f64::NAN, 4, 2)),
        AddOutcome::Invalid(_)
    ));
    for m in 3..7 {
        assert_eq!(
            b.add(hframe(60.0 * m as f64, 4, m as u8)),
            AddOutcome::Added
        );
    }
    assert_eq!(b.len(), 3);
    assert_eq!(b.iter().map(|f| f.minute()).collect::<Vec<_>>(), [4, 5, 6]);
    assert_eq!(b.latest().unwrap().minute(), 6);
    let ts =
        |v: Vec<std::sync::Arc<HistoryFrame>>| v.iter().map(|f| f.minute()).collect::<Vec<_>>();
    assert_eq!(ts(b.get_frames(720, 2, StrideAnchor::Oldest)), [4, 6]);
    assert_eq!(ts(b.get_frames(2, 2, StrideAnchor::Oldest)), [5]);
    assert_eq!(ts(b.get_frames(2, 2, StrideAnchor::Newest)), [6]);
    assert_eq!(admit(Some(6), &hframe(420.0, 1, 1)), AddOutcome::Added);
    let from = HistoryBuffer::from_frames(2, minutes(5));
    assert_eq!(from.len(), 2);
}
