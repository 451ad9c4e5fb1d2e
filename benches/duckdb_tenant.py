"""The access export's seven key columns computed by DuckDB from the tenant itself.

`duckdb_compare.py --export DIR` uses this: the tables of the export directory the snapshot was
made from are loaded into DuckDB (not timed), then `KEY_QUERY`, the access model's rules M1-M7
for the seven key columns written as one SQL query, is timed writing its CSV. It is also a second,
independent implementation of those rules: `SORTED`'s output must equal p1graph's
`access --columns` of the same columns row for row (the script checks it).

The tables hold what the snapshot holds, cleaned the way p1graph's export reader cleans (so that
neither side's figure includes parsing JSON): memberships and nestings only between users and
groups that exist, no INDIRECT memberships, no group-derived copies of assignments listed under a
user (M2), one line per (assignment, subject).
"""

import glob
import os


def _files(export, stem):
    """The files `stem.jsonl` or `stem.jsonl.zst` (a glob under `export`), as a DuckDB list."""
    found = []
    for ext in (".jsonl", ".jsonl.zst"):
        found += sorted(glob.glob(os.path.join(export, stem + ext)))
    return "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in found) + "]", bool(found)


def _read(export, name, columns, stem=None):
    """`read_json` of every environment's collection `name` (or of the files `stem`) with only
    `columns` (the rest of each object is ignored) and the file name, whose directory is the
    environment (as p1graph's reader takes it)."""
    files, any_file = _files(export, stem or f"environments/*/{name}")
    if not any_file:
        # Collected nowhere: no rows, with the same columns.
        nulls = ", ".join(f"NULL::{v} AS \"{k}\"" for k, v in columns.items())
        return f"(SELECT {nulls}, NULL::VARCHAR AS filename WHERE false)"
    cols = ", ".join(f"'{k}': '{v}'" for k, v in columns.items())
    return f"read_json({files}, format='newline_delimited', filename=true, columns={{{cols}}})"


_ENV_OF = "regexp_extract(filename, 'environments/([^/]+)/', 1)"
_WRAPPED = {"parent": "STRUCT(type VARCHAR, id VARCHAR)", "item": "STRUCT(id VARCHAR, type VARCHAR)"}


def load_tenant(con, export):
    """Creates the tenant's tables in `con` from the export directory `export`."""
    r = lambda name, columns: _read(export, name, columns)
    con.execute(f"CREATE TABLE users AS SELECT DISTINCT id, {_ENV_OF} AS env FROM {r('users', {'id': 'VARCHAR'})}")
    con.execute(f"CREATE TABLE groups AS SELECT DISTINCT id FROM {r('groups', {'id': 'VARCHAR'})}")
    con.execute(f"""CREATE TABLE memberships AS SELECT DISTINCT parent.id AS user_id, item.id AS group_id
        FROM {r('user_memberships', _WRAPPED)}
        WHERE item.type IS DISTINCT FROM 'INDIRECT'
          AND parent.id IN (SELECT id FROM users) AND item.id IN (SELECT id FROM groups)""")
    con.execute(f"""CREATE TABLE nestings AS SELECT DISTINCT parent.id AS child, item.id AS parent
        FROM {r('group_parents', _WRAPPED)}
        WHERE parent.id IN (SELECT id FROM groups) AND item.id IN (SELECT id FROM groups)""")
    # Built-in roles are those of `GET /roles` that are not CUSTOM (M6.2); not collected, none.
    top = {"id": "VARCHAR", "name": "VARCHAR", "type": "VARCHAR"}
    con.execute(f"""CREATE TABLE roles AS SELECT id, name, type IS DISTINCT FROM 'CUSTOM' AS builtin
        FROM {_read(export, 'roles', top, stem='roles')}""")
    access_control = (
        'STRUCT(role STRUCT(type VARCHAR), "group" STRUCT(type VARCHAR, groups STRUCT(id VARCHAR)[]))'
    )
    # `group_rule`: ANY_GROUP or ALL_GROUPS with a non-empty list, else no group rule (M6.3);
    # `listed`: the listed groups as a set.
    con.execute(f"""CREATE TABLE applications AS SELECT id, {_ENV_OF} AS env,
            coalesce(enabled, false) AND type IS DISTINCT FROM 'WORKER' AS live,
            accessControl.role.type IS NOT DISTINCT FROM 'ADMIN_USERS_ONLY' AS admin_only,
            CASE WHEN accessControl."group".type IN ('ANY_GROUP', 'ALL_GROUPS')
                  AND len(accessControl."group".groups) > 0 THEN accessControl."group".type END AS group_rule,
            coalesce(len(list_distinct(list_transform(accessControl."group".groups, lambda x: x.id))), 0) AS nlisted,
            list_distinct(list_transform(accessControl."group".groups, lambda x: x.id)) AS listed
        FROM {r('applications', {'id': 'VARCHAR', 'enabled': 'BOOLEAN', 'type': 'VARCHAR', 'accessControl': access_control})}""")
    con.execute("CREATE TABLE app_groups AS SELECT id AS app, unnest(listed) AS g FROM applications WHERE group_rule IS NOT NULL")
    con.execute(f"CREATE TABLE gateways AS SELECT DISTINCT id, {_ENV_OF} AS env FROM {r('gateways', {'id': 'VARCHAR'})}")
    item = 'STRUCT(id VARCHAR, role STRUCT(id VARCHAR), scope STRUCT(id VARCHAR, type VARCHAR), "group" STRUCT(id VARCHAR))'
    con.execute(f"""CREATE TABLE assignments AS SELECT DISTINCT ON (item.id, parent.id)
            parent.type AS subject_type, parent.id AS subject_id, item.role.id AS role_id,
            item.scope.type AS scope_type, item.scope.id AS scope_id
        FROM {r('role_assignments', {'parent': _WRAPPED['parent'], 'item': item})}
        WHERE NOT (parent.type = 'USER' AND item."group".id IS NOT NULL)""")
    grant = "STRUCT(resource STRUCT(id VARCHAR), scopes STRUCT(id VARCHAR)[])"
    con.execute(f"""CREATE TABLE grant_scopes AS SELECT DISTINCT app, scope_id, resource_id FROM (
        SELECT parent.id AS app, unnest(list_transform(item.scopes, lambda x: x.id)) AS scope_id,
               item.resource.id AS resource_id
          FROM {r('grants', {'parent': _WRAPPED['parent'], 'item': grant})})""")


