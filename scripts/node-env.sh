# Sourced by scripts that run the npm peers: puts the project's Node 22 (npm package node@22,
# installed by install-deps.sh into node_modules) first on PATH.
glassbox_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$glassbox_root/node_modules/node/bin:$glassbox_root/node_modules/.bin:$PATH"
