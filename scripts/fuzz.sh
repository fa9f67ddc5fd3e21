#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, address+undefined) and runs each from its seed corpus.
# Usage: scripts/fuzz.sh [seconds per target, default 20] [target ...]
#   scripts/fuzz.sh            every target for 20 s (10 targets: 3.5 minutes; the test command)
#   scripts/fuzz.sh 600 http_server dispatch    a longer run of some targets
# Crashes land in build-fuzz/crashes/; each one found becomes a regression test in the unit
# tests and a seed in tests/fuzz/corpus/<target>/. What a run learns stays in build-fuzz/corpus/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
shift || true
all=(jsonrpc envelope trace_context otlp_json otlp_protobuf sse dispatch passback_ingest collector_ingest
  collector_store http_server stateless)
if (($# > 0)); then targets=("$@"); else targets=("${all[@]}"); fi
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -- $(printf 'fuzz_%s ' "${targets[@]}")
mkdir -p build-fuzz/crashes
for t in "${targets[@]}"; do
  work=build-fuzz/corpus/$t
  mkdir -p "$work"
  build-fuzz/bin/fuzz_$t -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 \
    -artifact_prefix=build-fuzz/crashes/"$t"- -print_final_stats=0 "$work" tests/fuzz/corpus/"$t" \
    2>build-fuzz/fuzz_$t.log || { tail -40 build-fuzz/fuzz_$t.log; exit 1; }
  last=$(grep -E '^#[0-9]+' build-fuzz/fuzz_$t.log | tail -1)
  echo "fuzz $t: ${seconds}s, ${last#*exec/s: }" | sed 's/ rss: / exec\/s, rss /'
done
echo "fuzz: ${#targets[@]} targets ran ${seconds}s each without a crash"
