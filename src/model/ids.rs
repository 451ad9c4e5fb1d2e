//! Dense integer ids, one newtype per entity kind.
//!
//! Inside the engine every entity is an index into its table in [`crate::model::Tenant`]; PingOne's
//! UUIDs live in the interner and come back only at the edges (reports, explain). A newtype per
//! kind makes it a type error to index users with a group id.

/// A dense id: an index into its table.
pub trait DenseId: Copy {
    fn idx(self) -> usize;
    fn from_idx(i: usize) -> Self;
}

macro_rules! dense_id {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub u32);

        impl DenseId for $name {
            #[inline]
            fn idx(self) -> usize {
                self.0 as usize
            }
            #[inline]
            fn from_idx(i: usize) -> Self {
                $name(i as u32)
            }
        }

        impl $name {
            #[inline]
            pub fn idx(self) -> usize {
                self.0 as usize
            }
            #[inline]
            pub fn from_idx(i: usize) -> Self {
                $name(i as u32)
            }
        }
    };
}

dense_id!(
    /// An environment.
    EnvId
);
dense_id!(
    /// A population.
    PopId
);
dense_id!(
    /// A user.
    UserId
);
dense_id!(
    /// A group.
    GroupId
);
dense_id!(
    /// An admin role (built-in or custom).
    RoleId
);
dense_id!(
    /// A role assignment, whatever its subject.
    AssignmentId
);
dense_id!(
    /// An application (worker applications included).
    AppId
);
dense_id!(
    /// A resource (an API that has scopes).
    ResourceId
);
dense_id!(
    /// A scope of a resource.
    ScopeId
);
dense_id!(
    /// A gateway.
    GatewayId
);
