//! Access-review campaigns end to end: start on a small export, fill decisions the way a
//! reviewer's spreadsheet would, status, plan, a second export where some revokes were applied
//! and one access still arrives through a second group, verify; and every validation error.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use p1graph::export::ExportWriter;
use p1graph::export::manifest::{ActivityWindow, ManifestFile, OrganizationRef};
use serde_json::json;

const ENV: &str = "env-prod";

/// Which state of the organization to write.
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the review.
    Before,
    /// After remediation: Cleo left HR Staff, Ana left HR Staff but joined Contractors (also
    /// listed by HR Portal), Ben still holds everything.
    After,
}

/// Northwind: one production environment, a nested admin group, an application behind groups,
/// an open wiki and an admins-only console.
fn write_export(dest: &Path, state: State) {
    let mut w = ExportWriter::create(dest, false).unwrap();
    let env = format!("environments/{ENV}");
    w.write(
        "environments",
        &json!({"id": ENV, "name": "Production", "type": "PRODUCTION", "organization": {"id": "org-northwind"}}),
    )
    .unwrap();
    w.write(
        "roles",
        &json!({"id": "r-envadmin", "name": "Environment Admin", "type": "PLATFORM",
                "permissions": [{"id": "identity:update:user"}, {"id": "identity:read:user"}]}),
    )
    .unwrap();
    w.write(
        "roles",
        &json!({"id": "r-idro", "name": "Identity Data Read Only", "type": "PLATFORM",
                "permissions": [{"id": "identity:read:user"}]}),
    )
    .unwrap();
    let users = [
        (
            "u-ana",
            "ana@northwind.example",
            "Ana Lima",
            true,
            "2026-10-30T09:00:00Z",
        ),
        (
            "u-ben",
            "ben@northwind.example",
            "Ben Okafor",
            true,
            "2026-01-05T10:00:00Z",
        ),
        (
            "u-cleo",
            "cleo@northwind.example",
            "Cleo Park",
            false,
            "2026-09-01T08:00:00Z",
        ),
        (
            "u-eve",
            "eve@northwind.example",
            "=HYPERLINK(\"http://evil.example\")",
            true,
            "2026-10-31T12:00:00Z",
        ),
    ];
    for (id, username, name, enabled, last) in users {
        w.write(
            &format!("{env}/users"),
            &json!({"id": id, "username": username, "name": {"formatted": name}, "enabled": enabled,
                    "lastSignOn": {"at": last}, "mfaEnabled": true, "createdAt": "2025-01-01T00:00:00Z",
                    "population": {"id": "pop-staff"}}),
        )
        .unwrap();
    }
    for (id, name) in [
        ("g-admins", "Admins"),
        ("g-contractors", "Contractors"),
        ("g-hr", "HR Staff"),
        ("g-ops", "Ops"),
        ("g-sales", "Sales"),
    ] {
        w.write(&format!("{env}/groups"), &json!({"id": id, "name": name}))
            .unwrap();
    }
    let mut members = vec![
        ("u-ana", "g-ops"),
        ("u-ben", "g-admins"),
        ("u-eve", "g-sales"),
    ];
    match state {
        State::Before => members.extend([("u-ana", "g-hr"), ("u-cleo", "g-hr")]),
        State::After => members.push(("u-ana", "g-contractors")),
    }
    for (u, g) in members {
        w.write_child(
            &format!("{env}/user_memberships"),
            "USER",
            u,
            &json!({"id": g, "type": "DIRECT"}),
        )
        .unwrap();
    }
    w.write_child(
        &format!("{env}/group_parents"),
        "GROUP",
        "g-ops",
        &json!({"id": "g-admins"}),
    )
    .unwrap();
    let assignment = |id: &str, role: &str| {
        json!({"id": id, "role": {"id": role}, "scope": {"id": ENV, "type": "ENVIRONMENT"},
               "environment": {"id": ENV}})
    };
    for (kind, subject, ra, role) in [
        ("GROUP", "g-admins", "ra-admins-env", "r-envadmin"),
        ("USER", "u-ben", "ra-ben-env", "r-envadmin"),
        ("USER", "u-ana", "ra-ana-ro", "r-idro"),
        ("APPLICATION", "app-ci", "ra-ci-env", "r-envadmin"),
    ] {
        w.write_child(
            &format!("{env}/role_assignments"),
            kind,
            subject,
            &assignment(ra, role),
        )
        .unwrap();
    }
    let apps = [
        json!({"id": "app-hr", "name": "HR Portal", "type": "WEB_APP", "protocol": "OPENID_CONNECT", "enabled": true,
               "accessControl": {"group": {"type": "ANY_GROUP", "groups": [{"id": "g-hr"}, {"id": "g-contractors"}]}}}),
        json!({"id": "app-wiki", "name": "Wiki", "type": "WEB_APP", "protocol": "SAML", "enabled": true}),
        json!({"id": "app-console", "name": "Admin Console", "type": "WEB_APP", "protocol": "OPENID_CONNECT", "enabled": true,
               "accessControl": {"role": {"type": "ADMIN_USERS_ONLY"}}}),
        json!({"id": "app-ci", "name": "CI Deploy", "type": "WORKER", "protocol": "OPENID_CONNECT", "enabled": true}),
    ];
    for a in apps {
        w.write(&format!("{env}/applications"), &a).unwrap();
    }
    let activities = [
        (
            "ev-1",
            "2026-10-29T08:00:00Z",
            "USER.ACCESS_ALLOWED",
            "u-ana",
            "app-hr",
        ),
        (
            "ev-2",
            "2026-10-28T08:00:00Z",
            "USER.UPDATED",
            "u-ana",
            "adminui",
        ),
        (
            "ev-3",
            "2026-10-20T08:00:00Z",
            "USER.ACCESS_ALLOWED",
            "u-eve",
            "app-wiki",
        ),
    ];
    for (id, at, action, user, client) in activities {
        w.write(
            &format!("{env}/activities"),
            &json!({"id": id, "recordedAt": at, "action": {"type": action},
                    "actors": {"user": {"id": user}, "client": {"id": client}},
                    "result": {"status": "SUCCESS"}}),
        )
        .unwrap();
    }
    for c in [
        "populations",
        "roles",
        "resources",
        "gateways",
        "grants",
        "scopes",
    ] {
        w.touch(&format!("{env}/{c}")).unwrap();
    }
    let mut m = ManifestFile::new();
    m.captured_at = Some(
        match state {
            State::Before => "2026-11-01T00:00:00Z",
            State::After => "2026-11-15T00:00:00Z",
        }
        .into(),
    );
    m.region = Some("EU".into());
    m.organization = Some(OrganizationRef {
        id: "org-northwind".into(),
        name: "Northwind".into(),
    });
    m.activities = Some(ActivityWindow {
        from: "2026-10-18T00:00:00Z".into(),
        to: "2026-11-01T00:00:00Z".into(),
    });
    w.finish(&m).unwrap();
}

