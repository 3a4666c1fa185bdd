"""`quarry-temporal worker` shares one reusable browser server across its activities
(cli-and-integrations §10): each activity's run connects and gets its own browser context, and a
server that dies is replaced by the next activity without harming the worker."""

import json
import os
import signal

import quarry_harness as qh
from temporal_harness import lode_run, temporal_server, tenv  # noqa: F401
from test_browser_reuse import SCRIPT, pages_at, record_path, server_processes, site  # noqa: F401


def log_lines(worker, needle: str) -> list[dict]:
    out = []
    for line in worker.output().splitlines():
        if needle in line:
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
    return out


def run_workflow(tenv, store, workflow_id, site, mark) -> dict:
    job = {"url": site, "mark": mark}
    r = tenv.start(workflow_id, script=SCRIPT, store=store, wait=True,
                   extra=["--job", json.dumps(job)])
    assert r.returncode == 0, f"{r.stdout}\n{r.stderr}\n{tenv.worker_logs()}"
    final = json.loads(r.stdout)["result"]["final"]
    items = lode_run(store, final["run_id"]).items()
    assert len(items) == 1, items
    return items[0]["payload"]["data"]


def test_worker_reuses_one_browser_and_replaces_a_killed_one(tenv, tmp_path, site):
    store = tmp_path / "store"
    store.mkdir()
    worker = tenv.worker()

    first = run_workflow(tenv, store, "reuse-wf-1", site, "one")
    second = run_workflow(tenv, store, "reuse-wf-2", site, "two")
    started = log_lines(worker, "started browser server pid")
    reused = log_lines(worker, "reusing browser server pid")
    assert len(started) == 1 and len(reused) == 1, tenv.worker_logs()
    pid = started[0]["fields"]["pid"]
    assert reused[0]["fields"]["pid"] == pid and reused[0]["run_id"]
    assert first["launched"] is False and second["launched"] is False
    # Each activity had a context of its own.
    assert second["before"] == {"cookie": "", "stored": None}, second
    assert second["after"] == {"cookie": "quarry-reuse=two", "stored": "two"}
    assert [p.pid for p in server_processes()] == [pid]
    assert pages_at(json.loads(record_path().read_text())["ws_endpoint"], site) == []

    # The browser dies (its Chromium is orphaned and lives on): the next activity replaces it.
    table = qh.process_table(qh.current_tag())
    old_tree = qh.browser_server_pids(table, os.path.join(qh.browser_runtime_dir(), ""))
    assert len(old_tree) > 1, "the server's Chromium should be running"
    os.kill(pid, signal.SIGKILL)
    third = run_workflow(tenv, store, "reuse-wf-3", site, "three")
    assert third["launched"] is False and third["before"] == {"cookie": "", "stored": None}
    assert any(f"pid {pid} is gone" in line["message"]
               for line in log_lines(worker, "stale browser server")), tenv.worker_logs()
    restarted = log_lines(worker, "started browser server pid")
    assert len(restarted) == 2 and restarted[1]["fields"]["pid"] != pid
    new_pid = restarted[1]["fields"]["pid"]
    assert json.loads(record_path().read_text())["pid"] == new_pid
    still = [p for p in old_tree
             if (now := qh._read_proc(p, None)) is not None and now.state not in ("Z", "X")]
    assert still == [], f"the dead server's processes were not cleaned up: {still}"
    assert worker.proc.poll() is None, "a dead browser must not take the worker down"
    assert [p.pid for p in server_processes()] == [new_pid]
