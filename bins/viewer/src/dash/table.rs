//! A fixed-width text table that drops its least important columns when the panel is narrow.
//!
//! ratatui's `Table` squeezes every column; a trader would rather lose a column than read
//! `97,1…`, so the panels pick their columns here and render plain padded lines.

use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

/// One column of a table.
#[derive(Debug, Clone, Copy)]
pub struct Col {
    /// Header text.
    pub title: &'static str,
    /// Width in cells (the content is cut to it).
    pub width: u16,
    /// Right-aligned (numbers) or left-aligned (names).
    pub right: bool,
    /// 0 = always shown; otherwise the highest rank is dropped first when space runs out.
    pub drop: u8,
}

impl Col {
    /// A left-aligned column.
    pub const fn left(title: &'static str, width: u16, drop: u8) -> Self {
        Col {
            title,
            width,
            right: false,
            drop,
        }
    }

    /// A right-aligned column.
    pub const fn right(title: &'static str, width: u16, drop: u8) -> Self {
        Col {
            title,
            width,
            right: true,
            drop,
        }
    }
}

/// One cell: its text and style.
pub type Cell = (String, Style);

/// Gap between columns.
const GAP: u16 = 1;

/// The indices of the columns that fit in `avail` cells, in table order.
pub fn fit(cols: &[Col], avail: u16) -> Vec<usize> {
    let mut keep: Vec<usize> = (0..cols.len()).collect();
    let total = |keep: &[usize]| -> u32 {
        let w: u32 = keep.iter().map(|&i| u32::from(cols[i].width)).sum();
        w + u32::from(GAP) * (keep.len().saturating_sub(1) as u32)
    };
    while total(&keep) > u32::from(avail) {
        // Drop the column with the highest rank (the rightmost among equals).
        let victim = keep
            .iter()
            .enumerate()
            .filter(|&(_, &c)| cols[c].drop > 0)
            .max_by_key(|&(pos, &c)| (cols[c].drop, pos))
            .map(|(pos, _)| pos);
        match victim {
            Some(pos) => {
                keep.remove(pos);
            }
            None => break,
        }
    }
    keep
}

/// `text` cut or padded to exactly `width` cells.
pub fn pad(text: &str, width: usize, right: bool) -> String {
    let n = text.chars().count();
    if n >= width {
        // A silently cut number would lie: mark the cut.
        if n > width && width > 0 {
            let mut s: String = text.chars().take(width - 1).collect();
            s.push('…');
            return s;
        }
        return text.chars().take(width).collect();
    }
    let fill = " ".repeat(width - n);
    if right {
        format!("{fill}{text}")
    } else {
        format!("{text}{fill}")
    }
}

/// The header line and one line per row, for the columns that fit `avail` cells.
pub fn lines(cols: &[Col], rows: &[Vec<Cell>], avail: u16) -> Vec<Line<'static>> {
    let keep = fit(cols, avail);
    let head_style = Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED);
    let mut out = Vec::with_capacity(rows.len() + 1);
    out.push(join(
        &keep,
        cols,
        |c| (cols[c].title.to_owned(), head_style),
        head_style,
    ));
    for row in rows {
        out.push(join(
            &keep,
            cols,
            |c| row.get(c).cloned().unwrap_or_default(),
            Style::new(),
        ));
    }
    out
}

/// One line of the kept columns separated by gaps.
fn join(keep: &[usize], cols: &[Col], cell: impl Fn(usize) -> Cell, gap: Style) -> Line<'static> {
    let mut spans = Vec::with_capacity(keep.len() * 2);
    for (k, &c) in keep.iter().enumerate() {
        if k > 0 {
            spans.push(Span::styled(" ".repeat(usize::from(GAP)), gap));
        }
        let (text, style) = cell(c);
        spans.push(Span::styled(
            pad(&text, usize::from(cols[c].width), cols[c].right),
            style,
        ));
    }
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLS: [Col; 4] = [
        Col::left("Sym", 4, 0),
        Col::right("Price", 8, 0),
        Col::right("A", 5, 2),
        Col::right("B", 5, 1),
    ];

    #[test]
    fn drops_highest_rank_first() {
        assert_eq!(fit(&COLS, 100), vec![0, 1, 2, 3]);
        assert_eq!(fit(&COLS, 25), vec![0, 1, 2, 3]);
        assert_eq!(fit(&COLS, 24), vec![0, 1, 3]);
        assert_eq!(fit(&COLS, 18), vec![0, 1]);
        // Never drops rank 0, even when it does not fit.
        assert_eq!(fit(&COLS, 3), vec![0, 1]);
    }

    #[test]
    fn pads_and_cuts() {
        assert_eq!(pad("ab", 4, true), "  ab");
        assert_eq!(pad("ab", 4, false), "ab  ");
        assert_eq!(pad("abcdef", 4, true), "abc…");
        assert_eq!(pad("abc", 0, true), "");
    }
}
