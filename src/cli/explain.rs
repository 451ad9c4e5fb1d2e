//! `p1graph explain`: every path to an identity's entitlements, and what it can become (attack
//! paths: the privileges it can gain, with the least steps and one path each).

use std::path::PathBuf;

use super::{Globals, load_input};
use crate::Error;
use crate::graph::attack::{AttackGraph, gains_of};
use crate::report::escalation::{PathFormat, PathRow, write_rows};
use crate::resolve::Resolver;
use crate::resolve::explain::{explain, find_identity};

/// `text` is the explanation with its "can become" section; `dot` and `mermaid` draw the "can
/// become" paths only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Dot,
    Mermaid,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// An export directory or a `.p1g` snapshot.
    #[arg(long, short)]
    pub input: PathBuf,
    /// The identity: a PingOne id, a username, or a name.
    #[arg(long)]
    pub identity: String,
    /// Only this entitlement: a role, application or scope id, or a name.
    #[arg(long)]
    pub entitlement: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

pub fn run(a: Args, g: &Globals) -> Result<u8, Error> {
    let t = load_input(&a.input, g)?;
    let r = Resolver::new(&t);
    let id = find_identity(&r, &a.identity)?;
    let e = explain(&r, id, a.entitlement.as_deref())?;
    let graph = AttackGraph::build(&r);
    let mut gains = gains_of(&graph, id);
    if let Some(f) = a.entitlement.as_deref() {
        // Only the gains of the role the person asked about.
        gains.retain(|x| {
            let p = graph.privilege(x.privilege);
            t.s(p.role_id) == f || p.role.is_some_and(|r| t.s(t.roles[r.idx()].name) == f)
        });
    }
    let rows = gains.iter().map(|x| PathRow {
        actor: id,
        privilege: x.privilege,
        steps: x.steps,
        path: &x.path,
    });
    let mut out = crate::report::Output::create(None)?;
    match a.format {
        Format::Text => {
            out.write_all(e.to_string().as_bytes())?;
            if gains.is_empty() {
                out.write_all(b"\ncan become: nothing beyond what it holds\n")?;
            } else {
                out.write_all(
                    format!(
                        "\ncan become ({} privilege{}, attack-path model):\n",
                        gains.len(),
                        if gains.len() == 1 { "" } else { "s" }
                    )
                    .as_bytes(),
                )?;
                let mut s = String::new();
                for x in &gains {
                    s.push_str("  ");
                    crate::graph::attack::render::privilege_label(&graph, x.privilege, &mut s);
                    s.push_str(&format!(
                        "  [{} step{}]\n    ",
                        x.steps,
                        if x.steps == 1 { "" } else { "s" }
                    ));
                    crate::graph::attack::render::path_text(
                        &graph,
                        id,
                        Some(x.privilege),
                        &x.path,
                        &mut s,
                    );
                    s.push('\n');
                }
                out.write_all(s.as_bytes())?;
            }
        }
        Format::Dot => {
            write_rows(&graph, rows, PathFormat::Dot, &mut out)?;
        }
        Format::Mermaid => {
            write_rows(&graph, rows, PathFormat::Mermaid, &mut out)?;
        }
    }
    out.finish()?;
    Ok(0)
}
