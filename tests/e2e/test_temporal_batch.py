"""Batches end to end (../shared/spec/temporal.md §4–§6): `quarry-temporal batch` against a real
dev server and worker, runs that finish in their prepare hook (no browser) so hundreds of them stay
quick, real Lode files checked run by run."""

from __future__ import annotations

import http.server
import json
import os
import pty
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

import quarry_harness as qh
from temporal_harness import SCRIPTS, TEMPORAL_BIN, temporal_server, tenv  # noqa: F401

PREPARE_ONLY = str(SCRIPTS / "prepare-only.mjs")
THROWS = str(qh.E2E_DIR / "scripts" / "prepare-throws.mjs")
MEASUREMENTS = qh.QUARRY_BIN.resolve().parents[1] / "measurements"


def write_jobs(path: Path, lines: list[dict]) -> Path:
    path.write_text("".join(json.dumps(l) + "\n" for l in lines))
    return path


def batch(tenv, jobs: Path, store: Path, workflow_id: str, *extra, timeout: float = 900):
    return tenv.quarry_temporal(
        "batch", "--address", tenv.server.address, "--task-queue", tenv.task_queue,
        "--workflow-id", workflow_id, "--file", str(jobs), "--script", PREPARE_ONLY,
        "--source", "temporal-batch", "--storage-backend", "fs", "--storage-path", str(store),
        *extra, timeout=timeout)


def runs_by_job(store: Path) -> dict[str, list[dict]]:
    """job_id -> the runs committed for it: each run's descriptor (attempt, lineage, from the
    manifests) with the outcome of its metrics record. A run that crashed before emitting
    anything still has both."""
    ds = qh.LodeDataset(store)
    ds.validate()
    runs: dict[str, dict] = {}
    for m in ds.chain():
        for desc in m.data.get("metadata", {}).get("quarry_runs", []):
            runs.setdefault(desc["run_id"], dict(desc))
    outcomes = Counter()
    for rec in ds.records():
        if rec.get("record_kind") == "metrics":
            runs[rec["run_id"]]["outcome"] = rec["outcome"]
            outcomes[rec["run_id"]] += 1
    assert all(c == 1 for c in outcomes.values()), "a run has more than one metrics record"
    assert set(outcomes) == set(runs), "a run has no metrics record"
    by_job: dict[str, list[dict]] = {}
    for run in runs.values():
        by_job.setdefault(run["job_id"], []).append(run)
    return by_job


def describe(tenv, workflow_id: str) -> dict:
    d = tenv.client("describe", workflow_id)
    assert d.returncode == 0, d.stderr
    return json.loads(d.stdout)


class FlakyHook:
    """A webhook that answers 500 to its first `failures` POSTs, then 204."""

    def __init__(self, failures: int):
        self.posts: list[tuple[int, dict, str | None]] = []
        hook = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                status = 500 if len(hook.posts) < failures else 204
                hook.posts.append((status, body, self.headers.get("Authorization")))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self):
        self.server.shutdown()


