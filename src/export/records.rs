//! The shapes of PingOne objects as p1graph reads them: only the members the access model uses,
//! borrowed from the input line where possible. Each record type also names the members PingOne
//! documents that p1graph deliberately ignores, so that anything else is counted as unknown.

use std::borrow::Cow;

use serde::Deserialize;

pub type Str<'a> = Cow<'a, str>;

#[derive(Deserialize)]
pub struct IdRef<'a> {
    #[serde(borrow)]
    pub id: Str<'a>,
}

#[derive(Deserialize, Default)]
pub struct OptIdRef<'a> {
    #[serde(borrow, default)]
    pub id: Option<Str<'a>>,
}

#[derive(Deserialize)]
pub struct EnvironmentRec<'a> {
    #[serde(borrow)]
    pub id: Str<'a>,
    #[serde(borrow, default)]
    pub name: Option<Str<'a>>,
    #[serde(borrow, default, rename = "type")]
    pub kind: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub region: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub organization: Option<OptIdRef<'a>>,
}
pub const ENVIRONMENT_KNOWN: &[&str] = &[
    "_links",
    "description",
    "status",
    "license",
    "createdAt",
    "updatedAt",
    "softDeletedAt",
    "hardDeleteAllowedAt",
    "billOfMaterials",
    "subtype",
    "icon",
    "pingoneAccountId",
    "_embedded",
];

#[derive(Deserialize)]
pub struct PopulationRec<'a> {
    #[serde(borrow)]
    pub id: Str<'a>,
    #[serde(borrow, default)]
    pub name: Option<Str<'a>>,
    #[serde(default)]
    pub default: Option<bool>,
}
pub const POPULATION_KNOWN: &[&str] = &[
    "_links",
    "environment",
    "description",
    "userCount",
    "passwordPolicy",
    "theme",
    "preferredLanguage",
    "alternativeIdentifiers",
    "createdAt",
    "updatedAt",
    "defaultIdentityProvider",
];

#[derive(Deserialize, Default)]
pub struct NameRec<'a> {
    #[serde(borrow, default)]
    pub formatted: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub given: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub family: Option<Str<'a>>,
}

#[derive(Deserialize, Default)]
pub struct AccountRec<'a> {
    #[serde(borrow, default)]
    pub status: Option<Str<'a>>,
}

#[derive(Deserialize, Default)]
pub struct AtRec<'a> {
    #[serde(borrow, default)]
    pub at: Option<Str<'a>>,
}

#[derive(Deserialize, Default)]
pub struct TypeRec<'a> {
    #[serde(borrow, default, rename = "type")]
    pub kind: Option<Str<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserRec<'a> {
    #[serde(borrow)]
    pub id: Str<'a>,
    #[serde(borrow, default)]
    pub username: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub name: Option<NameRec<'a>>,
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(borrow, default)]
    pub account: Option<AccountRec<'a>>,
    #[serde(borrow, default)]
    pub population: Option<OptIdRef<'a>>,
    #[serde(borrow, default)]
    pub last_sign_on: Option<AtRec<'a>>,
    #[serde(default)]
    pub mfa_enabled: Option<bool>,
    #[serde(borrow, default)]
    pub created_at: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub identity_provider: Option<TypeRec<'a>>,
}
pub const USER_KNOWN: &[&str] = &[
    "_links",
    "_embedded",
    "environment",
    "email",
    "emailVerified",
    "externalId",
    "type",
    "title",
    "lifecycle",
    "verifyStatus",
    "memberOfGroupIDs",
    "memberOfGroupNames",
    "updatedAt",
    "nickname",
    "photo",
    "preferredLanguage",
    "locale",
    "timezone",
    "address",
    "mobilePhone",
    "primaryPhone",
    "accountId",
];

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupRec<'a> {
    #[serde(borrow)]
    pub id: Str<'a>,
    #[serde(borrow, default)]
    pub name: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub population: Option<OptIdRef<'a>>,
    #[serde(borrow, default)]
    pub user_filter: Option<Str<'a>>,
}
pub const GROUP_KNOWN: &[&str] = &[
    "_links",
    "environment",
    "displayName",
    "description",
    "externalId",
    "customData",
    "sourceType",
    "sourceId",
    "directMemberCounts",
    "totalMemberCounts",
    "createdAt",
    "updatedAt",
];

