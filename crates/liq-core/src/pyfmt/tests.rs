//! Expected strings below were produced by CPython 3.11 (`repr`, `json.dumps(indent=2)`,
//! `datetime.utcfromtimestamp(ts).isoformat()`).

use super::*;

#[test]
fn pyfmt_float_repr_known_values() {
    let cases: &[(f64, &str)] = &[
        (0.1, "0.1"),
        (0.002, "0.002"),
        (1e-05, "1e-05"),
        (3.529_367_658_086_002_5e-5, "3.5293676580860025e-05"),
        (0.0001, "0.0001"),
        (9.999_999_999_999_999e-5, "9.999999999999999e-05"),
        (123_456_789_012_345.0, "123456789012345.0"),
        (1_234_567_890_123_456.0, "1234567890123456.0"),
        (9_999_999_999_999_998.0, "9999999999999998.0"),
        (1e16, "1e+16"),
        (1.5e16, "1.5e+16"),
        (1e21, "1e+21"),
        (1e22, "1e+22"),
        (1e100, "1e+100"),
        (65466.3, "65466.3"),
        (-201.67, "-201.67"),
        (0.300_052_919_378_461_85, "0.30005291937846185"),
        (0.1 + 0.2, "0.30000000000000004"),
        (1.0 / 3.0, "0.3333333333333333"),
        (5e-324, "5e-324"),
        (2.225_073_858_507_201_4e-308, "2.2250738585072014e-308"),
        (f64::MAX, "1.7976931348623157e+308"),
        (0.000123, "0.000123"),
        (1.234e-5, "1.234e-05"),
        (-1e-300, "-1e-300"),
        (0.0, "0.0"),
        (-0.0, "-0.0"),
        (100.0, "100.0"),
        (2.5, "2.5"),
        (123.456, "123.456"),
        (9_007_199_254_740_992.0, "9007199254740992.0"),
        (9_223_372_036_854_775_808.0, "9.223372036854776e+18"),
        (f64::INFINITY, "inf"),
        (f64::NEG_INFINITY, "-inf"),
        (f64::NAN, "nan"),
    ];
    for &(x, want) in cases {
        assert_eq!(py_float_repr(x), want, "repr({x:?})");
    }
}

#[test]
fn pyfmt_float_repr_bit_patterns() {
    let cases: &[(u64, &str)] = &[
        (0xf2a7_4de4_52e6_b438, "-1.989032661366619e+244"),
        (0x6513_270e_269e_0d37, "7.761117632285041e+178"),
        (0x0c5c_7fd0_a6a3_a450, "3.980498358697587e-249"),
        (0xd23f_0824_128b_2f33, "-1.5432835417340557e+88"),
        (0x36f6_75cc_81e7_4ef5, "6.294675241195386e-44"),
        (0x3d9c_1724_11e2_0b8f, "6.387016158513563e-12"),
        (0x95e6_0af5_93bd_04cf, "-3.51527970626667e-203"),
        (0x3898_d190_f9eb_dacc, "4.6678633181812096e-36"),
        (0xc194_a412_5219_978b, "-86574228.52499215"),
        (0xbfb4_9470_eb3c_f4a0, "-0.08039003127210487"),
        (0x42cb_eb6b_e919_3835, "61395883405936.414"),
        (0x3f3d_4496_fc57_6a21, "0.0004465931527569984"),
        (0x3f0c_3e38_cd30_ddee, "5.3869350857767856e-05"),
        (0xc2a1_ddb1_cc87_e791, "-9821934207987.783"),
        (0x4241_7691_678c_0649, "150007369496.0491"),
        (0x3e97_ed19_ddfc_1063, "3.565278045988274e-07"),
        (0x40b1_354f_a89c_b304, "4405.311166566567"),
        (0x4151_861b_0a53_fb9e, "4593772.161375908"),
        (0x40c8_1c80_0000_0000, "12345.0"),
        (0x430c_6bf5_2634_0000, "1000000000000000.0"),
        (0x40fe_2408_0000_0000, "123456.5"),
        (0x3f33_a92a_3055_3262, "0.00030000000000000003"),
        (0x3f50_6243_162a_38e4, "0.00099999"),
    ];
    for &(bits, want) in cases {
        let x = f64::from_bits(bits);
        assert_eq!(py_float_repr(x), want, "repr of bits {bits:#018x}");
    }
}

