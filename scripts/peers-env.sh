# Sourced by scripts and tests that run the Python and Go peers (issue 12): exports the paths that
# scripts/peers.sh fills, keyed by the pins, so that a changed pin means a new path.
#   GLASSBOX_PYTHON  the venv's python (tests/interop/python/requirements.txt)
#   GLASSBOX_JAEGER  the Jaeger binary (the tool directive in tools/go.mod)
glassbox_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export GLASSBOX_PEERS_CACHE=${GLASSBOX_PEERS_CACHE:-$HOME/.cache/glassbox-peers}
GLASSBOX_PEERS_VENV=$GLASSBOX_PEERS_CACHE/venv-$(sha256sum "$glassbox_root/tests/interop/python/requirements.txt" | cut -c1-16)
GLASSBOX_JAEGER_VERSION=$(awk '$1 == "github.com/jaegertracing/jaeger" { print $2 }' "$glassbox_root/tools/go.mod")
export GLASSBOX_PYTHON=$GLASSBOX_PEERS_VENV/bin/python
export GLASSBOX_JAEGER=$GLASSBOX_PEERS_CACHE/jaeger-$GLASSBOX_JAEGER_VERSION/jaeger
