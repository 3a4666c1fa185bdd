"""Faults around a running QuarryExtractionWorkflow: the workflow is cancelled mid-run, and the
worker is killed with SIGKILL mid-activity (../shared/spec/temporal.md §3, §6)."""

import json
import time

import quarry_harness as qh
from temporal_harness import SCRIPTS, lode_run, temporal_server, tenv  # noqa: F401

SLEEPER = str(SCRIPTS / "sleep-on-first-attempt.mjs")
# These tests follow the run's own Chromium until it is killed, so each run launches its own; the
# shared browser server of reuse mode outlives runs by design (test_temporal_browser_reuse.py).
LAUNCH_MODE = ("--no-browser-reuse",)


def alive(procs):
    out = []
    for p in procs:
        now = qh._read_proc(p.pid, None)
        if now is not None and now.starttime == p.starttime and now.state not in ("Z", "X"):
            out.append(now)
    return out


def test_cancel_mid_run_stops_the_browser_and_keeps_accepted_events(tenv, tmp_path, procs):
    store = tmp_path / "store"
    store.mkdir()
    worker = tenv.worker(*LAUNCH_MODE)
    r = tenv.start("wf-cancel", script=SLEEPER, store=store)
    assert r.returncode == 0, r.stderr
    tenv.wait_for_item(store, "before_sleep")
    time.sleep(0.5)  # the watcher samples the run's processes
    run_procs = [p for p in procs.seen.values() if qh.is_browser_or_executor(p)]
    assert any("chrom" in p.cmdline for p in run_procs), "no Chromium seen for the run"

    cancelled_at = time.monotonic()
    c = tenv.client("cancel", "wf-cancel")
    assert c.returncode == 0, c.stderr
    qh.wait_for(lambda: not alive(run_procs), timeout=10,
                what="executor and Chromium gone after the cancel")
    gone_after = time.monotonic() - cancelled_at
    assert gone_after < 10, gone_after

    code, out = tenv.result("wf-cancel")
    assert out["status"] == "canceled", f"{out}\n{tenv.worker_logs()}"
    assert code == 2
    attempts = out["details"]["attempts"]
    assert [a["outcome"] for a in attempts] == ["canceled"]
    run = lode_run(store, attempts[0]["run_id"])
    assert [e["payload"]["item_type"] for e in run.items()] == ["before_sleep"]
    assert worker.proc.poll() is None, "the worker must survive a cancelled activity"


def test_killed_worker_times_out_and_the_next_worker_retries_with_lineage(tenv, tmp_path, procs):
    store = tmp_path / "store"
    store.mkdir()
    first = tenv.worker(*LAUNCH_MODE)
    r = tenv.start("wf-kill", script=SLEEPER, store=store,
                   extra=["--heartbeat-timeout", "5s", "--initial-interval", "1s",
                          "--max-attempts", "2"])
    assert r.returncode == 0, r.stderr
    tenv.wait_for_item(store, "before_sleep")
    time.sleep(0.5)
    run_procs = [p for p in procs.seen.values() if qh.is_browser_or_executor(p)]
    assert any("chrom" in p.cmdline for p in run_procs), "no Chromium seen for the run"

    first.kill9()
    # Nothing of the killed worker's run survives it (its guard process kills the tree).
    qh.wait_for(lambda: not alive(run_procs), timeout=10,
                what="the killed worker's executor and Chromium gone")

    tenv.worker()
    code, out = tenv.result("wf-kill", timeout=300)
    assert code == 0 and out["status"] == "completed", f"{out}\n{tenv.worker_logs()}"
    attempts = out["result"]["attempts"]
    assert [a["outcome"] for a in attempts] == ["activity_timeout", "success"]
    assert attempts[0]["timeout_type"] == "HEARTBEAT"
    run1_id, run2_id = attempts[0]["run_id"], attempts[1]["run_id"]
    final = out["result"]["final"]
    assert final["attempt"] == 2 and final["parent_run_id"] == run1_id

    run1, run2 = lode_run(store, run1_id), lode_run(store, run2_id)
    assert [e["payload"]["item_type"] for e in run1.items()] == ["before_sleep"]
    assert {e["attempt"] for e in run2.events} == {2}
    assert {e["parent_run_id"] for e in run2.events} == {run1_id}


def test_sigterm_lets_the_grace_period_run_out_then_cancels(tenv, tmp_path, procs):
    store = tmp_path / "store"
    store.mkdir()
    worker = tenv.worker("--shutdown-grace", "2s", *LAUNCH_MODE)
    r = tenv.start("wf-sigterm", script=SLEEPER, store=store)
    assert r.returncode == 0, r.stderr
    tenv.wait_for_item(store, "before_sleep")
    time.sleep(0.5)
    run_procs = [p for p in procs.seen.values() if qh.is_browser_or_executor(p)]
    assert run_procs

    stopped_at = time.monotonic()
    assert worker.stop(timeout=30) == 0, worker.output()
    took = time.monotonic() - stopped_at
    assert 1.5 <= took < 15, f"worker stopped after {took:.1f}s\n{worker.output()}"
    assert not alive(run_procs), "the run's processes outlived the worker"
    log = worker.output()
    assert "received SIGTERM" in log and "worker stopped" in log, log
    # Accepted events were flushed; the attempt has no result yet (the server times it out later).
    d = json.loads(tenv.client("describe", "wf-sigterm").stdout)
    assert d["status"] == "RUNNING"
    assert [a["activity_id"] for a in d["pending_activities"]] == ["attempt-1"]
    assert d["pending_activities"][0]["heartbeat_details"]["event_count"] >= 1
    tenv.client("cancel", "wf-sigterm")


def test_terminated_workflow_stops_the_run_through_heartbeat_not_found(tenv, tmp_path, procs):
    # temporal.md §3: a NotFound heartbeat reply (the activity is gone: here the workflow was
    # terminated, which sends no cancellation) must stop the run through the orchestrator's cancel
    # path: process tree killed, accepted events kept, the worker unharmed.
    store = tmp_path / "store"
    store.mkdir()
    worker = tenv.worker(*LAUNCH_MODE)
    r = tenv.start("wf-terminate", script=SLEEPER, store=store)
    assert r.returncode == 0, r.stderr
    tenv.wait_for_item(store, "before_sleep")
    time.sleep(0.5)  # the watcher samples the run's processes
    run_procs = [p for p in procs.seen.values() if qh.is_browser_or_executor(p)]
    assert any("chrom" in p.cmdline for p in run_procs), "no Chromium seen for the run"

    t = tenv.temporal("workflow", "terminate", "--workflow-id", "wf-terminate",
                      "--reason", "e2e: heartbeat NotFound")
    assert t.returncode == 0, t.stderr
    terminated_at = time.monotonic()
    qh.wait_for(lambda: not alive(run_procs), timeout=15,
                what="executor and Chromium gone after the workflow was terminated")
    assert time.monotonic() - terminated_at < 15

    qh.wait_for(lambda: "no longer exists on the server" in worker.output(), timeout=10,
                what="the worker logging that the activity is gone")
    runs = [d for d in (store / "datasets" / "quarry" / "partitions").rglob("run_id=*")
            if d.is_dir()]
    assert len(runs) == 1, runs
    run_id = runs[0].name.split("=", 1)[1]
    run = lode_run(store, run_id)
    assert [e["payload"]["item_type"] for e in run.items()] == ["before_sleep"]
    assert worker.proc.poll() is None, "the worker must survive an abandoned activity"
