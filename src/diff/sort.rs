//! A stable external sort of diff rows, so that `diff` holds a bounded number of rows whatever
//! the size of the difference (two captures of a million users can differ by millions of rows:
//! every escalation path a new helpdesk group opens, say).
//!
//! Rows are collected until their weight passes the budget, sorted (stably) and written to an
//! unlinked temporary file as one run; at the end the runs are merged. On equal keys the earlier
//! run wins, so the merged order is exactly what one stable in-memory sort would give.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, Write};

use super::row::{Category, Change, DiffRow};
use crate::findings::Severity;

const SEVERITIES: [Severity; 5] = [
    Severity::Critical,
    Severity::High,
    Severity::Medium,
    Severity::Low,
    Severity::Info,
];

/// Collects rows, spilling sorted runs to disk past `budget` bytes.
pub(super) struct Sorter {
    buf: Vec<DiffRow>,
    weight: usize,
    budget: usize,
    runs: Vec<File>,
    /// The rule names seen, so that a spilled row stores an index and reads back the same
    /// `&'static str`.
    rules: Vec<&'static str>,
}

impl Sorter {
    pub fn new(budget: usize) -> Sorter {
        Sorter {
            buf: Vec::new(),
            weight: 0,
            budget: budget.max(1),
            runs: Vec::new(),
            rules: Vec::new(),
        }
    }

    pub fn push(&mut self, row: DiffRow) -> io::Result<()> {
        self.weight += row.weight();
        self.buf.push(row);
        if self.weight >= self.budget {
            self.spill()?;
        }
        Ok(())
    }

    /// Runs written so far.
    #[cfg(test)]
    pub fn runs(&self) -> usize {
        self.runs.len()
    }

    fn spill(&mut self) -> io::Result<()> {
        self.buf.sort_by(DiffRow::order);
        let mut file = tempfile::tempfile()?;
        {
            let mut w = BufWriter::with_capacity(1 << 16, &mut file);
            for r in self.buf.drain(..) {
                encode(&r, &mut self.rules, &mut w)?;
            }
            w.flush()?;
        }
        file.rewind()?;
        self.runs.push(file);
        self.weight = 0;
        Ok(())
    }

    /// Every row pushed, in order.
    pub fn finish(mut self) -> io::Result<Sorted> {
        if self.runs.is_empty() {
            self.buf.sort_by(DiffRow::order);
            return Ok(Sorted::Memory(self.buf.into_iter()));
        }
        if !self.buf.is_empty() {
            self.spill()?;
        }
        let mut readers: Vec<BufReader<File>> = self
            .runs
            .into_iter()
            .map(|f| BufReader::with_capacity(1 << 16, f))
            .collect();
        let mut heads = Vec::with_capacity(readers.len());
        for r in &mut readers {
            heads.push(decode(r, &self.rules)?);
        }
        Ok(Sorted::Merge {
            readers,
            heads,
            rules: self.rules,
        })
    }
}

/// The sorted rows: in memory when they fitted the budget, else a merge of the spilled runs.
pub enum Sorted {
    Memory(std::vec::IntoIter<DiffRow>),
    Merge {
        readers: Vec<BufReader<File>>,
        heads: Vec<Option<DiffRow>>,
        rules: Vec<&'static str>,
    },
}

impl Iterator for Sorted {
    type Item = io::Result<DiffRow>;

    fn next(&mut self) -> Option<io::Result<DiffRow>> {
        match self {
            Sorted::Memory(it) => it.next().map(Ok),
            Sorted::Merge {
                readers,
                heads,
                rules,
            } => {
                // A few dozen runs at most: a linear scan beats a heap's bookkeeping.
                let mut best: Option<usize> = None;
                for (i, h) in heads.iter().enumerate() {
                    if let Some(row) = h
                        && best
                            .is_none_or(|b| row.order(heads[b].as_ref().expect("a head")).is_lt())
                    {
                        best = Some(i);
                    }
                }
                let i = best?;
                let next = match decode(&mut readers[i], rules) {
                    Ok(r) => r,
                    Err(e) => return Some(Err(e)),
                };
                std::mem::replace(&mut heads[i], next).map(Ok)
            }
        }
    }
}

