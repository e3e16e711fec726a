//! The reference's real frame file `golden/2026-02-28/ob_heatmap_30s.bin` (94 version-1
//! records): every header and cell fact of zones_orderbook.md B9/B12.1, a byte-exact re-encoding,
//! and the API's bodies built from those frames (api.md 5.7-5.9, test vectors T20 and T31); plus
//! the real history response `historical_2026-01/1_orderbook_heatmap_30s_history.json`.

use std::path::PathBuf;

use liq_core::grid::{BucketStep, half_even, py_round};
use liq_core::orderbook::encode::{
    BIN_HEADER_LEN, BinHeader, decode_history_bin, encode_frame_bin, encode_history_bin,
};
use liq_core::orderbook::frame::Frame;
use liq_core::orderbook::record::{RECORD_LEN, RecordVersion, decode_record, encode_record};
use liq_core::orderbook::resample::{ResampleMode, UnifiedGrid, ob_grid, resample};
use liq_core::orderbook::ring::{FrameRing, StrideAnchor};
use serde_json::Value;

fn shared(test: &str) -> Option<PathBuf> {
    liq_store::shared_fixtures::dir(test)
}

fn golden_bytes(test: &str) -> Option<Vec<u8>> {
    let dir = shared(test)?;
    Some(std::fs::read(dir.join("golden/2026-02-28/ob_heatmap_30s.bin")).unwrap())
}

fn golden_frames(bytes: &[u8]) -> Vec<Frame> {
    bytes
        .chunks_exact(RECORD_LEN)
        .map(|r| {
            let (f, v) = decode_record(r).unwrap();
            assert_eq!(v, RecordVersion::V1);
            f
        })
        .collect()
}

fn cell(f: &Frame, side: &[u8], price: f64) -> u8 {
    let i = f.prices().iter().position(|&p| p == price).unwrap();
    side[i]
}

fn nonzero(f: &Frame, side: &[u8]) -> Vec<(f64, u8)> {
    f.prices()
        .into_iter()
        .zip(side.iter().copied())
        .filter(|(_, u)| *u > 0)
        .collect()
}