#[derive(Deserialize)]
pub struct PermissionRec<'a> {
    #[serde(borrow)]
    pub id: Str<'a>,
}

/// A list element that PingOne documents either as a bare string or as a reference object
/// (`{"id": ..}` or `{"type": ..}`); both shapes are accepted (API.md marks them UNCONFIRMED).
#[derive(Deserialize)]
#[serde(untagged)]
pub enum NameOrRef<'a> {
    Name(#[serde(borrow)] Str<'a>),
    Ref {
        #[serde(borrow, default)]
        id: Option<Str<'a>>,
        #[serde(borrow, default, rename = "type")]
        kind: Option<Str<'a>>,
    },
}

impl NameOrRef<'_> {
    /// The string: the bare value, else `id`, else `type`; empty when the object has neither.
    pub fn text(&self) -> &str {
        match self {
            NameOrRef::Name(s) => s,
            NameOrRef::Ref { id, kind } => id.as_deref().or(kind.as_deref()).unwrap_or(""),
        }
    }
}

#[derive(Deserialize)]
pub struct RoleRec<'a> {
    #[serde(borrow)]
    pub id: Str<'a>,
    #[serde(borrow, default)]
    pub name: Option<Str<'a>>,
    #[serde(borrow, default, rename = "type")]
    pub kind: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub permissions: Option<Vec<PermissionRec<'a>>>,
    /// `applicableTo[]`: scope type names (strings; `{"type": ..}` objects tolerated).
    #[serde(borrow, default, rename = "applicableTo")]
    pub applicable_to: Option<Vec<NameOrRef<'a>>>,
    /// `canBeAssignedBy[]`: `{"id": roleId}` objects (bare strings tolerated).
    #[serde(borrow, default, rename = "canBeAssignedBy")]
    pub can_be_assigned_by: Option<Vec<NameOrRef<'a>>>,
}
pub const ROLE_KNOWN: &[&str] = &[
    "_links",
    "environment",
    "description",
    "canAssign",
    "createdAt",
    "updatedAt",
];

#[derive(Deserialize)]
pub struct ParentRec<'a> {
    #[serde(borrow, rename = "type")]
    pub kind: Str<'a>,
    #[serde(borrow)]
    pub id: Str<'a>,
}

/// `{"parent": {...}, "item": {...}}` of the wrapped collections.
#[derive(Deserialize)]
pub struct Wrapped<'a, T> {
    #[serde(borrow)]
    pub parent: ParentRec<'a>,
    pub item: T,
}
pub const WRAPPED_KNOWN: &[&str] = &[];

#[derive(Deserialize)]
pub struct MembershipRec<'a> {
    #[serde(borrow)]
    pub id: Str<'a>,
    #[serde(borrow, default, rename = "type")]
    pub kind: Option<Str<'a>>,
}

#[derive(Deserialize)]
pub struct ScopeRefRec<'a> {
    #[serde(borrow)]
    pub id: Str<'a>,
    #[serde(borrow, rename = "type")]
    pub kind: Str<'a>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssignmentRec<'a> {
    #[serde(borrow)]
    pub id: Str<'a>,
    #[serde(borrow)]
    pub role: IdRef<'a>,
    #[serde(borrow)]
    pub scope: ScopeRefRec<'a>,
    #[serde(default)]
    pub read_only: Option<bool>,
    /// Present on a group's assignment, and on group-derived copies listed under a user.
    #[serde(borrow, default)]
    pub group: Option<OptIdRef<'a>>,
}

#[derive(Deserialize, Default)]
pub struct GroupAcRec<'a> {
    #[serde(borrow, default, rename = "type")]
    pub kind: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub groups: Option<Vec<IdRef<'a>>>,
}

