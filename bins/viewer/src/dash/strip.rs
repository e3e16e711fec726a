//! The small heatmap strip per symbol: one row of cells per side, coloured by intensity with a
//! block-character ramp (readable without colour), and a marker at the current price.

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};

use super::fmt;
use super::model::{HeatStrip, SymbolRow};
use super::panels::DIM;

/// Width of the label column left of the strip.
pub const LABEL: u16 = 8;
/// The intensity ramp, level 0 (nothing) to 4 (strongest).
const RAMP: [char; 5] = [' ', '░', '▒', '▓', '█'];
/// 256-colour ramps per side, level 1 to 4 (dark to bright).
const LONG_RAMP: [u8; 4] = [52, 88, 160, 196];
/// 256-colour ramp of the short side.
const SHORT_RAMP: [u8; 4] = [22, 28, 34, 46];
/// The price marker's style.
const MARKER: Style = Style::new().fg(Color::White).add_modifier(Modifier::BOLD);

/// The legend shown in the panel title.
pub fn legend() -> Line<'static> {
    let ramp = |ramp: [u8; 4]| -> Vec<Span<'static>> {
        (1..=4)
            .map(|l| {
                Span::styled(
                    RAMP[l].to_string(),
                    Style::new().fg(Color::Indexed(ramp[l - 1])),
                )
            })
            .collect()
    };
    let mut spans = vec![Span::raw(" HEATMAP  long ")];
    spans.extend(ramp(LONG_RAMP));
    spans.push(Span::raw("  short "));
    spans.extend(ramp(SHORT_RAMP));
    spans.push(Span::raw("  "));
    spans.push(Span::styled("┃", MARKER));
    spans.push(Span::raw(" price "));
    Line::from(spans)
}

/// The strip's rows for one symbol: an axis row (when `full`), then short and long rows.
pub fn lines(s: &SymbolRow, width: u16, full: bool) -> Vec<Line<'static>> {
    let cells = usize::from(width.saturating_sub(LABEL));
    let name: String = s.symbol.chars().take(6).collect();
    let strip = &s.strip;
    let (short_label, long_label) = if full {
        ("  short ".to_owned(), "  long  ".to_owned())
    } else {
        (format!("{name:<6}S "), format!("{:<6}L ", ""))
    };
    let valid = strip.price_min.is_finite()
        && strip.price_max.is_finite()
        && strip.price_max > strip.price_min
        && (!strip.long.is_empty() || !strip.short.is_empty());
    let marker = if valid {
        s.price.and_then(|p| marker_col(strip, p, cells))
    } else {
        None
    };
    let mut out = Vec::with_capacity(3);
    if full {
        let mut spans = vec![Span::styled(
            format!("{name:<w$}", w = usize::from(LABEL)),
            Style::new().add_modifier(Modifier::BOLD),
        )];
        if valid {
            spans.extend(axis(strip, s.price, marker, cells));
        }
        out.push(Line::from(spans));
    }
    if !valid || cells == 0 {
        out.push(Line::from(vec![
            Span::raw(short_label),
            Span::styled("no strip yet", DIM),
        ]));
        out.push(Line::raw(long_label));
        return out;
    }
    out.push(side_row(
        short_label,
        &strip.short,
        SHORT_RAMP,
        marker,
        cells,
    ));
    out.push(side_row(long_label, &strip.long, LONG_RAMP, marker, cells));
    out
}

/// The marker's cell and glyph: `┃` inside the range, `◀`/`▶` at an edge when outside.
fn marker_col(strip: &HeatStrip, price: f64, cells: usize) -> Option<(usize, char)> {
    if cells == 0 || !price.is_finite() {
        return None;
    }
    let span = strip.price_max - strip.price_min;
    let x = (price - strip.price_min) / span * cells as f64;
    if x < 0.0 {
        Some((0, '◀'))
    } else if x >= cells as f64 {
        Some((cells - 1, '▶'))
    } else {
        // 0 <= x < cells here.
        Some((x as usize, '┃'))
    }
}

