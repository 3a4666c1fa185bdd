#!/usr/bin/env bash
# Streaming to S3 against the filesystem, in one session: `quarry run` with the synthetic executor
# (EVENTS items of about BYTES bytes, --policy streaming --flush-count FLUSH_COUNT) into an fs
# directory and into versitygw on loopback (its posix backend on the same disk). Prints one table
# row per store (wall, events/s, runtime CPU per million events, peak RSS) and, for S3, the HTTP
# requests per snapshot counted in versitygw's access log.
#
# Needs a build with QUARRY_BUILD_BENCH=ON (synthetic_executor, measure_run) and versitygw
# (scripts/setup.sh). Environment: BUILD [build]  EVENTS [1000000]  BYTES [200]
#   FLUSH_COUNT [10000]  REPS [1]
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
EVENTS=${EVENTS:-1000000}
BYTES=${BYTES:-200}
FLUSH_COUNT=${FLUSH_COUNT:-10000}
REPS=${REPS:-1}
QUARRY=$BUILD/cli/quarry
B=$BUILD/bench
VGW=${QUARRY_VERSITYGW:-.cache/bin/versitygw}
for f in "$QUARRY" "$B/synthetic_executor" "$B/measure_run" "$VGW"; do
  [[ -x "$f" ]] || { echo "bench/s3.sh: $f missing (QUARRY_BUILD_BENCH=ON build, scripts/setup.sh)" >&2; exit 2; }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/quarry-bench-s3-XXXXXX")
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$WORK/gw/bench"
"$VGW" --port "127.0.0.1:$PORT" --access benchkey --secret bench-secret-key \
  --access-log "$WORK/access.log" posix "$WORK/gw" >"$WORK/versitygw.log" 2>&1 &
VGW_PID=$!
trap 'kill $VGW_PID 2>/dev/null; wait $VGW_PID 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
  sleep 0.1
done
touch "$WORK/script.mjs"
ROWS=$WORK/rows.jsonl

run() {  # store-name rep storage flags...
  local name=$1 rep=$2
  shift 2
  : >"$WORK/access.log"
  local measured
  measured=$(QUARRY_SYNTH_EVENTS=$EVENTS QUARRY_SYNTH_BYTES=$BYTES \
    QUARRY_SYNTH_RUSAGE="$WORK/executor.rusage" \
    AWS_ACCESS_KEY_ID=benchkey AWS_SECRET_ACCESS_KEY=bench-secret-key AWS_EC2_METADATA_DISABLED=true \
    "$B/measure_run" -- "$QUARRY" run --quiet --script "$WORK/script.mjs" --run-id "bench-$name-$rep" \
    --source bench --executor "$B/synthetic_executor" --policy streaming \
    --flush-count "$FLUSH_COUNT" "$@" 2>&1 >/dev/null | tail -1)
  local root=$WORK/fs
  [[ $name == s3 ]] && root=$WORK/gw/bench/$rep
  python3 - "$name" "$EVENTS" "$measured" "$WORK/executor.rusage" "$root" "$WORK/access.log" >>"$ROWS" <<'EOF'
import json, os, sys
name, events, measured, rusage, root, log = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]
exec_cpu, _ = open(rusage).read().split()
cpu = measured["cpu_s"] - float(exec_cpu)  # wait4 counts the reaped executor too
segs = os.path.join(root, "datasets", "quarry", "segments")
snapshots = len(os.listdir(segs)) if os.path.isdir(segs) else 0
requests = sum(1 for _ in open(log)) if name == "s3" else None
print(json.dumps({"store": name, "events": events, "exit": measured["exit"],
                  "wall_s": measured["wall_s"], "cpu_s_per_million": cpu / (events / 1e6),
                  "peak_rss_mb": measured["peak_rss_mb"], "snapshots": snapshots,
                  "requests": requests}))
EOF
}

for rep in $(seq "$REPS"); do
  rm -rf "$WORK/fs" && mkdir -p "$WORK/fs"
  run fs "$rep" --storage-backend fs --storage-path "$WORK/fs"
  run s3 "$rep" --storage-backend s3 --storage-path "bench/$rep" \
    --storage-endpoint "http://127.0.0.1:$PORT" --storage-s3-path-style --storage-region us-east-1
done

python3 - "$ROWS" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
fs_wall = min(r["wall_s"] for r in rows if r["store"] == "fs")
print("| store | events | wall s | events/s | runtime CPU s / 1M events | peak RSS MB | snapshots | HTTP requests | requests / snapshot | wall vs fs | exit |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
for r in rows:
    req = "-" if r["requests"] is None else f"{r['requests']:,}"
    per = "-" if r["requests"] is None else f"{r['requests'] / max(r['snapshots'], 1):.2f}"
    print(f"| {r['store']} | {r['events']:,} | {r['wall_s']:.2f} | {r['events'] / r['wall_s']:,.0f} | "
          f"{r['cpu_s_per_million']:.2f} | {r['peak_rss_mb']:.1f} | {r['snapshots']} | {req} | {per} | "
          f"{r['wall_s'] / fs_wall:.2f}x | {r['exit']} |")
EOF
