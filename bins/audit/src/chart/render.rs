//! Drawing with `plotters`' SVG backend. Each series is drawn as its own layer on an
//! identical chart frame and the layers are stacked in one SVG, each inside a `<g id=..>`
//! (`background`, `heatmap`, `grid`, `zones`, `candle-wicks`, `candles`, `liquidations`,
//! `legend`): `plotters` cannot tag elements, and the ids let tests and readers find a series.

use std::fmt::Write as _;

use liq_core::event::Side;
use plotters::coord::Shift;
use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::heat::{self, LEVELS};
use super::{Candle, ChartData, ChartError, InputKind, Summary, ZoneSpan, time};

/// Canvas width, px.
pub const WIDTH: u32 = 1600;
/// Canvas height, px.
pub const HEIGHT: u32 = 900;
const MARGIN_TOP: u32 = 70;
const X_LABELS: u32 = 45;
const Y_LABELS: u32 = 90;
/// Narrowest candle slot, px: longer ranges aggregate minutes into one candle.
const MIN_CANDLE_PX: f64 = 4.0;
/// Zones drawn per side and time slice (the strongest alive in the slice).
pub const ZONES_PER_SIDE: usize = 12;
/// Time slices of a chart for the choice of zones (fewer on ranges under 20 minutes).
pub const ZONE_SLICES: usize = 20;

const BG: RGBColor = RGBColor(0x1e, 0x1e, 0x1e);
const TEXT: RGBColor = RGBColor(0xcc, 0xcc, 0xcc);
const UP: RGBColor = RGBColor(0x26, 0xa6, 0x9a);
const DOWN: RGBColor = RGBColor(0xef, 0x53, 0x50);
const HEAT_LONG: RGBColor = RGBColor(0x42, 0xa5, 0xf5);
const HEAT_SHORT: RGBColor = RGBColor(0xff, 0xa7, 0x26);
const ZONE_LONG: RGBColor = RGBColor(0x00, 0xe5, 0xff);
const ZONE_SHORT: RGBColor = RGBColor(0xff, 0xee, 0x58);
const LIQ_LONG: RGBColor = RGBColor(0x29, 0x79, 0xff);
const LIQ_SHORT: RGBColor = RGBColor(0xff, 0x6d, 0x00);

type Coord = Cartesian2d<TimeAxis, RangedCoordf64>;
type Chart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Coord>;
type Root<'b> = DrawingArea<SVGBackend<'b>, Shift>;

/// The time axis: epoch minutes, linear, bold key points at round UTC steps, `HH:MM` labels
/// (`MM-DD HH:MM` on the first tick and at midnight).
#[derive(Clone)]
struct TimeAxis {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
}

impl Ranged for TimeAxis {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let f = (value - self.lo) / (self.hi - self.lo);
        (f64::from(limit.0) + f * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() || hint.max_num_points() < self.ticks.len() {
            return Vec::new();
        }
        self.ticks.clone()
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

impl ValueFormatter<f64> for TimeAxis {
    fn format_ext(&self, value: &f64) -> String {
        let m = value.round() as i64;
        let first = self.ticks.first().is_some_and(|t| t == value);
        time::fmt_tick(m, first || m.rem_euclid(1440) == 0)
    }
}

/// The frame every layer shares.
struct Frame {
    x0: f64,
    x1: f64,
    y0: f64,
    y1: f64,
    ticks: Vec<f64>,
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Draws one layer on the shared frame; returns its elements wrapped in `<g id="{id}">`.
fn layer<F>(frame: &Frame, id: &str, draw: F) -> Result<String, ChartError>
where
    F: FnOnce(&Root<'_>, &mut Chart<'_, '_>) -> Result<(), String>,
{
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (WIDTH, HEIGHT)).into_drawing_area();
        let mut chart = ChartBuilder::on(&root)
            .margin_top(MARGIN_TOP)
            .margin_left(10)
            .margin_right(30)
            .margin_bottom(10)
            .x_label_area_size(X_LABELS)
            .y_label_area_size(Y_LABELS)
            .build_cartesian_2d(
                TimeAxis {
                    lo: frame.x0,
                    hi: frame.x1,
                    ticks: frame.ticks.clone(),
                },
                frame.y0..frame.y1,
            )
            .map_err(|e| ChartError::Render(e.to_string()))?;
        draw(&root, &mut chart).map_err(ChartError::Render)?;
        root.present()
            .map_err(|e| ChartError::Render(e.to_string()))?;
    }
    // Drop the backend's own `<svg ...>` line and closing tag.
    let inner = buf.split_once('\n').map_or("", |(_, rest)| rest);
    let inner = inner.trim_end().strip_suffix("</svg>").unwrap_or(inner);
    Ok(format!("<g id=\"{id}\">\n{inner}</g>\n"))
}

fn font(size: u32) -> TextStyle<'static> {
    ("sans-serif", size).into_font().color(&TEXT)
}

/// Linear blend from the background to `c` at `t` in [0, 1].
fn ramp(c: RGBColor, t: f64) -> RGBColor {
    let mix = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * t).round() as u8;
    RGBColor(mix(BG.0, c.0), mix(BG.1, c.1), mix(BG.2, c.2))
}

