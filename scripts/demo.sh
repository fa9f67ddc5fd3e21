#!/usr/bin/env bash
# The main command (README): installs what it needs (apt only: the demo needs no npm peer),
# builds the glassbox program (and only it: no tests, no benchmarks), and runs the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --demo
echo "demo: building build/bin/glassbox (the first time takes a few minutes)" >&2
# The build's own output (including configure warnings about the test peers, which the demo does
# not use) is shown only if the build fails.
log=$(mktemp)
scripts/build.sh release glassbox_cli >"$log" 2>&1 || { cat "$log" >&2; rm -f "$log"; exit 1; }
rm -f "$log"
exec build/bin/glassbox demo "$@"
