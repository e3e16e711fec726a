//! The table panels: markets overview, exchanges, top zones, BTC trader ratios.

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};

use super::fmt;
use super::model::{ConnState, DashModel, ExchangeRow, RatioPanel, SymbolRow, ZoneRow};
use super::table::{self, Cell, Col};

/// Colour of long liquidations (longs are liquidated as the price falls).
pub const LONG: Color = Color::Red;
/// Colour of short liquidations.
pub const SHORT: Color = Color::Green;
/// Dim text (secondary values, placeholders).
pub const DIM: Style = Style::new().fg(Color::DarkGray);

/// A cell in the default style.
fn plain(text: String) -> Cell {
    (text, Style::new())
}

/// A cell in `color`.
fn colored(text: String, color: Color) -> Cell {
    (text, Style::new().fg(color))
}

/// Green when positive, red when negative, default otherwise.
fn signed_color(v: Option<f64>) -> Style {
    match v {
        Some(v) if v > 0.0 => Style::new().fg(Color::Green),
        Some(v) if v < 0.0 => Style::new().fg(Color::Red),
        _ => Style::new(),
    }
}

/// The overview columns, most important first in drop order (see [`table::fit`]).
const MARKET_COLS: [Col; 12] = [
    Col::left("Symbol", 6, 0),
    Col::right("Price", 12, 0),
    Col::right("1h", 7, 6),
    Col::right("Liqs", 7, 5),
    Col::right("Long 1h", 7, 2),
    Col::right("Short 1h", 8, 2),
    Col::left("Cal", 3, 7),
    Col::right("Cal ev", 7, 9),
    Col::right("Calib", 5, 10),
    Col::right("Top tier", 8, 8),
    Col::right("Zones L/S", 9, 3),
    Col::right("Agg OI", 14, 1),
];

/// The multi-symbol overview rows.
pub fn markets(model: &DashModel, width: u16) -> Vec<Line<'static>> {
    if model.symbols.is_empty() {
        return vec![Line::styled("waiting for the first prices…", DIM)];
    }
    let rows: Vec<Vec<Cell>> = model.symbols.iter().map(market_row).collect();
    table::lines(&MARKET_COLS, &rows, width)
}

/// One symbol's overview cells, in [`MARKET_COLS`] order.
fn market_row(s: &SymbolRow) -> Vec<Cell> {
    let cal = &s.calibrator;
    let (cal_text, cal_color) = if cal.enabled {
        ("on", Color::Green)
    } else {
        ("off", Color::Red)
    };
    let tier = match cal.top_tier {
        Some((lev, w)) if w.is_finite() => format!("{lev}x {:.0}%", (w * 100.0).clamp(0.0, 100.0)),
        Some((lev, _)) => format!("{lev}x"),
        None => fmt::NONE.to_owned(),
    };
    let oi = match s.oi {
        Some(v) if s.oi_partial => format!("{}*", fmt::oi(v)),
        Some(v) => fmt::oi(v),
        None => fmt::NONE.to_owned(),
    };
    let oi_style = if s.oi_partial {
        Style::new().fg(Color::Yellow)
    } else {
        Style::new()
    };
    vec![
        (s.symbol.clone(), Style::new().add_modifier(Modifier::BOLD)),
        (
            fmt::opt_price(s.price),
            Style::new().add_modifier(Modifier::BOLD),
        ),
        (fmt::opt_pct(s.change_1h_pct), signed_color(s.change_1h_pct)),
        plain(fmt::count(s.liq_events)),
        colored(fmt::usd(s.liq_long_usd_1h), LONG),
        colored(fmt::usd(s.liq_short_usd_1h), SHORT),
        colored(cal_text.to_owned(), cal_color),
        plain(fmt::count(cal.events)),
        plain(fmt::count(cal.calibrations)),
        plain(tier),
        plain(format!("{}/{}", s.zones_long, s.zones_short)),
        (oi, oi_style),
    ]
}

/// The exchange columns.
const EXCHANGE_COLS: [Col; 8] = [
    Col::left("Exchange", 8, 0),
    Col::left("State", 10, 0),
    Col::right("Liqs", 8, 2),
    Col::right("Liq 1h", 7, 3),
    Col::right("Msgs", 11, 4),
    Col::right("Reconn", 6, 5),
    Col::right("Errors", 6, 6),
    Col::right("Last msg", 8, 1),
];

