#!/usr/bin/env bash
# The main command (README): installs what it needs (apt only: the demo needs no npm peer),
# builds the glassbox program (and only it: no tests, no benchmarks), and runs the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --demo
echo "demo: building build/bin/glassbox (the first time takes a few minutes)" >&2
scripts/build.sh release glassbox_cli >/dev/null
exec build/bin/glassbox demo "$@"
