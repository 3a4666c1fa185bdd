#!/usr/bin/env bash
# Builds the Release benchmarks and runs all of them: the micro-benchmarks (reported against a
# memcpy baseline measured in the same run) and the whole-run matrix (synthetic executor, per
# policy, through the in-process harness to a null store and to the filesystem, and through
# `quarry run` to the filesystem). Prints two tables; raw results stay in $OUT.
#
# bench/run.sh --baseline PATH instead compares `quarry run` of this build with the runtime binary
# at PATH (e.g. the previous release, built from a tag), alternately on identical frames, beside
# `cat` moving the same bytes, and prints ratios (bench/compare_runs.py; rows in COMPARE_ROWS,
# COMPARE_FLAGS e.g. "--strace --disk-load").
#
# Environment (defaults in brackets):
#   BUILD [build-bench]  OUT [$BUILD/bench-results]  EVENTS [1000000]  BYTES [200]
#   FLUSH_COUNT [10000]  BUFFERED_EVENTS [200000]  STRICT_EVENTS [100000]
#   STRICT_FS_EVENTS [2000]  MIN_TIME [0.5]  REPS [3]  SKIP_MICRO  SKIP_RUNS
#   SKIP_BUILD (use $BUILD as it is)
set -euo pipefail
cd "$(dirname "$0")/.."

BASELINE=""
if [[ "${1:-}" == --baseline ]]; then
  [[ -x "${2:-}" ]] || { echo "bench/run.sh: --baseline needs an executable runtime binary" >&2; exit 2; }
  BASELINE=$(realpath "$2")
fi

BUILD=${BUILD:-build-bench}
OUT=${OUT:-$BUILD/bench-results}
EVENTS=${EVENTS:-1000000}
BYTES=${BYTES:-200}
FLUSH_COUNT=${FLUSH_COUNT:-10000}
BUFFERED_EVENTS=${BUFFERED_EVENTS:-200000}
STRICT_EVENTS=${STRICT_EVENTS:-100000}
# strict writes one snapshot per event; on a durable filesystem each costs several fsyncs.
STRICT_FS_EVENTS=${STRICT_FS_EVENTS:-2000}
MIN_TIME=${MIN_TIME:-0.5}
REPS=${REPS:-3}

if [[ -z "${SKIP_BUILD:-}" ]]; then
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DQUARRY_BUILD_TESTS=OFF >/dev/null
  ninja -C "$BUILD" -j2 bench >/dev/null
fi
mkdir -p "$OUT"
B="$PWD/$BUILD/bench"
QUARRY="$PWD/$BUILD/cli/quarry"

if [[ -n "$BASELINE" ]]; then
  # shellcheck disable=SC2086  # COMPARE_FLAGS and COMPARE_ROWS are word lists
  exec python3 bench/compare_runs.py --ours "$QUARRY" --baseline "$BASELINE" --bench "$B" \
    --reps "$REPS" --bytes "$BYTES" --out "$OUT/compare.jsonl" ${COMPARE_FLAGS:-} ${COMPARE_ROWS:-}
fi

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg)"

if [[ -z "${SKIP_MICRO:-}" ]]; then
  "$B/quarry_microbench" --benchmark_min_time="$MIN_TIME" --benchmark_repetitions="$REPS" \
    --benchmark_report_aggregates_only=true --benchmark_format=json \
    --benchmark_out="$OUT/micro.json" --benchmark_out_format=json >/dev/null 2>&1
  python3 - "$OUT/micro.json" <<'EOF'
import json, sys
rows = [b for b in json.load(open(sys.argv[1]))["benchmarks"] if b.get("aggregate_name") == "median"]
PER_ITERATION = {"BM_ReadDecodeValidateIngest": 10000, "BM_Baseline_CopyStream": 10000,
                 "BM_FrameReader_Item200": 1000}
def per_op(b):  # CPU ns per event/frame for the stream benchmarks, per iteration otherwise
    for prefix, n in PER_ITERATION.items():
        if b["run_name"].startswith(prefix):
            return b["cpu_time"] / n
    return b["cpu_time"]
ns = {b["run_name"]: per_op(b) for b in rows}
def baseline(name):
    if name.startswith(("BM_ReadDecodeValidateIngest", "BM_FrameReader")):
        return "BM_Baseline_CopyStream"  # copying one ~200-byte frame of the same stream
    if "Chunk" in name:
        return "BM_Baseline_CopyPayload/4156"
    return "BM_Baseline_CopyPayload/200"
