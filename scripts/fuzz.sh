#!/usr/bin/env bash
# The libFuzzer targets of fuzz/ (docs/fuzzing.md), built with clang + ASan + UBSan in build-san/.
# That tree is also where scripts/test.sh builds and runs the unit tests: one instrumented compile
# of the libraries serves both.
#
#   scripts/fuzz.sh smoke                  build, then each target over its seeds, its committed
#                                          regressions and a few thousand new inputs (the test suite)
#   scripts/fuzz.sh long [SECONDS] [TARGET...]
#                                          each target (default: all) for SECONDS (default 1800), one
#                                          after another, with a persistent corpus in
#                                          $QUARRY_FUZZ_WORK (default ~/.cache/quarry-fuzz)
#   scripts/fuzz.sh build                  only build
#   scripts/fuzz.sh configure              only configure build-san/ (scripts/test.sh)
#
# The smoke prints one line per target ("fuzz <target>: ok|FAILED ...") and a ctest-style summary
# ("N tests failed out of M") that scripts/test.sh counts. A reproducer listed in
# fuzz/regressions/KNOWN (a defect found but not fixed yet) is run and reported, but does not fail.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=$ROOT/build-san
MODE=${1:-smoke}
SMOKE_RUNS=${QUARRY_FUZZ_SMOKE_RUNS:-2000}
SMOKE_SECONDS=${QUARRY_FUZZ_SMOKE_SECONDS:-15}  # cap per target, whichever of the two comes first

log() { printf '[fuzz] %s\n' "$*" >&2; }

configure() {
  command -v clang++ >/dev/null || { log "clang++ not found (scripts/setup.sh installs clang)"; exit 2; }
  [ -f "$BUILD/build.ninja" ] && return 0
  # -O1 with line tables: what sanitizers and libFuzzer need (symbolized stacks with lines, fast
  # enough to fuzz), at a fraction of the compile time of -O2 -g. The Temporal protos are taken
  # from the g++ tree (build/temporal), never rebuilt here.
  CC=clang CXX=clang++ cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_CXX_FLAGS_DEBUG="-O1 -gline-tables-only" -DCMAKE_C_FLAGS_DEBUG="-O1 -gline-tables-only" \
    -DQUARRY_FUZZ=ON -DQUARRY_TEMPORAL=OFF -DQUARRY_E2E=OFF -DQUARRY_BUILD_BENCH=OFF \
    -DQUARRY_TEMPORAL_PROTO_PREBUILT="$ROOT/build/temporal" >/dev/null
}

build() {
  configure
  cmake --build "$BUILD" --target fuzz_all -- -j"${QUARRY_FUZZ_JOBS:-$(nproc)}"
}

targets() {
  # The targets this tree built (the Temporal ones need build/temporal).
  sed -n 's/^QUARRY_FUZZ_TARGETS:INTERNAL=//p' "$BUILD/CMakeCache.txt" | tr ';' '\n' | sed '/^$/d'
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# known TARGET FILE -> 0 when FILE is listed in fuzz/regressions/KNOWN.
known() { grep -qsE "^$1/$(basename "$2")([[:space:]]|$)" "$ROOT/fuzz/regressions/KNOWN"; }

smoke() {
  if ! build; then
    echo "fuzz build: FAILED"
    echo "0 fuzz targets passed; 1 tests failed out of 1"
    return 1
  fi
  local total=0 failed=0 t bin out scratch
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' RETURN
  for t in $(targets); do
    bin=$BUILD/fuzz/$t
    total=$((total + 1))
    local ok=1 detail=""
    # Committed reproducers, one process each: a crash that is fixed must stay fixed.
    if [ -d "$ROOT/fuzz/regressions/$t" ]; then
      for f in "$ROOT/fuzz/regressions/$t"/*; do
        [ -f "$f" ] || continue
        if "$bin" -rss_limit_mb=4096 "$f" >"$scratch/out" 2>&1; then
          known "$t" "$f" && log "$t: known reproducer $(basename "$f") no longer fails: remove it from fuzz/regressions/KNOWN"
        elif known "$t" "$f"; then
          log "$t: known, not yet fixed: $(basename "$f") ($(grep -m1 -E 'ERROR|check failed|runtime error' "$scratch/out" | cut -c1-120))"
        else
          ok=0 detail="regression $(basename "$f") fails again"
          tail -30 "$scratch/out" >&2
        fi
      done
    fi
    # Seeds, then new inputs; crashes land in the scratch dir, not in the repo. The corpus
    # directory is read only: new inputs go to a scratch copy.
    if [ $ok = 1 ]; then
      mkdir -p "$scratch/$t"
      if ! "$bin" -runs="$SMOKE_RUNS" -max_total_time="$SMOKE_SECONDS" -rss_limit_mb=4096 \
          -timeout=20 -print_final_stats=1 -artifact_prefix="$scratch/$t-" \
          "$scratch/$t" "$ROOT/fuzz/corpus/$t" >"$scratch/out" 2>&1; then
        ok=0 detail="crash: $(grep -m1 -E 'ERROR|check failed|runtime error|deadly signal' "$scratch/out" | cut -c1-160)"
        grep -A30 -m1 -E 'ERROR|check failed|runtime error' "$scratch/out" | head -40 >&2 || true
        local saved
        for saved in "$scratch/$t"-*; do
          [ -f "$saved" ] && cp "$saved" "$BUILD/" && log "reproducer kept: build-san/$(basename "$saved")"
        done
      else
        detail="$(sed -n 's/^stat::number_of_executed_units: *//p' "$scratch/out") inputs"
      fi
    fi
    if [ $ok = 1 ]; then
      echo "fuzz $t: ok ($detail)"
    else
      echo "fuzz $t: FAILED ($detail)"
      failed=$((failed + 1))
    fi
  done
  echo "$((total - failed)) fuzz targets passed; $failed tests failed out of $total"
  [ "$failed" = 0 ]
}

long() {
  local seconds=${1:-1800}
  shift || true
  build
  local work=${QUARRY_FUZZ_WORK:-$HOME/.cache/quarry-fuzz} t list
  list=${*:-$(targets)}
  for t in $list; do
    mkdir -p "$work/corpus/$t" "$work/crashes/$t"
    log "$t: ${seconds}s, corpus $work/corpus/$t, crashes $work/crashes/$t"
    # -fork keeps going after a crash (each one is saved); one job: the machine is shared.
    nice -n 10 "$BUILD/fuzz/$t" -max_total_time="$seconds" -rss_limit_mb=4096 -timeout=30 \
      -fork=1 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1 -print_final_stats=1 \
      -artifact_prefix="$work/crashes/$t/" "$work/corpus/$t" "$ROOT/fuzz/corpus/$t" \
      >"$work/$t.log" 2>&1 || true
    log "$t: done; $(find "$work/crashes/$t" -type f | wc -l) crash/timeout/oom file(s); log $work/$t.log"
  done
}

case "$MODE" in
  smoke) smoke ;;
  long) shift; long "$@" ;;
  build) build ;;
  configure) configure ;;
  *) echo "usage: scripts/fuzz.sh smoke | long [SECONDS] [TARGET...] | build | configure" >&2; exit 2 ;;
esac