/// The colour of a connection state.
pub fn state_style(state: ConnState) -> Style {
    let color = match state {
        ConnState::Live => Color::Green,
        ConnState::Stale => Color::Yellow,
        ConnState::Down => Color::Red,
        ConnState::Connecting => Color::Cyan,
    };
    Style::new().fg(color).add_modifier(Modifier::BOLD)
}

/// The per-exchange status rows.
pub fn exchanges(model: &DashModel, width: u16) -> Vec<Line<'static>> {
    if model.exchanges.is_empty() {
        return vec![Line::styled("no exchange connection yet", DIM)];
    }
    let rows: Vec<Vec<Cell>> = model.exchanges.iter().map(exchange_row).collect();
    table::lines(&EXCHANGE_COLS, &rows, width)
}

/// One exchange's cells, in [`EXCHANGE_COLS`] order.
fn exchange_row(e: &ExchangeRow) -> Vec<Cell> {
    let err_style = if e.errors > 0 {
        Style::new().fg(Color::Yellow)
    } else {
        Style::new()
    };
    vec![
        plain(e.exchange.to_owned()),
        (e.state.label().to_owned(), state_style(e.state)),
        plain(fmt::count(e.liquidations)),
        plain(fmt::usd(e.liq_usd_1h)),
        plain(fmt::count(e.messages)),
        plain(fmt::count(e.reconnects)),
        (fmt::count(e.errors), err_style),
        plain(fmt::age(e.last_msg_age_s)),
    ]
}

/// The top-zone columns.
const ZONE_COLS: [Col; 5] = [
    Col::left("Symbol", 6, 0),
    Col::left("Side", 5, 0),
    Col::right("Price", 12, 0),
    Col::right("Weight", 8, 2),
    Col::right("Dist", 8, 1),
];

/// The strongest zones, at most `max_rows` of them.
pub fn zones(model: &DashModel, width: u16, max_rows: usize) -> Vec<Line<'static>> {
    if model.top_zones.is_empty() {
        return vec![Line::styled("no zones yet / waiting…", DIM)];
    }
    let rows: Vec<Vec<Cell>> = model
        .top_zones
        .iter()
        .take(max_rows)
        .map(zone_row)
        .collect();
    table::lines(&ZONE_COLS, &rows, width)
}

/// One zone's cells, in [`ZONE_COLS`] order.
fn zone_row(z: &ZoneRow) -> Vec<Cell> {
    let side_color = if z.side == "long" { LONG } else { SHORT };
    vec![
        plain(z.symbol.clone()),
        colored(z.side.to_owned(), side_color),
        plain(fmt::price(z.price)),
        plain(fmt::weight(z.weight)),
        (fmt::pct(z.distance_pct), signed_color(Some(z.distance_pct))),
    ]
}

/// The BTC trader-ratio lines; `now` is the data clock for the age of the values.
pub fn ratios(r: &RatioPanel, now: f64) -> Vec<Line<'static>> {
    let row = |name: &'static str, v: Option<f64>| {
        let style = match v {
            Some(v) if v > 1.0 => Style::new().fg(Color::Green),
            Some(v) if v < 1.0 => Style::new().fg(Color::Red),
            _ => DIM,
        };
        Line::from(vec![
            Span::raw(format!("{name:<14}")),
            Span::styled(fmt::ratio(v), style),
        ])
    };
    let age = match r.ts {
        Some(ts) if ts.is_finite() && now.is_finite() && now > 0.0 => {
            format!("as of {} ago", fmt::age(Some(now - ts)))
        }
        Some(_) => "as of —".to_owned(),
        None => "no ratios yet".to_owned(),
    };
    vec![
        row("Top accounts", r.top_account),
        row("Top positions", r.top_position),
        row("Global accts", r.global_account),
        Line::styled(age, DIM),
    ]
}

/// The feed totals over every exchange (messages, liquidations, reconnects, errors) and the
/// events the service dropped or moved (duplicates, late events).
pub fn totals(model: &DashModel) -> Line<'static> {
    let sum = |f: fn(&ExchangeRow) -> u64| {
        model
            .exchanges
            .iter()
            .fold(0u64, |acc, e| acc.saturating_add(f(e)))
    };
    let text = format!(
        " msgs {} · liqs {} · reconn {} · errors {} · dups {} · late {}",
        fmt::count(sum(|e| e.messages)),
        fmt::count(sum(|e| e.liquidations)),
        fmt::count(sum(|e| e.reconnects)),
        fmt::count(sum(|e| e.errors)),
        fmt::count(model.duplicates),
        fmt::count(model.late_events),
    );
    Line::styled(text, DIM)
}