#[test]
fn all_94_frames_and_b12_1() {
    let Some(bytes) = golden_bytes("frames_golden") else {
        return;
    };
    assert_eq!(bytes.len(), 385_024);
    let frames = golden_frames(&bytes);
    assert_eq!(frames.len(), 94);
    // First 76 bytes of record 0 (B12.1).
    let hex: String = bytes[..76].iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        hex,
        "0000807a9168da419a9999991d0df0400000000000003440000000008\
         0e5ec400000000000a8f14092020000d100de022d7df340b8a5d5d0c1004d41\
         8db96be24bce7e417dd0b3923f7f7d41"
    );
    let s = BucketStep::new(20.0).unwrap();
    for (i, (f, rec)) in frames
        .iter()
        .zip(bytes.chunks_exact(RECORD_LEN))
        .enumerate()
    {
        if i > 0 {
            assert_eq!(f.ts - frames[i - 1].ts, 30.0, "record {i}");
        }
        assert_eq!(f.ts % 30.0, 0.0);
        assert_eq!(f.step, 20.0);
        assert!((658..=660).contains(&f.n_prices()), "record {i}");
        // B7 steps 2-3 with the record's own src.
        assert_eq!(f.price_min, half_even(f.src * (1.0 - 0.10) / 20.0) * 20.0);
        assert_eq!(f.price_max, half_even(f.src * (1.0 + 0.10) / 20.0) * 20.0);
        let n = half_even((f.price_max - f.price_min) / 20.0) as usize + 1;
        assert_eq!(f.n_prices(), n);
        // The index-built grid equals the reference's and the key grid.
        let (k0, k1) = s.key_range(f.price_min, f.price_max).unwrap();
        assert_eq!(f.prices(), s.grid_from_keys(k0, k1));
        let reference: Vec<f64> = (0..n)
            .map(|j| py_round(f.price_min + j as f64 * 20.0, 1))
            .collect();
        assert_eq!(f.prices(), reference);
        // Bytes past n_prices and the padding are zero.
        assert!(rec[76 + n..1076].iter().all(|&b| b == 0));
        assert!(rec[1076 + n..].iter().all(|&b| b == 0));
        // Loaded frames have no p90/p99/max (O6).
        assert_eq!(
            (f.stats.norm_p90, f.stats.norm_p99, f.stats.norm_max),
            (0.0, 0.0, 0.0)
        );
        // The reference layout re-encodes byte for byte.
        assert_eq!(&encode_record(f, RecordVersion::V1).unwrap()[..], rec);
    }
    let (f0, f93) = (&frames[0], &frames[93]);
    assert_eq!(
        (f0.ts, f0.src, f0.price_min, f0.price_max, f0.n_prices()),
        (1772242410.0, 65745.85, 59180.0, 72320.0, 658)
    );
    assert_eq!(
        (f0.stats.norm_p50, f0.stats.norm_p95),
        (79826.81319999999, 3801475.6315199994)
    );
    assert_eq!(
        (f0.total_bid_notional, f0.total_ask_notional),
        (32302270.151300002, 30929913.1689)
    );
    assert_eq!(
        (
            f93.ts,
            f93.src,
            f93.price_min,
            f93.price_max,
            f93.n_prices()
        ),
        (1772245200.0, 65897.65, 59300.0, 72480.0, 660)
    );
    assert_eq!(
        (f93.stats.norm_p50, f93.stats.norm_p95),
        (333754.26665, 6069886.805444994)
    );
    assert_eq!(
        (f93.total_bid_notional, f93.total_ask_notional),
        (483691906.37939996, 369022302.2875)
    );
    let bids0 = [
        (61760.0, 11),
        (62420.0, 7),
        (63080.0, 3),
        (64320.0, 6),
        (64600.0, 254),
        (64800.0, 9),
        (64840.0, 3),
        (64860.0, 21),
        (65080.0, 225),
        (65120.0, 4),
        (65220.0, 6),
        (65420.0, 10),
        (65480.0, 1),
        (65600.0, 103),
        (65620.0, 143),
        (65640.0, 255),
        (65660.0, 255),
        (65680.0, 162),
        (65700.0, 255),
        (65720.0, 151),
        (65740.0, 57),
    ];
    let asks0 = [
        (65740.0, 24),
        (65760.0, 155),
        (65780.0, 161),
        (65800.0, 184),
        (65820.0, 174),
        (65840.0, 255),
        (65860.0, 152),
        (65880.0, 64),
        (65900.0, 73),
        (65920.0, 30),
        (65980.0, 9),
        (66300.0, 255),
        (66380.0, 2),
        (66400.0, 1),
        (66500.0, 174),
        (66540.0, 69),
        (66660.0, 4),
        (66700.0, 77),
        (66720.0, 13),
        (66900.0, 66),
        (66960.0, 3),
    ];
    assert_eq!(nonzero(f0, &f0.bid_u8), bids0);
    assert_eq!(nonzero(f0, &f0.ask_u8), asks0);
    assert_eq!(nonzero(f93, &f93.bid_u8).len(), 143);
    assert_eq!(nonzero(f93, &f93.ask_u8).len(), 119);
    for (p, u) in [
        (60000.0, 255),
        (61000.0, 193),
        (62380.0, 214),
        (64000.0, 255),
    ] {
        assert_eq!(cell(f93, &f93.bid_u8, p), u, "bid {p}");
    }
    for (p, u) in [
        (65900.0, 4),
        (65920.0, 97),
        (66000.0, 255),
        (66500.0, 250),
        (67000.0, 255),
    ] {
        assert_eq!(cell(f93, &f93.ask_u8, p), u, "ask {p}");
    }
    // api.md T20: bid 65860/65880/65900 and ask 65900/65920/65940.
    let b: Vec<u8> = [65860.0, 65880.0, 65900.0]
        .iter()
        .map(|&p| cell(f93, &f93.bid_u8, p))
        .collect();
    let a: Vec<u8> = [65900.0, 65920.0, 65940.0]
        .iter()
        .map(|&p| cell(f93, &f93.ask_u8, p))
        .collect();
    assert_eq!((b, a), (vec![103, 77, 26], vec![4, 97, 112]));
}

