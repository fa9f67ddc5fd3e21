#!/usr/bin/env bash
# The benchmark command (README, "Benchmarks"): glassbox against four other MCP SDKs (the
# TypeScript SDK, the official Python SDK, the Go SDK, Rust's rmcp) and a floor, side by side in
# one run, then the telemetry micro-benchmarks; results in docs/benchmarks.md.
#   1. stdio: cat (the floor) and each SDK's echo server, driven by bench/load's pipe client
#      sequentially, 16 and 64 in flight, passback off and on;
#   2. Streamable HTTP (stateless): a bare Beast echo (the floor) and each SDK under wrk, 16
#      keep-alive connections;
#   3. passback cost (5-span calls), each SDK's client against glassbox's server, `glassbox
#      proxy` (forwarding, gateway, sidecar) against the direct call, and the goals of issue 15
#      (the proxy rows alone: build/bin/load_compare --only proxy);
#   4. telemetry: span start+end, OTLP encoders, passback with 1 to 100 spans per call;
#   5. with --soak: glassbox under steady stdio + HTTP load with passback on (RSS growth and
#      errors fail the run), then a shorter run under valgrind's leak checker.
# The other SDKs' programs (bench/rust, bench/go, bench/python) are built here, never by the
# test command, from pinned versions (Cargo.lock, go.sum, requirements.txt) into a cache outside
# the clone keyed by those pins ($GLASSBOX_BENCH_CACHE, default ~/.cache/glassbox-bench): a
# second run only checks them. The toolchains (cargo, go, python3) come with the machine.
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
scripts/build.sh release load_compare echo_server http_floor client_load trace_bench \
  passback_bench >/dev/null

build_other_sdks() {
  cache=${GLASSBOX_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/glassbox-bench}
  mkdir -p "$cache"
  pin() { cat "$@" | sha256sum | cut -c1-16; }  # the cache key: a hash of the pinning files
  need() {
    command -v "$1" >/dev/null || { echo "bench: $1 is missing (needed for $2)" >&2; exit 1; }
  }
  need cargo "Rust's rmcp"
  need go "the Go SDK"
  need python3 "the Python SDK"

  # Rust rmcp: one cargo target dir per Cargo.lock; cargo checks it in a second or so.
  rust_target=$cache/rust-$(pin bench/rust/Cargo.toml bench/rust/Cargo.lock)
  echo "bench: building bench/rust (rmcp) into $rust_target" >&2
  CARGO_TARGET_DIR=$rust_target nice -n 10 cargo build --quiet --release --locked \
    --manifest-path bench/rust/Cargo.toml
  args+=(--rmcp "$rust_target/release/rmcp-echo")

  # Go SDK: the binary per go.sum; Go's own build cache makes the rebuild a check.
  go_dir=$cache/go-$(pin bench/go/go.mod bench/go/go.sum)
  echo "bench: building bench/go (Go SDK) into $go_dir" >&2
  mkdir -p "$go_dir"
  (cd bench/go && nice -n 10 go build -mod=readonly -o "$go_dir/goecho" .)
  args+=(--go-sdk "$go_dir/goecho")

  # Python SDK: one venv per requirements.txt, made once.
  venv=$cache/python-$(pin bench/python/requirements.txt)
  if [[ ! -f $venv/.complete ]]; then
    echo "bench: making the Python SDK's venv $venv" >&2
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r bench/python/requirements.txt
    touch "$venv/.complete"
  fi
  args+=(--python "$venv/bin/python")
}
((compare)) && build_other_sdks  # the soak runs glassbox alone

start=$SECONDS
status=0
build/bin/load_compare "${args[@]}" || status=$?
echo "bench: $((SECONDS - start)) s" >&2
exit "$status"
