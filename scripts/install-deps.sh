#!/usr/bin/env bash
# Installs everything glassbox needs on a fresh Debian 12 machine: apt packages by name, then the
# pinned npm peers (including Node 22 as the npm package node@22) into ./node_modules with `npm ci`.
# Idempotent: a machine that already has everything spends a few seconds here.
# Usage: scripts/install-deps.sh [--demo]   (--demo: only what building bin/glassbox needs, no
# npm peers, no browser, no sanitizer or fuzzing toolchain: scripts/demo.sh on a fresh machine)
set -euo pipefail
cd "$(dirname "$0")/.."
demo_only=0
[[ ${1:-} == --demo ]] && demo_only=1

apt_packages=(
  build-essential cmake ninja-build ccache pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev libsqlite3-dev libcli11-dev zlib1g-dev
  libgtest-dev libgmock-dev libbenchmark-dev  # the release preset's configure step finds them
)
if ((demo_only == 0)); then
  apt_packages+=(
    clang clang-format clang-tidy libclang-rt-14-dev
    chromium
    wrk valgrind  # scripts/bench.sh: the HTTP load generator, the leak check
    python3-venv  # scripts/peers.sh: the interop tests' Python venv (Go comes with the machine)
  )
fi

missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  echo "install-deps: apt-get install ${missing[*]}" >&2
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

((demo_only)) && exit 0
# npm peers: pinned in package.json + package-lock.json. Re-run npm ci only when the lock changed.
stamp=node_modules/.glassbox-lock-stamp
if [[ ! -f $stamp ]] || ! cmp -s package-lock.json "$stamp"; then
  echo "install-deps: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi

# Python and Go peers of the interop tests (Arcade MCP, the Python SDK, Jaeger): cached outside
# the clone, keyed by their pins.
scripts/peers.sh