#[test]
fn api_bodies_from_the_golden_frames() {
    let Some(bytes) = golden_bytes("frames_golden_api") else {
        return;
    };
    let mut ring = FrameRing::default();
    for f in golden_frames(&bytes) {
        ring.push(f).unwrap();
    }
    // 5.9 single frame: 1384 bytes and the documented header.
    let latest = ring.latest().unwrap();
    let body = encode_frame_bin(latest).unwrap();
    assert_eq!(body.len(), 1384);
    let h = BinHeader::from_bytes(&body).unwrap();
    assert_eq!(
        (
            h.version,
            h.encoding,
            h.frame_ts_ms,
            h.interval_ms,
            h.rows,
            h.cols
        ),
        (1, 0, 1772245200000, 30000, 1, 660)
    );
    assert_eq!(
        (h.price_min, h.price_max, h.step, h.src),
        (59300.0, 72480.0, 20.0, 65897.65)
    );
    assert_eq!((h.p50, h.p90, h.p95, h.p99, h.max), (333, 0, 6069, 0, 0));
    assert_eq!(
        body[BIN_HEADER_LEN..]
            .iter()
            .take(660)
            .filter(|&&b| b > 0)
            .count(),
        143
    );
    assert_eq!(
        body[BIN_HEADER_LEN + 660..]
            .iter()
            .filter(|&&b| b > 0)
            .count(),
        119
    );

    // 5.9 history, minutes=10 & stride=2 (reference anchor): 13384 bytes.
    let frames = ring.get_frames(10, 2, StrideAnchor::Oldest);
    let grid = ob_grid(&frames, None, None, 20.0, 10_000).unwrap();
    let body = encode_history_bin(&frames, &grid, ResampleMode::Point).unwrap();
    assert_eq!(body.len(), 13_384);
    let d = decode_history_bin(&body, true).unwrap();
    let h = d.header;
    assert_eq!(
        (
            h.version,
            h.encoding,
            h.frame_ts_ms,
            h.interval_ms,
            h.rows,
            h.cols
        ),
        (1, 0, 1772244630000, 30000, 10, 662)
    );
    assert_eq!(
        (h.price_min, h.price_max, h.step, h.src),
        (59260.0, 72480.0, 20.0, 65892.75)
    );
    assert_eq!((h.p50, h.p90, h.p95, h.p99, h.max), (322, 0, 6183, 0, 0));
    let want: Vec<u64> = (0..10).map(|i| 1772244630000 + 60_000 * i).collect();
    assert_eq!(d.ts_ms, want);
    // Each row is the frame's own bytes at the same prices.
    for (r, f) in frames.iter().enumerate() {
        let (bid, ask) = resample(f, &grid, ResampleMode::Point);
        assert_eq!(&d.bid[r * 662..(r + 1) * 662], &bid[..]);
        assert_eq!(&d.ask[r * 662..(r + 1) * 662], &ask[..]);
        assert_eq!(
            bid.iter().filter(|&&b| b > 0).count(),
            f.bid_u8.iter().filter(|&&b| b > 0).count()
        );
    }
    // Anchored at the newest frame, the newest is included (api.md A6).
    let newest = ring.get_frames(10, 2, StrideAnchor::Newest);
    assert_eq!(newest.last().unwrap().ts, 1772245200.0);

    // T31: all 94 frames on the union grid, 669 prices 59140 .. 72500.
    let all = ring.get_frames(720, 1, StrideAnchor::Oldest);
    assert_eq!(all.len(), 94);
    let grid = ob_grid(&all, None, None, 20.0, 10_000).unwrap();
    assert_eq!(
        (grid.len(), grid.price_min, grid.price_max),
        (669, 59140.0, 72500.0)
    );
    let (bid, ask) = resample(all.last().unwrap(), &grid, ResampleMode::Point);
    let j = grid.prices.iter().position(|&p| p == 65900.0).unwrap();
    assert_eq!((bid[j], ask[j]), (26, 4));
    // Cover mode equals Point mode at the frames' own step.
    for f in &all {
        assert_eq!(
            resample(f, &grid, ResampleMode::Cover),
            resample(f, &grid, ResampleMode::Point)
        );
    }
    // A frame's own grid is its cells.
    let own = UnifiedGrid::of_frame(latest).unwrap();
    assert_eq!(own.prices, latest.prices());
    assert_eq!(
        resample(latest, &own, ResampleMode::Point),
        (latest.bid_u8.clone(), latest.ask_u8.clone())
    );
}

#[test]
fn historical_history_response_is_an_index_grid() {
    let Some(dir) = shared("frames_golden_history_json") else {
        return;
    };
    let path = dir.join("golden/historical_2026-01/1_orderbook_heatmap_30s_history.json");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let t: Vec<u64> = v["t"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect();
    let prices: Vec<f64> = v["prices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    let bid: Vec<u8> = v["bid_u8"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as u8)
        .collect();
    let ask: Vec<u8> = v["ask_u8"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as u8)
        .collect();
    assert_eq!(t.len(), 7);
    assert!(t.windows(2).all(|w| w[1] - w[0] == 30_000));
    assert_eq!(
        (prices.len(), prices[0], prices[883]),
        (884, 79180.0, 96840.0)
    );
    assert_eq!(v["step"].as_f64(), Some(20.0));
    assert_eq!(v["norm_method"], "p50_p95");
    // The endpoint's grid is ob_grid's index-built grid over its bounds.
    let s = BucketStep::new(20.0).unwrap();
    let (k0, k1) = s.key_range(79180.0, 96840.0).unwrap();
    assert_eq!(prices, s.grid_from_keys(k0, k1));
    assert_eq!((bid.len(), ask.len()), (7 * 884, 7 * 884));
    // The same matrices as a binary history body decode back unchanged.
    let header = BinHeader {
        version: 1,
        encoding: 0,
        frame_ts_ms: t[0],
        interval_ms: 30_000,
        rows: 7,
        cols: 884,
        price_min: 79180.0,
        price_max: 96840.0,
        step: 20.0,
        src: 0.0,
        p50: 0,
        p90: 0,
        p95: 0,
        p99: 0,
        max: 0,
    };
    let mut body = header.to_bytes().to_vec();
    body.extend_from_slice(&bid);
    body.extend_from_slice(&ask);
    t.iter()
        .for_each(|x| body.extend_from_slice(&x.to_le_bytes()));
    let d = decode_history_bin(&body, true).unwrap();
    assert_eq!((d.header, d.bid, d.ask, d.ts_ms), (header, bid, ask, t));
}
