//! Order-book checksums of the exchanges that publish one.
//!
//! OKX (`books`, v5 "Checksum"): take at most the best 25 bids and 25 asks, interleave them as
//! `bid1px:bid1sz:ask1px:ask1sz:bid2px:...` (a side with fewer levels simply contributes fewer
//! terms), using the price and size strings exactly as sent, and compute the CRC32 (IEEE) of that
//! string as a signed 32-bit integer. Decimals parsed from the wire keep their scale, so their
//! `Display` reproduces the strings the exchange sent.

use std::fmt::Write;

use crate::event::Level;

/// Levels per side that enter the OKX checksum.
pub const OKX_CHECKSUM_DEPTH: usize = 25;

/// The OKX checksum of a book given best-first bids and asks.
pub fn okx_checksum(bids: &[Level], asks: &[Level]) -> i32 {
    let mut s = String::with_capacity(1024);
    let n = bids.len().max(asks.len()).min(OKX_CHECKSUM_DEPTH);
    for i in 0..n {
        for side in [bids, asks] {
            if let Some(l) = side.get(i) {
                if !s.is_empty() {
                    s.push(':');
                }
                // Writing into a String cannot fail.
                let _ = write!(s, "{}:{}", l.price, l.size);
            }
        }
    }
    crc32fast::hash(s.as_bytes()) as i32
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use rust_decimal::Decimal;

    use super::*;

    fn lv(p: &str, s: &str) -> Level {
        Level {
            price: Decimal::from_str(p).unwrap(),
            size: Decimal::from_str(s).unwrap(),
        }
    }

    #[test]
    fn interleaves_and_keeps_the_wire_strings() {
        let bids = [lv("3366.1", "7"), lv("3366", "6")];
        let asks = [lv("3366.8", "9"), lv("3368", "8"), lv("3372", "8")];
        let expect = "3366.1:7:3366.8:9:3366:6:3368:8:3372:8";
        assert_eq!(
            okx_checksum(&bids, &asks),
            crc32fast::hash(expect.as_bytes()) as i32
        );
        // CRC32 (IEEE) of "123456789" is 0xCBF43926: the right polynomial, read as signed.
        assert_eq!(crc32fast::hash(b"123456789") as i32, 0xCBF4_3926_u32 as i32);
        // Trailing zeros are part of the string.
        let b2 = [lv("3366.10", "7")];
        assert_ne!(okx_checksum(&b2, &[]), okx_checksum(&bids[..1], &[]));
    }

    #[test]
    fn only_the_best_25_levels_count() {
        let many: Vec<Level> = (0..30).map(|i| lv(&format!("{}", 100 - i), "1")).collect();
        let mut changed = many.clone();
        changed[29] = lv("1", "5");
        assert_eq!(okx_checksum(&many, &[]), okx_checksum(&changed, &[]));
        changed[24] = lv("76", "5");
        assert_ne!(okx_checksum(&many, &[]), okx_checksum(&changed, &[]));
    }
}
