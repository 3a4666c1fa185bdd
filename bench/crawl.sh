#!/usr/bin/env bash
# Browser reuse, measured: a 200-page fan-out crawl of local fixture pages (depth 2, --parallel 4)
# and the start-up cost of a one-item run, each with and without reuse (bench/crawl/crawl_bench.py).
#   bench/crawl.sh [crawl|startup|all]     env: QUARRY (build/cli/quarry), REPS, PARALLEL,
#                                          LISTINGS, DETAILS, STARTUP_REPS
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 bench/crawl/crawl_bench.py "${QUARRY:-build/cli/quarry}" "${1:-all}"