#[derive(Deserialize, Default)]
pub struct AccessControlRec<'a> {
    #[serde(borrow, default)]
    pub role: Option<TypeRec<'a>>,
    #[serde(borrow, default)]
    pub group: Option<GroupAcRec<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationRec<'a> {
    #[serde(borrow)]
    pub id: Str<'a>,
    #[serde(borrow, default)]
    pub name: Option<Str<'a>>,
    #[serde(borrow, default, rename = "type")]
    pub kind: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub protocol: Option<Str<'a>>,
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(borrow, default)]
    pub access_control: Option<AccessControlRec<'a>>,
}
pub const APPLICATION_KNOWN: &[&str] = &[
    "_links",
    "environment",
    "description",
    "createdAt",
    "updatedAt",
    "hiddenFromAppPortal",
    "loginPageUrl",
    "icon",
    "tags",
    "grantTypes",
    "responseTypes",
    "tokenEndpointAuthMethod",
    "redirectUris",
    "postLogoutRedirectUris",
    "pkceEnforcement",
    "refreshTokenDuration",
    "refreshTokenRollingDuration",
    "homePageUrl",
    "initiateLoginUri",
    "targetLinkUri",
    "assignActorRoles",
    "spEntityId",
    "acsUrls",
    "assertionDuration",
    "nameIdFormat",
    "idpSigning",
    "domainName",
    "replyUrl",
    "audienceRestriction",
    "signing",
    "mobile",
    "bundleId",
    "packageName",
    "supportUnsignedRequestObject",
    "requestScopes",
    "signOnPolicyAssignments",
];

#[derive(Deserialize)]
pub struct ResourceRec<'a> {
    #[serde(borrow)]
    pub id: Str<'a>,
    #[serde(borrow, default)]
    pub name: Option<Str<'a>>,
    #[serde(borrow, default, rename = "type")]
    pub kind: Option<Str<'a>>,
}
pub const RESOURCE_KNOWN: &[&str] = &[
    "_links",
    "environment",
    "description",
    "audience",
    "accessTokenValiditySeconds",
    "applicationPermissionsSettings",
    "introspectEndpointAuthMethod",
    "createdAt",
    "updatedAt",
];

#[derive(Deserialize)]
pub struct ScopeRec<'a> {
    #[serde(borrow)]
    pub id: Str<'a>,
    #[serde(borrow, default)]
    pub name: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub resource: Option<OptIdRef<'a>>,
}

#[derive(Deserialize)]
pub struct GrantRec<'a> {
    #[serde(borrow)]
    pub id: Str<'a>,
    #[serde(borrow)]
    pub resource: IdRef<'a>,
    #[serde(borrow, default)]
    pub scopes: Option<Vec<IdRef<'a>>>,
}

#[derive(Deserialize)]
pub struct GatewayRec<'a> {
    #[serde(borrow)]
    pub id: Str<'a>,
    #[serde(borrow, default)]
    pub name: Option<Str<'a>>,
    #[serde(borrow, default, rename = "type")]
    pub kind: Option<Str<'a>>,
    #[serde(default)]
    pub enabled: Option<bool>,
}
pub const GATEWAY_KNOWN: &[&str] = &[
    "_links",
    "environment",
    "description",
    "supportedVersions",
    "currentAlerts",
    "initialization",
    "createdAt",
    "updatedAt",
    "connectionSecurity",
    "vendor",
    "servers",
    "bindDN",
    "bindPassword",
    "userTypes",
    "kerberos",
    "followReferrals",
];

#[derive(Deserialize, Default)]
pub struct ActorsRec<'a> {
    #[serde(borrow, default)]
    pub user: Option<OptIdRef<'a>>,
    #[serde(borrow, default)]
    pub client: Option<OptIdRef<'a>>,
}

#[derive(Deserialize, Default)]
pub struct ResultRec<'a> {
    #[serde(borrow, default)]
    pub status: Option<Str<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivityRec<'a> {
    #[serde(borrow)]
    pub id: Str<'a>,
    #[serde(borrow)]
    pub recorded_at: Str<'a>,
    #[serde(borrow)]
    pub action: TypeRec<'a>,
    #[serde(borrow, default)]
    pub actors: Option<ActorsRec<'a>>,
    #[serde(borrow, default)]
    pub result: Option<ResultRec<'a>>,
}
pub const ACTIVITY_KNOWN: &[&str] = &[
    "_links",
    "createdAt",
    "correlationId",
    "internalCorrelation",
    "source",
    "resources",
    "tags",
    "environment",
    "_embedded",
];

/// Members of wrapped items p1graph does not read but PingOne documents.
pub const ITEM_KNOWN: &[&str] = &[
    "_links",
    "_embedded",
    "environment",
    "name",
    "description",
    "createdAt",
    "updatedAt",
    "application",
    "resource",
    "user",
    "gateway",
    "schemaAttributes",
    "mappedClaims",
];