/// Decimals of the price labels.
fn decimals(mid: f64) -> usize {
    if mid >= 1000.0 {
        0
    } else if mid >= 10.0 {
        2
    } else {
        4
    }
}

/// Tick minutes: multiples of a round step, at most about 12.
fn ticks(lo: i64, hi_excl: i64) -> Vec<f64> {
    const STEPS: [i64; 14] = [
        1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080,
    ];
    let n = hi_excl - lo;
    let step = STEPS.iter().copied().find(|s| n / s <= 12).unwrap_or(10080);
    let first = lo + (step - lo.rem_euclid(step)) % step;
    (0..)
        .map(|i| first + i * step)
        .take_while(|m| *m <= hi_excl)
        .map(|m| m as f64)
        .collect()
}

/// The candles drawn: one per minute, or `group` minutes merged on long ranges.
fn grouped(candles: &[Candle], lo: i64, group: i64) -> Vec<Candle> {
    if group <= 1 {
        return candles.to_vec();
    }
    let mut out: Vec<Candle> = Vec::new();
    for c in candles {
        let start = lo + (c.minute - lo).div_euclid(group) * group;
        match out.last_mut() {
            Some(g) if g.minute == start => {
                g.high = g.high.max(c.high);
                g.low = g.low.min(c.low);
                g.close = c.close;
            }
            _ => out.push(Candle {
                minute: start,
                ..*c
            }),
        }
    }
    out
}

/// Largest liquidation dot, px, with 1-minute candles and with aggregated candles (where the
/// dots of a long range would cover the candles).
const LIQ_MAX_R: [f64; 2] = [14.0, 6.0];

/// Radius of a liquidation dot, px: 2 + sqrt(USD) / 30, at most `max`.
fn liq_radius(notional: f64, max: f64) -> u32 {
    (2.0 + notional.max(0.0).sqrt() / 30.0).min(max).round() as u32
}

/// A replay holds many more zone lives than a chart can show (one per grid price, thousands on
/// a long range) and drawn all they hide the heatmap: a zone is drawn when it is among the
/// [`ZONES_PER_SIDE`] strongest of its side alive in one of [`ZONE_SLICES`] equal time slices
/// of the range (so the quieter hours keep their zones too).
fn strongest(zones: Vec<ZoneSpan>, x0: f64, x1: f64) -> Vec<ZoneSpan> {
    let slices = ZONE_SLICES.min(((x1 - x0).max(1.0)) as usize);
    let width = (x1 - x0) / slices as f64;
    let mut keep = vec![false; zones.len()];
    for k in 0..slices {
        let (s0, s1) = (x0 + k as f64 * width, x0 + (k + 1) as f64 * width);
        for side in [Side::Long, Side::Short] {
            let mut here: Vec<usize> = (0..zones.len())
                .filter(|&i| {
                    let z = &zones[i];
                    z.side == side && z.start < s1 && z.end.max(z.start + 1.0) > s0
                })
                .collect();
            here.sort_by(|&a, &b| zones[b].weight.total_cmp(&zones[a].weight));
            for &i in here.iter().take(ZONES_PER_SIDE) {
                keep[i] = true;
            }
        }
    }
    zones
        .into_iter()
        .zip(keep)
        .filter_map(|(z, k)| k.then_some(z))
        .collect()
}

