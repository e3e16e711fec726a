//! Round trips of every frame record version and of the API bodies, record validation, and the
//! resampling cases of api.md 4.4 (exact copy, point sampling, cover, conservation of sums).

use liq_core::orderbook::encode::{
    BIN_HEADER_LEN, BinHeader, decode_history_bin, encode_frame_bin, encode_history_bin,
    q_thousands,
};
use liq_core::orderbook::frame::{
    ExchangeSet, Frame, FrameGrid, FrameMarks, FrameStats, MAX_CELLS,
};
use liq_core::orderbook::record::{
    MARKER_OFFSET, RECORD_LEN, RecordError, RecordVersion, decode_record, encode_record,
    record_version,
};
use liq_core::orderbook::resample::{ResampleMode, ob_grid, rebin_sum, resample};
use proptest::prelude::*;

fn frame(ts: f64, pmin: f64, step: f64, bid: Vec<f64>, ask: Vec<f64>) -> Frame {
    let n = bid.len();
    let grid = FrameGrid {
        ts,
        src: pmin + step * n as f64 / 2.0,
        step,
        price_min: pmin,
        price_max: pmin + step * (n as f64 - 1.0),
    };
    Frame::from_raw(grid, bid, ask, FrameMarks::default())
}

fn without_raw(f: &Frame) -> Frame {
    Frame {
        raw: None,
        ..f.clone()
    }
}

/// What a version-1 record keeps of a frame.
fn as_v1(f: &Frame) -> Frame {
    Frame {
        raw: None,
        stats: FrameStats {
            norm_p50: f.stats.norm_p50,
            norm_p95: f.stats.norm_p95,
            ..FrameStats::default()
        },
        marks: FrameMarks::default(),
        ..f.clone()
    }
}

proptest! {
    #[test]
    fn records_round_trip_in_both_versions(
        cells in prop::collection::vec((0.0f64..1e7, 0.0f64..1e7, 0u8..4), 1..=MAX_CELLS),
        slot in 1i64..100_000_000,
        gap_bits in 0u8..8,
        ex_bits in 0u8..8,
        widened in any::<bool>(),
    ) {
        // A quarter of the cells empty, like a real band.
        let bid: Vec<f64> = cells.iter().map(|c| if c.2 == 0 { 0.0 } else { c.0 }).collect();
        let ask: Vec<f64> = cells.iter().map(|c| if c.2 == 1 { 0.0 } else { c.1 }).collect();
        let mut f = frame(slot as f64 * 30.0, 59_180.0, 20.0, bid, ask);
        f.marks = FrameMarks {
            gap: gap_bits != 0,
            gap_exchanges: ExchangeSet::from_bits(gap_bits),
            exchanges: ExchangeSet::from_bits(ex_bits),
            step_widened: widened,
            last_update_ts: f.ts + 29.5,
        };
        let v2 = encode_record(&f, RecordVersion::V2).unwrap();
        prop_assert_eq!(record_version(&v2), RecordVersion::V2);
        prop_assert_eq!(decode_record(&v2).unwrap(), (without_raw(&f), RecordVersion::V2));
        let v1 = encode_record(&f, RecordVersion::V1).unwrap();
        prop_assert_eq!(record_version(&v1), RecordVersion::V1);
        prop_assert_eq!(decode_record(&v1).unwrap(), (as_v1(&f), RecordVersion::V1));
        // Re-encoding a decoded record gives the same bytes.
        let (back, _) = decode_record(&v2).unwrap();
        prop_assert_eq!(encode_record(&back, RecordVersion::V2).unwrap(), v2);
        // Version 1 is version 2 without the padding area.
        prop_assert_eq!(&v1[..2076], &v2[..2076]);
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..5000)) {
        let _ = decode_record(&bytes);
        let _ = decode_history_bin(&bytes, true);
        let _ = BinHeader::from_bytes(&bytes);
    }
}

