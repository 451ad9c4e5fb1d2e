//! Effective access: group closure (M1), role and application entitlements (M2-M7), explain.
//!
//! [`closure`] condenses group nesting once; [`access`] resolves one identity at a time against
//! per-tenant precomputed lists; [`explain`] turns an identity's access into every path behind it.

pub mod access;
pub mod closure;
pub mod csr;
pub mod explain;
pub mod labels;

pub use access::{Access, AppEnt, Identity, Resolver, RoleEnt, ScopeEnt, Via};

/// Errors of queries against a resolved tenant (an identity or entitlement that cannot be found).
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("no identity matches `{0}`")]
    NoIdentity(String),
    #[error("`{query}` matches {count} identities: {examples}")]
    AmbiguousIdentity {
        query: String,
        count: usize,
        examples: String,
    },
    #[error("identity `{identity}` has no entitlement matching `{query}`")]
    NoEntitlement { identity: String, query: String },
}