fn p1graph() -> Command {
    let mut c = Command::cargo_bin("p1graph").expect("binary");
    c.env("COLUMNS", "120");
    c
}

/// Runs `p1graph` and returns (exit code, stdout, stderr).
fn run(args: &[&str]) -> (i32, String, String) {
    let out = p1graph().args(args).output().expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

struct Fixture {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    before: PathBuf,
}

fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    let before = root.join("northwind-2026-11-01");
    write_export(&before, State::Before);
    Fixture {
        _tmp: tmp,
        root,
        before,
    }
}

fn start(f: &Fixture, by: &str, name: &str) -> PathBuf {
    let dir = f.root.join(name);
    let (code, out, err) = run(&[
        "review",
        "start",
        "-q",
        "--input",
        f.before.to_str().unwrap(),
        "--by",
        by,
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    dir
}

fn sheet_path(dir: &Path, target: &str) -> PathBuf {
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("campaign.json")).unwrap()).unwrap();
    let file = m["sheets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["target_id"] == target)
        .unwrap_or_else(|| panic!("no sheet for {target}"))["file"]
        .as_str()
        .unwrap()
        .to_string();
    dir.join(file)
}

/// Reads a sheet as a spreadsheet program would, lets `edit` change the records, writes it
/// back (with the byte-order mark, `\n` line ends).
fn edit_sheet(path: &Path, edit: impl FnOnce(&mut Vec<Vec<String>>)) {
    let bytes = std::fs::read(path).unwrap();
    let body = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap();
    let mut rd = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(body);
    let mut recs: Vec<Vec<String>> = rd
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    edit(&mut recs);
    let mut out = "\u{feff}".as_bytes().to_vec();
    {
        let mut wr = csv::Writer::from_writer(&mut out);
        for r in &recs {
            wr.write_record(r).unwrap();
        }
        wr.flush().unwrap();
    }
    std::fs::write(path, out).unwrap();
}

fn col(header: &[String], name: &str) -> usize {
    header.iter().position(|h| h == name).unwrap()
}

/// Sets `decision` (and `comment`) on the row of `identity` in the sheet of `target`.
fn decide(dir: &Path, target: &str, identity: &str, decision: &str, comment: &str) {
    edit_sheet(&sheet_path(dir, target), |recs| {
        let (i, d, c) = (
            col(&recs[0], "identity_id"),
            col(&recs[0], "decision"),
            col(&recs[0], "comment"),
        );
        let row = recs
            .iter_mut()
            .skip(1)
            .find(|r| r[i] == identity)
            .unwrap_or_else(|| panic!("{identity} not on the {target} sheet"));
        row[d] = decision.into();
        row[c] = comment.into();
    });
}

fn filtered(f: &Fixture, text: &str) -> String {
    let root = f.root.to_str().unwrap();
    let mut s = text.replace(root, "[TMP]");
    // campaign ids and hashes depend on the creation time and the temp directory
    s = mask_campaign_ids(&s);
    if let Some(i) = s.find("evidence-") {
        let end = s[i..].find(".json").map_or(s.len(), |j| i + j);
        s.replace_range(i..end, "evidence-[TIME]");
    }
    let mut out = String::new();
    for word in s.split_inclusive(|c: char| !c.is_ascii_hexdigit()) {
        let hex_len = word
            .trim_end_matches(|c: char| !c.is_ascii_hexdigit())
            .len();
        if hex_len == 64 {
            out.push_str("[SHA256]");
            out.push_str(&word[64..]);
        } else {
            out.push_str(word);
        }
    }
    out
}

#[test]
fn a_whole_campaign_by_application() {
    let f = fixture();
    let dir = start(&f, "application", "q4-apps");

    // The HR Portal sheet, as reviewers receive it.
    let hr = std::fs::read_to_string(sheet_path(&dir, "app-hr")).unwrap();
    assert!(hr.starts_with('\u{feff}'), "UTF-8 with a byte-order mark");
    insta::assert_snapshot!("sheet_hr_portal", filtered(&f, &hr));
    // A formula in a name is neutralised.
    let wiki = std::fs::read_to_string(sheet_path(&dir, "app-wiki")).unwrap();
    assert!(
        wiki.contains("\"'=HYPERLINK(\"\"http://evil.example\"\")\""),
        "{wiki}"
    );
    assert!(!wiki.contains(",=HYPERLINK"));

    // Nothing decided yet.
    let (code, out, err) = run(&["review", "status", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("overall: 0.0% decided (0 of 8 rows)"), "{out}");

    decide(&dir, "app-hr", "u-cleo", "revoke", "left the company");
    decide(&dir, "app-hr", "u-ana", "Revoke", "moved to finance");
    decide(&dir, "app-wiki", "u-eve", "revoke", "=contractor, no wiki");
    decide(&dir, "app-console", "u-ben", "revoke", "");
    decide(&dir, "app-console", "u-ana", "keep", "");
    decide(&dir, "app-wiki", "u-ana", "unsure", "ask her manager");

    let (code, out, err) = run(&["review", "status", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("overall: 62.5% decided (5 of 8 rows): keep 1, revoke 4, unsure 1, pending 2"),
        "{out}"
    );
    assert!(
        out.lines().any(|l| l
            .trim_start()
            .starts_with("100.0%  HR Portal (sheets/application-HR-Portal-app-hr.csv)")),
        "{out}"
    );
    // A reviewer per sheet: recorded in the campaign, shown by status, kept in the evidence.
    let (code, _, err) = run(&[
        "review",
        "assign",
        dir.to_str().unwrap(),
        "--sheet",
        "HR Portal",
        "--reviewer",
        "hr-lead@northwind.example",
    ]);
    assert_eq!(code, 0, "{err}");
    let (_, json, _) = run(&[
        "review",
        "status",
        dir.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let hr = v["sheets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["target"] == "HR Portal")
        .unwrap();
    assert_eq!(hr["reviewer"], "hr-lead@northwind.example");
    assert_eq!(v["overall"]["pending"], 2);
    let (code, _, err) = run(&[
        "review",
        "assign",
        dir.to_str().unwrap(),
        "--sheet",
        "nope",
        "--reviewer",
        "x",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("`nope` names no sheet"), "{err}");

    // The plan, as JSON and as a script.
    let (code, json_plan, err) = run(&["review", "plan", "--allow-pending", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let plan: serde_json::Value = serde_json::from_str(&json_plan).unwrap();
    assert_eq!(plan["revokes"], 4);
    assert_eq!(plan["api_base"], "https://api.pingone.eu/v1");
    let (code, sh, err) = run(&[
        "review",
        "plan",
        "--allow-pending",
        dir.to_str().unwrap(),
        "--format",
        "sh",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(sh.contains("set -euo pipefail"));
    assert!(sh.contains("p1 DELETE '/environments/env-prod/users/u-cleo/memberOfGroups/g-hr'"));
    assert!(!sh.contains("Bearer ey"), "no token is ever written");
    insta::assert_snapshot!("plan_applications_sh", filtered(&f, &sh));

    // After remediation: Cleo was removed, Ana was moved to Contractors (still on HR Portal's
    // list), nothing else changed.
    let after = f.root.join("northwind-2026-11-15");
    write_export(&after, State::After);
    let (code, out, err) = run(&[
        "review",
        "verify",
        "--allow-pending",
        "-q",
        dir.to_str().unwrap(),
        "--input",
        after.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("applied:          1"), "{out}");
    assert!(out.contains("not applied:      2"), "{out}");
    assert!(out.contains("still reachable:  1"), "{out}");
    assert!(
        out.contains("still reachable APPLICATION `HR Portal` @ ENVIRONMENT:env-prod of user `Ana Lima`: the reviewed path is gone, but the access still arrives through group `Contractors`"),
        "{out}"
    );
    insta::assert_snapshot!("verify_applications", filtered(&f, &out));
    let evidence: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_str().unwrap();
            n.starts_with("evidence-") && n.ends_with(".json")
        })
        .collect();
    assert_eq!(evidence.len(), 1);
    let ev: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&evidence[0]).unwrap()).unwrap();
    assert_eq!(ev["summary"]["revokes"], 4);
    assert_eq!(ev["sheets"].as_array().unwrap().len(), 3);
    assert!(
        ev["sheets"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["reviewer"] == "hr-lead@northwind.example"),
        "{ev}"
    );
    assert_eq!(ev["original_input"]["sha256"].as_str().unwrap().len(), 64);
    assert_ne!(ev["original_input"]["sha256"], ev["new_input"]["sha256"]);
    let sum = std::fs::read_to_string(evidence[0].with_extension("json.sha256")).unwrap();
    let name = evidence[0].file_name().unwrap().to_str().unwrap();
    assert!(sum.ends_with(&format!("  {name}\n")), "{sum}");
    assert_eq!(sum.len(), 64 + 2 + name.len() + 1);

    // --fail-unless-applied turns open revokes into exit 1.
    let (code, _, _) = run(&[
        "review",
        "verify",
        "--allow-pending",
        "-q",
        dir.to_str().unwrap(),
        "--input",
        after.to_str().unwrap(),
        "--fail-unless-applied",
    ]);
    assert_eq!(code, 1);
}

#[test]
fn a_role_campaign_plans_memberships_and_group_assignments() {
    let f = fixture();
    let dir = start(&f, "role", "q4-roles");
    let sheet = std::fs::read_to_string(sheet_path(&dir, "r-envadmin")).unwrap();
    // Ben's direct assignment is redundant with Admins; Ben is dormant.
    let ben = sheet.lines().find(|l| l.contains("u-ben")).unwrap();
    assert!(ben.contains("direct+group"), "{ben}");
    assert!(ben.contains("redundant-assignment"), "{ben}");
    assert!(ben.contains(",revoke,"), "{ben}");
    insta::assert_snapshot!("sheet_environment_admin", filtered(&f, &sheet));

    decide(&dir, "r-envadmin", "u-ana", "revoke", "");
    decide(&dir, "r-envadmin", "u-ben", "revoke", "");
    decide(
        &dir,
        "r-envadmin",
        "app-ci",
        "revoke",
        "CI needs a narrower role",
    );
    let (code, json_plan, err) = run(&[
        "review",
        "plan",
        "--allow-pending",
        dir.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let plan: serde_json::Value = serde_json::from_str(&json_plan).unwrap();
    let items = plan["items"].as_array().unwrap();
    let ana = items.iter().find(|i| i["identity_id"] == "u-ana").unwrap();
    assert_eq!(
        ana["operations"][0]["path"],
        "/environments/env-prod/users/u-ana/memberOfGroups/g-ops"
    );
    assert_eq!(
        ana["changes"][0]["affects"][0],
        "user:ben@northwind.example (u-ben)"
    );
    let ci = items.iter().find(|i| i["identity_id"] == "app-ci").unwrap();
    assert_eq!(
        ci["operations"][0]["path"],
        "/environments/env-prod/applications/app-ci/roleAssignments/ra-ci-env"
    );
    insta::assert_snapshot!("plan_roles_json", filtered(&f, &json_plan));
}

#[test]
fn group_and_environment_campaigns_cover_nesting_and_scope() {
    let f = fixture();
    let dir = start(&f, "group", "q4-groups");
    let admins = std::fs::read_to_string(sheet_path(&dir, "g-admins")).unwrap();
    let ana = admins.lines().find(|l| l.contains("u-ana")).unwrap();
    assert!(
        ana.contains("user:ana@northwind.example -> group:Ops -> group:Admins"),
        "{ana}"
    );
    assert!(ana.contains(",group,g-admins,g-ops,"), "{ana}");
    decide(&dir, "g-admins", "u-ana", "revoke", "");
    decide(&dir, "g-hr", "u-cleo", "revoke", "");
    let (code, json_plan, err) = run(&["review", "plan", "--allow-pending", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let plan: serde_json::Value = serde_json::from_str(&json_plan).unwrap();
    let ana = plan["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["identity_id"] == "u-ana")
        .unwrap();
    assert_eq!(
        ana["operations"][0]["path"],
        "/environments/env-prod/users/u-ana/memberOfGroups/g-ops"
    );
    assert_eq!(
        ana["changes"][0]["operation"]["path"],
        "/environments/env-prod/groups/g-ops/memberOfGroups/g-admins",
        "the alternative: cut the nesting"
    );
    let after = f.root.join("after");
    write_export(&after, State::After);
    let (code, out, err) = run(&[
        "review",
        "verify",
        "--allow-pending",
        "-q",
        dir.to_str().unwrap(),
        "--input",
        after.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("applied:          1"), "{out}");
    assert!(
        out.contains("not applied GROUP `Admins` @ ENVIRONMENT:env-prod of user `Ana Lima`: still granted through group `Ops`"),
        "{out}"
    );

    let dir = f.root.join("q4-env");
    let (code, out, err) = run(&[
        "review",
        "start",
        "-q",
        "--input",
        f.before.to_str().unwrap(),
        "--by",
        "environment",
        "--scope",
        "Production",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("1 sheet(s)"), "{out}");

    let (code, _, err) = run(&[
        "review",
        "start",
        "-q",
        "--input",
        f.before.to_str().unwrap(),
        "--by",
        "role",
        "--scope",
        "no-such-thing",
        "--out",
        f.root.join("x").to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--scope `no-such-thing` matches no review target"),
        "{err}"
    );
}

/// Starts a campaign, applies `edit` to the HR Portal sheet, and returns `status`'s stderr.
fn status_after(edit: impl FnOnce(&mut Vec<Vec<String>>)) -> String {
    let f = fixture();
    let dir = start(&f, "application", "c");
    edit_sheet(&sheet_path(&dir, "app-hr"), edit);
    let (code, _, err) = run(&["review", "status", dir.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    // plan refuses an invalid campaign too
    let (code, _, _) = run(&["review", "plan", "--allow-pending", dir.to_str().unwrap()]);
    assert_eq!(code, 2);
    err
}

const HR: &str = "sheets/application-HR-Portal-app-hr.csv";

#[test]
fn status_rejects_unknown_decisions() {
    let err = status_after(|r| {
        let d = col(&r[0], "decision");
        r[1][d] = "delete".into();
    });
    assert!(
        err.contains(&format!(
            "{HR}:2: unknown decision `delete` (use keep, revoke, unsure, or leave it empty)"
        )),
        "{err}"
    );
}

#[test]
fn status_rejects_edited_key_columns() {
    let err = status_after(|r| {
        let s = col(&r[0], "scope_id");
        r[2][s] = "env-dev".into();
    });
    assert!(
        err.contains(&format!(
            "{HR}:3: key column `scope_id` was edited: `env-dev`, the campaign has `env-prod`"
        )),
        "{err}"
    );
}

#[test]
fn status_rejects_edited_row_ids() {
    let err = status_after(|r| r[1][0] = "0000".into());
    assert!(
        err.contains(&format!(
            "{HR}:2: row_id `0000` is not part of this campaign"
        )),
        "{err}"
    );
    assert!(
        err.contains("was deleted"),
        "the original row is then missing: {err}"
    );
}

#[test]
fn status_rejects_duplicated_rows() {
    let err = status_after(|r| {
        let row = r[1].clone();
        r.push(row);
    });
    assert!(err.contains(&format!("{HR}:4: row `")), "{err}");
    assert!(err.contains("is duplicated (first on line 2)"), "{err}");
}

#[test]
fn status_rejects_deleted_rows() {
    let err = status_after(|r| {
        r.remove(2);
    });
    assert!(err.contains(&format!("{HR}:3: row `")), "{err}");
    assert!(
        err.contains("was deleted (line 3 of the original sheet: user `u-cleo`"),
        "{err}"
    );
}

#[test]
fn status_rejects_a_changed_header() {
    let err = status_after(|r| r[0][1] = "Decision (keep/revoke)".into());
    assert!(
        err.contains(&format!(
            "{HR}:1: the header was changed: column 2 should be `decision`"
        )),
        "{err}"
    );
}

#[test]
fn status_reports_a_missing_sheet() {
    let f = fixture();
    let dir = start(&f, "application", "c");
    std::fs::remove_file(sheet_path(&dir, "app-wiki")).unwrap();
    let (code, _, err) = run(&["review", "status", dir.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.contains(
            "sheets/application-Wiki-app-wiki.csv: the sheet is missing (4 rows were deleted)"
        ),
        "{err}"
    );
}

#[test]
fn start_refuses_to_overwrite_and_plan_refuses_a_changed_input() {
    let f = fixture();
    let dir = start(&f, "application", "c");
    let (code, _, err) = run(&[
        "review",
        "start",
        "-q",
        "--input",
        f.before.to_str().unwrap(),
        "--by",
        "role",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("already holds a campaign"), "{err}");

    decide(&dir, "app-hr", "u-cleo", "revoke", "");
    write_export(&f.before, State::After); // the snapshot was replaced in place
    let (code, _, err) = run(&["review", "plan", "--allow-pending", dir.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("the input changed since the campaign started"),
        "{err}"
    );

    // The same organization state elsewhere (same files, same hash) is accepted, once the
    // reviewers have finished or the plan is asked for anyway.
    let moved = f.root.join("moved");
    write_export(&moved, State::Before);
    let (code, _, err) = run(&[
        "review",
        "plan",
        dir.to_str().unwrap(),
        "--input",
        moved.to_str().unwrap(),
    ]);
    assert_eq!(
        code, 2,
        "a plan from a half-reviewed campaign must be refused"
    );
    assert!(err.contains("have no decision yet"), "{err}");
    assert!(err.contains("--allow-pending"), "{err}");
    let (code, out, err) = run(&[
        "review",
        "plan",
        "--allow-pending",
        dir.to_str().unwrap(),
        "--input",
        moved.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("u-cleo/memberOfGroups/g-hr"), "{out}");
}

#[test]
fn status_of_a_directory_that_is_not_a_campaign() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, _, err) = run(&["review", "status", tmp.path().to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("is not a review campaign"), "{err}");
}

fn mask_campaign_ids(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("rc-") {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let ok = tail.len() >= 20
            && tail.as_bytes()[3..11].iter().all(u8::is_ascii_digit)
            && tail.as_bytes()[11] == b'-';
        if ok {
            out.push_str("[CAMPAIGN]");
            rest = &tail[20..];
        } else {
            out.push_str("rc-");
            rest = &tail[3..];
        }
    }
    out.push_str(rest);
    out
}

/// Writes a generated tenant of 100,000 users as an export directory at `$P1_SYNTH_OUT`, for
/// timing `p1graph review start --by application` on it (see the README's Performance section):
///
/// `P1_SYNTH_OUT=/tmp/synth100k cargo test --test cli -- --ignored synth_100k_export`
#[test]
#[ignore = "writes a large export; run by hand to measure"]
fn synth_100k_export() {
    use rand::{Rng, SeedableRng};
    let Ok(dest) = std::env::var("P1_SYNTH_OUT") else {
        return;
    };
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let (n_users, n_groups, n_apps) = (100_000usize, 2_000usize, 60usize);
    let mut w = ExportWriter::create(Path::new(&dest), true).unwrap();
    let env = format!("environments/{ENV}");
    w.write(
        "environments",
        &json!({"id": ENV, "name": "Production", "type": "PRODUCTION"}),
    )
    .unwrap();
    for (id, name, perm) in [
        ("r-envadmin", "Environment Admin", "identity:update:user"),
        ("r-idadmin", "Identity Data Admin", "identity:update:user"),
        ("r-idro", "Identity Data Read Only", "identity:read:user"),
    ] {
        w.write(
            "roles",
            &json!({"id": id, "name": name, "type": "PLATFORM", "permissions": [{"id": perm}]}),
        )
        .unwrap();
    }
    for g in 0..n_groups {
        w.write(
            &format!("{env}/groups"),
            &json!({"id": format!("g-{g:05}"), "name": format!("Team {g}")}),
        )
        .unwrap();
        if g >= 200 {
            // every team is nested in one of 200 departments; departments in one of 20 divisions
            w.write_child(
                &format!("{env}/group_parents"),
                "GROUP",
                &format!("g-{g:05}"),
                &json!({"id": format!("g-{:05}", rng.random_range(0..200))}),
            )
            .unwrap();
        } else if g >= 20 {
            w.write_child(
                &format!("{env}/group_parents"),
                "GROUP",
                &format!("g-{g:05}"),
                &json!({"id": format!("g-{:05}", rng.random_range(0..20))}),
            )
            .unwrap();
        }
    }
    for u in 0..n_users {
        let id = format!("u-{u:06}");
        let days = rng.random_range(0..200);
        w.write(
            &format!("{env}/users"),
            &json!({"id": id, "username": format!("user{u}@example.com"),
                    "name": {"formatted": format!("User {u}")},
                    "enabled": rng.random_range(0..50) > 0,
                    "lastSignOn": {"at": format!("2026-{:02}-{:02}T08:00:00Z", 10 - (days / 30).min(9), 1 + days % 28)},
                    "mfaEnabled": true, "createdAt": "2025-01-01T00:00:00Z"}),
        )
        .unwrap();
        for _ in 0..3 {
            w.write_child(
                &format!("{env}/user_memberships"),
                "USER",
                &id,
                &json!({"id": format!("g-{:05}", rng.random_range(200..n_groups)), "type": "DIRECT"}),
            )
            .unwrap();
        }
        if u % 200 == 0 {
            w.write_child(
                &format!("{env}/role_assignments"),
                "USER",
                &id,
                &json!({"id": format!("ra-u{u}"), "role": {"id": "r-idadmin"},
                        "scope": {"id": ENV, "type": "ENVIRONMENT"}}),
            )
            .unwrap();
        }
        for _ in 0..2 {
            w.write(
                &format!("{env}/activities"),
                &json!({"id": format!("ev-{u}-{}", rng.random::<u32>()), "recordedAt": "2026-10-25T08:00:00Z",
                        "action": {"type": "USER.ACCESS_ALLOWED"},
                        "actors": {"user": {"id": id}, "client": {"id": format!("app-{:03}", rng.random_range(0..n_apps))}}}),
            )
            .unwrap();
        }
    }
    for g in 0..200 {
        if g % 4 == 0 {
            w.write_child(
                &format!("{env}/role_assignments"),
                "GROUP",
                &format!("g-{g:05}"),
                &json!({"id": format!("ra-g{g}"), "role": {"id": "r-idro"},
                        "scope": {"id": ENV, "type": "ENVIRONMENT"}}),
            )
            .unwrap();
        }
    }
    for a in 0..n_apps {
        let id = format!("app-{a:03}");
        let ac = match a % 10 {
            0 => json!({}),
            1 => json!({"role": {"type": "ADMIN_USERS_ONLY"}}),
            _ => {
                let groups: Vec<serde_json::Value> = (0..3)
                    .map(|_| json!({"id": format!("g-{:05}", rng.random_range(0..200))}))
                    .collect();
                json!({"group": {"type": "ANY_GROUP", "groups": groups}})
            }
        };
        w.write(
            &format!("{env}/applications"),
            &json!({"id": id, "name": format!("App {a}"), "type": "WEB_APP", "enabled": true, "accessControl": ac}),
        )
        .unwrap();
    }
    for c in [
        "populations",
        "roles",
        "resources",
        "gateways",
        "grants",
        "scopes",
    ] {
        w.touch(&format!("{env}/{c}")).unwrap();
    }
    let mut m = ManifestFile::new();
    m.captured_at = Some("2026-11-01T00:00:00Z".into());
    m.activities = Some(ActivityWindow {
        from: "2026-10-18T00:00:00Z".into(),
        to: "2026-11-01T00:00:00Z".into(),
    });
    w.finish(&m).unwrap();
    assert!(Path::new(&dest).join("manifest.json").exists());
}
