#!/usr/bin/env bash
# The read commands on a 10,000-run dataset (issue 12 item 6; figures in docs/benchmarks.md,
# "Read commands"): wall time of `list runs`, `stats runs` and `inspect run`, cold (no digest
# cache) and warm (the cache the previous command filled), and the objects read, against a
# baseline measured in the same run: `cat` of exactly the objects a cold scan reads.
#
#   bench/read.sh [BUILD_DIR] [RUNS]     (BUILD_DIR needs cli/quarry and bench/read_bench;
#                                         configure it with -DQUARRY_BUILD_BENCH=ON)
# The dataset is generated once into $QUARRY_READ_BENCH_DIR (default /tmp/quarry-read-bench)
# by read_bench, through the real RunWriter; eatmydata (when installed) skips the writer's fsyncs
# to make generation take ~2 minutes instead of ~30. Reading is measured without it.
set -euo pipefail
BUILD=${1:-build}
RUNS=${2:-10000}
DIR=${QUARRY_READ_BENCH_DIR:-/tmp/quarry-read-bench}
Q="$BUILD/cli/quarry"
GEN="$BUILD/bench/read_bench"
LOC=(--storage-backend fs --storage-path "$DIR" --format json)

if [ ! -e "$DIR/datasets/quarry/latest" ]; then
  mkdir -p "$DIR"
  WRAP=()
  command -v eatmydata > /dev/null && WRAP=(eatmydata)
  echo "generating $RUNS runs into $DIR ..." >&2
  "${WRAP[@]}" "$GEN" generate "$DIR" "$RUNS"
fi

ms() {  # wall milliseconds of one command
  local start end
  start=$(date +%s%N)
  "$@" > /dev/null
  end=$(date +%s%N)
  echo $(((end - start) / 1000000))
}

best() {  # the smallest of three runs; $1 = cold|warm, rest = the command
  local mode=$1 b=999999 t
  shift
  for _ in 1 2 3; do
    if [ "$mode" = cold ]; then
      rm -rf /tmp/quarry-read-bench-cache
    fi
    t=$(QUARRY_CACHE_DIR=/tmp/quarry-read-bench-cache ms "$@")
    [ "$t" -lt "$b" ] && b=$t
  done
  echo "$b"
}

FIRST_RUN=$("$Q" list runs --limit 1 "${LOC[@]}" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["run_id"])')
manifests=$(find "$DIR/datasets/quarry/segments" -name manifest.json | wc -l)
metrics_files=$(find "$DIR/datasets/quarry/partitions" -path '*event_type=metrics*' -type f -name data | wc -l)
baseline=$(best warm sh -c "find '$DIR/datasets/quarry/segments' -name manifest.json -print0 | xargs -0 cat; find '$DIR/datasets/quarry/partitions' -path '*event_type=metrics*' -type f -name data -print0 | xargs -0 cat")
echo "dataset: $RUNS runs, $manifests snapshots, $metrics_files metrics files, $(du -sh "$DIR" | cut -f1)"
echo "baseline (cat of every object a cold scan reads): ${baseline} ms"
printf '%-28s %9s %9s %11s %11s\n' command cold_ms warm_ms cold/base warm/base
for cmd in "list runs" "stats runs" "inspect run $FIRST_RUN"; do
  # shellcheck disable=SC2086
  cold=$(best cold "$Q" $cmd "${LOC[@]}")
  # shellcheck disable=SC2086
  warm=$(best warm "$Q" $cmd "${LOC[@]}")
  printf '%-28s %9d %9d %11.2f %11.2f\n' "$cmd" "$cold" "$warm" \
    "$(echo "$cold / $baseline" | bc -l)" "$(echo "$warm / $baseline" | bc -l)"
done
rm -rf /tmp/quarry-read-bench-cache
echo "objects read (in-process scan, read_bench scan):"
mkdir -p /tmp/quarry-read-bench-cache
echo "  cold: $("$GEN" scan "$DIR" /tmp/quarry-read-bench-cache)"
echo "  warm: $("$GEN" scan "$DIR" /tmp/quarry-read-bench-cache)"
rm -rf /tmp/quarry-read-bench-cache