print()
print("| micro-benchmark (median of runs) | CPU ns per op | ops/s | x memcpy baseline |")
print("|---|---:|---:|---:|")
for b in rows:
    name = b["run_name"]
    base = baseline(name)
    ratio = ns[name] / ns[base] if base in ns and not name.startswith("BM_Baseline") else 1.0
    print(f"| {name} | {ns[name]:,.1f} | {1e9 / ns[name] / 1e6:,.2f} M | {ratio:,.1f} |")
EOF
fi

[[ -n "${SKIP_RUNS:-}" ]] && exit 0

RUNS="$OUT/runs.jsonl"
: >"$RUNS"

harness() {  # policy store events [extra flags...]
  local policy=$1 store=$2 events=$3
  shift 3
  local dir=""
  if [[ "$store" == fs ]]; then
    dir=$(mktemp -d "${TMPDIR:-/tmp}/quarry-bench-XXXXXX")
    store="fs:$dir"
  fi
  "$B/run_harness" --executor "$B/synthetic_executor" --policy "$policy" --store "$store" \
    --events "$events" --bytes "$BYTES" "$@" | sed 's/^{/{"via":"harness",/' >>"$RUNS"
  [[ -n "$dir" ]] && rm -rf "$dir"
  return 0
}

cli() {  # policy events [extra flags...]
  local policy=$1 events=$2
  shift 2
  local dir
  dir=$(mktemp -d "${TMPDIR:-/tmp}/quarry-bench-XXXXXX")
  touch "$dir/script.mjs"
  local measured
  measured=$(QUARRY_SYNTH_EVENTS=$events QUARRY_SYNTH_BYTES=$BYTES \
    QUARRY_SYNTH_RUSAGE="$dir/executor.rusage" \
    "$B/measure_run" -- "$QUARRY" run --quiet --script "$dir/script.mjs" --run-id bench-cli \
    --source bench --executor "$B/synthetic_executor" --storage-backend fs \
    --storage-path "$dir" --policy "$policy" "$@" 2>&1 >/dev/null | tail -1)
  python3 - "$policy" "$events" "$BYTES" "$measured" "$dir/executor.rusage" >>"$RUNS" <<'EOF'
import json, sys
policy, events, size, measured, rusage = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), json.loads(sys.argv[4]), sys.argv[5]
exec_cpu, exec_rss_kb = open(rusage).read().split()
cpu = measured["cpu_s"] - float(exec_cpu)  # wait4 counts the reaped executor too
print(json.dumps({"via": "quarry run", "policy": policy, "store": "fs", "events": events,
    "outcome": "success" if measured["exit"] == 0 else f"exit {measured['exit']}",
    "lost": None, "wall_s": measured["wall_s"], "events_per_s": events / measured["wall_s"],
    "payload_mb_per_s": events * size / measured["wall_s"] / 1e6, "runtime_cpu_s": cpu,
    "cpu_s_per_million": cpu / (events / 1e6), "peak_rss_mb": measured["peak_rss_mb"],
    "executor_rss_mb": int(exec_rss_kb) / 1024}))
EOF
  rm -rf "$dir"
}

harness strict null "$STRICT_EVENTS"
harness buffered null "$BUFFERED_EVENTS"
harness streaming null "$EVENTS" --flush-count "$FLUSH_COUNT"
harness strict fs "$STRICT_FS_EVENTS"
harness buffered fs "$BUFFERED_EVENTS"
harness streaming fs "$EVENTS" --flush-count "$FLUSH_COUNT"
cli strict "$STRICT_FS_EVENTS"
cli buffered "$BUFFERED_EVENTS" --buffer-bytes 1099511627776
cli streaming "$EVENTS" --flush-count "$FLUSH_COUNT"

python3 - "$RUNS" <<'EOF'
import json, sys
print()
print("| via | policy | sink | events | wall s | events/s | payload MB/s | runtime CPU s / 1M events | runtime cores (CPU/wall) | peak RSS MB | lost | outcome |")
print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
for line in open(sys.argv[1]):
    r = json.loads(line)
    lost = "-" if r.get("lost") is None else r["lost"]
    print(f"| {r['via']} | {r['policy']} | {r['store']} | {r['events']:,} | {r['wall_s']:.2f} | "
          f"{r['events_per_s']:,.0f} | {r['payload_mb_per_s']:.1f} | {r['cpu_s_per_million']:.2f} | "
          f"{r['runtime_cpu_s'] / r['wall_s']:.2f} | {r['peak_rss_mb']:.1f} | {lost} | {r['outcome']} |")
EOF
