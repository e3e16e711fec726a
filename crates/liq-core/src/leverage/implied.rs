//! The implied liquidation level of a leverage tier, plus the calibrator's reference-preset
//! variant.

/// The one implied-liquidation offset (DECISIONS Calibrator 3): `(1.0 / L) + buffer`.
pub fn implied_offset(leverage: u32, buffer: f64) -> f64 {
    (1.0 / f64::from(leverage)) + buffer
}

/// Projected liquidation price: `src * (1 - offset)` for longs, `src * (1 + offset)` for shorts.
pub fn implied_price(src: f64, side_is_long: bool, leverage: u32, buffer: f64) -> f64 {
    apply_offset(src, side_is_long, implied_offset(leverage, buffer))
}

/// The calibrator's reference-preset offset (calibrator 5.1): `1/L + b + 0.01/L`.
pub fn calibrator_reference_offset(leverage: u32, buffer: f64) -> f64 {
    let l = f64::from(leverage);
    1.0 / l + buffer + 0.01 / l
}

/// The calibrator's reference-preset implied level, using [`calibrator_reference_offset`].
pub fn calibrator_reference_price(src: f64, side_is_long: bool, leverage: u32, buffer: f64) -> f64 {
    apply_offset(
        src,
        side_is_long,
        calibrator_reference_offset(leverage, buffer),
    )
}

/// `src * (1 - offset)` for longs, `src * (1 + offset)` otherwise.
fn apply_offset(src: f64, side_is_long: bool, offset: f64) -> f64 {
    if side_is_long {
        src * (1.0 - offset)
    } else {
        src * (1.0 + offset)
    }
}
