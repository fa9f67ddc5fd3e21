#!/usr/bin/env bash
# The layer rule as a check: a library file may include its own layer and the layers below it,
# never one above or beside it. Ranks, lowest first:
#   json < jsonrpc, trace (siblings: neither includes the other) < transport < tls < auth < mcp
# apps/, examples/, bench/ and tests/ sit above every layer and are not checked. A library file is
# include/glassbox/<layer>/... or src/<layer>/...; includes are "glassbox/<layer>/..." (public) or
# "<layer>/..." (a private header under src/). A linker does not catch this: every target sees all
# of include/, so the rule is checked here (scripts/test.sh, and ctest's layers.* tests).
# Usage: scripts/check-layers.sh [ROOT]   (ROOT: a checkout, the repository by default)
# Exit 0 when clean; 1 with one line per offending include.
set -euo pipefail
root=${1:-"$(dirname "$0")/.."}
cd "$root"

rank() {
  case $1 in
  asio | json) echo 0 ;;
  jsonrpc | trace) echo 1 ;;
  transport) echo 2 ;;
  tls) echo 3 ;;
  auth) echo 4 ;;
  mcp) echo 5 ;;
  *) echo "" ;;
  esac
}

status=0
checked=0
for dir in include/glassbox src; do
  [[ -d $dir ]] || continue
  for layer_dir in "$dir"/*/; do
    layer=$(basename "$layer_dir")
    own=$(rank "$layer")
    if [[ -z $own ]]; then
      echo "check-layers: $layer_dir is not a known layer (add it to scripts/check-layers.sh)" >&2
      status=1
      continue
    fi
    while IFS= read -r -d '' file; do
      checked=$((checked + 1))
      # file:line:layer for every include of a glassbox layer, public or private form.
      while IFS=: read -r line target; do
        [[ -z $target ]] && continue
        theirs=$(rank "$target")
        [[ -z $theirs ]] && continue  # not a layer (boost/..., a file of this folder)
        if [[ $target != "$layer" ]] && ((theirs >= own)); then
          echo "$file:$line: layer '$layer' includes '$target', which is not below it" >&2
          status=1
        fi
      done < <(awk 'match($0, /^[ \t]*#[ \t]*include[ \t]*(<glassbox\/|"glassbox\/|")[a-z_]+\//) {
          target = substr($0, RSTART, RLENGTH - 1); sub(/.*[<"](glassbox\/)?/, "", target)
          print FNR ":" target }' "$file")
    done < <(find "$layer_dir" -type f \( -name '*.hpp' -o -name '*.cpp' -o -name '*.h' \) -print0)
  done
done

if ((checked == 0)); then
  echo "check-layers: no library files found under $PWD" >&2
  exit 1
fi
((status == 0)) && echo "check-layers: $checked files, every include looks down"
exit $status
