#!/usr/bin/env bash
# `quarry export` throughput (issue 12 item 2): a dataset of EVENTS items written by the synthetic
# executor through `quarry run --policy streaming`, then, on warm page cache and alternately for
# REPS rounds, the baseline `cat` of the committed data files (bytes moved, no parsing) and
# `quarry export` as JSONL and as CSV, all to /dev/null. Prints records/s, the ratio to `cat`
# and peak RSS (GNU time) per command; docs/benchmarks.md holds a run's figures.
#
# Environment (defaults in brackets):
#   QUARRY [build/cli/quarry]  SYNTH [build-bench/bench/synthetic_executor, compiled into
#   $WORK when missing]  WORK [mktemp -d]  EVENTS [1000000]  BYTES [200]  FLUSH_COUNT [10000]
#   REPS [3]
set -euo pipefail
cd "$(dirname "$0")/.."
QUARRY=$(realpath "${QUARRY:-build/cli/quarry}")
WORK=${WORK:-$(mktemp -d /tmp/quarry-export-bench.XXXXXX)}
EVENTS=${EVENTS:-1000000}
BYTES=${BYTES:-200}
FLUSH_COUNT=${FLUSH_COUNT:-10000}
REPS=${REPS:-3}
SYNTH=${SYNTH:-build-bench/bench/synthetic_executor}
if [[ ! -x "$SYNTH" ]]; then
  SYNTH="$WORK/synthetic_executor"
  c++ -std=c++20 -O2 -Ibench bench/synthetic_executor.cc -o "$SYNTH"
fi
export QUARRY_CACHE_DIR="$WORK/cache"
STORE="$WORK/store"
mkdir -p "$STORE"
LOC=(--storage-backend fs --storage-path "$STORE")

echo "writing $EVENTS items of $BYTES payload bytes (streaming, flush every $FLUSH_COUNT)" >&2
QUARRY_SYNTH_EVENTS=$EVENTS QUARRY_SYNTH_BYTES=$BYTES "$QUARRY" run --script bench/export.sh \
  --run-id export-bench --source bench --executor "$SYNTH" --policy streaming \
  --flush-count "$FLUSH_COUNT" --no-browser-reuse --quiet "${LOC[@]}"
"$QUARRY" export --run-id export-bench --list-files "${LOC[@]}" > "$WORK/files.txt"
files=$(wc -l < "$WORK/files.txt")
bytes=$(xargs -a "$WORK/files.txt" cat | wc -c)
lines=$("$QUARRY" export --run-id export-bench "${LOC[@]}" | wc -l)
[[ "$lines" == "$EVENTS" ]] || { echo "export wrote $lines records, expected $EVENTS" >&2; exit 1; }
echo "dataset: $files data files, $bytes bytes; the scan is cached after the first command" >&2

# name: elapsed seconds and peak RSS (KiB) of the best of REPS
declare -A best rss
measure() {
  local name=$1; shift
  local t
  t=$( { /usr/bin/time -f "%e %M" "$@" > /dev/null; } 2>&1 | tail -1)
  local e=${t% *} m=${t#* }
  if [[ -z "${best[$name]:-}" ]] || awk "BEGIN{exit !($e < ${best[$name]})}"; then
    best[$name]=$e; rss[$name]=$m
  fi
}
for ((i = 0; i < REPS; i++)); do
  measure cat xargs -a "$WORK/files.txt" cat
  measure jsonl "$QUARRY" export --run-id export-bench "${LOC[@]}"
  measure csv "$QUARRY" export --run-id export-bench --format csv "${LOC[@]}"
done
printf '%-8s %10s %14s %12s %10s\n' command seconds records/s vs_cat peak_rss_MiB
for name in cat jsonl csv; do
  e=${best[$name]}
  awk -v n="$name" -v e="$e" -v r="$EVENTS" -v c="${best[cat]}" -v m="${rss[$name]}" \
    'BEGIN { printf "%-8s %10.2f %14.0f %11.1fx %10.1f\n", n, e, (e > 0 ? r / e : 0), (c > 0 ? e / c : 0), m / 1024 }'
done
echo "work dir: $WORK" >&2
