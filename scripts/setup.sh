#!/usr/bin/env bash
# Installs the Debian packages rag-server needs (as root, only those missing, quietly when
# nothing is missing) and builds into build/. Idempotent: run it as often as you like.
#
#   scripts/setup.sh            # runtime + build packages, then build the server (rag-server)
#   scripts/setup.sh --test     # also what the test suite needs (redis-server, haproxy, ...),
#                               # then build everything the tests run
#
# Builds go through Ninja and ccache (cmake/Ccache.cmake), so a second build, in this folder or
# in a fresh clone elsewhere, recompiles only what changed (docs/DEVELOPING.md). On a terminal
# Ninja shows one status line ([done/total] and the file); elsewhere (CI, a pipe) only
# warnings and errors are printed.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_PACKAGES=(
  build-essential cmake ninja-build pkg-config ccache
  libboost-dev libssl-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libcli11-dev
  libfaiss-dev libopenblas-dev libsqlite3-dev libstemmer-dev libxxhash-dev
  libgumbo-dev libmd4c-dev libyaml-cpp-dev libpoppler-cpp-dev libhiredis-dev
  libgtest-dev libgmock-dev libbenchmark-dev ca-certificates
  libjs-markdown-it  # the chat page's Markdown renderer, embedded by the build (src/web/)
)
# The test suite: real Redis, a real load balancer, headless Chromium for /ui (fonts so pages
# render text), clang 19 with its libFuzzer and sanitizer runtimes for the fuzz targets
# (scripts/fuzz.sh; cmake/Clang.cmake says why 19) and llvm's symbolizer for their reports.
TEST_PACKAGES=(python3 python3-yaml redis-server haproxy curl openssl docker-compose
               chromium fonts-dejavu-core clang-19 libclang-rt-19-dev llvm)

want_tests=0
for arg in "$@"; do
  case "$arg" in
    --test) want_tests=1 ;;
    *) echo "usage: scripts/setup.sh [--test]" >&2; exit 64 ;;
  esac
done

packages=("${BUILD_PACKAGES[@]}")
if [ "$want_tests" = 1 ]; then packages+=("${TEST_PACKAGES[@]}"); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: missing Debian packages: ${missing[*]}" >&2
    echo "setup: run this script as root (sudo $0 $*) to install them" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

build_type=${RAG_BUILD_TYPE:-Release}
# A build folder made by another generator (Makefiles, before Ninja) cannot be reused: remake it.
if [ -f build/CMakeCache.txt ] && ! grep -q "CMAKE_GENERATOR:INTERNAL=Ninja" build/CMakeCache.txt; then
  rm -rf build
fi
if [ ! -f build/CMakeCache.txt ] || ! grep -q "CMAKE_BUILD_TYPE:STRING=$build_type" build/CMakeCache.txt; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="$build_type" >/dev/null
fi
targets=(--target rag-server)
# With the tests: everything, and the benchmark tools, which nothing else builds (bench/).
if [ "$want_tests" = 1 ]; then targets=(--target all bench_tools); fi
scripts/build.sh build "${targets[@]}"
test -x build/rag-server

# Node packages for the browser and OpenAPI tests (tests/node/package-lock.json pins them).
stamp=tests/node/node_modules/.installed-from-lock
if [ "$want_tests" = 1 ] && ! cmp -s tests/node/package-lock.json "$stamp"; then
  if ! command -v npm >/dev/null; then
    echo "setup: npm is needed for the browser tests (Node.js 18+)" >&2
    exit 1
  fi
  npm ci --prefix tests/node --no-audit --no-fund --loglevel=error >/dev/null
  cp tests/node/package-lock.json "$stamp"
fi
