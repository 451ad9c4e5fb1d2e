//! Tables for people: columns that fit the terminal, long cells cut with an ellipsis.
//!
//! Every command's table goes through [`Table`], so widths, truncation and headers look the same
//! everywhere. A cut is always visible (`…`): a table never drops text silently. The full values
//! are one `--format csv` or `--format json` away, and the tables say so where they cut.

use std::fmt::Write as _;

/// The ellipsis that marks a cut cell.
pub const ELLIPSIS: char = '…';

/// A column's behaviour when the table is too wide.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fit {
    /// Never cut (counts, severities, short codes).
    Keep,
    /// May be cut down to `min` characters, widest first.
    Shrink { min: usize },
}

/// A column: header text, fitting, and right alignment for numbers.
#[derive(Clone, Debug)]
pub struct Column {
    pub header: String,
    pub fit: Fit,
    pub right: bool,
}

impl Column {
    /// A text column that may shrink to 8 characters.
    pub fn text(header: &str) -> Column {
        Column {
            header: header.to_string(),
            fit: Fit::Shrink { min: 8 },
            right: false,
        }
    }
    /// A column that is never cut.
    pub fn keep(header: &str) -> Column {
        Column {
            header: header.to_string(),
            fit: Fit::Keep,
            right: false,
        }
    }
    /// A right-aligned number column, never cut.
    pub fn number(header: &str) -> Column {
        Column {
            header: header.to_string(),
            fit: Fit::Keep,
            right: true,
        }
    }
    /// A text column that may shrink to `min` characters.
    pub fn shrink(header: &str, min: usize) -> Column {
        Column {
            header: header.to_string(),
            fit: Fit::Shrink { min },
            right: false,
        }
    }
}

/// A table being built: columns, then rows of cells.
#[derive(Clone, Debug, Default)]
pub struct Table {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<String>>,
    /// How many cells the last render cut (for a hint under the table).
    pub cut: usize,
}

/// Display width of a cell: characters (the outputs hold names and ids, not wide scripts).
fn width(s: &str) -> usize {
    s.chars().count()
}

/// `s` cut to `w` characters with an ellipsis as the last one.
pub fn truncate(s: &str, w: usize) -> std::borrow::Cow<'_, str> {
    if width(s) <= w {
        return std::borrow::Cow::Borrowed(s);
    }
    if w == 0 {
        return std::borrow::Cow::Borrowed("");
    }
    let mut out: String = s.chars().take(w - 1).collect();
    out.push(ELLIPSIS);
    std::borrow::Cow::Owned(out)
}

impl Table {
    pub fn new(columns: Vec<Column>) -> Table {
        Table {
            columns,
            rows: Vec::new(),
            cut: 0,
        }
    }

