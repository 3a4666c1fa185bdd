#!/usr/bin/env python3
"""Records real workflow histories for the replay tests (tests/unit/temporal/histories/).

Starts a dev server and a worker (the same harness as the e2e tests), runs one workflow of every
batch type to its end and saves `temporal workflow show --output json` of each:

  batch.json        BatchExtraction: 3 runs, one failing its first attempt (retry, lineage,
                    backoff timer), max_parallel 2, notify to a local webhook
  large_batch.json  LargeBatchExtraction: 5 inline runs in chunks of 2 (three children, two at a
                    time)
  chunk.json        BatchChunk: the first chunk of that batch
  crawl.json        QuarryCrawlWorkflow: a depth-2 crawl of temporal_scripts/crawl-site.mjs
                    (Chromium) with continue_as_new_after 40: its first run, which ends in
                    ContinuedAsNew with the frontier
  crawl_continued.json  the last run of that crawl, started from the frontier

Usage: python3 tests/e2e/record_histories.py [--out DIR]   (after a build; needs no pytest)
"""

from __future__ import annotations

import argparse
import http.server
import json
import sys
import tempfile
import threading
from pathlib import Path

import quarry_harness as qh
from temporal_harness import SCRIPTS, DevServer, TemporalEnv

HISTORIES = qh.REPO / "tests" / "unit" / "temporal" / "histories"


def start(env: TemporalEnv, workflow_type: str, workflow_id: str, payload: dict) -> None:
    r = env.temporal("workflow", "start", "--type", workflow_type, "--task-queue",
                     env.task_queue, "--workflow-id", workflow_id, "--input", json.dumps(payload))
    if r.returncode != 0:
        sys.exit(f"starting {workflow_id}: {r.stderr}")


def save(env: TemporalEnv, workflow_id: str, path: Path) -> None:
    code, out = env.result(workflow_id, timeout=300)
    if out.get("status") != "completed":
        sys.exit(f"{workflow_id} did not complete: {out}\n{env.worker_logs()}")
    r = env.temporal("workflow", "show", "--workflow-id", workflow_id, "--output", "json")
    if r.returncode != 0:
        sys.exit(f"show {workflow_id}: {r.stderr}")
    path.write_text(r.stdout)
    print(f"{path}: {len(json.loads(r.stdout)['events'])} events")


def save_chain(env: TemporalEnv, workflow_id: str, first_path: Path, last_path: Path) -> None:
    """The first and the last run of a workflow that continued as new."""
    code, out = env.result(workflow_id, timeout=300)
    if out.get("status") != "completed":
        sys.exit(f"{workflow_id} did not complete: {out}\n{env.worker_logs()}")
    r = env.temporal("workflow", "list", "--query", f"WorkflowId = '{workflow_id}'",
                     "--output", "json")
    runs = sorted(json.loads(r.stdout), key=lambda e: e["startTime"])
    if len(runs) < 2:
        sys.exit(f"{workflow_id} did not continue as new: {runs}")
    for run, path in ((runs[0], first_path), (runs[-1], last_path)):
        r = env.temporal("workflow", "show", "--workflow-id", workflow_id, "--run-id",
                         run["execution"]["runId"], "--output", "json")
        if r.returncode != 0:
            sys.exit(f"show {workflow_id}: {r.stderr}")
        path.write_text(r.stdout)
        print(f"{path}: {len(json.loads(r.stdout)['events'])} events")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=HISTORIES)
    args = ap.parse_args()

    hook = http.server.HTTPServer(("127.0.0.1", 0), type("H", (http.server.BaseHTTPRequestHandler,), {
        "do_POST": lambda self: (self.rfile.read(int(self.headers["Content-Length"])),
                                 self.send_response(204), self.end_headers()),
        "log_message": lambda self, *a: None}))
    threading.Thread(target=hook.serve_forever, daemon=True).start()

    with tempfile.TemporaryDirectory(prefix="quarry-record-") as d:
        tmp = Path(d)
        server = DevServer(tmp)
        server.start()
        env = TemporalEnv(server, tmp)
        try:
            env.worker("--max-concurrent-activities", "2")
            store = tmp / "store"
            store.mkdir()
            defaults = {"script": str(SCRIPTS / "prepare-only.mjs"), "source": "record",
                        "storage": {"backend": "fs", "path": str(store)}}
            start(env, "BatchExtraction", "rec-batch", {
                "defaults": defaults,
                "runs": [{"job": {"n": 0}},
                         {"job": {"n": 1}, "script": str(SCRIPTS / "fail-first-attempt.mjs")},
                         {"job": {"n": 2}}],
                "max_parallel": 2, "retry": {"max_attempts": 2, "initial_interval": "1s"},
                "notify": {"url": f"http://127.0.0.1:{hook.server_address[1]}/hook"}})
            save(env, "rec-batch", args.out / "batch.json")
            start(env, "LargeBatchExtraction", "rec-large", {
                "defaults": defaults, "runs": [{"job": {"n": i}} for i in range(5)],
                "chunk_size": 2, "max_parallel_chunks": 2, "max_parallel": 2})
            save(env, "rec-large", args.out / "large_batch.json")
            save(env, "rec-large/chunk-0", args.out / "chunk.json")
            start(env, "QuarryCrawlWorkflow", "rec-crawl", {
                "script": str(SCRIPTS / "crawl-site.mjs"), "source": "record",
                "job": {"page": "home"}, "storage": {"backend": "fs", "path": str(store)},
                "depth": 2, "max_runs": 10, "parallel": 2, "continue_as_new_after": 40})
            save_chain(env, "rec-crawl", args.out / "crawl.json", args.out / "crawl_continued.json")
        finally:
            env.stop_workers()
            server.stop()
            hook.shutdown()


if __name__ == "__main__":
    main()
