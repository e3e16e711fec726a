//! Draws a [`DashModel`] into a ratatui frame.
//!
//! Top to bottom: header, notices, markets overview, exchanges, heatmap strips, the forecast
//! strip (when there is a forecast and room), then the top
//! zones beside the BTC trader ratios, and a footer with the feed totals. Every panel has a
//! one-line title rule instead of a full border, so 80x24 still shows all of them; height is
//! handed out in that priority order and the strips drop their axis row when space is short.
//! Narrow panels drop their least important columns (see `table.rs`).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::model::DashModel;
use super::panels::{self, DIM};
use super::strip;
use super::{fmt, forecast};

/// Notices shown at most (the newest).
const MAX_NOTICES: usize = 3;
/// Smallest height of the zones/ratios row worth drawing (title, header, three zones).
const BOTTOM_MIN: u16 = 5;
/// Below this width the ratios panel goes under the zones instead of beside them.
const SIDE_BY_SIDE_MIN: u16 = 72;
/// Width of the ratios panel beside the zones.
const RATIOS_W: u16 = 34;
/// Height of the ratios panel (title and four lines).
const RATIOS_H: u16 = 5;

/// Where each part goes; a zero-height rect is not drawn.
#[derive(Debug, Default)]
struct Plan {
    header: Rect,
    notices: Rect,
    markets: Rect,
    exchanges: Rect,
    heat: Rect,
    heat_full: bool,
    forecast: Rect,
    zones: Rect,
    ratios: Rect,
    footer: Rect,
}

/// Hands out rows top-down.
struct Rows {
    area: Rect,
    y: u16,
}

impl Rows {
    /// Rows left.
    fn left(&self) -> u16 {
        self.area.bottom().saturating_sub(self.y)
    }

    /// Up to `want` rows, fewer when the screen ends.
    fn take(&mut self, want: u16) -> Rect {
        let h = want.min(self.left());
        let r = Rect::new(self.area.x, self.y, self.area.width, h);
        self.y = self.y.saturating_add(h);
        r
    }
}

/// Rows a list of `n` entries needs under a title rule and a table header (at least one line).
fn table_height(n: usize) -> u16 {
    u16::try_from(n.max(1))
        .unwrap_or(u16::MAX)
        .saturating_add(2)
}

/// Splits the screen for `model`.
fn plan(area: Rect, model: &DashModel) -> Plan {
    let mut rows = Rows { area, y: area.y };
    let mut p = Plan {
        header: rows.take(1),
        ..Plan::default()
    };
    let notices = model.notices.len().min(MAX_NOTICES);
    p.notices = rows.take(u16::try_from(notices).unwrap_or(0));
    p.markets = rows.take(table_height(model.symbols.len()));
    p.exchanges = rows.take(table_height(model.exchanges.len()));
    let n = u16::try_from(model.symbols.len().max(1)).unwrap_or(u16::MAX);
    let full = n.saturating_mul(3).saturating_add(1);
    let compact = n.saturating_mul(2).saturating_add(1);
    p.heat_full = rows.left() >= full.saturating_add(BOTTOM_MIN + 1);
    p.heat = rows.take(if p.heat_full { full } else { compact });
    // The forecast strip (title, two lines per symbol), only when it leaves the bottom room.
    let fc = u16::try_from(model.forecasts.len())
        .unwrap_or(u16::MAX)
        .saturating_mul(2);
    if fc > 0 && rows.left() >= fc.saturating_add(1 + BOTTOM_MIN + 1) {
        p.forecast = rows.take(fc + 1);
    }
    let footer = u16::from(rows.left() > BOTTOM_MIN);
    let bottom = rows.take(rows.left().saturating_sub(footer));
    p.footer = rows.take(footer);
    if bottom.width >= SIDE_BY_SIDE_MIN {
        let zones_w = bottom.width - RATIOS_W - 1;
        p.zones = Rect::new(bottom.x, bottom.y, zones_w, bottom.height);
        p.ratios = Rect::new(
            bottom.x + zones_w + 1,
            bottom.y,
            RATIOS_W,
            bottom.height.min(RATIOS_H),
        );
    } else if bottom.height >= BOTTOM_MIN + RATIOS_H {
        let zones_h = bottom.height - RATIOS_H;
        p.zones = Rect::new(bottom.x, bottom.y, bottom.width, zones_h);
        p.ratios = Rect::new(bottom.x, bottom.y + zones_h, bottom.width, RATIOS_H);
    } else {
        p.zones = bottom;
    }
    p
}

/// A panel's title rule.
fn titled(title: impl Into<Line<'static>>) -> Block<'static> {
    Block::new()
        .borders(Borders::TOP)
        .border_style(DIM)
        .title(title.into())
        .title_style(Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD))
}

/// Draws `lines` under a title in `area`, unless the area is too small to show a line.
fn panel(
    frame: &mut Frame,
    area: Rect,
    title: impl Into<Line<'static>>,
    lines: Vec<Line<'static>>,
) {
    if area.height < 2 || area.width < 4 {
        return;
    }
    frame.render_widget(Paragraph::new(lines).block(titled(title)), area);
}

