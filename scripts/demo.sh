#!/usr/bin/env bash
# Sets everything up, then runs the bundled example extraction (a static HTML list rendered in
# real Chromium) into ./quarry-data and shows where the data went.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
DATA=${QUARRY_DEMO_DATA:-$PWD/quarry-data}
mkdir -p "$DATA"
RUN_ID="demo-$(date +%s)"
build/cli/quarry run \
  --script examples/static-html-list/script.mjs \
  --run-id "$RUN_ID" --source examples --category demo \
  --storage-backend fs --storage-path "$DATA" \
  --report "$DATA/$RUN_ID.report.json"
echo
echo "Data written under: $DATA/datasets/quarry/partitions/source=examples/category=demo/"
find "$DATA/datasets/quarry/partitions/source=examples/category=demo" -path "*run_id=$RUN_ID*" \
  -name data -type f | sort | while read -r f; do
  echo "--- ${f#$DATA/}"
  cat "$f"
done
echo "Report: $DATA/$RUN_ID.report.json"
