//! `p1graph explain`: every path to an identity's entitlements, its findings, and what it can
//! become (attack paths); or, with `--entitlement` alone, every holder of an entitlement with the
//! path, and for a group, what it grants and to whom.

use std::fmt::Write as _;
use std::path::PathBuf;

use super::{Globals, load_input};
use crate::Error;
use crate::graph::attack::{AttackGraph, gains_of};
use crate::report::access::{RowBuf, RowFormat, write_access_filtered};
use crate::report::escalation::{PathFormat, PathRow, write_rows};
use crate::resolve::explain::explain;
use crate::resolve::filter::AccessFilter;
use crate::resolve::query::{Target, find_entitlement, find_entitlements, find_identity};
use crate::resolve::{Access, Resolver};

/// `text` is for a person; `json` has the same content for a program; `csv` (with
/// `--entitlement` alone) is the access export's rows; `dot` and `mermaid` draw the "can become"
/// paths of an identity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Csv,
    Dot,
    Mermaid,
}

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("what").required(true).multiple(true).args(["identity", "entitlement"])))]
pub struct Args {
    /// An export directory or a `.p1g` snapshot.
    #[arg(long, short)]
    pub input: PathBuf,
    /// The identity: a PingOne id, a username (or its part before `@`), or a name.
    #[arg(long, value_name = "ID|NAME")]
    pub identity: Option<String>,
    /// A role, application, scope or group (id or name; `role:`, `application:`, `scope:`,
    /// `group:` pick the kind). With --identity: only that entitlement; alone: every holder.
    #[arg(long, value_name = "ID|NAME")]
    pub entitlement: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

pub fn run(a: Args, g: &Globals) -> Result<u8, Error> {
    let t = load_input(&a.input, g)?;
    let r = Resolver::new(&t);
    match a.identity.as_deref() {
        Some(q) => {
            let id = find_identity(&t, q)?;
            // Two entitlements of one name (a custom role named like a built-in one): the one
            // this identity holds is meant.
            let target = match a.entitlement.as_deref() {
                Some(e) => {
                    let all = explain(&r, id, None)?;
                    Some(find_entitlements(&t, e, |x| {
                        let want = match x {
                            Target::Role(s) | Target::Scope(s) => t.s(s),
                            Target::Application(app) => t.s(t.applications[app.idx()].id),
                            Target::Group(_) => return false,
                        };
                        all.entries.iter().any(|en| en.id == want)
                    })?)
                }
                None => None,
            };
            let mut note = None;
            if let (Some(e), Some(chosen)) = (a.entitlement.as_deref(), target)
                && let Err(crate::resolve::QueryError::Ambiguous { candidates, .. }) =
                    find_entitlement(&t, e)
            {
                note = Some(format!(
                    "`{e}` names {} things ({}); this answer is about {}, the one this identity holds; ask with the id for another",
                    candidates.len(),
                    candidates.join("; "),
                    chosen.label(&t)
                ));
            }
            identity(&r, id, target, a.format, note)
        }
        None => match a.entitlement.as_deref() {
            Some(e) => holders(&r, find_entitlement(&t, e)?, a.format, &a.input),
            None => Err(Error::usage("pass --identity, --entitlement, or both")),
        },
    }
}

/// One identity: its explanation, findings and "can become".
fn identity(
    r: &Resolver,
    id: crate::resolve::Identity,
    target: Option<Target>,
    format: Format,
    note: Option<String>,
) -> Result<u8, Error> {
    let t = r.t;
    let mut e = explain(r, id, target)?;
    e.notes.extend(note);
    let graph = AttackGraph::build(r);
    let mut gains = gains_of(&graph, id);
    match target {
        Some(Target::Role(role)) => gains.retain(|x| graph.privilege(x.privilege).role_id == role),
        Some(_) => gains.clear(),
        None => {}
    }
    let (pid, _, _, _) = crate::resolve::labels::identity_columns(t, id);
    // The identity's findings, with the privilege-escalation rule on the graph built above
    // (one attack graph per command, as in `analyze`).
    let esc = crate::graph::attack::Escalations::compute(&graph);
    let mut found = crate::findings::run_with_attack(
        r,
        &crate::findings::Config::for_tenant(t),
        &crate::findings::registry(),
        Some((&graph, &esc)),
    );
    found.retain(|f| f.identity_type == id.type_str() && f.identity_id == pid);
    let mut out = crate::report::Output::create(None)?;
    match format {
        Format::Text => {
            let mut s = e.to_string();
            if found.is_empty() {
                s.push_str("\nfindings: none\n");
            } else {
                let _ = writeln!(s, "\nfindings ({}):", found.len());
                for f in &found {
                    let _ = writeln!(
                        s,
                        "  {:<8} {:<24} {}",
                        f.severity.as_str(),
                        f.rule,
                        f.detail
                    );
                }
            }
            if gains.is_empty() {
                s.push_str("\ncan become: nothing beyond what it holds\n");
            } else {
                let _ = writeln!(
                    s,
                    "\ncan become ({} privilege{}, attack paths):",
                    gains.len(),
                    if gains.len() == 1 { "" } else { "s" }
                );
                for x in &gains {
                    s.push_str("  ");
                    crate::graph::attack::render::privilege_label(&graph, x.privilege, &mut s);
                    let _ = write!(
                        s,
                        "  [{} step{}]\n    ",
                        x.steps,
                        if x.steps == 1 { "" } else { "s" }
                    );
                    crate::graph::attack::render::path_text(
                        &graph,
                        id,
                        Some(x.privilege),
                        &x.path,
                        &mut s,
                    );
                    s.push('\n');
                }
            }
            s.push_str("\nrule codes (M1-M10) refer to the README's \"How access is decided\"\n");
            out.write_all(s.as_bytes())?;
        }
        Format::Json => {
            #[derive(serde::Serialize)]
            struct Gain {
                privilege: String,
                steps: u32,
                path: String,
            }
            #[derive(serde::Serialize)]
            struct Doc<'a> {
                identity_type: &'a str,
                identity_id: &'a str,
                #[serde(flatten)]
                explanation: &'a crate::resolve::explain::Explanation,
                findings: &'a [crate::findings::Finding],
                can_become: Vec<Gain>,
            }
            let can_become = gains
                .iter()
                .map(|x| {
                    let mut privilege = String::new();
                    crate::graph::attack::render::privilege_label(
                        &graph,
                        x.privilege,
                        &mut privilege,
                    );
                    let mut path = String::new();
                    crate::graph::attack::render::path_text(
                        &graph,
                        id,
                        Some(x.privilege),
                        &x.path,
                        &mut path,
                    );
                    Gain {
                        privilege,
                        steps: x.steps,
                        path,
                    }
                })
                .collect();
            let doc = Doc {
                identity_type: id.type_str(),
                identity_id: pid,
                explanation: &e,
                findings: &found,
                can_become,
            };
            out.write_all(&crate::report::json::pretty(&doc)?)?;
        }
        Format::Csv => {
            return Err(Error::usage(
                "--format csv lists the holders of an entitlement: pass --entitlement without --identity, or use `p1graph access --identity ...`",
            ));
        }
        Format::Dot | Format::Mermaid => {
            let rows = gains.iter().map(|x| PathRow {
                actor: id,
                privilege: x.privilege,
                steps: x.steps,
                path: &x.path,
            });
            let f = if format == Format::Dot {
                PathFormat::Dot
            } else {
                PathFormat::Mermaid
            };
            write_rows(&graph, rows, f, &mut out)?;
        }
    }
    out.finish()?;
    Ok(0)
}

