//! Fuzzes the parsers of the service's own state files, which are outside input at start-up
//! (a disk can hold anything): the calibrator weights file, the zone file, an order-book frame
//! record and a liquidation history file. Byte 0 selects the parser; the rest is the file.
//!
//! Invariants: no panic; a weights file that loads leaves finite weights on the simplex with
//! the disabled tier at 0; a zone file that loads renders back to JSON that parses and loads
//! the same zones; a frame record that decodes re-encodes (version 2) and decodes again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use liq_core::calibrator::{Calibrator, CalibratorConfig, WeightsFile};
use liq_core::compat::ReferenceCompat;
use liq_core::orderbook::record::{RecordVersion, decode_record, encode_record};
use liq_core::zones::{ZoneManager, ZonesFile};

fn weights(data: &[u8]) {
    let Ok(file) = WeightsFile::parse(data) else {
        return;
    };
    for compat in [ReferenceCompat::fixed(), ReferenceCompat::reference()] {
        let (c, _) = Calibrator::new(CalibratorConfig::runtime("BTC", 20.0, &compat), Some(&file));
        let w = c.weights();
        if !w.is_empty() && !compat.calibrator_b8 {
            assert!(w.iter().all(|x| x.is_finite() && *x >= 0.0), "{w:?}");
            let s: f64 = w.iter().sum();
            assert!((s - 1.0).abs() < 1e-9 || s == 0.0, "{w:?}");
        }
    }
}

fn zones(data: &[u8]) {
    let Ok(file) = ZonesFile::parse(data) else {
        return;
    };
    let now = file.saved_at.filter(|t| t.is_finite()).unwrap_or(1.7e9);
    let mut m = ZoneManager::new("BTC", 20.0, &ReferenceCompat::fixed()).expect("step 20");
    m.load(&file, now);
    let text = m.to_json(now);
    let back = ZonesFile::parse(text.as_bytes()).expect("our own zone file parses");
    let mut m2 = ZoneManager::new("BTC", 20.0, &ReferenceCompat::fixed()).expect("step 20");
    m2.load(&back, now);
    assert_eq!(m.len(), m2.len());
}

fn frame(data: &[u8]) {
    let mut rec = [0u8; 4096];
    let n = data.len().min(4096);
    rec[..n].copy_from_slice(&data[..n]);
    if let Ok((f, _)) = decode_record(&rec)
        && let Ok(bytes) = encode_record(&f, RecordVersion::V2)
    {
        assert!(decode_record(&bytes).is_ok());
    }
}

fn history(data: &[u8]) {
    let _ = liq_core::heatmap::history::decode_file(data);
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    match sel % 4 {
        0 => weights(rest),
        1 => zones(rest),
        2 => frame(rest),
        _ => history(rest),
    }
});