#[test]
fn bad_records_are_rejected() {
    let f = frame(30.0, 100.0, 1.0, vec![1.0, 2.0], vec![3.0, 0.0]);
    let good = encode_record(&f, RecordVersion::V2).unwrap();
    assert_eq!(decode_record(&good[..100]), Err(RecordError::Length(100)));
    let mut b = good;
    b[40..44].copy_from_slice(&0u32.to_le_bytes());
    assert_eq!(decode_record(&b), Err(RecordError::Cells(0)));
    b[40..44].copy_from_slice(&1001u32.to_le_bytes());
    assert_eq!(decode_record(&b), Err(RecordError::Cells(1001)));
    let mut b = good;
    b[0..8].copy_from_slice(&f64::NAN.to_le_bytes());
    assert!(matches!(
        decode_record(&b),
        Err(RecordError::Field { field: "ts", .. })
    ));
    let mut b = good;
    b[16..24].copy_from_slice(&0.0f64.to_le_bytes());
    assert!(matches!(
        decode_record(&b),
        Err(RecordError::Field { field: "step", .. })
    ));
    // A broken marker makes it a version-1 record (the statistics read as 0.0).
    let mut b = good;
    b[MARKER_OFFSET] ^= 0xff;
    let (v1, version) = decode_record(&b).unwrap();
    assert_eq!((version, v1.stats.norm_max), (RecordVersion::V1, 0.0));
    // Writing refuses what a record cannot hold.
    let mut big = f.clone();
    big.bid_u8 = vec![0; 1001];
    big.ask_u8 = vec![0; 1001];
    assert_eq!(
        encode_record(&big, RecordVersion::V2),
        Err(RecordError::Cells(1001))
    );
    big.ask_u8.pop();
    assert!(matches!(
        encode_record(&big, RecordVersion::V1),
        Err(RecordError::Sides { .. })
    ));
    assert_eq!(RECORD_LEN, 4096);
}

#[test]
fn frame_body_round_trips() {
    let mut f = frame(
        1772245200.0,
        59_300.0,
        20.0,
        vec![0.0, 5e5, 7e6, 0.0],
        vec![1e6, 0.0, 0.0, 3e5],
    );
    f.stats.norm_p90 = 1_234_999.0;
    let body = encode_frame_bin(&f).unwrap();
    assert_eq!(body.len(), BIN_HEADER_LEN + 8);
    let d = decode_history_bin(&body, false).unwrap();
    assert_eq!((d.bid, d.ask), (f.bid_u8.clone(), f.ask_u8.clone()));
    let h = d.header;
    assert_eq!(
        (h.rows, h.cols, h.frame_ts_ms, h.p90),
        (1, 4, 1772245200000, 1234)
    );
    assert_eq!(BinHeader::from_bytes(&h.to_bytes()), Ok(h));
    assert_eq!(
        (q_thousands(-5.0), q_thousands(f64::NAN), q_thousands(1e12)),
        (0, 0, 65535)
    );
    assert_eq!(q_thousands(999.999), 0);
}

#[test]
fn history_body_layout_and_limits() {
    let a = frame(30.0, 100.0, 1.0, vec![1.0, 2.0, 3.0], vec![0.0, 0.0, 9.0]);
    let b = frame(60.0, 101.0, 1.0, vec![4.0, 5.0, 6.0], vec![1.0, 0.0, 0.0]);
    let frames = [a.clone(), b.clone()];
    let grid = ob_grid(&frames, None, None, 1.0, 10_000).unwrap();
    assert_eq!(grid.prices, [100.0, 101.0, 102.0, 103.0]);
    let body = encode_history_bin(&frames, &grid, ResampleMode::Point).unwrap();
    assert_eq!(body.len(), 64 + 2 * 2 * 4 + 8 * 2);
    let d = decode_history_bin(&body, true).unwrap();
    let mut bid = a.bid_u8.clone();
    bid.push(0);
    bid.push(0);
    bid.extend_from_slice(&b.bid_u8);
    assert_eq!(d.bid, bid);
    assert_eq!(d.ts_ms, [30_000, 60_000]);
    assert_eq!(
        (d.header.src, d.header.price_min, d.header.price_max),
        (b.src, 100.0, 103.0)
    );
    // Empty selection and overflowing counts.
    let none: [Frame; 0] = [];
    let empty = ob_grid(&none, None, None, 20.0, 10).unwrap();
    assert!(empty.prices.is_empty());
    assert_eq!(
        encode_history_bin(&none, &empty, ResampleMode::Point)
            .unwrap()
            .len(),
        64
    );
    assert!(ob_grid(&frames, Some(0.0), Some(1e9), 0.01, 10_000).is_err());
    let reversed = ob_grid(&frames, Some(110.0), Some(100.0), 1.0, 10).unwrap();
    assert!(reversed.prices.is_empty());
    assert_eq!((reversed.price_min, reversed.price_max), (110.0, 100.0));
}

