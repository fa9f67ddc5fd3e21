#!/usr/bin/env bash
# The main command (README): installs what it needs, builds, and runs the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh release >/dev/null
exec build/bin/glassbox demo "$@"
