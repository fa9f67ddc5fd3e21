#!/usr/bin/env bash
# Installs the interop tests' Python and Go peers (issue 12), each cached outside the clone and
# keyed by what pins it, so that a second run is a few checks:
#   venv    $GLASSBOX_PEERS_CACHE/venv-<sha256 of tests/interop/python/requirements.txt>
#   Jaeger  $GLASSBOX_PEERS_CACHE/jaeger-<version in tools/go.mod>/jaeger, built with the Go module
#           cache and build cache under $GLASSBOX_PEERS_CACHE (a rebuild only links)
# GLASSBOX_PEERS_CACHE defaults to ~/.cache/glassbox-peers. scripts/peers-env.sh finds the results.
# Called by scripts/install-deps.sh; needs python3 (with venv) and go >= 1.24 on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/peers-env.sh  # the paths, computed the same way for the tests

# --- Python: arcade-mcp-server, mcp, opentelemetry-*, pytest ---------------------------------
if [[ ! -x $GLASSBOX_PYTHON ]] || [[ ! -f $GLASSBOX_PEERS_VENV/.complete ]]; then
  echo "install-deps: python venv $GLASSBOX_PEERS_VENV" >&2
  rm -rf "$GLASSBOX_PEERS_VENV"
  mkdir -p "$GLASSBOX_PEERS_CACHE"
  start=$SECONDS
  python3 -m venv "$GLASSBOX_PEERS_VENV"
  "$GLASSBOX_PEERS_VENV/bin/pip" install -q --disable-pip-version-check --no-deps \
    -r tests/interop/python/requirements.txt
  "$GLASSBOX_PEERS_VENV/bin/pip" check >/dev/null
  touch "$GLASSBOX_PEERS_VENV/.complete"  # only a finished install counts
  echo "install-deps: venv ready in $((SECONDS - start)) s" >&2
fi

# --- Go: Jaeger, from the tool directive in tools/go.mod --------------------------------------
if [[ ! -x $GLASSBOX_JAEGER ]]; then
  command -v go >/dev/null || { echo "install-deps: go (>= 1.24) is needed to build Jaeger" >&2; exit 1; }
  echo "install-deps: go build jaeger $GLASSBOX_JAEGER_VERSION" >&2
  start=$SECONDS
  mkdir -p "$(dirname "$GLASSBOX_JAEGER")"
  (cd tools &&
    GOMODCACHE=$GLASSBOX_PEERS_CACHE/gomod GOCACHE=$GLASSBOX_PEERS_CACHE/gocache GOFLAGS=-mod=mod \
      go build -o "$GLASSBOX_JAEGER.tmp" github.com/jaegertracing/jaeger/cmd/jaeger)
  mv "$GLASSBOX_JAEGER.tmp" "$GLASSBOX_JAEGER"
  echo "install-deps: jaeger built in $((SECONDS - start)) s" >&2
fi
