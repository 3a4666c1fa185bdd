"""`temporal workflow reset` mid-batch keeps lineage (docs/temporal.md, "Run ids"): after the
reset, every parent_run_id in Lode names a run that is in Lode, and no run id is used twice."""

from __future__ import annotations

import json
from pathlib import Path

import quarry_harness as qh
from temporal_harness import SCRIPTS, temporal_server, tenv  # noqa: F401
from test_temporal_batch import runs_by_job, write_jobs

FAILS_FIRST = str(SCRIPTS / "prepare-fails-first-attempt.mjs")


def history(tenv, workflow_id: str, run_id: str | None = None) -> list[dict]:
    args = ["workflow", "show", "--workflow-id", workflow_id, "--output", "json"]
    if run_id:
        args += ["--run-id", run_id]
    r = tenv.temporal(*args)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)["events"]


def event_type(e: dict) -> str:
    return e["eventType"].removeprefix("EVENT_TYPE_")


def test_a_reset_mid_batch_keeps_every_parent_run_in_lode(tenv, tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    wid = "b-reset"
    n = 6
    jobs = write_jobs(tmp_path / "jobs.jsonl",
                      [{"job": {"n": i, "sleep_ms": 800}} for i in range(n)])
    tenv.worker("--max-concurrent-activities", "4")
    r = tenv.quarry_temporal(
        "batch", "--address", tenv.server.address, "--task-queue", tenv.task_queue,
        "--workflow-id", wid, "--file", str(jobs), "--script", FAILS_FIRST,
        "--source", "temporal-reset", "--storage-backend", "fs", "--storage-path", str(store),
        "--max-parallel", "2", "--max-attempts", "3", "--initial-interval", "3s")
    assert r.returncode == 0, r.stderr
    first_run = json.loads(r.stdout)["run_id"]

    # Reset once first attempts failed (their runs are in Lode) and retries are pending, to a
    # workflow task at which no activity was running: Temporal dispatches an activity that was
    # running at the reset point again with its recorded input, so its run id would repeat
    # (docs/temporal.md, "Run ids").
    def failed_attempts():
        return sum(event_type(e) == "ACTIVITY_TASK_FAILED" for e in history(tenv, wid, first_run))
    qh.wait_for(lambda: failed_attempts() >= 2, timeout=120, what="two failed first attempts")
    events = history(tenv, wid, first_run)
    assert not any(event_type(e) == "WORKFLOW_EXECUTION_COMPLETED" for e in events)
    reset_to, pending = None, 0
    closed = ("ACTIVITY_TASK_COMPLETED", "ACTIVITY_TASK_FAILED", "ACTIVITY_TASK_TIMED_OUT",
              "ACTIVITY_TASK_CANCELED")
    for e in events:
        kind = event_type(e)
        pending += kind == "ACTIVITY_TASK_SCHEDULED"
        pending -= kind in closed
        if kind == "WORKFLOW_TASK_COMPLETED" and pending == 0 and any(
                event_type(x) == "ACTIVITY_TASK_FAILED" for x in events[:events.index(e)]):
            reset_to = int(e["eventId"])
    assert reset_to, "no workflow task without a running activity after a failure"
    t = tenv.temporal("workflow", "reset", "--workflow-id", wid, "--run-id", first_run,
                      "--event-id", str(reset_to), "--reason", "e2e: reset mid-batch")
    assert t.returncode == 0, t.stderr

    code, out = tenv.result(wid, timeout=300)
    assert code == 0, f"{out}\n{tenv.worker_logs()}"
    assert out["result"]["succeeded"] == n, out

    by_job = runs_by_job(store)  # also: every run has exactly one metrics record
    runs = {run["run_id"]: run for rs in by_job.values() for run in rs}
    for run in runs.values():
        if run["attempt"] > 1:
            assert run.get("parent_run_id") in runs, (run, sorted(runs))
    assert set(by_job) == {f"{wid}/run-{i}" for i in range(n)}
    for job, rs in by_job.items():
        assert any(r["outcome"] == "success" for r in rs), (job, rs)
