//! One change between two captures, and the order changes are listed in.

use std::cmp::Ordering;

use crate::findings::Severity;

/// What kind of thing changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    Access,
    Finding,
    Escalation,
    User,
    RoleAssignment,
    Membership,
    Application,
}

impl Category {
    pub const ALL: [Category; 7] = [
        Category::Access,
        Category::Finding,
        Category::Escalation,
        Category::User,
        Category::RoleAssignment,
        Category::Membership,
        Category::Application,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Access => "access",
            Category::Finding => "finding",
            Category::Escalation => "escalation",
            Category::User => "user",
            Category::RoleAssignment => "role-assignment",
            Category::Membership => "membership",
            Category::Application => "application",
        }
    }
}

/// How it changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Change {
    Gained,
    Lost,
    New,
    Resolved,
    Unchanged,
    Added,
    Removed,
    Disabled,
    ReEnabled,
    Changed,
}

impl Change {
    pub const ALL: [Change; 10] = [
        Change::Gained,
        Change::Lost,
        Change::New,
        Change::Resolved,
        Change::Unchanged,
        Change::Added,
        Change::Removed,
        Change::Disabled,
        Change::ReEnabled,
        Change::Changed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Change::Gained => "gained",
            Change::Lost => "lost",
            Change::New => "new",
            Change::Resolved => "resolved",
            Change::Unchanged => "unchanged",
            Change::Added => "added",
            Change::Removed => "removed",
            Change::Disabled => "disabled",
            Change::ReEnabled => "re-enabled",
            Change::Changed => "changed",
        }
    }
}

/// One change: a row of the diff.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DiffRow {
    pub category: Category,
    pub change: Change,
    /// A finding's severity; `high` for gained privileged access, `critical` for a new path to
    /// Organization or Environment Admin, `info` for what was lost and for entity changes.
    pub severity: Severity,
    /// The finding's rule; empty for other categories.
    pub rule: &'static str,
    pub identity_type: String,
    pub identity_id: String,
    pub identity_name: String,
    pub entitlement_type: String,
    pub entitlement_id: String,
    pub entitlement_name: String,
    pub scope_type: String,
    pub scope_id: String,
    /// The scope's name (organization, environment, population, application or group).
    pub scope_name: String,
    /// The access path, the finding's detail, or what changed.
    pub detail: String,
    /// Sort key, lower first: 0 a new path to Organization or Environment Admin, 1 new
    /// privileged access, 2-3 new critical/high findings and other new escalation gains, 4-5
    /// other new access and findings, 6-7 entity changes, 8-10 what was lost or resolved,
    /// 13 unchanged findings.
    #[serde(skip)]
    pub priority: u8,
}

crate::model::key::keyed_by_fields!(DiffRow);

impl DiffRow {
    /// A row with only its kind filled in.
    pub fn new(category: Category, change: Change, severity: Severity, priority: u8) -> DiffRow {
        DiffRow {
            category,
            change,
            severity,
            rule: "",
            identity_type: String::new(),
            identity_id: String::new(),
            identity_name: String::new(),
            entitlement_type: String::new(),
            entitlement_id: String::new(),
            entitlement_name: String::new(),
            scope_type: String::new(),
            scope_id: String::new(),
            scope_name: String::new(),
            detail: String::new(),
            priority,
        }
    }

    /// The diff's order: priority, then identity, entitlement and scope ids, then category,
    /// change and detail as text. Rows equal on all of these keep the order they were found in
    /// (the sort is stable, the spilled runs are merged stably).
    pub fn order(&self, other: &DiffRow) -> Ordering {
        (
            self.priority,
            &self.identity_id,
            &self.entitlement_id,
            &self.scope_id,
            self.category.as_str(),
            self.change.as_str(),
            &self.detail,
        )
            .cmp(&(
                other.priority,
                &other.identity_id,
                &other.entitlement_id,
                &other.scope_id,
                other.category.as_str(),
                other.change.as_str(),
                &other.detail,
            ))
    }

    /// The ten text cells after `rule`, in CSV order.
    pub fn texts(&self) -> [&str; 10] {
        [
            &self.identity_type,
            &self.identity_id,
            &self.identity_name,
            &self.entitlement_type,
            &self.entitlement_id,
            &self.entitlement_name,
            &self.scope_type,
            &self.scope_id,
            &self.scope_name,
            &self.detail,
        ]
    }

    /// Mutable [`DiffRow::texts`].
    pub(super) fn texts_mut(&mut self) -> [&mut String; 10] {
        [
            &mut self.identity_type,
            &mut self.identity_id,
            &mut self.identity_name,
            &mut self.entitlement_type,
            &mut self.entitlement_id,
            &mut self.entitlement_name,
            &mut self.scope_type,
            &mut self.scope_id,
            &mut self.scope_name,
            &mut self.detail,
        ]
    }

    /// Bytes held, roughly: what the sorter counts against its budget.
    pub(super) fn weight(&self) -> usize {
        std::mem::size_of::<DiffRow>() + self.texts().iter().map(|s| s.len()).sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_serialized_names() {
        for c in Category::ALL {
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        }
        for c in Change::ALL {
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        }
    }
}
