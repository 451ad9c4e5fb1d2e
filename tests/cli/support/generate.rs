//! A generator of large PingOne-shaped export directories, for measuring the ingest.

#![allow(dead_code)]

use std::path::Path;

use p1graph::export::ExportWriter;
use p1graph::export::manifest::{ManifestFile, OrganizationRef};
use serde_json::json;

/// A small deterministic pseudo-random sequence (no dependency on `rand` versions).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn uuid(kind: u32, n: u64) -> String {
    format!(
        "{kind:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        (n >> 48) & 0xffff,
        (n >> 36) & 0xfff,
        (n >> 24) & 0xfff,
        n & 0xffff_ffff_ffff
    )
}

/// Writes one environment with `users` users in `groups` groups (two memberships per user,
/// one nesting per fifth group, role assignments for 1 % of users and 5 % of groups).
pub fn large_tenant(dir: &Path, users: u64, groups: u64) -> (String, String) {
    let org = uuid(1, 1);
    let env = uuid(2, 1);
    let worker = uuid(7, 1);
    let mut w = ExportWriter::create(dir, false).expect("writer");
    let mut rng = Lcg(42);
    w.write("environments", &json!({"id": env, "name": "Load", "type": "PRODUCTION", "region": "NA", "organization": {"id": org}}))
        .unwrap();
    let role = uuid(3, 1);
    w.write("roles", &json!({"id": role, "name": "Identity Data Admin", "permissions": [{"id": "identity:read:user"}, {"id": "identity:update:user"}]}))
        .unwrap();
    let e = format!("environments/{env}");
    let pop = uuid(4, 1);
    w.write(
        &format!("{e}/populations"),
        &json!({"id": pop, "name": "Everyone", "default": true}),
    )
    .unwrap();
    for g in 0..groups {
        w.write(
            &format!("{e}/groups"),
            &json!({"id": uuid(5, g), "name": format!("Group {g}"), "environment": {"id": env}}),
        )
        .unwrap();
        if g % 5 == 0 && g > 0 {
            let parent = uuid(5, rng.below(g));
            w.write_child(
                &format!("{e}/group_parents"),
                "GROUP",
                &uuid(5, g),
                &json!({"id": parent}),
            )
            .unwrap();
        }
        if g % 20 == 0 {
            w.write_child(
                &format!("{e}/role_assignments"),
                "GROUP",
                &uuid(5, g),
                &json!({"id": uuid(8, g), "role": {"id": role}, "scope": {"id": env, "type": "ENVIRONMENT"}, "group": {"id": uuid(5, g)}}),
            )
            .unwrap();
        }
    }
    for u in 0..users {
        let id = uuid(6, u);
        w.write(
            &format!("{e}/users"),
            &json!({"id": id, "username": format!("user{u}@load.example"), "enabled": true, "population": {"id": pop},
                    "account": {"status": "OK"}, "name": {"given": "Load", "family": format!("User {u}")}}),
        )
        .unwrap();
        let a = rng.below(groups);
        let b = (a + 1 + rng.below(groups - 1)) % groups;
        for g in [a, b] {
            w.write_child(
                &format!("{e}/user_memberships"),
                "USER",
                &id,
                &json!({"id": uuid(5, g), "type": "DIRECT"}),
            )
            .unwrap();
        }
        if u % 100 == 0 {
            w.write_child(
                &format!("{e}/role_assignments"),
                "USER",
                &id,
                &json!({"id": uuid(9, u), "role": {"id": role}, "scope": {"id": env, "type": "ENVIRONMENT"}}),
            )
            .unwrap();
        }
    }
    for a in 0..50u64 {
        let kind = if a < 5 { "WORKER" } else { "WEB_APP" };
        let id = if a == 0 {
            worker.clone()
        } else {
            uuid(7, a + 1)
        };
        w.write(&format!("{e}/applications"), &json!({"id": id, "name": format!("App {a}"), "type": kind, "protocol": "OPENID_CONNECT", "enabled": true}))
            .unwrap();
    }
    for c in ["resources", "gateways", "roles", "activities"] {
        w.touch(&format!("{e}/{c}")).unwrap();
    }
    let mut m = ManifestFile::new();
    m.organization = Some(OrganizationRef {
        id: org,
        name: "Load Org".into(),
    });
    w.finish(&m).expect("finish");
    (env, worker)
}