/// Every holder of `target`, with the path; for a group, what it grants and to whom.
fn holders(
    r: &Resolver,
    target: Target,
    format: Format,
    input: &std::path::Path,
) -> Result<u8, Error> {
    let t = r.t;
    let filter = AccessFilter::new(r, None, None, Vec::new(), Some(target));
    let mut out = crate::report::Output::create(None)?;
    match format {
        Format::Csv | Format::Json => {
            let f = if format == Format::Csv {
                RowFormat::Csv
            } else {
                RowFormat::Json
            };
            write_access_filtered(r, Some(&filter), f, None, &mut out, &|_, _| {})?;
        }
        Format::Dot | Format::Mermaid => {
            return Err(Error::usage(
                "--format dot and mermaid draw an identity's attack paths: pass --identity",
            ));
        }
        Format::Text => {
            let mut s = String::new();
            let mut access = Access::default();
            let mut rb = RowBuf::default();
            let mut lines = Vec::new();
            for id in filter.identities(r) {
                r.resolve(id, &mut access);
                rb.each_row(r, &access, Some(&filter), |row| {
                    let who = if row.identity_name.is_empty() {
                        row.identity_id
                    } else {
                        row.identity_name
                    };
                    let scope = if row.scope_name.is_empty() {
                        row.scope_id
                    } else {
                        row.scope_name
                    };
                    lines.push(format!(
                        "  {who} ({}) @ {} {scope}, {}\n    {}\n",
                        row.identity_type.to_lowercase(),
                        row.scope_type.to_lowercase(),
                        row.via.to_lowercase(),
                        row.path
                    ));
                });
            }
            if let Target::Group(gid) = target {
                group_grants(r, gid, &mut s);
                let _ = writeln!(s, "\nto its members ({} row(s) through it):", lines.len());
            } else {
                let _ = writeln!(s, "{}: {} holder row(s)\n", target.label(t), lines.len());
            }
            for l in &lines {
                s.push_str(l);
            }
            if lines.is_empty() {
                s.push_str("  nobody\n");
            }
            if let Target::Role(role) = target {
                let name = t
                    .index
                    .role
                    .get(&role)
                    .map_or(t.s(role), |x| t.s(t.roles[x.idx()].name));
                let _ = writeln!(
                    s,
                    "\nwho can obtain it through attack paths: p1graph who-can --input {} --role {}",
                    super::analyze::shell_word(&input.display().to_string()),
                    super::analyze::shell_word(name)
                );
            }
            out.write_all(s.as_bytes())?;
        }
    }
    out.finish()?;
    Ok(0)
}