fn encode(r: &DiffRow, rules: &mut Vec<&'static str>, w: &mut impl Write) -> io::Result<()> {
    let rule = match rules.iter().position(|x| *x == r.rule) {
        Some(i) => i,
        None => {
            rules.push(r.rule);
            rules.len() - 1
        }
    };
    let category = Category::ALL.iter().position(|x| *x == r.category);
    let change = Change::ALL.iter().position(|x| *x == r.change);
    w.write_all(&[
        category.unwrap_or(0) as u8,
        change.unwrap_or(0) as u8,
        r.severity.rank(),
        r.priority,
    ])?;
    w.write_all(&(rule as u32).to_le_bytes())?;
    for s in r.texts() {
        w.write_all(&(s.len() as u32).to_le_bytes())?;
        w.write_all(s.as_bytes())?;
    }
    Ok(())
}

fn bad(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("diff spill file: {what}"),
    )
}

/// The next row of a run; `None` at its end.
fn decode(r: &mut impl Read, rules: &[&'static str]) -> io::Result<Option<DiffRow>> {
    let mut head = [0u8; 8];
    match r.read_exact(&mut head[..1]) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    r.read_exact(&mut head[1..])?;
    let category = *Category::ALL
        .get(head[0] as usize)
        .ok_or_else(|| bad("category"))?;
    let change = *Change::ALL
        .get(head[1] as usize)
        .ok_or_else(|| bad("change"))?;
    let severity = *SEVERITIES
        .get(head[2] as usize)
        .ok_or_else(|| bad("severity"))?;
    let rule_at = u32::from_le_bytes([head[4], head[5], head[6], head[7]]) as usize;
    let mut row = DiffRow::new(category, change, severity, head[3]);
    row.rule = rules.get(rule_at).copied().ok_or_else(|| bad("rule"))?;
    for s in row.texts_mut() {
        let mut len = [0u8; 4];
        r.read_exact(&mut len)?;
        let mut bytes = vec![0u8; u32::from_le_bytes(len) as usize];
        r.read_exact(&mut bytes)?;
        *s = String::from_utf8(bytes).map_err(|_| bad("text"))?;
    }
    Ok(Some(row))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(priority: u8, id: &str, detail: &str) -> DiffRow {
        let mut r = DiffRow::new(Category::Access, Change::Gained, Severity::High, priority);
        r.identity_id = id.into();
        r.detail = detail.into();
        r.rule = if priority.is_multiple_of(2) {
            "even-rule"
        } else {
            ""
        };
        r
    }

    #[test]
    fn spilled_runs_merge_to_the_in_memory_stable_order() {
        // Equal keys (same priority, id, detail) must keep their push order: tag them by
        // entitlement name, which is not part of the key.
        let mut rows = Vec::new();
        for i in 0..500u32 {
            let mut r = row((i % 7) as u8, &format!("u{}", i % 13), "d");
            r.entitlement_name = format!("#{i}");
            rows.push(r);
        }
        let mut expected = rows.clone();
        expected.sort_by(DiffRow::order);

        let mut tiny = Sorter::new(2_000);
        for r in rows.iter().cloned() {
            tiny.push(r).unwrap();
        }
        assert!(tiny.runs() > 5, "the budget forces several runs");
        let merged: Vec<DiffRow> = tiny.finish().unwrap().map(Result::unwrap).collect();
        assert_eq!(merged, expected);

        let mut roomy = Sorter::new(usize::MAX);
        for r in rows {
            roomy.push(r).unwrap();
        }
        assert_eq!(roomy.runs(), 0);
        let in_memory: Vec<DiffRow> = roomy.finish().unwrap().map(Result::unwrap).collect();
        assert_eq!(in_memory, expected);
    }

    #[test]
    fn a_damaged_run_is_an_error_not_a_panic() {
        let rules = vec!["x"];
        let mut bytes: &[u8] = &[9, 0, 0, 0, 0, 0, 0, 0];
        assert!(decode(&mut bytes, &rules).is_err());
        let mut truncated: &[u8] = &[0, 0, 0, 0, 0, 0, 0, 0, 5, 0];
        assert!(decode(&mut truncated, &rules).is_err());
        let mut empty: &[u8] = &[];
        assert!(decode(&mut empty, &rules).unwrap().is_none());
    }
}
