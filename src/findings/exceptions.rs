//! Accepted risks: findings an owner has reviewed and accepted until a date.
//!
//! An exceptions file (TOML or YAML, by extension) lists entries keyed by rule and identity, and
//! optionally entitlement and scope, each with a reason, an owner and an expiry date. Matching
//! findings are suppressed and counted. An expired entry stops suppressing and is reported; an
//! entry that matches nothing is reported as stale, so the file does not rot silently. Expiry is
//! judged at the run's as-of time (M9), like every other time-based decision.
//!
//! TOML:
//! ```toml
//! [[exception]]
//! rule = "admin-without-mfa"
//! identity = "5d3c..."          # identity id; omit for findings without an identity
//! entitlement = "..."           # optional: entitlement id
//! scope = "..."                 # optional: scope id
//! reason = "break-glass account, hardware token held in the safe"
//! owner = "iam-team@example.com"
//! expires = "2027-03-31"
//! ```
//! YAML: the same entries as a list under `exception:`.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::Finding;
use crate::model::Ts;

/// Errors reading an exceptions file.
#[derive(Debug, thiserror::Error)]
pub enum ExceptionsError {
    #[error("cannot read `{path}`")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{path}` line {line}: {message}")]
    Syntax {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("`{path}`: unsupported extension (use .toml, .yaml or .yml)")]
    Extension { path: PathBuf },
    #[error("`{path}` line {line}: exception #{number}: unknown rule `{rule}`")]
    UnknownRule {
        path: PathBuf,
        line: usize,
        number: usize,
        rule: String,
    },
}