/// The strongest source intensity over cell `i` of `cells`, as a ramp level 0..=4.
fn level(src: &[f32], i: usize, cells: usize) -> usize {
    if src.is_empty() {
        return 0;
    }
    let n = src.len();
    let start = i * n / cells;
    let end = ((i + 1) * n / cells).max(start + 1).min(n);
    let v = src[start.min(n - 1)..end]
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .fold(0.0f32, f32::max)
        .clamp(0.0, 1.0);
    if v < 0.02 {
        0
    } else {
        // 0.02..=1.0 maps to 1..=4.
        ((v * 4.0).ceil() as usize).clamp(1, 4)
    }
}

/// One side's row: label, ramp cells, the price marker on top.
fn side_row(
    label: String,
    src: &[f32],
    ramp: [u8; 4],
    marker: Option<(usize, char)>,
    cells: usize,
) -> Line<'static> {
    let mut spans = Vec::with_capacity(cells + 1);
    spans.push(Span::raw(label));
    for i in 0..cells {
        if let Some((m, glyph)) = marker
            && m == i
        {
            spans.push(Span::styled(glyph.to_string(), MARKER));
            continue;
        }
        let l = level(src, i, cells);
        let style = if l == 0 {
            Style::new()
        } else {
            Style::new().fg(Color::Indexed(ramp[l - 1]))
        };
        spans.push(Span::styled(RAMP[l].to_string(), style));
    }
    Line::from(spans)
}

/// The axis row: the range's ends and the current price at the marker.
fn axis(
    strip: &HeatStrip,
    price: Option<f64>,
    marker: Option<(usize, char)>,
    cells: usize,
) -> Vec<Span<'static>> {
    let mut chars = vec!['─'; cells];
    let mut styles = vec![DIM; cells];
    let mut put = |at: usize, text: &str, style: Style| {
        for (k, ch) in text.chars().enumerate() {
            if let Some(slot) = chars.get_mut(at + k) {
                *slot = ch;
                styles[at + k] = style;
            }
        }
    };
    let lo = fmt::price(strip.price_min);
    let hi = fmt::price(strip.price_max);
    let lo_n = lo.chars().count();
    let hi_n = hi.chars().count();
    if lo_n + hi_n + 2 <= cells {
        put(0, &lo, DIM);
        put(cells - hi_n, &hi, DIM);
    }
    if let (Some((m, _)), Some(p)) = (marker, price) {
        let text = format!("▼ {}", fmt::price(p));
        let n = text.chars().count();
        if n <= cells {
            // The label starts at the marker, or ends at it when it would not fit after it.
            if m + n <= cells {
                put(m, &text, MARKER);
            } else {
                let start = (m + 1).saturating_sub(n);
                let text = format!("{} ▼", fmt::price(p));
                put(start, &text, MARKER);
            }
        }
    }
    chars
        .into_iter()
        .zip(styles)
        .map(|(c, s)| Span::styled(c.to_string(), s))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_resample_by_max() {
        let src = [0.0, 0.1, 0.0, 1.0, f32::NAN, 0.6];
        // Downsampling to 3 cells keeps each pair's maximum.
        assert_eq!(level(&src, 0, 3), 1);
        assert_eq!(level(&src, 1, 3), 4);
        assert_eq!(level(&src, 2, 3), 3);
        // Upsampling repeats the source cell.
        assert_eq!(level(&[0.5], 7, 10), 2);
        assert_eq!(level(&[], 0, 10), 0);
        assert_eq!(level(&[7.0], 0, 1), 4);
    }

    #[test]
    fn marker_inside_and_outside() {
        let strip = HeatStrip {
            price_min: 100.0,
            price_max: 200.0,
            long: vec![0.0; 10],
            short: vec![0.0; 10],
        };
        assert_eq!(marker_col(&strip, 150.0, 10), Some((5, '┃')));
        assert_eq!(marker_col(&strip, 50.0, 10), Some((0, '◀')));
        assert_eq!(marker_col(&strip, 200.0, 10), Some((9, '▶')));
        assert_eq!(marker_col(&strip, f64::NAN, 10), None);
    }
}