def test_failing_runs_are_listed_with_run_ids_and_the_webhook_gets_one_delivery(tenv, tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    lines = [{"job": {"n": i}} for i in range(4)]
    lines.insert(1, {"job": {"n": 90}, "script": THROWS})
    lines.append({"job": {"n": 91}, "script": THROWS, "job_id": "doomed"})
    jobs = write_jobs(tmp_path / "jobs.jsonl", lines)
    hook = FlakyHook(failures=2)
    tenv.worker("--max-concurrent-activities", "3")
    try:
        r = batch(tenv, jobs, store, "b-mixed", "--wait", "--max-attempts", "2",
                  "--initial-interval", "1s", "--max-parallel", "3", "--notify-url", hook.url,
                  "--notify-header", "Authorization: Bearer s3cret")
    finally:
        hook.close()
    assert r.returncode == 1, f"{r.stdout}\n{r.stderr}\n{tenv.worker_logs()}"
    out = json.loads(r.stdout)
    assert out["status"] == "completed"
    agg = out["result"]
    assert (agg["total"], agg["succeeded"], agg["failed"], agg["canceled"]) == (6, 4, 2, 0)
    failed = {f["index"]: f for f in agg["failed_runs"]}
    assert set(failed) == {1, 5}
    assert failed[1]["job_id"] == "b-mixed/run-1" and failed[5]["job_id"] == "doomed"
    for f in failed.values():
        assert f["outcome"] == "executor_crash" and f["attempts"] == 2 and f["run_id"]

    # Lode: every run once per attempt; the failing ones twice, the second with lineage.
    by_job = runs_by_job(store)
    assert set(by_job) == {f"b-mixed/run-{i}" for i in (0, 2, 3, 4)} | {"b-mixed/run-1", "doomed"}
    for job, events in by_job.items():
        attempts = sorted(e["attempt"] for e in events)
        if job in ("b-mixed/run-1", "doomed"):
            assert attempts == [1, 2], job
            first = next(e for e in events if e["attempt"] == 1)
            second = next(e for e in events if e["attempt"] == 2)
            assert second["parent_run_id"] == first["run_id"]
            assert second["run_id"] == failed[1 if job != "doomed" else 5]["run_id"]
        else:
            assert attempts == [1], job
    assert len({e["run_id"] for events in by_job.values() for e in events}) == 8

    # At least once through Temporal's retries: two refused deliveries, then exactly one accepted.
    assert [p[0] for p in hook.posts] == [500, 500, 204]
    bodies = [p[1] for p in hook.posts]
    assert all(b == bodies[0] for b in bodies)
    assert bodies[0]["workflow_id"] == "b-mixed" and bodies[0]["failed"] == 2
    assert all(p[2] == "Bearer s3cret" for p in hook.posts)
    assert "s3cret" not in tenv.workers[0].output()


def test_bad_lines_are_refused_before_anything_starts(tenv, tmp_path):
    jobs = write_jobs(tmp_path / "jobs.jsonl", [{"job": {}}])
    with jobs.open("a") as f:
        f.write("\n{\"jbo\": {}}\n")
    r = batch(tenv, jobs, tmp_path, "b-bad")
    assert r.returncode == 2
    assert r.stderr.strip() == f'Error: {jobs} line 3: unknown field "jbo"'
    assert tenv.temporal("workflow", "describe", "-w", "b-bad").returncode != 0


# Over the 500 runs one workflow takes, so the batch becomes a LargeBatchExtraction of chunk
# children. The suite runs 520 runs in chunks of 200 (three children, the last one short); the
# measured scale run of docs/benchmarks.md is QUARRY_BATCH_SCALE=1: 1,200 runs in chunks of 500.
SCALE = os.environ.get("QUARRY_BATCH_SCALE") == "1"
LARGE_RUNS, CHUNK = (1200, 500) if SCALE else (520, 200)


def test_a_large_batch_completes_through_child_workflows(tenv, tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    n = LARGE_RUNS
    wid = f"b-{n}"
    jobs = write_jobs(tmp_path / "jobs.jsonl", [{"job": {"n": i}} for i in range(n)])
    concurrency = 4
    worker = tenv.worker("--max-concurrent-activities", str(concurrency))
    started = time.monotonic()
    r = batch(tenv, jobs, store, wid, "--wait", "--max-parallel", "50",
              "--max-parallel-chunks", "3", "--chunk-size", str(CHUNK), timeout=1500)
    elapsed = time.monotonic() - started
    assert r.returncode == 0, f"{r.stdout}\n{r.stderr}\n{tenv.worker_logs()}"
    peak_rss_kib = vm_hwm_kib(worker.pid)
    agg = json.loads(r.stdout)["result"]
    assert (agg["total"], agg["succeeded"], agg["failed"]) == (n, n, 0), agg

    # Every run in Lode exactly once, attempt 1, under its batch job id.
    by_job = runs_by_job(store)
    assert set(by_job) == {f"{wid}/run-{i}" for i in range(n)}
    assert Counter(len(v) for v in by_job.values()) == {1: n}
    assert all(v[0]["attempt"] == 1 and v[0]["outcome"] == "success" for v in by_job.values())

    # Three chunks of ≤ CHUNK runs as children, every history far below Temporal's limits.
    chunks = -(-n // CHUNK)
    assert chunks == 3
    histories = {wid: describe(tenv, wid)}
    for c in range(chunks):
        histories[f"{wid}/chunk-{c}"] = describe(tenv, f"{wid}/chunk-{c}")
    assert histories[wid]["type"] == "LargeBatchExtraction"
    for w, d in histories.items():
        assert d["status"] == "COMPLETED", w
        assert d["history_length"] < 51_200 // 4 and d["history_size_bytes"] < 50 * 2**20 // 10
    assert not (tenv.client("describe", f"{wid}/chunk-{chunks}").returncode == 0)

    MEASUREMENTS.mkdir(exist_ok=True)
    (MEASUREMENTS / f"temporal_batch_{n}.json").write_text(json.dumps({
        "runs": n, "chunk_size": CHUNK, "concurrent_activities": concurrency,
        "seconds": round(elapsed, 1),
        "runs_per_minute": round(n / elapsed * 60), "worker_peak_rss_mib":
        round(peak_rss_kib / 1024, 1), "cpus": os.cpu_count(),
        "histories": {w: {"events": d["history_length"], "bytes": d["history_size_bytes"]}
                      for w, d in histories.items()}}, indent=2) + "\n")


def test_a_terminated_chunk_reports_the_runs_that_succeeded(tenv, tmp_path):
    # A chunk stopped from outside reports nothing; its parent reads Lode to learn which of its
    # runs succeeded (docs/temporal.md, "Batches"). Chunk 0 = runs 0 (quick) and 1 (slow); chunk
    # 1 = runs 2 and 3 (quick). Chunk 0 is terminated while run 1 sleeps.
    store = tmp_path / "store"
    store.mkdir()
    wid = "b-term"
    runs = [{"job": {"n": 0}}, {"job": {"n": 1, "sleep_ms": 120_000}},
            {"job": {"n": 2}}, {"job": {"n": 3}}]
    payload = {"defaults": {"script": PREPARE_ONLY, "source": "temporal-batch",
                            "storage": {"backend": "fs", "path": str(store)}},
               "runs": runs, "chunk_size": 2, "max_parallel_chunks": 2, "max_parallel": 2,
               "activity": {"heartbeat_timeout": "5s"}}
    tenv.worker("--max-concurrent-activities", "4")
    s = tenv.temporal("workflow", "start", "--type", "LargeBatchExtraction", "--task-queue",
                      tenv.task_queue, "--workflow-id", wid, "--input", json.dumps(payload))
    assert s.returncode == 0, s.stderr

    def quick_runs_done():
        try:
            done = {job for job, rs in runs_by_job(store).items()
                    if any(r.get("outcome") == "success" for r in rs)}
        except (FileNotFoundError, AssertionError, KeyError):
            return False  # mid-commit (see the restart test), or a run without its metrics yet
        return done == {f"{wid}/run-{i}" for i in (0, 2, 3)}
    qh.wait_for(quick_runs_done, timeout=120, what="runs 0, 2 and 3 in Lode")
    t = tenv.temporal("workflow", "terminate", "--workflow-id", f"{wid}/chunk-0",
                      "--reason", "e2e: a stuck chunk")
    assert t.returncode == 0, t.stderr

    code, out = tenv.result(wid, timeout=120)
    assert code == 1, f"{out}\n{tenv.worker_logs()}"  # a batch with a failed run
    agg = out["result"]
    assert (agg["total"], agg["succeeded"], agg["failed"]) == (4, 3, 1), agg
    [chunk] = agg["failed_chunks"]
    assert chunk["workflow_id"] == f"{wid}/chunk-0" and chunk["runs"] == 2
    assert chunk["succeeded_indices"] == [0]
    assert chunk["message"] == "child workflow terminated"


# Continue-as-new of LargeBatchExtraction: the suite runs 60 runs in chunks of 5 with a 20-event
# bound (several runs of the chain); QUARRY_BATCH_SCALE=1 runs 5,000 in chunks of 100.
CAN_RUNS, CAN_CHUNK = (5000, 100) if SCALE else (60, 5)


def test_a_large_batch_continues_as_new_and_runs_every_run_once(tenv, tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    wid = f"b-can-{CAN_RUNS}"
    jobs = write_jobs(tmp_path / "jobs.jsonl", [{"job": {"n": i}} for i in range(CAN_RUNS)])
    payload = {"defaults": {"script": PREPARE_ONLY, "source": "temporal-batch",
                            "storage": {"backend": "fs", "path": str(store)}},
               "runs_file": str(jobs), "chunk_size": CAN_CHUNK, "max_parallel_chunks": 2,
               "max_parallel": 10, "continue_as_new_after": 20 if not SCALE else 200}
    tenv.worker("--max-concurrent-activities", "4")
    s = tenv.temporal("workflow", "start", "--type", "LargeBatchExtraction", "--task-queue",
                      tenv.task_queue, "--workflow-id", wid, "--input", json.dumps(payload))
    assert s.returncode == 0, s.stderr
    code, out = tenv.result(wid, timeout=3000 if SCALE else 300)
    assert code == 0, f"{out}\n{tenv.worker_logs()}"
    agg = out["result"]
    assert (agg["total"], agg["succeeded"], agg["failed"]) == (CAN_RUNS, CAN_RUNS, 0), agg

    # The chain: several runs, each closed by continue-as-new but the last, none near a limit.
    r = tenv.temporal("workflow", "list", "--query", f'WorkflowId="{wid}"', "--output", "json")
    assert r.returncode == 0, r.stderr
    runs = json.loads(r.stdout)
    statuses = sorted(x["status"] for x in runs)
    assert statuses.count("WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW") >= 2, statuses
    assert statuses.count("WORKFLOW_EXECUTION_STATUS_COMPLETED") == 1, statuses
    limit = 600 if SCALE else 200
    for x in runs:
        assert 0 < int(x["historyLength"]) < limit, x

    by_job = runs_by_job(store)
    assert set(by_job) == {f"{wid}/run-{i}" for i in range(CAN_RUNS)}
    assert Counter(len(v) for v in by_job.values()) == {1: CAN_RUNS}


def vm_hwm_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmHWM for {pid}")


def test_a_server_restart_mid_batch_does_not_lose_the_batch(tenv, tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    n = 24
    jobs = write_jobs(tmp_path / "jobs.jsonl",
                      [{"job": {"n": i, "sleep_ms": 1500}} for i in range(n)])
    tenv.worker("--max-concurrent-activities", "4")
    r = batch(tenv, jobs, store, "b-restart", "--max-parallel", "4", "--heartbeat-timeout", "5s",
              "--initial-interval", "1s")
    assert r.returncode == 0, r.stderr

    def some_runs_done():
        ds = qh.LodeDataset(store)
        try:
            return ds.exists() and sum(r.get("record_kind") == "metrics" for r in ds.records()) >= 4
        except (FileNotFoundError, AssertionError):
            # Lode moves the pointer before it writes the new snapshot's manifest: a reader
            # polling during commits can see the id a moment before the file (chain() then
            # finds the head without its manifest). The final checks read a settled dataset.
            return False
    qh.wait_for(some_runs_done, timeout=120, what="the first runs of the batch in Lode")
    tenv.server.restart()

    code, out = tenv.result("b-restart", timeout=600)
    assert code == 0, f"{out}\n{tenv.worker_logs()}"
    agg = out["result"]
    assert (agg["total"], agg["succeeded"], agg["failed"]) == (n, n, 0), agg
    # A run whose completion could not be reported while the server was down is run again as
    # its next attempt (new run id, lineage kept): each attempt is in Lode once.
    by_job = runs_by_job(store)
    assert set(by_job) == {f"b-restart/run-{i}" for i in range(n)}
    for job, events in by_job.items():
        attempts = sorted(e["attempt"] for e in events)
        assert attempts == list(range(1, len(attempts) + 1)), (job, attempts)
        runs = {e["attempt"]: e for e in events}
        for a in attempts[1:]:
            assert runs[a]["parent_run_id"] == runs[a - 1]["run_id"]


def test_wait_draws_a_live_line_on_a_terminal_only(tenv, tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    jobs = write_jobs(tmp_path / "jobs.jsonl", [{"job": {"n": i, "sleep_ms": 1500}} for i in range(3)])
    tenv.worker()
    args = ["batch", "--address", tenv.server.address, "--task-queue", tenv.task_queue,
            "--file", str(jobs), "--script", PREPARE_ONLY, "--source", "temporal-batch",
            "--storage-backend", "fs", "--storage-path", str(store), "--max-parallel", "1",
            "--wait"]

    # stderr on a terminal: the line is drawn while waiting and erased before the result.
    master, slave = pty.openpty()
    proc = subprocess.Popen([TEMPORAL_BIN, *args, "--workflow-id", "b-tty"], cwd=qh.REPO,
                            env=qh.quarry_env(), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the other side closed
            break
        if not chunk:
            break
        seen += chunk
    out, _ = proc.communicate(timeout=120)
    os.close(master)
    assert proc.returncode == 0, seen.decode(errors="replace")
    assert json.loads(out)["result"]["succeeded"] == 3
    text = seen.decode(errors="replace")
    assert "\r\x1b[K  BatchExtraction  waiting" in text and "activities running 1" in text, text
    assert text.endswith("\r\x1b[K"), repr(text[-200:])

    # Not a terminal: no live line at all.
    r = batch(tenv, jobs, store, "b-pipe", "--max-parallel", "3", "--wait")
    assert r.returncode == 0, r.stderr
    assert "\x1b[K" not in r.stderr and "activities running" not in r.stderr
