#!/usr/bin/env bash
# The official MCP conformance suite (@modelcontextprotocol/conformance) against glassbox:
#   server mode: every server scenario (active and pending) against `glassbox serve everything --http`;
#   client mode: the client scenarios glassbox-conformance-client implements (0.1.16), and the
#   client requirement sets of 2025-11-25 and 2026-07-28 (0.2.0-alpha.12, `conformance-2026`).
# Usage: scripts/conformance.sh [BUILD_DIR]   (default: build; binaries in BUILD_DIR/bin)
# Exits non-zero on any failure. Results land in BUILD_DIR/conformance-results/.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=${1:-build}
[[ $build = /* ]] || build=$root/$build
source scripts/node-env.sh
# Two releases of the suite are pinned (package.json): 0.1.16 as `@modelcontextprotocol/conformance`
# and 0.2.0-alpha.12 as `conformance-2026`. Both install a `conformance` command, so name the file.
conformance() { node "$root/node_modules/@modelcontextprotocol/conformance/dist/index.js" "$@"; }
conformance_2026() { node "$root/node_modules/conformance-2026/dist/index.js" "$@"; }

glassbox=$build/bin/glassbox
client=$build/bin/glassbox-conformance-client
for bin in "$glassbox" "$client"; do
  [[ -x $bin ]] || { echo "conformance.sh: $bin is missing; build it first" >&2; exit 2; }
done
results=$build/conformance-results
rm -rf "$results"
mkdir -p "$results"

baseline=()
if [[ -s tests/conformance/expected-failures.yaml ]] &&
   grep -qv '^\s*\(#.*\)\?$' tests/conformance/expected-failures.yaml; then
  baseline=(--expected-failures tests/conformance/expected-failures.yaml)
fi

# The server picks a free port itself (port 0) and says which on stderr.
log=$results/server.log
"$glassbox" serve everything --http 127.0.0.1:0 2>"$log" &
server_pid=$!
trap 'kill $server_pid 2>/dev/null || true; wait $server_pid 2>/dev/null || true' EXIT
url=
for _ in $(seq 100); do
  url=$(grep -o 'http://127\.0\.0\.1:[0-9]*/mcp' "$log" | head -1 || true)
  [[ -n $url ]] && break
  kill -0 $server_pid 2>/dev/null || { cat "$log" >&2; exit 3; }
  sleep 0.1
done
[[ -n $url ]] || { echo "conformance.sh: the server did not start" >&2; cat "$log" >&2; exit 3; }

status=0
echo "== server scenarios against $url"
# --suite all: the active scenarios plus the pending ones (json-schema-2020-12, server-sse-polling).
if ! conformance server --url "$url" --suite all -o "$results/server" "${baseline[@]}" \
    >"$results/server.txt" 2>&1; then
  status=1
fi
sed -n '/=== SUMMARY ===/,$p' "$results/server.txt"

echo "== client scenarios"
# The OAuth client scenarios: every auth/* scenario of 2025-11-25 and 2025-03-26, the draft
# ones (resource-mismatch, offline-access-*), and the client-credentials extension. Not here:
# auth/cross-app-access-complete-flow (SEP-990 enterprise token exchange, not implemented).
auth_scenarios=(
  auth/metadata-default auth/metadata-var1 auth/metadata-var2 auth/metadata-var3
  auth/basic-cimd auth/scope-from-www-authenticate auth/scope-from-scopes-supported
  auth/scope-omitted-when-undefined auth/scope-step-up auth/scope-retry-limit
  auth/token-endpoint-auth-basic auth/token-endpoint-auth-post auth/token-endpoint-auth-none
  auth/pre-registration auth/2025-03-26-oauth-metadata-backcompat
  auth/2025-03-26-oauth-endpoint-fallback auth/resource-mismatch auth/offline-access-scope
  auth/offline-access-not-supported auth/client-credentials-jwt auth/client-credentials-basic
)
for scenario in initialize tools_call elicitation-sep1034-client-defaults sse-retry \
    "${auth_scenarios[@]}"; do
  log_file=$results/client-${scenario//\//_}.txt
  if conformance client --command "$client" --scenario "$scenario" -o "$results/client" \
      "${baseline[@]}" >"$log_file" 2>&1; then
    echo "✓ $scenario: $(grep -a 'Passed:' "$log_file" | tail -1)"
  else
    echo "✗ $scenario (see $log_file)"
    status=1
  fi
done

# The frozen requirement sets of 0.2.0-alpha.12: every client scenario a revision requires, run
# at that revision's wire version (the client in auto mode: server/discover, else initialize).
# The suite exits non-zero on any scored failure; not_scored ones (extensions) are reported only.
for revision in 2025-11-25 2026-07-28; do
  log_file=$results/client-requirements-$revision.txt
  if conformance_2026 client --command "$client --protocol auto" --requirements "$revision" \
      -o "$results/client-$revision" >"$log_file" 2>&1; then
    echo "✓ client --requirements $revision: every scored scenario passes" \
         "($(grep -a '^Total:' "$log_file" | tail -1 | sed 's/^Total: //'), not_scored extensions included)"
  else
    echo "✗ client --requirements $revision (see $log_file):"
    sed -n '/=== SUITE SUMMARY ===/,$p' "$log_file" | grep -a '✗' || true
    status=1
  fi
done

if [[ $status -ne 0 ]]; then
  echo "conformance: FAILED" >&2
else
  echo "conformance: all scenarios passed"
fi
exit $status
