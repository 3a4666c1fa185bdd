#!/usr/bin/env bash
# Sets everything up, then runs the whole test suite:
#   1. C++ unit tests built with AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/),
#   2. SDK and executor tests (node:test), and the end-to-end tests with real Chromium, real
#      files and the real `quarry` binary (build/).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
scripts/setup.sh

ASAN_DIR=$ROOT/build-asan
if [ ! -f "$ASAN_DIR/build.ninja" ]; then
  cmake -S "$ROOT" -B "$ASAN_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DQUARRY_SANITIZE=ON \
    -DQUARRY_E2E=OFF -DQUARRY_BUILD_BENCH=OFF -DQUARRY_TEMPORAL=OFF >/dev/null
fi
# The generated Temporal API library costs minutes to build under ASan: quarry-temporal's unit
# tests (suites Temporal*) are built and run from build/ right after the ASan unit tests.
grep -q '^QUARRY_TEMPORAL:BOOL=OFF' "$ASAN_DIR/CMakeCache.txt" || cmake "$ASAN_DIR" -DQUARRY_TEMPORAL=OFF >/dev/null
echo "[test] building unit tests with ASan+UBSan" >&2
cmake --build "$ASAN_DIR" --target unit_tests -- -j"$(nproc)"

# In build/ (beside the two binaries setup built): quarry-temporal's unit tests, and the benchmarks,
# compiled so they cannot rot (bench/ runs them; the suite does not).
echo "[test] building Temporal unit tests and benchmarks in build/" >&2
cmake --build "$ROOT/build" --target temporal_tests bench -- -j"$(nproc)"

status=0
log_unit=$(mktemp) log_rest=$(mktemp)
trap 'rm -f "$log_unit" "$log_rest"' EXIT
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir "$ASAN_DIR" -L unit --output-on-failure -j"$(nproc)" | tee "$log_unit" || status=1
log_temporal=$(mktemp)
ctest --test-dir "$ROOT/build" -L unit -R '^Temporal' --output-on-failure | tee "$log_temporal" || status=1
# By label, not `-LE unit`: the other unit-test binaries of build/ are not built there, and ctest
# lists an unbuilt gtest binary as an unlabelled *_NOT_BUILT test.
ctest --test-dir "$ROOT/build" -L '^(e2e|node)$' --output-on-failure | tee "$log_rest" || status=1

# Fuzz smoke (scripts/fuzz.sh, docs/fuzzing.md): each libFuzzer target of build-fuzz/ (clang) over
# its seeds, its committed regressions and a few thousand new inputs; a failing target is a failed
# test in the count below.
log_fuzz=$(mktemp)
scripts/fuzz.sh smoke | tee "$log_fuzz" || status=1

count() { grep -Eo "$1" "$2" | grep -Eo '[0-9]+' | head -1; }
total_unit=$(count 'out of [0-9]+' "$log_unit"); failed_unit=$(count '[0-9]+ tests failed' "$log_unit")
total_rest=$(count 'out of [0-9]+' "$log_rest"); failed_rest=$(count '[0-9]+ tests failed' "$log_rest")
total_tmp=$(count 'out of [0-9]+' "$log_temporal"); failed_tmp=$(count '[0-9]+ tests failed' "$log_temporal")
total_fuzz=$(count 'out of [0-9]+' "$log_fuzz"); failed_fuzz=$(count '[0-9]+ tests failed' "$log_fuzz")
rm -f "$log_temporal" "$log_fuzz"
total=$(( ${total_unit:-0} + ${total_rest:-0} + ${total_tmp:-0} + ${total_fuzz:-0} ))
failed=$(( ${failed_unit:-0} + ${failed_rest:-0} + ${failed_tmp:-0} + ${failed_fuzz:-0} ))
echo
echo "$(( total - failed )) passed, $failed failed"
exit $status