impl ExceptionsError {
    pub fn help(&self) -> Option<String> {
        match self {
            ExceptionsError::UnknownRule { .. } => Some(format!(
                "the rule ids are: {}",
                super::registry()
                    .iter()
                    .map(|r| r.id())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    rule: String,
    #[serde(default)]
    identity: String,
    #[serde(default)]
    entitlement: Option<String>,
    #[serde(default)]
    scope: Option<String>,
    reason: String,
    owner: String,
    expires: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    exception: Vec<Entry>,
}

/// One accepted risk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exception {
    pub rule: String,
    pub identity: String,
    pub entitlement: Option<String>,
    pub scope: Option<String>,
    pub reason: String,
    pub owner: String,
    /// End of validity (exclusive): a date means the end of that day, UTC.
    pub expires: Ts,
    pub expires_text: String,
    /// 1-based position in the file, for messages.
    pub number: usize,
}

impl Exception {
    /// The identity may be named by id or by name (a user's username, an application's or
    /// gateway's name).
    fn matches(&self, f: &Finding) -> bool {
        self.rule == f.rule
            && (self.identity == f.identity_id
                || (!self.identity.is_empty() && self.identity == f.identity_name))
            && self
                .entitlement
                .as_ref()
                .is_none_or(|e| *e == f.entitlement_id)
            && self.scope.as_ref().is_none_or(|s| *s == f.scope_id)
    }

    pub fn describe(&self) -> String {
        let mut s = format!("#{} {}", self.number, self.rule);
        if !self.identity.is_empty() {
            s.push_str(&format!(" identity={}", self.identity));
        }
        if let Some(e) = &self.entitlement {
            s.push_str(&format!(" entitlement={e}"));
        }
        if let Some(sc) = &self.scope {
            s.push_str(&format!(" scope={sc}"));
        }
        s.push_str(&format!(" (owner {})", self.owner));
        s
    }
}

/// Loads an exceptions file.
pub fn load(path: &Path) -> Result<Vec<Exception>, ExceptionsError> {
    let text = std::fs::read_to_string(path).map_err(|source| ExceptionsError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse(path, &text)
}

/// Parses the text of an exceptions file; `path` picks the format by its extension and names
/// the file in errors. [`load`] is this after reading the file (the fuzz targets call it).
pub fn parse(path: &Path, text: &str) -> Result<Vec<Exception>, ExceptionsError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let file: File = match ext.as_str() {
        "toml" => toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(1, |s| {
                text[..s.start.min(text.len())].lines().count().max(1)
            });
            ExceptionsError::Syntax {
                path: path.to_path_buf(),
                line,
                message: e.message().to_string(),
            }
        })?,
        "yaml" | "yml" => serde_saphyr::from_str(text).map_err(|e| {
            let msg = e.to_string();
            ExceptionsError::Syntax {
                path: path.to_path_buf(),
                line: yaml_line(&msg).unwrap_or(1),
                message: msg,
            }
        })?,
        _ => {
            return Err(ExceptionsError::Extension {
                path: path.to_path_buf(),
            });
        }
    };
    let known: Vec<&'static str> = super::registry().iter().map(|r| r.id()).collect();
    let mut out = Vec::new();
    for (i, e) in file.exception.into_iter().enumerate() {
        if !known.contains(&e.rule.as_str()) {
            // A typo would otherwise be a stale exception that never suppresses anything.
            return Err(ExceptionsError::UnknownRule {
                path: path.to_path_buf(),
                line: line_of(text, &format!("\"{}\"", e.rule)),
                number: i + 1,
                rule: e.rule,
            });
        }
        let expires = parse_expiry(&e.expires).ok_or_else(|| ExceptionsError::Syntax {
            path: path.to_path_buf(),
            line: line_of(text, &e.expires),
            message: format!(
                "exception #{}: `expires`: `{}` is not a date (YYYY-MM-DD) or RFC 3339 time",
                i + 1,
                e.expires
            ),
        })?;
        for (field, v) in [
            ("rule", &e.rule),
            ("reason", &e.reason),
            ("owner", &e.owner),
        ] {
            if v.trim().is_empty() {
                return Err(ExceptionsError::Syntax {
                    path: path.to_path_buf(),
                    line: 1,
                    message: format!("exception #{}: `{field}` must not be empty", i + 1),
                });
            }
        }
        out.push(Exception {
            rule: e.rule,
            identity: e.identity,
            entitlement: e.entitlement,
            scope: e.scope,
            reason: e.reason,
            owner: e.owner,
            expires,
            expires_text: e.expires,
            number: i + 1,
        });
    }
    Ok(out)
}

fn yaml_line(msg: &str) -> Option<usize> {
    let i = msg.find("line ")?;
    msg[i + 5..]
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .map_or(1, |i| i + 1)
}

fn parse_expiry(s: &str) -> Option<Ts> {
    if let Some(t) = Ts::parse(s) {
        return Some(t);
    }
    // A bare date is valid through the end of that day.
    Ts::parse(&format!("{s}T00:00:00Z")).map(|t| Ts(t.0 + crate::model::time::MS_PER_DAY))
}

/// What applying exceptions did.
#[derive(Debug, Default, Clone)]
pub struct Applied {
    pub suppressed: usize,
    /// The suppressed findings with the exception that accepted each (JSON output keeps them
    /// visible).
    pub suppressed_findings: Vec<(Finding, Exception)>,
    /// Exceptions past their expiry (they suppress nothing).
    pub expired: Vec<Exception>,
    /// Valid exceptions that matched no finding.
    pub stale: Vec<Exception>,
}

impl Applied {
    /// Human lines for standard error or the table.
    pub fn notes(&self) -> Vec<String> {
        let mut v = Vec::new();
        if self.suppressed > 0 {
            v.push(format!(
                "{} finding(s) suppressed by exceptions",
                self.suppressed
            ));
        }
        for e in &self.expired {
            v.push(format!(
                "expired exception {} (expired {}): no longer suppresses",
                e.describe(),
                e.expires_text
            ));
        }
        for e in &self.stale {
            v.push(format!(
                "stale exception {}: matches no finding; remove it",
                e.describe()
            ));
        }
        v
    }
}

/// Removes findings matched by a valid exception.
pub fn apply(findings: &mut Vec<Finding>, exceptions: &[Exception], as_of: Ts) -> Applied {
    let (valid, expired): (Vec<&Exception>, Vec<&Exception>) =
        exceptions.iter().partition(|e| e.expires > as_of);
    let mut used = vec![false; valid.len()];
    let mut suppressed_findings = Vec::new();
    findings.retain(|f| {
        let mut hit: Option<usize> = None;
        for (i, e) in valid.iter().enumerate() {
            if e.matches(f) {
                used[i] = true;
                hit.get_or_insert(i);
            }
        }
        if let Some(i) = hit {
            suppressed_findings.push((f.clone(), valid[i].clone()));
        }
        hit.is_none()
    });
    Applied {
        suppressed: suppressed_findings.len(),
        suppressed_findings,
        expired: expired.into_iter().cloned().collect(),
        stale: valid
            .iter()
            .zip(&used)
            .filter(|(_, u)| !**u)
            .map(|(e, _)| (*e).clone())
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::Severity;

    fn finding(rule: &'static str, id: &str) -> Finding {
        Finding {
            rule,
            severity: Severity::High,
            identity_type: "USER".into(),
            identity_id: id.into(),
            identity_name: String::new(),
            entitlement_type: String::new(),
            entitlement_id: String::new(),
            entitlement_name: String::new(),
            scope_type: String::new(),
            scope_id: String::new(),
            scope_name: String::new(),
            detail: String::new(),
            recommendation: String::new(),
        }
    }

    fn write(dir: &Path, name: &str, body: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, body).unwrap();
        p
    }

    #[test]
    fn exceptions_match_expire_and_go_stale() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "x.toml",
            r#"
[[exception]]
rule = "admin-without-mfa"
identity = "u1"
reason = "break glass"
owner = "iam"
expires = "2026-12-31"

[[exception]]
rule = "admin-without-mfa"
identity = "u2"
reason = "old"
owner = "iam"
expires = "2026-01-01"

[[exception]]
rule = "dormant-admin"
identity = "nobody"
reason = "gone"
owner = "iam"
expires = "2027-01-01"
"#,
        );
        let ex = load(&p).unwrap();
        let mut fs = vec![
            finding("admin-without-mfa", "u1"),
            finding("admin-without-mfa", "u2"),
        ];
        let applied = apply(&mut fs, &ex, Ts::parse("2026-11-01T00:00:00Z").unwrap());
        assert_eq!(applied.suppressed, 1);
        assert_eq!(fs.len(), 1);
        assert_eq!(
            fs[0].identity_id, "u2",
            "the expired exception no longer suppresses"
        );
        assert_eq!(applied.expired.len(), 1);
        assert_eq!(applied.stale.len(), 1);
        assert_eq!(applied.stale[0].identity, "nobody");
    }

    #[test]
    fn yaml_works_and_malformed_files_name_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let y = write(
            dir.path(),
            "x.yaml",
            "exception:\n  - rule: dormant-admin\n    identity: u1\n    reason: r\n    owner: o\n    expires: 2027-01-01\n",
        );
        assert_eq!(load(&y).unwrap().len(), 1);
        let bad = write(
            dir.path(),
            "bad.toml",
            "[[exception]]\nrule = \"x\"\nreason = \nowner = \"o\"\n",
        );
        let err = load(&bad).unwrap_err().to_string();
        assert!(err.contains("line 3"), "{err}");
        let missing = write(
            dir.path(),
            "m.toml",
            "[[exception]]\nrule = \"x\"\nidentity = \"u\"\n",
        );
        assert!(load(&missing).unwrap_err().to_string().contains("reason"));
        let date = write(
            dir.path(),
            "d.toml",
            "[[exception]]\nrule = \"dormant-admin\"\nreason = \"r\"\nowner = \"o\"\nexpires = \"soon\"\n",
        );
        assert!(load(&date).unwrap_err().to_string().contains("line 5"));
        let unknown = write(
            dir.path(),
            "u.toml",
            "[[exception]]\nrule = \"x\"\nreason = \"r\"\nowner = \"o\"\nexpires = \"2027-01-01\"\n",
        );
        let e = load(&unknown).unwrap_err();
        assert!(
            e.to_string()
                .contains("line 2: exception #1: unknown rule `x`"),
            "{e}"
        );
    }
}
