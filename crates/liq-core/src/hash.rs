//! A small, fast, deterministic hasher for short keys (instrument ids, de-duplication keys).
//!
//! FNV-1a over bytes; the standard SipHash is DoS-resistant but several times slower on the
//! 7-15 byte keys of the per-message lookups, and these maps are keyed by configuration or by
//! exchange-time windows, not by attacker-chosen volumes of keys.

use std::hash::{BuildHasherDefault, Hasher};

/// FNV-1a, 64-bit.
#[derive(Clone, Copy, Debug)]
pub struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn write_u64(&mut self, v: u64) {
        // Whole words (integer keys, bucket indices): one multiply by an odd 64-bit constant
        // (FxHash's), a bijection on the low bits, so consecutive keys land in distinct low
        // bits, which the table uses as the slot. The FNV prime is a poor word multiplier:
        // 2^40 + 0x1b3 leaves the low bits of consecutive keys nearly equal (long probe chains:
        // the raw heatmap of a 3871-minute replay took 90 µs a minute instead of a few).
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
    fn write_u32(&mut self, v: u32) {
        self.write_u64(u64::from(v));
    }
    fn write_usize(&mut self, v: usize) {
        // Enum discriminants (`Side`) hash through here.
        self.write_u64(v as u64);
    }
}

/// Builder of [`Fnv`] hashers for `HashMap`/`HashSet`.
pub type FnvBuild = BuildHasherDefault<Fnv>;

/// FNV-1a of a string, for compact keys.
pub fn fnv1a(s: &str) -> u64 {
    let mut h = Fnv::default();
    h.write(s.as_bytes());
    h.finish()
}