    /// Adds a row; missing cells are empty, extra cells are ignored.
    pub fn row<I, S>(&mut self, cells: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut r: Vec<String> = cells
            .into_iter()
            .take(self.columns.len())
            .map(|c| {
                // A cell is one line: newlines and tabs would break the grid.
                let s: String = c.into();
                if s.contains(['\n', '\r', '\t']) {
                    s.replace(['\n', '\r', '\t'], " ")
                } else {
                    s
                }
            })
            .collect();
        r.resize(self.columns.len(), String::new());
        self.rows.push(r);
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Column widths that fit `max_width` (two spaces between columns): the widest shrinkable
    /// column loses a character at a time until the table fits or every column is at its minimum.
    fn widths(&self, max_width: usize) -> Vec<usize> {
        let mut w: Vec<usize> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                self.rows
                    .iter()
                    .map(|r| width(&r[i]))
                    .chain(std::iter::once(width(&c.header)))
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let sep = 2 * self.columns.len().saturating_sub(1);
        loop {
            let total: usize = w.iter().sum::<usize>() + sep;
            if total <= max_width {
                break;
            }
            // The widest column that can still shrink.
            let candidate = self
                .columns
                .iter()
                .enumerate()
                .filter_map(|(i, c)| match c.fit {
                    Fit::Shrink { min } if w[i] > min => Some((w[i], i)),
                    _ => None,
                })
                .max_by_key(|&(wi, i)| (wi, std::cmp::Reverse(i)));
            let Some((_, i)) = candidate else { break };
            let excess = total - max_width;
            let floor = match self.columns[i].fit {
                Fit::Shrink { min } => min,
                Fit::Keep => w[i],
            };
            // Shrink by at most what is needed, never under the floor, and no further than the
            // next widest shrinkable column, so that long columns share the cut.
            let next = self
                .columns
                .iter()
                .enumerate()
                .filter(|&(j, c)| j != i && matches!(c.fit, Fit::Shrink { .. }))
                .map(|(j, _)| w[j])
                .max()
                .unwrap_or(0);
            let step = excess.min(w[i] - floor.max(next).min(w[i])).max(1);
            w[i] -= step;
        }
        w
    }

    /// Renders the table at most `max_width` characters wide (the last column is not padded).
    pub fn render(&mut self, max_width: usize) -> String {
        let w = self.widths(max_width);
        let mut out = String::new();
        let mut cut = 0;
        let headers: Vec<String> = self.columns.iter().map(|c| c.header.clone()).collect();
        let last = self.columns.len().saturating_sub(1);
        let mut line = |cells: &[String], out: &mut String, count: bool| {
            let mut l = String::new();
            for (i, cell) in cells.iter().enumerate() {
                let shown = truncate(cell, w[i]);
                if count && shown.len() != cell.len() {
                    cut += 1;
                }
                let pad = w[i].saturating_sub(width(&shown));
                if self.columns[i].right {
                    l.extend(std::iter::repeat_n(' ', pad));
                    l.push_str(&shown);
                } else {
                    l.push_str(&shown);
                    if i != last {
                        l.extend(std::iter::repeat_n(' ', pad));
                    }
                }
                if i != last {
                    l.push_str("  ");
                }
            }
            let _ = writeln!(out, "{}", l.trim_end());
        };
        line(&headers, &mut out, false);
        for r in &self.rows {
            line(r, &mut out, true);
        }
        self.cut = cut;
        out
    }
}

impl Table {
    /// The line under a table that says how many cells the last render cut (empty when none):
    /// the full values are one `--format csv` or `json` away.
    pub fn cut_note(&self) -> String {
        if self.cut == 0 {
            String::new()
        } else {
            format!(
                "{} cell(s) cut to fit the terminal (…); --format csv or json has them whole\n",
                self.cut
            )
        }
    }
}

/// The width tables are rendered at: the terminal's, else `COLUMNS`, else 120.
pub fn terminal_width() -> usize {
    if let Some((_, w)) = console::Term::stdout().size_checked() {
        return (w as usize).max(40);
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse::<usize>().ok())
        .filter(|&c| c >= 40)
        .unwrap_or(120)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        let mut t = Table::new(vec![
            Column::keep("SEV"),
            Column::text("NAME"),
            Column::number("N"),
            Column::text("DETAIL"),
        ]);
        t.row([
            "high",
            "Ana Silva",
            "3",
            "a fairly long explanation of the finding",
        ]);
        t.row(["low", "Bob", "12", "short"]);
        t
    }

    #[test]
    fn a_wide_enough_table_is_not_cut() {
        let mut t = table();
        let s = t.render(200);
        assert_eq!(t.cut, 0);
        assert_eq!(t.cut_note(), "");
        assert!(s.contains("a fairly long explanation of the finding"));
        // Numbers are right-aligned under their header.
        assert!(s.lines().nth(2).unwrap().contains(" 12  short"));
    }

    #[test]
    fn a_narrow_terminal_cuts_the_widest_column_with_an_ellipsis() {
        let mut t = table();
        let s = t.render(40);
        for l in s.lines() {
            assert!(l.chars().count() <= 40, "{l:?} is wider than 40");
        }
        assert!(s.contains('…'));
        assert_eq!(t.cut, 1);
        assert!(
            t.cut_note().starts_with("1 cell(s) cut"),
            "{}",
            t.cut_note()
        );
        // Keep columns are never cut.
        assert!(s.contains("high"));
    }

    #[test]
    fn cells_never_go_under_their_minimum() {
        let mut t = table();
        let s = t.render(10);
        // Impossible to fit: columns stop at their minimum instead of vanishing.
        assert!(s.lines().nth(1).unwrap().contains("Ana Sil…"));
        assert!(s.contains("a fairl…"));
    }

    #[test]
    fn newlines_in_cells_do_not_break_rows() {
        let mut t = Table::new(vec![Column::text("A"), Column::text("B")]);
        t.row(["x\ny", "z"]);
        assert_eq!(t.render(80).lines().count(), 2);
    }
}
