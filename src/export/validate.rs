//! The reader's rules for one record, usable before the record is written.
//!
//! The reader ([`super::read`]) refuses an export with a record it cannot use: a line that does
//! not deserialize into the record type (a missing `id`, a wrong type), a duplicate id, a
//! timestamp that is not RFC 3339, a wrapper whose parent has the wrong type, an environment id
//! that cannot be a folder name. The live ingest checks every object with the same functions
//! before it writes it ([`check`]), so that an export it completes is always readable: an object
//! the reader would refuse is counted and reported instead of written.
//!
//! Ids become folder names, file names and URL path segments, so they are untrusted input:
//! [`plain_id`] is the one rule for an id that may be used that way.

use std::collections::HashSet;

use super::lines;
use super::records::*;
use crate::model::Ts;

/// The longest id accepted as a path or URL segment (PingOne ids are 36-character UUIDs).
pub const MAX_ID_LEN: usize = 128;

/// Is `id` a plain identifier: 1 to [`MAX_ID_LEN`] ASCII letters, digits, `-`, `_` or `.`, not
/// starting with `.` (so never `.` or `..`)? Only such ids are used as folder names, file names
/// or URL path segments; anything else (`/`, `..`, spaces, control characters, `%`, `?`, `#`)
/// could leave the export directory or reach another URL.
pub fn plain_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("the id is empty".into());
    }
    if id.len() > MAX_ID_LEN {
        return Err(format!(
            "the id is {} bytes long (at most {MAX_ID_LEN})",
            id.len()
        ));
    }
    if id.starts_with('.') {
        return Err(format!("the id {id:?} starts with `.`"));
    }
    if let Some(c) = id
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(format!(
            "the id {id:?} contains {c:?} (only letters, digits, `-`, `_` and `.` are allowed)"
        ));
    }
    Ok(())
}

/// An optional RFC 3339 timestamp field (`None` or empty: absent), as the reader parses it.
pub fn timestamp(field: &str, v: Option<&str>) -> Result<Option<Ts>, String> {
    match v {
        None | Some("") => Ok(None),
        Some(v) => Ts::parse(v)
            .map(Some)
            .ok_or_else(|| format!("field `{field}`: `{v}` is not an RFC 3339 timestamp")),
    }
}

/// A required RFC 3339 timestamp field, as the reader parses it.
pub fn required_timestamp(field: &str, v: &str) -> Result<Ts, String> {
    Ts::parse(v).ok_or_else(|| format!("field `{field}`: `{v}` is not an RFC 3339 timestamp"))
}

/// The wrapper's `parent.type` must be `want`.
pub fn parent_type(found: &str, want: &str) -> Result<(), String> {
    if found != want {
        return Err(format!(
            "field `parent.type`: expected `{want}`, found `{found}`"
        ));
    }
    Ok(())
}

/// What a line of one collection holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordKind {
    Environment,
    /// `roles.jsonl` (built-in roles).
    BuiltinRole,
    /// `environments/<env>/roles.jsonl` (custom roles; built-ins repeated there are skipped).
    CustomRole,
    Population,
    User,
    Group,
    Application,
    Resource,
    Gateway,
    Activity,
    UserMembership,
    GroupParent,
    RoleAssignment,
    Grant,
    Scope,
}

/// Ids seen so far, per id space the reader checks for duplicates (one export-wide space per
/// entity kind; roles share one space).
#[derive(Default, Debug)]
pub struct SeenIds {
    environments: HashSet<Box<str>>,
    /// Role ids, with whether the role was built-in.
    roles: std::collections::HashMap<Box<str>, bool>,
    populations: HashSet<Box<str>>,
    users: HashSet<Box<str>>,
    groups: HashSet<Box<str>>,
    applications: HashSet<Box<str>>,
    resources: HashSet<Box<str>>,
    gateways: HashSet<Box<str>>,
    scopes: HashSet<Box<str>>,
}

/// What [`check`] decided about a valid line.
#[derive(Debug, PartialEq, Eq)]
pub enum Checked {
    /// Write it.
    Keep,
    /// A repeat the reader skips too (an activity seen in an earlier window, a built-in role
    /// repeated by the custom-roles endpoint): write it or not, the reader ignores it.
    Repeat,
}

fn dup(kind: &str, id: &str) -> String {
    format!("field `id`: duplicate {kind} id `{id}`")
}

fn insert(set: &mut HashSet<Box<str>>, kind: &str, id: &str) -> Result<Checked, String> {
    if set.insert(id.into()) {
        Ok(Checked::Keep)
    } else {
        Err(dup(kind, id))
    }
}

fn parse<'a, T: serde::Deserialize<'a>>(line: &'a [u8]) -> Result<T, String> {
    lines::parse_one::<T>(line)
}