/// Draws the whole dashboard.
pub fn draw(frame: &mut Frame, model: &DashModel) {
    let area = frame.area();
    if area.width == 0 || area.height == 0 {
        return;
    }
    let p = plan(area, model);
    frame.render_widget(Paragraph::new(header(model, area.width)), p.header);
    if p.notices.height > 0 {
        frame.render_widget(Paragraph::new(notices(model, p.notices.height)), p.notices);
    }
    let inner_w = area.width;
    let partial = model.symbols.iter().any(|s| s.oi_partial);
    let markets_title = if partial {
        " MARKETS  (* OI partial) "
    } else {
        " MARKETS "
    };
    panel(
        frame,
        p.markets,
        markets_title,
        panels::markets(model, inner_w),
    );
    panel(
        frame,
        p.exchanges,
        " EXCHANGES ",
        panels::exchanges(model, inner_w),
    );
    let heat_lines = if model.symbols.is_empty() {
        vec![Line::styled("waiting for the first strips…", DIM)]
    } else {
        model
            .symbols
            .iter()
            .flat_map(|s| strip::lines(s, inner_w, p.heat_full))
            .collect()
    };
    panel(frame, p.heat, strip::legend(), heat_lines);
    panel(
        frame,
        p.forecast,
        forecast::title(&model.forecasts),
        forecast::lines(&model.forecasts, inner_w),
    );
    let zone_rows = usize::from(p.zones.height.saturating_sub(2));
    panel(
        frame,
        p.zones,
        " TOP ZONES ",
        panels::zones(model, p.zones.width, zone_rows),
    );
    panel(
        frame,
        p.ratios,
        " BTC TRADER RATIOS (5m) ",
        panels::ratios(&model.ratios, model.now),
    );
    if p.footer.height > 0 {
        frame.render_widget(Paragraph::new(panels::totals(model)), p.footer);
    }
}

/// The header line: mode, data clock, minute closes, API address, the quit keys; narrower
/// terminals get shorter variants (no quit hint, then no date, then no counters).
fn header(model: &DashModel, width: u16) -> Line<'static> {
    let mode = if model.mode.is_empty() {
        "STARTING".to_owned()
    } else {
        model.mode.clone()
    };
    let mode_color = if mode.starts_with("LIVE") {
        Color::Green
    } else if mode.starts_with("DEMO") {
        Color::Magenta
    } else {
        Color::Blue
    };
    let api = match &model.api {
        Some(addr) => format!("API {addr}"),
        None => "API off".to_owned(),
    };
    let clock = fmt::utc_clock(model.now);
    // `YYYY-MM-DD HH:MM:SS UTC` -> `HH:MM:SS UTC`; the placeholders stay as they are.
    let short_clock = clock
        .split_once(' ')
        .filter(|(date, _)| date.len() == 10 && date.as_bytes().get(4) == Some(&b'-'))
        .map_or_else(|| clock.clone(), |(_, time)| time.to_owned());
    let minutes = format!("minutes {}", fmt::count(model.minutes));
    let quit = "q/Esc quit".to_owned();
    let variants: [(&str, Vec<String>); 4] = [
        (
            " LIQ HEATMAP ",
            vec![clock, minutes.clone(), api.clone(), quit],
        ),
        (
            " LIQ HEATMAP ",
            vec![short_clock.clone(), minutes.clone(), api.clone()],
        ),
        (" LIQ ", vec![short_clock.clone(), minutes, api]),
        (" LIQ ", vec![short_clock]),
    ];
    let len = |title: &str, parts: &[String]| -> usize {
        title.chars().count()
            + 1
            + mode.chars().count()
            + parts.iter().map(|p| p.chars().count() + 3).sum::<usize>()
    };
    let last = variants.len() - 1;
    let pick = variants
        .iter()
        .position(|(t, parts)| len(t, parts) <= usize::from(width))
        .unwrap_or(last);
    let (title, parts) = &variants[pick];
    let mut spans = vec![
        Span::styled(
            *title,
            Style::new()
                .fg(Color::Black)
                .bg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
        ),
        Span::raw(" "),
        Span::styled(
            mode,
            Style::new().fg(mode_color).add_modifier(Modifier::BOLD),
        ),
    ];
    for part in parts {
        spans.push(Span::styled(" │ ", DIM));
        let style = if part.starts_with("q/Esc") {
            DIM
        } else {
            Style::new()
        };
        spans.push(Span::styled(part.clone(), style));
    }
    Line::from(spans)
}

/// The newest notices that fit in `rows`, oldest of them first.
fn notices(model: &DashModel, rows: u16) -> Vec<Line<'static>> {
    let n = model.notices.len();
    let shown = usize::from(rows).min(n);
    let style = Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD);
    model.notices[n - shown..]
        .iter()
        .map(|text| Line::styled(format!(" ! {text}"), style))
        .collect()
}