_ADMIN_ROLES = "('Organization Admin', 'Environment Admin', 'Identity Data Admin', 'Client Application Developer')"

# M1 once per group (a recursive closure over the nesting edges; UNION ends on cycles), joined to
# the memberships; M2/M3 role rows; M6 application rows (group rule, role rule, open); M7 scopes.
KEY_QUERY = f"""
WITH RECURSIVE anc(g, a) AS (
    SELECT id, id FROM groups
    UNION
    SELECT anc.g, n.parent FROM anc JOIN nestings n ON n.child = anc.a
),
ug AS (SELECT DISTINCT m.user_id AS u, anc.a AS g FROM memberships m JOIN anc ON anc.g = m.group_id),
role_rows AS (
    SELECT DISTINCT it, iid, role_id, scope_type, scope_id FROM (
        SELECT subject_type AS it, subject_id AS iid, role_id, scope_type, scope_id
          FROM assignments WHERE subject_type IN ('USER', 'APPLICATION', 'GATEWAY')
        UNION ALL
        SELECT 'USER', ug.u, a.role_id, a.scope_type, a.scope_id
          FROM assignments a JOIN ug ON ug.g = a.subject_id WHERE a.subject_type = 'GROUP')
),
identities AS (
    SELECT 'USER' AS it, id, env FROM users
    UNION ALL SELECT 'APPLICATION', id, env FROM applications
    UNION ALL SELECT 'GATEWAY', id, env FROM gateways
),
admins AS (
    SELECT DISTINCT iid AS u FROM role_rows
     WHERE it = 'USER' AND role_id IN (SELECT id FROM roles WHERE builtin AND name IN {_ADMIN_ROLES})
),
hits AS (SELECT ug.u, ag.app, count(*) AS n FROM ug JOIN app_groups ag ON ag.g = ug.g GROUP BY ALL)
SELECT i.it AS identity_type, i.id AS identity_id, i.env AS environment_id,
       'ROLE' AS entitlement_type, r.role_id AS entitlement_id, r.scope_type, r.scope_id
  FROM role_rows r JOIN identities i ON i.it = r.it AND i.id = r.iid
UNION ALL
SELECT 'USER', u.id, u.env, 'APPLICATION', a.id, 'ENVIRONMENT', a.env
  FROM hits h JOIN applications a ON a.id = h.app JOIN users u ON u.id = h.u
 WHERE a.live AND u.env = a.env AND (a.group_rule = 'ANY_GROUP' OR h.n = a.nlisted)
   AND (NOT a.admin_only OR u.id IN (SELECT u FROM admins))
UNION ALL
SELECT 'USER', u.id, u.env, 'APPLICATION', a.id, 'ENVIRONMENT', a.env
  FROM admins ad JOIN users u ON u.id = ad.u JOIN applications a ON a.env = u.env
 WHERE a.live AND a.group_rule IS NULL AND a.admin_only
UNION ALL
SELECT 'USER', u.id, u.env, 'APPLICATION', a.id, 'ENVIRONMENT', a.env
  FROM users u JOIN applications a ON a.env = u.env
 WHERE a.live AND a.group_rule IS NULL AND NOT a.admin_only
UNION ALL
SELECT 'APPLICATION', a.id, a.env, 'SCOPE', s.scope_id, 'RESOURCE', s.resource_id
  FROM grant_scopes s JOIN applications a ON a.id = s.app
"""

# The same rows in the access export's order (section 3; DuckDB compares VARCHARs by bytes).
SORT_KEY = "identity_type, identity_id, entitlement_type, entitlement_id, scope_type, scope_id"
SORTED_QUERY = f"SELECT * FROM ({KEY_QUERY}) ORDER BY {SORT_KEY}"


if __name__ == "__main__":
    # `python3 benches/duckdb_tenant.py EXPORT_DIR OUT.csv [EXPORT_DIR OUT.csv ...]`: each
    # tenant's key rows in the export's order, for the CLI test that compares them with
    # p1graph's (tests/cli/duckdb_oracle.rs). One process for all: DuckDB takes a while to start.
    import sys

    import duckdb

    args = sys.argv[1:]
    if not args or len(args) % 2:
        sys.exit("usage: duckdb_tenant.py EXPORT_DIR OUT.csv [EXPORT_DIR OUT.csv ...]")
    for export, out in zip(args[::2], args[1::2]):
        con = duckdb.connect()
        load_tenant(con, export)
        out = out.replace("'", "''")
        con.execute(f"COPY ({SORTED_QUERY}) TO '{out}' (HEADER, DELIMITER ',')")
        con.close()
