#!/usr/bin/env bash
# The package consumer test (tests/package/CMakeLists.txt).
# Usage: consumer.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1
build=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

cmake --install "$build" --prefix "$prefix" >"$work/install.log" ||
  { cat "$work/install.log" >&2; fail "cmake --install (is the whole build done?)"; }

# What is installed, and what is not.
for f in include/glassbox/mcp/server.hpp include/glassbox/auth/jwt_verifier.hpp \
  lib/cmake/glassbox/glassboxConfig.cmake lib/cmake/glassbox/glassboxConfigVersion.cmake \
  lib/cmake/glassbox/glassboxTargets.cmake lib/pkgconfig/glassbox.pc lib/libglassbox_mcp.a; do
  [[ -f $prefix/$f ]] || fail "$f is not installed"
done
[[ -x $prefix/bin/glassbox ]] || fail "bin/glassbox is not installed"
for f in include/glassbox/auth/pkce.hpp include/glassbox/auth/base64url.hpp include/mcp/session.hpp; do
  [[ ! -e $prefix/$f ]] || fail "the private header $f is installed"
done
if grep -rq "$src" "$prefix/lib/cmake/glassbox"; then
  fail "the CMake package names the source tree: $(grep -rl "$src" "$prefix/lib/cmake/glassbox")"
fi
echo "ok: installed into a temporary prefix"

# examples/hello as a project of its own, finding glassbox only through the prefix.
launcher=()
if command -v ccache >/dev/null; then
  # Relative to the temporary folder, so that the next run's compile is a cache hit.
  export CCACHE_BASEDIR=$work CCACHE_NOHASHDIR=true
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
cmake -S "$src/examples/hello" -B "$work/hello" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_COMPILER=g++ -DCMAKE_PREFIX_PATH="$prefix" "${launcher[@]}" >"$work/configure.log" ||
  { cat "$work/configure.log" >&2; fail "configuring examples/hello against the package"; }
grep -q "glassbox_DIR:PATH=$prefix/lib/cmake/glassbox" "$work/hello/CMakeCache.txt" ||
  fail "find_package(glassbox) did not take the installed package"
cmake --build "$work/hello" >"$work/build.log" || { cat "$work/build.log" >&2; fail "building examples/hello"; }
echo "ok: examples/hello built with find_package(glassbox CONFIG REQUIRED)"

out=$("$work/hello/hello-client" "$work/hello/hello-server")
expected=$'tool: greet\nHello, {"name":"Ada"}'
[[ $out == "$expected" ]] || fail "hello-client printed: $out"
echo "ok: hello-client called hello-server: $(tail -1 <<<"$out")"

# The installed CLI works from the prefix, against the consumer's server.
# TLS only where it is used (docs/architecture.md, "TLS"): the stdio server links glassbox::mcp
# and records no OpenSSL; the glassbox program (glassbox::glassbox) does.
needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' '; }
server_needs=$(needed "$work/hello/hello-server")
[[ $server_needs != *libssl* && $server_needs != *libcrypto* ]] ||
  fail "hello-server (glassbox::mcp) needs OpenSSL: $server_needs"
cli_needs=$(needed "$prefix/bin/glassbox")
[[ $cli_needs == *libssl* && $cli_needs == *libcrypto* ]] || fail "bin/glassbox lacks OpenSSL: $cli_needs"
echo "ok: hello-server needs $server_needs(no OpenSSL); bin/glassbox links libssl and libcrypto"
# glassbox's own servers carry their C++ runtime, Boost and zlib (GLASSBOX_STATIC_RUNTIME, peak
# RSS; src/CMakeLists.txt); a program built against the package links the shared ones as before.
[[ $server_needs == *libstdc++* && $server_needs == *libboost_json* ]] ||
  fail "hello-server does not link the shared libstdc++ and Boost.JSON: $server_needs"
if grep -q '^GLASSBOX_STATIC_RUNTIME:BOOL=ON' "$build/CMakeCache.txt"; then
  [[ $cli_needs != *libstdc++* && $cli_needs != *libboost* && $cli_needs != *libz.* ]] ||
    fail "bin/glassbox, built with GLASSBOX_STATIC_RUNTIME, needs $cli_needs"
  echo "ok: bin/glassbox carries its C++ runtime, Boost and zlib (needs $cli_needs)"
fi

tools=$("$prefix/bin/glassbox" tools -- "$work/hello/hello-server" 2>/dev/null)
grep -q greet <<<"$tools" || fail "installed glassbox tools printed: $tools"
echo "ok: the installed glassbox lists the consumer's tools"

# pkg-config: the same program links with the .pc file's flags alone.
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
[[ $(pkg-config --modversion glassbox) =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "pkg-config --modversion"
# shellcheck disable=SC2046
g++ -std=c++20 -E $(pkg-config --cflags glassbox) "$src/examples/hello/hello_server.cpp" -o /dev/null ||
  fail "the .pc file's Cflags do not find the headers"
object=$(find "$work/hello" -name 'hello_server.cpp.o' | head -1)
# shellcheck disable=SC2046
g++ "$object" -o "$work/hello-server-pc" $(pkg-config --libs glassbox) || fail "the .pc file's Libs do not link"
out=$("$work/hello/hello-client" "$work/hello-server-pc")
[[ $out == "$expected" ]] || fail "the pkg-config-linked server answered: $out"
echo "ok: pkg-config $(pkg-config --modversion glassbox): the server links with its flags alone"