/// Renders the selected data over minutes `[lo, hi]` (bar starts).
pub fn render(data: &ChartData, (lo, hi): (i64, i64)) -> Result<(String, Summary), ChartError> {
    let minutes = usize::try_from(hi - lo + 1).unwrap_or(0);
    // Price range: candles and liquidations, padded (a replay: at least 1.5 % of the price each
    // side, so that the heatmap's nearer levels are in view).
    let (mut ymin, mut ymax) = (f64::INFINITY, f64::NEG_INFINITY);
    for c in &data.candles {
        ymin = ymin.min(c.low);
        ymax = ymax.max(c.high);
    }
    for l in &data.liqs {
        if l.price > 0.0 && l.price.is_finite() {
            ymin = ymin.min(l.price);
            ymax = ymax.max(l.price);
        }
    }
    // A plot feed's few top zones are all drawn (spec 8.4 4); a replay's many zones are drawn
    // where they fall in the candles' range.
    if data.kind == InputKind::PlotFeed {
        for z in &data.zones {
            ymin = ymin.min(z.price);
            ymax = ymax.max(z.price);
        }
    }
    let mid = (ymin + ymax) / 2.0;
    let pad = match data.kind {
        // Spec 8.4 4: 5 % of the span over candles and drawn zones (0.1 % of the price when
        // the span is nil, so that the axis is never empty).
        InputKind::PlotFeed => ((ymax - ymin) * 0.05).max(mid * 0.001),
        InputKind::Replay => ((ymax - ymin) * 0.1).max(mid * 0.015),
    };
    let (y0, y1) = (ymin - pad, ymax + pad);
    let frame = Frame {
        x0: lo as f64,
        x1: (hi + 1) as f64,
        y0,
        y1,
        ticks: ticks(lo, hi + 1),
    };
    let plot_w = f64::from(WIDTH - 10 - 30 - Y_LABELS);
    let plot_h = f64::from(HEIGHT - MARGIN_TOP - 10 - X_LABELS);
    let group = ((minutes as f64 * MIN_CANDLE_PX / plot_w).ceil() as i64).max(1);
    let candles = grouped(&data.candles, lo, group);
    let cells = heat::cells(&data.heat, lo, hi, y0, y1);
    let zones: Vec<_> = data
        .zones
        .iter()
        .filter(|z| z.price >= y0 && z.price <= y1)
        .copied()
        .collect();
    let zones_total = zones.len();
    // A plot feed's zones are the feed's few top zones: all drawn.
    let mut zones = match data.kind {
        InputKind::Replay => strongest(zones, lo as f64, (hi + 1) as f64),
        InputKind::PlotFeed => zones,
    };
    // Weakest first, so that the strongest are on top.
    zones.sort_by(|a, b| a.weight.total_cmp(&b.weight));
    let wref = {
        let mut w: Vec<f64> = zones
            .iter()
            .map(|z| z.weight)
            .filter(|w| *w > 0.0)
            .collect();
        w.sort_by(f64::total_cmp);
        w.get((w.len().saturating_sub(1) * 95) / 100)
            .copied()
            .unwrap_or(1.0)
    };
    let dp = decimals(mid);

    let mut svg = String::with_capacity(1 << 20);
    let _ = writeln!(
        svg,
        "<svg width=\"{WIDTH}\" height=\"{HEIGHT}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" xmlns=\"http://www.w3.org/2000/svg\">"
    );
    let span = format!(
        "{} to {} UTC ({minutes} min)",
        time::fmt_minute(lo),
        time::fmt_minute(hi + 1)
    );
    let candle_txt = if group > 1 {
        format!("{group}-minute candles")
    } else {
        "1m candles".to_owned()
    };
    let title = match data.kind {
        InputKind::Replay => format!(
            "{} {span}: {candle_txt}, V2 liquidation heatmap ({} preset), {}, liquidations",
            data.symbol,
            data.preset.unwrap_or("default"),
            if zones.len() < zones_total {
                format!("the strongest {} of {zones_total} zones", zones.len())
            } else {
                "zones".to_owned()
            }
        ),
        InputKind::PlotFeed => {
            format!(
                "{} {span}: {candle_txt} and top zones (plot feed)",
                data.symbol
            )
        }
    };
    svg.push_str(&layer(&frame, "background", |root, _| {
        root.fill(&BG).map_err(err)?;
        root.draw(&Text::new(title.clone(), (12, 10), font(18)))
            .map_err(err)
    })?);
    svg.push_str(&layer(&frame, "heatmap", |_, chart| {
        chart
            .draw_series(cells.iter().map(|c| {
                let hue = if c.side == Side::Long {
                    HEAT_LONG
                } else {
                    HEAT_SHORT
                };
                let colour = ramp(hue, f64::from(c.level) / f64::from(LEVELS));
                Rectangle::new([(c.x0, c.y1), (c.x1, c.y0)], colour.filled())
            }))
            .map(|_| ())
            .map_err(err)
    })?);
    svg.push_str(&layer(&frame, "grid", |_, chart| {
        chart
            .configure_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(WHITE.mix(0.12))
            .axis_style(TEXT)
            .label_style(font(13))
            .axis_desc_style(font(14))
            .x_labels(frame.ticks.len())
            .y_labels(12)
            .y_label_formatter(&|y| format!("{y:.dp$}"))
            .x_desc("time (UTC)")
            .y_desc("Price (USD)")
            .draw()
            .map_err(err)
    })?);
    svg.push_str(&layer(&frame, "zones", |_, chart| {
        chart
            .draw_series(zones.iter().map(|z| {
                let s = (z.weight / wref).clamp(0.0, 1.0);
                let hue = if z.side == Side::Long {
                    ZONE_LONG
                } else {
                    ZONE_SHORT
                };
                let style = hue
                    .mix(0.3 + 0.6 * s)
                    .stroke_width(1 + (3.0 * s).round() as u32);
                let end = z.end.max(z.start + 1.0).min(frame.x1);
                PathElement::new(vec![(z.start, z.price), (end, z.price)], style)
            }))
            .map(|_| ())
            .map_err(err)
    })?);
    let colour = |c: &Candle| if c.close >= c.open { UP } else { DOWN };
    let g = group as f64;
    svg.push_str(&layer(&frame, "candle-wicks", |_, chart| {
        chart
            .draw_series(candles.iter().map(|c| {
                let x = c.minute as f64 + g / 2.0;
                PathElement::new(vec![(x, c.low), (x, c.high)], colour(c).stroke_width(1))
            }))
            .map(|_| ())
            .map_err(err)
    })?);
    // A body is at least one pixel tall (P9).
    let min_body = (y1 - y0) / plot_h;
    svg.push_str(&layer(&frame, "candles", |_, chart| {
        chart
            .draw_series(candles.iter().map(|c| {
                let x = c.minute as f64;
                let (b0, b1) = (c.open.min(c.close), c.open.max(c.close));
                let b1 = b1.max(b0 + min_body);
                Rectangle::new([(x + 0.2 * g, b1), (x + 0.8 * g, b0)], colour(c).filled())
            }))
            .map(|_| ())
            .map_err(err)
    })?);
    let (max_r, dot_alpha) = if group > 1 {
        (LIQ_MAX_R[1], 0.6)
    } else {
        (LIQ_MAX_R[0], 0.85)
    };
    svg.push_str(&layer(&frame, "liquidations", |_, chart| {
        chart
            .draw_series(data.liqs.iter().map(|l| {
                let hue = if l.side == Side::Long {
                    LIQ_LONG
                } else {
                    LIQ_SHORT
                };
                Circle::new(
                    (l.ts / 60.0, l.price),
                    liq_radius(l.notional, max_r),
                    hue.mix(dot_alpha).filled(),
                )
            }))
            .map(|_| ())
            .map_err(err)
    })?);
    svg.push_str(&layer(&frame, "legend", |root, _| {
        legend(root, data.kind, max_r)
    })?);
    svg.push_str("</svg>\n");
    let summary = Summary {
        kind: data.kind,
        minutes,
        candles: candles.len(),
        candle_minutes: group,
        heat_cells: cells.len(),
        zones: zones.len(),
        liquidations: data.liqs.len(),
        bad_lines: 0,
        bytes: svg.len(),
    };
    Ok((svg, summary))
}

