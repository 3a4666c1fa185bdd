#!/usr/bin/env bash
# Sets everything up, then runs the whole test suite:
#   1. C++ unit tests built with clang, AddressSanitizer + UndefinedBehaviorSanitizer (build-san/,
#      the tree the fuzz targets are built in too: one instrumented compile serves both),
#   2. quarry-temporal's unit tests (build/, beside the generated Temporal API library),
#   3. SDK and executor tests (node:test), and the end-to-end tests with real Chromium, real
#      servers, real files and the real `quarry` binary (build/),
#   4. the fuzz smoke (scripts/fuzz.sh smoke).
# Ends with the time of each phase and "N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SECONDS=0
phases=()
phase_start=0
phase() {  # phase NAME: ends the running phase (if any) and starts NAME
  local now=$SECONDS
  [ -n "${phase_name:-}" ] && phases+=("$phase_name $((now - phase_start)) s")
  phase_name=$1 phase_start=$now
  [ -n "$phase_name" ] && echo "[test] $phase_name" >&2
  return 0
}

phase "setup (packages, npm, protos, versitygw, build/)"
scripts/setup.sh

SAN_DIR=$ROOT/build-san
phase "build-san: unit tests and fuzz targets (clang, ASan+UBSan)"
scripts/fuzz.sh configure
cmake --build "$SAN_DIR" --target unit_tests fuzz_all -- -j"$(nproc)"

# In build/ (beside the two binaries setup built): quarry-temporal's unit tests (the generated
# Temporal API library is compiled there once), and the benchmarks, compiled so they cannot rot
# (bench/ runs them; the suite does not).
phase "build/: Temporal unit tests and benchmarks"
cmake --build "$ROOT/build" --target temporal_tests bench -- -j"$(nproc)"

status=0
log_unit=$(mktemp) log_rest=$(mktemp)
trap 'rm -f "$log_unit" "$log_rest"' EXIT
phase "unit tests"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir "$SAN_DIR" -L unit --output-on-failure -j"$(nproc)" | tee "$log_unit" || status=1
log_temporal=$(mktemp)
ctest --test-dir "$ROOT/build" -L unit -R '^Temporal' --output-on-failure | tee "$log_temporal" || status=1
# By label, not `-LE unit`: the other unit-test binaries of build/ are not built there, and ctest
# lists an unbuilt gtest binary as an unlabelled *_NOT_BUILT test.
phase "end-to-end and node tests"
ctest --test-dir "$ROOT/build" -L '^(e2e|node)$' --output-on-failure | tee "$log_rest" || status=1

# Fuzz smoke (scripts/fuzz.sh, docs/fuzzing.md): each libFuzzer target of build-san/ over its
# seeds, its committed regressions and a few thousand new inputs; a failing target is a failed
# test in the count below.
phase "fuzz smoke"
log_fuzz=$(mktemp)
scripts/fuzz.sh smoke | tee "$log_fuzz" || status=1
phase ""

count() { grep -Eo "$1" "$2" | grep -Eo '[0-9]+' | head -1; }
total_unit=$(count 'out of [0-9]+' "$log_unit"); failed_unit=$(count '[0-9]+ tests failed' "$log_unit")
total_rest=$(count 'out of [0-9]+' "$log_rest"); failed_rest=$(count '[0-9]+ tests failed' "$log_rest")
total_tmp=$(count 'out of [0-9]+' "$log_temporal"); failed_tmp=$(count '[0-9]+ tests failed' "$log_temporal")
total_fuzz=$(count 'out of [0-9]+' "$log_fuzz"); failed_fuzz=$(count '[0-9]+ tests failed' "$log_fuzz")
rm -f "$log_temporal" "$log_fuzz"
total=$(( ${total_unit:-0} + ${total_rest:-0} + ${total_tmp:-0} + ${total_fuzz:-0} ))
failed=$(( ${failed_unit:-0} + ${failed_rest:-0} + ${failed_tmp:-0} + ${failed_fuzz:-0} ))
echo
printf '[test] %s\n' "${phases[@]}" "total $SECONDS s"
echo "$(( total - failed )) passed, $failed failed"
exit $status
