#!/usr/bin/env bash
# Configures and builds one preset (release by default: build/, binaries in build/bin).
# Usage: scripts/build.sh [release|debug|asan|tsan] [ninja targets...]
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-release}
shift || true
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -- "$@"