/// Checks one JSON line of a collection of `kind` with the reader's rules, and records its id in
/// `seen`. `Err` is the reader's message for that line (without file and line number). An
/// invalid line does not record its id.
pub fn check(kind: RecordKind, line: &[u8], seen: &mut SeenIds) -> Result<Checked, String> {
    match kind {
        RecordKind::Environment => {
            let r: EnvironmentRec = parse(line)?;
            plain_id(&r.id).map_err(|e| format!("field `id`: {e}"))?;
            insert(&mut seen.environments, "environment", &r.id)
        }
        RecordKind::BuiltinRole | RecordKind::CustomRole => {
            let r: RoleRec = parse(line)?;
            let custom_file = kind == RecordKind::CustomRole;
            let builtin = !custom_file || r.kind.as_deref() != Some("CUSTOM");
            match seen.roles.get(r.id.as_ref()) {
                Some(&was_builtin) if custom_file && builtin && was_builtin => Ok(Checked::Repeat),
                Some(_) => Err(dup("role", &r.id)),
                None => {
                    seen.roles.insert(r.id.as_ref().into(), builtin);
                    Ok(Checked::Keep)
                }
            }
        }
        RecordKind::Population => {
            let r: PopulationRec = parse(line)?;
            insert(&mut seen.populations, "population", &r.id)
        }
        RecordKind::User => {
            let r: UserRec = parse(line)?;
            timestamp(
                "lastSignOn.at",
                r.last_sign_on.as_ref().and_then(|l| l.at.as_deref()),
            )?;
            timestamp("createdAt", r.created_at.as_deref())?;
            insert(&mut seen.users, "user", &r.id)
        }
        RecordKind::Group => {
            let r: GroupRec = parse(line)?;
            insert(&mut seen.groups, "group", &r.id)
        }
        RecordKind::Application => {
            let r: ApplicationRec = parse(line)?;
            insert(&mut seen.applications, "application", &r.id)
        }
        RecordKind::Resource => {
            let r: ResourceRec = parse(line)?;
            insert(&mut seen.resources, "resource", &r.id)
        }
        RecordKind::Gateway => {
            let r: GatewayRec = parse(line)?;
            insert(&mut seen.gateways, "gateway", &r.id)
        }
        RecordKind::Activity => {
            let r: ActivityRec = parse(line)?;
            required_timestamp("recordedAt", &r.recorded_at)?;
            Ok(Checked::Keep)
        }
        RecordKind::UserMembership => {
            let w: Wrapped<MembershipRec> = parse(line)?;
            parent_type(&w.parent.kind, "USER")?;
            Ok(Checked::Keep)
        }
        RecordKind::GroupParent => {
            let w: Wrapped<IdRef> = parse(line)?;
            parent_type(&w.parent.kind, "GROUP")?;
            Ok(Checked::Keep)
        }
        RecordKind::RoleAssignment => {
            let _: Wrapped<AssignmentRec> = parse(line)?;
            Ok(Checked::Keep)
        }
        RecordKind::Grant => {
            let w: Wrapped<GrantRec> = parse(line)?;
            parent_type(&w.parent.kind, "APPLICATION")?;
            Ok(Checked::Keep)
        }
        RecordKind::Scope => {
            let w: Wrapped<ScopeRec> = parse(line)?;
            insert(&mut seen.scopes, "scope", &w.item.id)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_ids_are_uuids_and_simple_names() {
        for ok in [
            "a10aa5ea-7cba-5171-860d-5f97ef6805dc",
            "env_prod",
            "r.1",
            "X",
        ] {
            assert_eq!(plain_id(ok), Ok(()), "{ok}");
        }
        for bad in [
            "", ".", "..", "../etc", "a/b", "a\\b", "a b", "a\u{0}b", "a\nb", ".hidden", "a%2e",
            "a?b", "a#b", "é",
        ] {
            assert!(plain_id(bad).is_err(), "{bad:?} accepted");
        }
        assert!(plain_id(&"a".repeat(MAX_ID_LEN)).is_ok());
        assert!(plain_id(&"a".repeat(MAX_ID_LEN + 1)).is_err());
    }

    #[test]
    fn check_applies_the_reader_rules() {
        let mut seen = SeenIds::default();
        let err = check(RecordKind::User, br#"{"username":"x"}"#, &mut seen).unwrap_err();
        assert!(err.contains("missing field `id`"), "{err}");
        assert_eq!(
            check(RecordKind::User, br#"{"id":"u1"}"#, &mut seen),
            Ok(Checked::Keep)
        );
        let err = check(RecordKind::User, br#"{"id":"u1"}"#, &mut seen).unwrap_err();
        assert!(err.contains("duplicate user id `u1`"), "{err}");
        let err = check(
            RecordKind::User,
            br#"{"id":"u2","lastSignOn":{"at":"yesterday"}}"#,
            &mut seen,
        )
        .unwrap_err();
        assert!(err.contains("lastSignOn.at"), "{err}");
        let err = check(RecordKind::Environment, br#"{"id":"../../tmp"}"#, &mut seen).unwrap_err();
        assert!(err.contains("field `id`"), "{err}");
        let err = check(
            RecordKind::Grant,
            br#"{"parent":{"type":"USER","id":"a"},"item":{"id":"g","resource":{"id":"r"}}}"#,
            &mut seen,
        )
        .unwrap_err();
        assert!(err.contains("parent.type"), "{err}");
        // A built-in repeated by the custom-roles endpoint is skipped by the reader, not refused.
        assert_eq!(
            check(
                RecordKind::BuiltinRole,
                br#"{"id":"r1","type":"PLATFORM"}"#,
                &mut seen
            ),
            Ok(Checked::Keep)
        );
        assert_eq!(
            check(
                RecordKind::CustomRole,
                br#"{"id":"r1","type":"PLATFORM"}"#,
                &mut seen
            ),
            Ok(Checked::Repeat)
        );
        assert!(
            check(
                RecordKind::CustomRole,
                br#"{"id":"r1","type":"CUSTOM"}"#,
                &mut seen
            )
            .is_err()
        );
    }
}