/// One legend row in the top band.
fn legend(root: &Root<'_>, kind: InputKind, max_r: f64) -> Result<(), String> {
    enum Mark {
        Box(RGBColor),
        Line(RGBColor),
        Dot(RGBColor),
    }
    let dot_label = format!("short liquidated (r = 2 + sqrt(USD)/30 px, at most {max_r})");
    let mut items = vec![
        (Mark::Box(UP), "candle up"),
        (Mark::Box(DOWN), "candle down"),
    ];
    if kind == InputKind::Replay {
        items.push((Mark::Box(HEAT_LONG), "heat: long liq. levels"));
        items.push((Mark::Box(HEAT_SHORT), "heat: short liq. levels"));
    }
    items.push((Mark::Line(ZONE_LONG), "long zone"));
    items.push((Mark::Line(ZONE_SHORT), "short zone (width: weight)"));
    if kind == InputKind::Replay {
        items.push((Mark::Dot(LIQ_LONG), "long liquidated"));
        items.push((Mark::Dot(LIQ_SHORT), dot_label.as_str()));
    }
    let y = 44;
    let mut x = 12;
    for (mark, label) in items {
        match mark {
            Mark::Box(c) => root
                .draw(&Rectangle::new([(x, y - 6), (x + 14, y + 6)], c.filled()))
                .map_err(err)?,
            Mark::Line(c) => root
                .draw(&PathElement::new(
                    vec![(x, y), (x + 14, y)],
                    c.stroke_width(3),
                ))
                .map_err(err)?,
            Mark::Dot(c) => root
                .draw(&Circle::new((x + 7, y), 5, c.filled()))
                .map_err(err)?,
        }
        root.draw(&Text::new(label, (x + 20, y - 7), font(13)))
            .map_err(err)?;
        // The naive text metrics: about 6 px per character at 13 px.
        x += 20 + 6 * i32::try_from(label.len()).unwrap_or(40) + 18;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(start: f64, weight: f64) -> ZoneSpan {
        ZoneSpan {
            side: Side::Long,
            price: 100.0 + weight,
            start,
            end: start + 5.0,
            weight,
        }
    }

    #[test]
    fn strongest_zones_are_kept_in_every_time_slice() {
        // 1000 minutes, 20 slices of 50: 400 weak long zones in the first slice, 400 strong
        // long zones and one weak short zone in the 19th.
        let mut zones: Vec<ZoneSpan> = (0..400).map(|i| zone(f64::from(i % 40), 1.0)).collect();
        zones.extend((0..400).map(|i| zone(900.0 + f64::from(i % 40), 100.0 + f64::from(i))));
        zones.push(ZoneSpan {
            side: Side::Short,
            ..zone(910.0, 0.5)
        });
        let kept = strongest(zones, 0.0, 1000.0);
        assert_eq!(kept.len(), 2 * ZONES_PER_SIDE + 1, "{kept:?}");
        let early = kept.iter().filter(|z| z.start < 50.0).count();
        let late: Vec<f64> = kept
            .iter()
            .filter(|z| z.start >= 900.0 && z.side == Side::Long)
            .map(|z| z.weight)
            .collect();
        assert_eq!(early, ZONES_PER_SIDE);
        assert_eq!(late.len(), ZONES_PER_SIDE);
        assert!(
            late.iter().all(|w| *w >= 488.0),
            "the strongest of the slice: {late:?}"
        );
        assert!(kept.iter().any(|z| z.side == Side::Short));
        // Few zones are all kept.
        assert_eq!(strongest(vec![zone(0.0, 1.0); 3], 0.0, 10.0).len(), 3);
    }
}