/// What group `g` grants its members: the roles assigned to it or to a group it is nested in,
/// and the applications whose group rule lists one of those groups.
fn group_grants(r: &Resolver, g: crate::model::GroupId, s: &mut String) {
    let t = r.t;
    let members = r.closure.descendants(g);
    let direct_members = t
        .memberships
        .iter()
        .filter(|m| members.binary_search(&m.group).is_ok())
        .map(|m| m.user)
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let _ = writeln!(
        s,
        "{}: {direct_members} member(s), directly or through {} nested group(s)",
        Target::Group(g).label(t),
        members.len().saturating_sub(1)
    );
    let through = r.closure.relevant_ancestors(g);
    let mut grants = Vec::new();
    for asg in &t.assignments {
        if asg.subject.kind != crate::model::SubjectKind::Group {
            continue;
        }
        let Some(holder) = t.index.group.get(&asg.subject.id) else {
            continue;
        };
        if !through.contains(&holder) {
            continue;
        }
        let role = asg
            .role
            .map_or(t.s(asg.role_id), |x| t.s(t.roles[x.idx()].name));
        let from = if holder == g {
            "assigned to it".to_string()
        } else {
            format!("inherited from group {}", t.group_label(holder))
        };
        grants.push(format!(
            "  role {role} @ {}:{} ({from})",
            t.scope_kind_str(asg.scope.kind),
            t.scope_name(asg.scope)
        ));
    }
    for (i, app) in t.applications.iter().enumerate() {
        let Some((all, groups, _)) = r.rule_groups(crate::model::AppId::from_idx(i)) else {
            continue;
        };
        if let Some(&holder) = groups.iter().find(|x| through.contains(x)) {
            let from = if holder == g {
                "its rule lists this group".to_string()
            } else {
                format!("its rule lists group {}", t.group_label(holder))
            };
            grants.push(format!(
                "  application {} ({}; {from}{})",
                t.s(app.name),
                if all { "ALL_GROUPS" } else { "ANY_GROUP" },
                if all {
                    ", and members need every listed group"
                } else {
                    ""
                }
            ));
        }
    }
    grants.sort();
    grants.dedup();
    let _ = writeln!(s, "\ngrants ({}):", grants.len());
    if grants.is_empty() {
        s.push_str("  nothing: no role assignment and no application rule reaches it\n");
    }
    for l in grants {
        s.push_str(&l);
        s.push('\n');
    }
}
