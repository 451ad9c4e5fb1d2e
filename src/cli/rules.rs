//! `p1graph rules`: the rule catalogue.

use crate::Error;
use crate::findings::registry;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_a: Args) -> Result<u8, Error> {
    let mut s = String::new();
    for r in registry() {
        s.push_str(&format!(
            "{} ({}{})\n",
            r.id(),
            r.severity().as_str(),
            if r.needs_activities() {
                ", needs activities"
            } else {
                ""
            }
        ));
        s.push_str(&textwrap(r.explanation(), 96, "    "));
        s.push('\n');
    }
    let mut out = crate::report::Output::create(None)?;
    out.write_all(s.as_bytes())?;
    out.finish()?;
    Ok(0)
}

fn textwrap(text: &str, width: usize, indent: &str) -> String {
    let mut out = String::new();
    let mut line = String::from(indent);
    for word in text.split_whitespace() {
        if line.len() + word.len() + 1 > width && line.len() > indent.len() {
            out.push_str(line.trim_end());
            out.push('\n');
            line = String::from(indent);
        }
        line.push_str(word);
        line.push(' ');
    }
    out.push_str(line.trim_end());
    out.push('\n');
    out
}
