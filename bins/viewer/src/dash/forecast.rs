//! The forecast strip: per symbol and side, where the next hour's liquidations are most likely
//! (the three most probable 0.1 % cells with their lift over the reach prior, and the price
//! range holding half the probability, forecast vs prior).

use liq_core::forecast::{BAND_BINS, Forecast, OUTSIDE, SideForecast};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use super::fmt;
use super::model::{ForecastCell, ForecastRow, ForecastSide};
use super::panels::{DIM, LONG, SHORT};

/// The horizon the dashboard shows, minutes.
pub const HORIZON: u32 = 60;
/// Cells listed per side.
const TOP: usize = 3;

/// The price range of the most probable band cells that hold half of `p` together.
fn half_mass(lows: &[f64], width: f64, p: &[f64]) -> Option<(f64, f64)> {
    let mut order: Vec<usize> = (0..BAND_BINS.min(p.len())).collect();
    order.sort_by(|a, b| p[*b].total_cmp(&p[*a]).then(a.cmp(b)));
    let mut sum = 0.0;
    let (mut lo, mut hi) = (usize::MAX, 0);
    for j in order {
        sum += p[j];
        lo = lo.min(j);
        hi = hi.max(j);
        if sum >= 0.5 {
            return Some((lows[lo], lows[hi] + width));
        }
    }
    None
}

fn side(lows: &[f64], width: f64, s: &SideForecast) -> ForecastSide {
    let n = BAND_BINS.min(s.prob.len()).min(s.prior.len());
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|a, b| s.prob[*b].total_cmp(&s.prob[*a]).then(a.cmp(b)));
    let top = order
        .into_iter()
        .take(TOP)
        .map(|j| ForecastCell {
            price_low: lows[j],
            price_high: lows[j] + width,
            prob: s.prob[j],
            prior: s.prior[j],
        })
        .collect();
    let at = |v: &[f64]| v.get(OUTSIDE).copied().unwrap_or(0.0);
    ForecastSide {
        top,
        mass50: half_mass(lows, width, &s.prob),
        prior50: half_mass(lows, width, &s.prior),
        outside: (at(&s.prob), at(&s.prior)),
    }
}

/// The strip's row of `f` at `horizon` (`None`: no such horizon).
pub fn row(symbol: &str, f: &Forecast, horizon: u32) -> Option<ForecastRow> {
    let h = f.horizon(horizon)?;
    let lows = liq_api::price_lows(f);
    Some(ForecastRow {
        symbol: symbol.to_owned(),
        horizon,
        long: side(&lows, f.bin_width, &h.long),
        short: side(&lows, f.bin_width, &h.short),
    })
}

/// The panel title.
pub fn title(rows: &[ForecastRow]) -> String {
    let h = rows.first().map_or(HORIZON, |r| r.horizon);
    format!(" FORECAST {h}m  top cells: prob ×lift vs prior · range of 50 % ")
}

/// A cell price: whole units from 1,000 up (a 0.1 % cell is wider than a unit there).
fn price(p: f64) -> String {
    if p.is_finite() && p.abs() >= 1_000.0 {
        fmt::grouped(p, 0)
    } else {
        fmt::price(p)
    }
}

fn range(r: Option<(f64, f64)>) -> String {
    r.map_or_else(
        || "—".to_owned(),
        |(lo, hi)| format!("{}–{}", price(lo), price(hi)),
    )
}

fn pct(p: f64) -> String {
    if p.is_finite() {
        format!("{:.1}%", p * 100.0)
    } else {
        "—".to_owned()
    }
}

/// One side's line: label, the top cells, the half-mass range vs the prior's, the outside
/// cell; groups that do not fit in `width` columns are left out from the right.
fn side_line(
    label: String,
    name: &str,
    s: &ForecastSide,
    style: Style,
    width: usize,
) -> Line<'static> {
    let mut groups: Vec<Vec<Span<'static>>> = vec![vec![
        Span::styled(label, Style::new().add_modifier(Modifier::BOLD)),
        Span::styled(format!("{name:<6}"), style),
    ]];
    for (i, c) in s.top.iter().enumerate() {
        let lift = c.prob / c.prior;
        let lift = if lift.is_finite() {
            format!(" ×{lift:.1}")
        } else {
            " ×—".to_owned()
        };
        groups.push(vec![
            Span::raw(if i > 0 { "  " } else { "" }),
            Span::styled(price(c.price_low), style),
            Span::raw(format!(" {}", pct(c.prob))),
            Span::styled(lift, DIM),
        ]);
    }
    groups.push(vec![
        Span::styled("  50% ", DIM),
        Span::raw(range(s.mass50)),
    ]);
    groups.push(vec![Span::styled(
        format!(" (prior {})", range(s.prior50)),
        DIM,
    )]);
    groups.push(vec![Span::styled(
        format!("  out {} ({})", pct(s.outside.0), pct(s.outside.1)),
        DIM,
    )]);
    let mut used = 0;
    let mut spans = Vec::new();
    for g in groups {
        let w: usize = g.iter().map(|s| s.content.chars().count()).sum();
        if used + w > width && !spans.is_empty() {
            break;
        }
        used += w;
        spans.extend(g);
    }
    Line::from(spans)
}

/// Two lines per symbol, short (above the price) then long, fitted to `width` columns.
pub fn lines(rows: &[ForecastRow], width: u16) -> Vec<Line<'static>> {
    let width = usize::from(width);
    rows.iter()
        .flat_map(|r| {
            let name: String = r.symbol.chars().take(6).collect();
            [
                side_line(
                    format!("{name:<7}"),
                    "short",
                    &r.short,
                    Style::new().fg(SHORT),
                    width,
                ),
                side_line(" ".repeat(7), "long", &r.long, Style::new().fg(LONG), width),
            ]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use liq_core::forecast::{CELLS, HorizonForecast};

    use super::*;

    /// Prior uniform over the band; the forecast puts 30 % on cell 90, 10 % on 91, 5 % on 60.
    fn forecast() -> Forecast {
        let prior = vec![1.0 / CELLS as f64; CELLS];
        let mut prob = vec![0.55 / 198.0; CELLS];
        prob[90] = 0.3;
        prob[91] = 0.1;
        prob[60] = 0.05;
        prob[OUTSIDE] = 0.0;
        let s = SideForecast { prob, prior };
        Forecast {
            minute_key: 1,
            price: 1000.0,
            close: 1000.0,
            bin_width: 1.0,
            horizons: vec![HorizonForecast {
                horizon: 60,
                long: s.clone(),
                short: s,
            }],
        }
    }

    #[test]
    fn top_cells_and_half_mass() {
        let r = row("BTC", &forecast(), 60).unwrap();
        let prices: Vec<f64> = r.long.top.iter().map(|c| c.price_low).collect();
        assert_eq!(prices, [990.0, 991.0, 960.0]);
        assert_eq!(r.long.top[0].price_high, 991.0);
        assert_eq!(r.long.top[0].prob, 0.3);
        // 0.3 + 0.1 + 0.05 + the next cells (0.0028 each) reach 0.5 from cell 0 upwards.
        let (lo, hi) = r.long.mass50.unwrap();
        assert_eq!((lo, hi), (900.0, 992.0));
        // The uniform prior needs 101 band cells: cells 0..=100.
        assert_eq!(r.long.prior50, Some((900.0, 1001.0)));
        assert_eq!(r.long.outside, (0.0, 1.0 / CELLS as f64));
        assert!(row("BTC", &forecast(), 15).is_none());
    }
}
