//! `p1graph rules`: the rule catalogue.

use crate::Error;
use crate::findings::registry;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long, value_enum, default_value_t = super::TextFormat::Text)]
    pub format: super::TextFormat,
}

/// A rule as `rules --format json` lists it.
#[derive(serde::Serialize)]
struct RuleDoc {
    id: &'static str,
    severity: &'static str,
    needs_activities: bool,
    explanation: &'static str,
}

pub fn run(a: Args) -> Result<u8, Error> {
    let docs: Vec<RuleDoc> = registry()
        .iter()
        .map(|r| RuleDoc {
            id: r.id(),
            severity: r.severity().as_str(),
            needs_activities: r.needs_activities(),
            explanation: r.explanation(),
        })
        .collect();
    super::print_text_or_json(a.format, text, &docs)?;
    Ok(0)
}

fn text() -> String {
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
    s
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
