//! The key of a row about access: who (identity type and id), what (entitlement type and id) and
//! where (scope type and id), in PingOne ids.
//!
//! Access rows, findings, diff rows, plan items and verify results all carry these six cells;
//! they are compared, joined and deduplicated on this one struct (field order is the sort
//! order), so "the same access" means the same thing everywhere. Names are left out on purpose:
//! a rename is not a different grant.

/// The six key cells, borrowed (`Key<&str>`, what [`Keyed::key`] returns) or owned
/// (`Key<String>`, for maps that outlive their rows).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Key<S> {
    pub identity_type: S,
    pub identity_id: S,
    pub entitlement_type: S,
    pub entitlement_id: S,
    pub scope_type: S,
    pub scope_id: S,
}

impl<S: AsRef<str>> Key<S> {
    /// The key borrowed.
    pub fn as_str(&self) -> Key<&str> {
        Key {
            identity_type: self.identity_type.as_ref(),
            identity_id: self.identity_id.as_ref(),
            entitlement_type: self.entitlement_type.as_ref(),
            entitlement_id: self.entitlement_id.as_ref(),
            scope_type: self.scope_type.as_ref(),
            scope_id: self.scope_id.as_ref(),
        }
    }

    /// The key owned.
    pub fn to_owned_key(&self) -> Key<String> {
        let k = self.as_str();
        Key {
            identity_type: k.identity_type.to_string(),
            identity_id: k.identity_id.to_string(),
            entitlement_type: k.entitlement_type.to_string(),
            entitlement_id: k.entitlement_id.to_string(),
            scope_type: k.scope_type.to_string(),
            scope_id: k.scope_id.to_string(),
        }
    }
}

/// A row that is about one identity's entitlement in one scope.
pub trait Keyed {
    fn key(&self) -> Key<&str>;
}

/// Implements [`Keyed`] for a struct with the six key fields (as `String` or `&str`).
macro_rules! keyed_by_fields {
    ($t:ty) => {
        impl $crate::model::key::Keyed for $t {
            fn key(&self) -> $crate::model::key::Key<&str> {
                $crate::model::key::Key {
                    identity_type: &self.identity_type,
                    identity_id: &self.identity_id,
                    entitlement_type: &self.entitlement_type,
                    entitlement_id: &self.entitlement_id,
                    scope_type: &self.scope_type,
                    scope_id: &self.scope_id,
                }
            }
        }
    };
}
pub(crate) use keyed_by_fields;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_order_is_the_field_order_and_owned_equals_borrowed() {
        let a = Key {
            identity_type: "USER",
            identity_id: "u1",
            entitlement_type: "ROLE",
            entitlement_id: "r9",
            scope_type: "ENVIRONMENT",
            scope_id: "e1",
        };
        let mut b = a;
        b.identity_id = "u2";
        b.entitlement_id = "r0";
        assert!(a < b, "identity before entitlement");
        let owned = a.to_owned_key();
        assert_eq!(owned.as_str(), a);
    }
}
