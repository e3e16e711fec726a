//! Fuzzes the OKX normalizer (see `liq_fuzz::run` for the input layout and the invariants).
#![no_main]

use libfuzzer_sys::fuzz_target;
use liq_core::event::Exchange;

fuzz_target!(|data: &[u8]| liq_fuzz::run(Exchange::Okx, data));