#[test]
fn pyfmt_float_repr_ties_go_to_even_digit() {
    // Exact midpoints between two shortest candidates: Python keeps the even last digit where
    // Rust's `{:e}` alone prints the odd one (`...563.25` -> `.2`, not `.3`).
    let cases: &[(u64, &str)] = &[
        (0x4313_31b8_b52a_aaad, "1350673485179563.2"),
        (0xc314_c86e_0291_8e15, "-1462468587316101.2"),
        (0xc2a1_4d05_b008_90a0, "-9511252788296.312"),
        (0x42e0_6d8b_047b_5404, "144501358451360.12"),
    ];
    for &(bits, want) in cases {
        let x = f64::from_bits(bits);
        assert_eq!(py_float_repr(x), want, "repr of bits {bits:#018x}");
    }
}

#[test]
fn pyfmt_float_repr_round_trips() {
    // xorshift64 over raw bit patterns: every finite output parses back to the same bits.
    let mut s: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..20_000 {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        let x = f64::from_bits(s);
        if !x.is_finite() {
            continue;
        }
        let text = py_float_repr(x);
        let back: f64 = text.parse().expect("repr parses");
        assert_eq!(back.to_bits(), x.to_bits(), "{text}");
    }
}

#[test]
fn pyfmt_json_float_non_finite_is_null() {
    assert_eq!(py_json_float(f64::NAN), "null");
    assert_eq!(py_json_float(f64::INFINITY), "null");
    assert_eq!(py_json_float(f64::NEG_INFINITY), "null");
    assert_eq!(py_json_float(1e-05), "1e-05");
    assert_eq!(py_json_float(-0.0), "-0.0");
}

#[test]
fn pyfmt_iso_utc_matches_python() {
    let cases: &[(f64, &str)] = &[
        (1_772_242_551.082, "2026-02-28T01:35:51.082000"),
        (1_772_242_440.0, "2026-02-28T01:34:00"),
        (0.0, "1970-01-01T00:00:00"),
        (951_782_400.0, "2000-02-29T00:00:00"),
        (1_772_244_480.059_733_4, "2026-02-28T02:08:00.059733"),
        (59.999_999_6, "1970-01-01T00:01:00"),
        (-1.5, "1969-12-31T23:59:58.500000"),
        (-0.000_000_4, "1970-01-01T00:00:00"),
        (-62_135_596_800.0, "0001-01-01T00:00:00"),
        (-3_155_760_000.0, "1869-12-31T00:00:00"),
        (1.000_000_5, "1970-01-01T00:00:01.000001"),
        (1.000_001_5, "1970-01-01T00:00:01.000001"),
        (5e-7, "1970-01-01T00:00:00"),
        (1.5e-6, "1970-01-01T00:00:00.000002"),
        (4_102_444_800.123_456, "2100-01-01T00:00:00.123456"),
        (253_402_300_799.0, "9999-12-31T23:59:59"),
    ];
    for &(ts, want) in cases {
        assert_eq!(iso_utc(ts), want, "iso_utc({ts:?})");
    }
}

#[test]
fn pyfmt_iso_utc_invalid_where_python_raises() {
    assert_eq!(iso_utc(f64::NAN), "invalid");
    assert_eq!(iso_utc(f64::INFINITY), "invalid");
    assert_eq!(iso_utc(f64::NEG_INFINITY), "invalid");
    // Python: "year 10000 is out of range" / "year 0 is out of range".
    assert_eq!(iso_utc(253_402_300_800.0), "invalid");
    assert_eq!(iso_utc(-62_135_596_801.0), "invalid");
    assert_eq!(iso_utc(1e300), "invalid");
}

#[test]
fn pyfmt_civil_from_days_round_trip() {
    // Consecutive days advance the calendar by exactly one day, 1600..2400.
    let mut prev = civil_from_days(-135_140);
    assert_eq!(prev, (1600, 1, 1));
    for days in -135_139..157_000 {
        let cur = civil_from_days(days);
        let next_in_month = (prev.0, prev.1, prev.2 + 1);
        let next_month = if prev.1 == 12 {
            (prev.0 + 1, 1, 1)
        } else {
            (prev.0, prev.1 + 1, 1)
        };
        assert!(cur == next_in_month || cur == next_month, "{days}: {cur:?}");
        prev = cur;
    }
}

