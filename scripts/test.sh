#!/usr/bin/env bash
# The test command (README): installs what it needs, builds, and passes every test:
#   1. release build: unit tests, golden transcripts, interop against the npm peers, and the
#      official conformance suite (server and client modes);
#   2. formatting: clang-format has nothing to change; layers: no include looks up
#      (scripts/check-layers.sh; ctest runs it too, with planted violations);
#   3. address+undefined sanitizer build: the same unit and interop suite;
#   4. thread sanitizer build: the tracing, passback, protocol and transport tests;
#   5. fuzzing: each libFuzzer target for a short run from its seed corpus.
# The sanitizer and fuzz presets (CMakePresets.json) compile with line tables only (-g1): their
# stack traces keep file and line, and a translation unit costs about a quarter less CPU than
# with -g (http_fetch.cpp under ASan: 76 s against 106 s), which counts on a fresh 2-core machine.
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
