//! Effective access: group closure (M1), role and application entitlements (M2-M7), explain.
//!
//! [`closure`] condenses group nesting once; [`access`] resolves one identity at a time against
//! per-tenant precomputed lists; [`explain`] turns an identity's access into every path behind it.

pub mod access;
pub mod closure;
pub mod csr;
pub mod explain;
pub mod filter;
pub mod labels;
pub mod query;
pub mod rows;

pub use access::{
    Access, AppDecision, AppEnt, DenyReason, Identity, Resolver, RoleEnt, ScopeEnt, Via,
};

pub use query::QueryError;
