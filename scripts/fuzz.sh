#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, address+undefined) and runs each from its seed corpus.
# Usage: scripts/fuzz.sh [seconds per target, default 20]. Crashes land in build-fuzz/crashes/;
# each one found becomes a regression test (a seed in tests/fuzz/corpus/<target>/).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
targets=(jsonrpc trace_context otlp_json otlp_protobuf sse)
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -- $(printf 'fuzz_%s ' "${targets[@]}")
mkdir -p build-fuzz/crashes
for t in "${targets[@]}"; do
  work=build-fuzz/corpus/$t
  mkdir -p "$work"
  echo "fuzz $t: ${seconds}s"
  build-fuzz/bin/fuzz_$t -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 \
    -artifact_prefix=build-fuzz/crashes/"$t"- -print_final_stats=0 "$work" tests/fuzz/corpus/"$t" \
    2>build-fuzz/fuzz_$t.log || { tail -40 build-fuzz/fuzz_$t.log; exit 1; }
done
echo "fuzz: ${#targets[@]} targets ran ${seconds}s each without a crash"