#[test]
fn resampling_exact_point_and_cover() {
    let f = frame(
        30.0,
        100.0,
        20.0,
        vec![4.0, 3.0, 4.0, 2.0],
        vec![0.0, 1.0, 0.0, 0.0],
    );
    assert_eq!(f.bid_u8, [255, 0, 255, 0]);
    // Same step, wider grid: an exact copy on the overlap, 0 elsewhere.
    let grid = ob_grid(&[&f], Some(60.0), Some(200.0), 20.0, 100).unwrap();
    let (bid, _) = resample(&f, &grid, ResampleMode::Point);
    assert_eq!(bid[2..6], f.bid_u8[..]);
    assert!(bid[..2].iter().chain(&bid[6..]).all(|&b| b == 0));
    // Finer grid: Point leaves zeros between frame buckets; Cover fills them.
    let fine = ob_grid(&[&f], Some(100.0), Some(160.0), 10.0, 100).unwrap();
    let (p, _) = resample(&f, &fine, ResampleMode::Point);
    let (c, _) = resample(&f, &fine, ResampleMode::Cover);
    let u = &f.bid_u8;
    assert_eq!(p, [u[0], 0, u[1], 0, u[2], 0, u[3]]);
    // Keys at step 20: 110 -> 6 (5.5 ties to even), 130 -> 6, 150 -> 8.
    assert_eq!(c, [u[0], u[1], u[1], u[1], u[2], u[3], u[3]]);
    // Coarser grid: Point takes the last colliding frame cell, Cover the maximum.
    let coarse = ob_grid(&[&f], None, None, 40.0, 100).unwrap();
    assert_eq!(coarse.prices, [80.0, 120.0, 160.0]);
    let (p, _) = resample(&f, &coarse, ResampleMode::Point);
    let (c, _) = resample(&f, &coarse, ResampleMode::Cover);
    // Keys at step 40: 100 -> 2 (2.5 ties to even), 120 -> 3, 140 -> 4 (3.5), 160 -> 4.
    assert_eq!(p, [u[0], u[1], u[3]]);
    assert_eq!(c, [u[0], u[1], u[2].max(u[3])]);
}

#[test]
fn rebin_sum_conserves_totals() {
    let values: Vec<f64> = (0..100).map(|i| (i * 37 % 11) as f64).collect();
    let total: f64 = values.iter().sum();
    let (pmin, step) = (1000.0, 0.5);
    for target in [0.5, 1.0, 2.0, 5.0, 25.0] {
        let g = ob_grid(
            &[frame(30.0, 0.0, 1.0, vec![0.0], vec![0.0])],
            Some(990.0),
            Some(1060.0),
            target,
            10_000,
        )
        .unwrap();
        let out = rebin_sum(&values, pmin, step, &g);
        assert_eq!(out.iter().sum::<f64>(), total, "step {target}");
    }
    // Same step and bounds: the identity.
    let g = ob_grid(
        &[frame(30.0, 0.0, 1.0, vec![0.0], vec![0.0])],
        Some(1000.0),
        Some(1049.5),
        0.5,
        10_000,
    )
    .unwrap();
    assert_eq!(rebin_sum(&values, pmin, step, &g), values);
}

proptest! {
    /// The same-step fast path equals the reference's key lookup over `frame.prices()`.
    #[test]
    fn same_step_resampling_is_the_key_lookup(
        step_i in 0usize..4,
        k0 in 1i64..200_000,
        n in 1usize..1000,
        lo_off in -1200i64..1200,
        width in 0i64..2500,
    ) {
        let step = [20.0, 1.0, 0.1, 0.01][step_i];
        let s = liq_core::grid::BucketStep::new(step).unwrap();
        let bid: Vec<f64> = (0..n).map(|i| ((i * 7919) % 1000) as f64).collect();
        let ask: Vec<f64> = (0..n).map(|i| ((i * 104_729) % 997) as f64).collect();
        let f = frame(30.0, s.price(k0), step, bid, ask);
        let grid = ob_grid(&[&f], Some(s.price(k0 + lo_off)), Some(s.price(k0 + lo_off + width)), step, 1 << 20).unwrap();
        let mut want_b = vec![0u8; grid.len()];
        let mut want_a = vec![0u8; grid.len()];
        for (i, p) in f.prices().into_iter().enumerate() {
            if let Some(j) = usize::try_from(s.key(p) - grid.k_min).ok().filter(|&j| j < grid.len()) {
                want_b[j] = f.bid_u8[i];
                want_a[j] = f.ask_u8[i];
            }
        }
        prop_assert_eq!(resample(&f, &grid, ResampleMode::Point), (want_b.clone(), want_a.clone()));
        prop_assert_eq!(resample(&f, &grid, ResampleMode::Cover), (want_b, want_a));
    }
}
