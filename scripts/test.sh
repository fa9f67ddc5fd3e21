#!/usr/bin/env bash
# The test command (README): installs what it needs, builds, and passes every test:
#   1. release build: unit tests, golden transcripts, interop against the npm peers, and the
#      official conformance suite (server and client modes);
#   2. formatting: clang-format has nothing to change; layers: no include looks up
#      (scripts/check-layers.sh; ctest runs it too, with planted violations);
#   3. address+undefined sanitizer build: the same unit and interop suite;
#   4. thread sanitizer build: the tracing, passback, protocol and transport tests;
#   5. fuzzing: each libFuzzer target for a short run from its seed corpus.
# Compile CPU counts on a fresh 2-core machine (empty ccache), so the presets (CMakePresets.json)
# trade what the tests do not need:
#   - every preset but debug compiles with line tables only (-g1): stack traces, perf and callgrind
#     keep file and line, and a translation unit costs a quarter to a third less CPU than with -g
#     (ASan: http_fetch.cpp 76 s against 106 s; release: http_server.cpp 23 s against 35 s,
#     mcp/auth_test.cpp 20 s against 26 s). Variables in a debugger: the debug preset.
#   - the address+undefined preset optimises with -Og, not -O1: the same checks, a third less CPU
#     (http_server.cpp 43 s against 71 s, mcp/auth_test.cpp 28 s against 36 s).
# Usage: scripts/test.sh [--quick]   (--quick: release build, formatting and conformance only)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
quick=0
[[ ${1:-} == --quick ]] && quick=1

scripts/install-deps.sh
source scripts/node-env.sh
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
# Paths relative to the checkout, so that another clone of the repository hits the same cache.
export CCACHE_BASEDIR=$root CCACHE_NOHASHDIR=true
jobs=$(nproc)

step() { printf '\n== %s (%s)\n' "$1" "$(date +%H:%M:%S)"; }

run_ctest() {  # preset, then ctest arguments
  local dir=$1
  shift
  (cd "$dir" && ctest --output-on-failure --timeout 300 -j"$jobs" "$@")
}

step "release build"
scripts/build.sh release
step "release tests"
run_ctest build
step "conformance suite"
scripts/conformance.sh build
step "formatting"
scripts/format.sh --check
step "layers"
scripts/check-layers.sh

if ((quick == 0)); then
  step "address+undefined sanitizer build"
  scripts/build.sh asan
  step "address+undefined sanitizer tests"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_ctest build-asan -LE no-sanitizer

  step "thread sanitizer build"
  scripts/build.sh tsan trace_tests mcp_tests transport_tests auth_tests
  step "thread sanitizer tests"
  TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
    run_ctest build-tsan -R '^(trace|mcp|transport|auth)\.'

  step "fuzzing"
  scripts/fuzz.sh 20
fi
step "all tests passed"
