#!/usr/bin/env bash
# The layer check must fail, naming file and line, on each kind of upward or sideways include
# planted into a copy of the tree, and pass on the untouched copy.
# Usage: planted_violations.sh SOURCE_DIR
set -euo pipefail
src=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/tree"
cp -r "$src/include" "$src/src" "$work/tree/"
check=$src/scripts/check-layers.sh

"$check" "$work/tree" >/dev/null || { echo "FAIL: the untouched copy does not pass" >&2; exit 1; }

plant() {  # file, include line, expected message
  local file=$1 line=$2 expected=$3
  rm -rf "$work/case" && cp -r "$work/tree" "$work/case"
  echo "$line" >>"$work/case/$file"
  local lineno
  lineno=$(wc -l <"$work/case/$file")
  if "$check" "$work/case" 2>"$work/err" >/dev/null; then
    echo "FAIL: $file with '$line' passed the check" >&2
    exit 1
  fi
  grep -qF "$file:$lineno: $expected" "$work/err" || {
    echo "FAIL: expected '$file:$lineno: $expected', got:" >&2
    cat "$work/err" >&2
    exit 1
  }
  echo "ok: $file:$lineno $line"
}

plant src/transport/memory.cpp '#include "glassbox/mcp/server.hpp"' "layer 'transport' includes 'mcp'"
plant include/glassbox/json/json.hpp '#include <glassbox/trace/context.hpp>' "layer 'json' includes 'trace'"
plant src/jsonrpc/message.cpp '#include "glassbox/trace/context.hpp"' "layer 'jsonrpc' includes 'trace'"
plant src/trace/tracer.cpp '#  include "transport/sse.hpp"' "layer 'trace' includes 'transport'"
plant src/auth/scopes.cpp '#include "mcp/session.hpp"' "layer 'auth' includes 'mcp'"
echo "every planted violation was caught"