#[test]
fn pyfmt_json_pretty_value_matches_python() {
    let value = serde_json::json!({
        "a": [],
        "b": {},
        "c": [1, 2.0, {"x": null, "y": true, "z": false}],
        "s": "q\"\\\n\r\t\u{8}\u{c}\u{1}\u{7f} \u{e9}\u{20ac}\u{1f600}/<",
    });
    let want = concat!(
        "{\n",
        "  \"a\": [],\n",
        "  \"b\": {},\n",
        "  \"c\": [\n",
        "    1,\n",
        "    2.0,\n",
        "    {\n",
        "      \"x\": null,\n",
        "      \"y\": true,\n",
        "      \"z\": false\n",
        "    }\n",
        "  ],\n",
        "  \"s\": \"q\\\"\\\\\\n\\r\\t\\b\\f\\u0001\\u007f \\u00e9\\u20ac\\ud83d\\ude00/<\"\n",
        "}",
    );
    assert_eq!(json_pretty_py(&value), want);
    assert_eq!(json_pretty_py(&serde_json::json!([])), "[]");
    assert_eq!(json_pretty_py(&serde_json::json!({})), "{}");
    assert_eq!(json_pretty_py(&serde_json::json!([[]])), "[\n  []\n]");
    assert_eq!(json_pretty_py(&serde_json::json!(1.0)), "1.0");
    assert_eq!(
        json_pretty_py(&serde_json::json!(u64::MAX)),
        "18446744073709551615"
    );
    assert_eq!(json_pretty_py(&serde_json::json!(-7)), "-7");
}

#[test]
fn pyfmt_writer_reproduces_calibrator_weights_golden() {
    let Some(dir) = liq_store::shared_fixtures::dir("pyfmt_writer_reproduces_calibrator_weights")
    else {
        return;
    };
    let path = dir.join("golden/2026-02-28/liq_calibrator_weights_BTC.json");
    let golden = std::fs::read(&path).expect("read golden calibrator weights");
    // `od -c` shows the file ends with `}` and no newline (613 bytes): Python's `json.dump`
    // writes none, and `finish()` must not add one.
    assert_eq!(golden.last(), Some(&b'}'));

    let ladder = [10, 20, 25, 50, 75, 100, 125];
    let weights = [
        0.0, 0.180028, 0.270041, 0.300046, 0.150013, 0.079905, 0.019967,
    ];
    let mut w = PyJsonWriter::new();
    w.begin_object();
    w.key("schema_version");
    w.int(2);
    w.key("symbol");
    w.string("BTC");
    w.key("ladder");
    w.begin_array();
    ladder.iter().for_each(|&l| w.int(l));
    w.end_array();
    w.key("weights");
    w.begin_array();
    weights.iter().for_each(|&x| w.float(x));
    w.end_array();
    w.key("buffer");
    w.float(0.002);
    w.key("tolerance");
    w.int(6);
    for (k, x) in [
        ("long_offset_usd", 0.0),
        ("short_offset_usd", -201.67),
        ("bias_pct_long", 0.0),
        ("bias_pct_short", 0.0),
    ] {
        w.key(k);
        w.float(x);
    }
    w.key("calibration_count");
    w.int(1);
    w.key("saved_at");
    w.string("2026-02-23T04:12:00.272738");
    w.key("weights_by_leverage");
    w.begin_object();
    for (l, x) in ladder.iter().zip(weights) {
        w.key(&l.to_string());
        w.float(x);
    }
    w.end_object();
    w.end_object();
    let text = w.finish();
    assert_eq!(
        text,
        String::from_utf8(golden).expect("golden is UTF-8"),
        "PyJsonWriter output differs from {}",
        path.display()
    );
}

#[test]
fn pyfmt_writer_scalars_and_nesting() {
    let mut w = PyJsonWriter::new();
    w.float(f64::NAN);
    assert_eq!(w.finish(), "null");

    let mut w = PyJsonWriter::new();
    w.begin_array();
    w.begin_object();
    w.end_object();
    w.begin_array();
    w.string("\u{10ffff}");
    w.end_array();
    w.null();
    w.end_array();
    assert_eq!(
        w.finish(),
        "[\n  {},\n  [\n    \"\\udbff\\udfff\"\n  ],\n  null\n]"
    );
}
