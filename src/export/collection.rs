//! The collections of an export directory and their paths (`../shared/design/export-format.md`).
//!
//! One place owns the names, so that the reader, the coverage check (access model M10) and the
//! `coverage-gap` finding agree on what "a collection" is and how its path is spelled.

/// A collection stored once per environment, under `environments/<envId>/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Collection {
    Populations,
    Users,
    Groups,
    Roles,
    Applications,
    Resources,
    Gateways,
    Activities,
    UserMemberships,
    GroupParents,
    RoleAssignments,
    Grants,
    Scopes,
}

impl Collection {
    /// Every per-environment collection, in file-name order.
    pub const PER_ENVIRONMENT: [Collection; 13] = [
        Collection::Activities,
        Collection::Applications,
        Collection::Gateways,
        Collection::Grants,
        Collection::GroupParents,
        Collection::Groups,
        Collection::Populations,
        Collection::Resources,
        Collection::RoleAssignments,
        Collection::Roles,
        Collection::Scopes,
        Collection::UserMemberships,
        Collection::Users,
    ];

    /// The file stem (`users` for `users.jsonl`).
    pub fn stem(self) -> &'static str {
        match self {
            Collection::Populations => "populations",
            Collection::Users => "users",
            Collection::Groups => "groups",
            Collection::Roles => "roles",
            Collection::Applications => "applications",
            Collection::Resources => "resources",
            Collection::Gateways => "gateways",
            Collection::Activities => "activities",
            Collection::UserMemberships => "user_memberships",
            Collection::GroupParents => "group_parents",
            Collection::RoleAssignments => "role_assignments",
            Collection::Grants => "grants",
            Collection::Scopes => "scopes",
        }
    }

    /// The collection path used in the manifest's `coverage` and in `coverage-gap` findings:
    /// `environments/<envId>/<stem>`.
    pub fn path(self, env_id: &str) -> String {
        format!("environments/{env_id}/{}", self.stem())
    }
}

/// The organization-wide collections (`roles.jsonl`, `environments.jsonl`), by path.
pub const TOP_LEVEL: [&str; 2] = ["environments", "roles"];

/// The activities collection path of an environment (M8 asks whether every one was collected).
pub fn activities_path(env_id: &str) -> String {
    Collection::Activities.path(env_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_environment_list_is_sorted_and_complete() {
        let stems: Vec<&str> = Collection::PER_ENVIRONMENT
            .iter()
            .map(|c| c.stem())
            .collect();
        let mut sorted = stems.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(stems, sorted);
        assert_eq!(
            Collection::RoleAssignments.path("e1"),
            "environments/e1/role_assignments"
        );
    }
}
