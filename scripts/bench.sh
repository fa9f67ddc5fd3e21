#!/usr/bin/env bash
# The benchmark command (README, "Benchmarks"): glassbox against the TypeScript SDK and a floor,
# side by side in one run, then the telemetry micro-benchmarks; results in docs/benchmarks.md.
#   1. stdio: cat (the floor), the TypeScript SDK's server and glassbox's, each driven by
#      bench/load's pipe client sequentially, 16 and 64 in flight, passback off and on;
#   2. Streamable HTTP (stateless): a bare Beast echo (the floor), the TypeScript SDK and
#      glassbox under wrk, 16 keep-alive connections;
#   3. telemetry: span start+end, OTLP encoders, passback with 1 to 100 spans per call;
#   4. with --soak: glassbox under steady stdio + HTTP load with passback on (RSS growth and
#      errors fail the run), then a shorter run under valgrind's leak checker.
# Usage: scripts/bench.sh [--soak] [--soak-only] [--soak-seconds N] [--rounds N] [--seconds S]
#                         [--update-docs]
#   --update-docs writes the results block of docs/benchmarks.md; the full output also goes to
#   build/bench-results/results.md and the servers' logs to build/bench-results/logs/.
# Exit status: non-zero when any run failed (a wrong response, an error, a crash, a leak).
# Never part of ctest: timings on a shared machine are not a pass/fail test.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

soak=0
compare=1
soak_seconds=180
args=()
while (($#)); do
  case $1 in
    --soak) soak=1 ;;
    --soak-only) soak=1 compare=0 ;;
    --soak-seconds) soak_seconds=$2; shift ;;
    --rounds | --seconds) args+=("$1" "$2"); shift ;;
    --update-docs) args+=(--results-into "$root/docs/benchmarks.md") ;;
    *) echo "usage: scripts/bench.sh [--soak] [--soak-only] [--soak-seconds N] [--rounds N] [--seconds S] [--update-docs]" >&2
       exit 2 ;;
  esac
  shift
done
((compare)) || args+=(--no-compare)
((soak)) && args+=(--soak "$soak_seconds" --valgrind)

scripts/install-deps.sh  # wrk and valgrind come with the other apt packages
source scripts/node-env.sh
export CCACHE_BASEDIR=$root CCACHE_NOHASHDIR=true
scripts/build.sh release load_compare echo_server http_floor trace_bench passback_bench >/dev/null

start=$SECONDS
status=0
build/bin/load_compare "${args[@]}" || status=$?
echo "bench: $((SECONDS - start)) s" >&2
exit "$status"
