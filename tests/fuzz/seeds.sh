#!/usr/bin/env bash
# Builds the seed corpora of the fuzz targets (tests/fuzz/corpus/TARGET/) from the fixtures:
# the demo tenant, the per-rule and per-attack tenants, tests/cli/data, a small `synth` tenant,
# snapshots of them, the review sheets `review start` writes, and canned API pages.
#
#     cargo build && tests/fuzz/seeds.sh [path/to/p1graph]
#
# Seeds are cut to at most 40 lines (4 KB for snapshots is not possible: they are whole files),
# so the corpora stay small (well under 2 MB) and libFuzzer's default -max_len stays useful.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$root/target/debug/p1graph}
out=$root/tests/fuzz/corpus
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rm -rf "$out"
mkdir -p "$out"/{export_lines,export_manifest,snapshot,exceptions_toml,exceptions_yaml,review_sheet,paging}

# The index of each collection in the export_lines target (Collection::PER_ENVIRONMENT, then
# the top-level environments and roles).
stems=(activities applications gateways grants group_parents groups populations resources
       role_assignments roles scopes user_memberships users)

"$bin" synth --users 40 --seed 3 --out "$work/synth" >/dev/null
tenants=("$root/fixtures/demo" "$root/tests/cli/data/mini" "$work/synth")
for d in "$root"/fixtures/rules/* "$root"/fixtures/attack/* "$root"/fixtures/activities/*; do
  [ -f "$d/manifest.json" ] && tenants+=("$d")
done

n=0
for t in "${tenants[@]}"; do
  n=$((n + 1))
  cp "$t/manifest.json" "$out/export_manifest/$n.json"
  for i in "${!stems[@]}"; do
    for f in "$t"/environments/*/"${stems[$i]}".jsonl; do
      [ -s "$f" ] || continue
      { printf "\\x$(printf %02x "$i")"; head -n 40 "$f"; } > "$out/export_lines/$n-${stems[$i]}-$(basename "$(dirname "$f")" | cut -c1-8)"
    done
  done
  [ -s "$t/environments.jsonl" ] && { printf '\x0d'; head -n 40 "$t/environments.jsonl"; } > "$out/export_lines/$n-environments"
  [ -s "$t/roles.jsonl" ] && { printf '\x0e'; head -n 40 "$t/roles.jsonl"; } > "$out/export_lines/$n-roles"
done
# Identical seeds (per-rule tenants share files) are kept once.
for d in export_lines export_manifest; do
  (cd "$out/$d" && md5sum * | sort | awk 'seen[$1]++ {print $2}' | xargs -r rm -f)
done

# Snapshots: the demo, the mini tenant and the synth tenant.
for t in "$root/fixtures/demo" "$root/tests/cli/data/mini" "$work/synth"; do
  name=$(basename "$t")
  "$bin" snapshot create --input "$t" --out "$work/$name.p1g" >/dev/null
  cp "$work/$name.p1g" "$out/snapshot/$name.p1g"
done

# Review sheets: keys (decompressed), a NUL, then the sheet; with and without decisions.
for by in application role identity; do
  "$bin" review start --input "$root/fixtures/demo" --by "$by" --out "$work/review-$by" >/dev/null 2>&1 || continue
  for sheet in "$work/review-$by"/sheets/*.csv; do
    s=$(basename "$sheet" .csv)
    keys="$work/review-$by/keys/$s.keys.csv.zst"
    { zstd -dc "$keys"; printf '\0'; head -n 30 "$sheet"; } > "$out/review_sheet/$by-$s"
    { zstd -dc "$keys"; printf '\0'; head -n 30 "$sheet" | sed '2,$ s/,,\r*$/,revoke,/'; } > "$out/review_sheet/$by-$s-decided"
  done
done

# Exceptions.
cat > "$out/exceptions_toml/1.toml" <<'TOML'
[[exception]]
rule = "admin-without-mfa"
identity = "breakglass@northwindhealth.example"
entitlement = "r-env-admin"
scope = "ENVIRONMENT:prod"
reason = "break-glass account; hardware token in the safe"
owner = "iam-team@example.com"
expires = "2027-03-31"

[[exception]]
rule = "nesting-cycle"
reason = "known"
owner = "o"
expires = "2027-03-31T12:00:00Z"
TOML
cat > "$out/exceptions_yaml/1.yaml" <<'YAML'
exception:
  - rule: admin-without-mfa
    identity: breakglass@northwindhealth.example
    entitlement: r-env-admin
    reason: "break-glass account; hardware token in the safe"
    owner: iam-team@example.com
    expires: "2027-03-31"
  - rule: nesting-cycle
    reason: known
    owner: o
    expires: 2027-03-31T12:00:00Z
YAML

# API pages: the first byte picks the list (see fuzz_targets/paging.rs), pages are NUL-separated.
page() { printf '%s' "$1"; }
{ printf '\x02'; page '{"_links":{"self":{"href":"https://api.pingone.test/v1/environments/e/users?limit=100"},"next":{"href":"https://api.pingone.test/v1/environments/e/users?limit=100&cursor=c1"}},"_embedded":{"users":[{"id":"u1"},{"id":"u2"}]},"count":3,"size":2}'; printf '\0'; page '{"_links":{"next":{"href":"/v1/environments/e/users?cursor=c2"}},"_embedded":{"users":[{"id":"u3"}]}}'; printf '\0'; page '{"_embedded":{"users":[]},"size":0}'; } > "$out/paging/users"
{ printf '\x03'; page '{"_embedded":{"groupMemberships":[{"id":"g1","type":"DIRECT"}]},"_links":{"next":{"href":"?cursor=x"}}}'; printf '\0'; page '{"_embedded":{"groups":[{"id":"g2"}],"other":[1]}}'; } > "$out/paging/nesting"
{ printf '\x05'; page '{"_embedded":{"activities":[{"id":"a1"}],"resources":[{"id":"r"}]},"_links":{"next":{"href":"https://api.pingone.test/v1/environments/e/activities?cursor=a"}}}'; printf '\0'; page '{"_links":{"next":{"href":"https://api.pingone.test/v1/environments/e/activities?limit=100&filter=recordedat+ge+%22x%22&cursor=c0"}}}'; } > "$out/paging/activities"
{ printf '\x00'; page '{"count":0}'; } > "$out/paging/empty"
{ printf '\x01'; page '{"_embedded":{"roles":[{"id":"r1","name":"Environment Admin"}]}}'; } > "$out/paging/roles"

du -sh "$out"
for d in "$out"/*; do echo "$(basename "$d"): $(ls "$d" | wc -l) seeds"; done
