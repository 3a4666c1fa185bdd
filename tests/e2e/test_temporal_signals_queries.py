"""Signals and queries end to end (docs/temporal.md, "Signals and queries"): a real dev server and
worker, driven by the official `temporal` CLI and the Python SDK client — a batch paused, widened,
resumed and with a run cancelled by signal; the progress query; the Web UI's __stack_trace; the
SDKs' error for an unknown query; a signal nobody handles logged by the worker."""

from __future__ import annotations

import asyncio
import json
import time

import quarry_harness as qh
from temporal_harness import SCRIPTS, temporal_server, tenv  # noqa: F401

from temporalio.client import Client

PREPARE_ONLY = str(SCRIPTS / "prepare-only.mjs")


def query(tenv, workflow_id: str, name: str):
    r = tenv.temporal("workflow", "query", "--workflow-id", workflow_id, "--name", name,
                      "--output", "json")
    return r


def progress(tenv, workflow_id: str) -> dict:
    r = query(tenv, workflow_id, "progress")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    # `temporal workflow query -o json` prints {"queryType", "queryResult": [<payload>]}.
    return out["queryResult"][0]


def signal(tenv, workflow_id: str, name: str, payload=None):
    args = ["workflow", "signal", "--workflow-id", workflow_id, "--name", name]
    if payload is not None:
        args += ["--input", json.dumps(payload)]
    r = tenv.temporal(*args)
    assert r.returncode == 0, r.stderr


def test_a_batch_is_paused_widened_resumed_and_cancels_a_run_by_signal(tenv, tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    wid = "b-signals"
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text("".join(json.dumps({"job": {"n": i, "sleep_ms": 1500}}) + "\n"
                            for i in range(6)))
    worker = tenv.worker("--max-concurrent-activities", "4")
    r = tenv.quarry_temporal(
        "batch", "--address", tenv.server.address, "--task-queue", tenv.task_queue,
        "--workflow-id", wid, "--file", str(jobs), "--script", PREPARE_ONLY,
        "--source", "temporal-batch", "--storage-backend", "fs", "--storage-path", str(store),
        "--max-parallel", "1")
    assert r.returncode == 0, r.stderr

    signal(tenv, wid, "cancel_run", {"index": 5})
    signal(tenv, wid, "pause")
    qh.wait_for(lambda: progress(tenv, wid)["running"] == 0, timeout=30,
                what="the running run to finish after pause")
    paused = progress(tenv, wid)
    assert paused["paused"] is True and paused["total"] == 6
    time.sleep(3)  # a paused batch starts nothing
    still = progress(tenv, wid)
    assert (still["running"], still["done"]) == (0, paused["done"]), still
    assert still["done"] < 5

    # The Web UI's stack view and the SDKs' answer to a query nobody defines.
    st = tenv.temporal("workflow", "stack", "--workflow-id", wid)
    assert st.returncode == 0, st.stderr
    assert "BatchExtraction waits on" in st.stdout, st.stdout
    bad = query(tenv, wid, "status")
    assert bad.returncode != 0
    assert "unknown queryType status. KnownQueryTypes=[__stack_trace progress]" in bad.stderr

    signal(tenv, wid, "no_such_signal")
    def logged():  # JSON log lines: the quotes around the name are escaped
        return any("no_such_signal" in line and "has no handler in BatchExtraction" in line
                   and "its signals: pause, resume, set_max_parallel, cancel_run" in line
                   for line in worker.output().splitlines())
    qh.wait_for(logged, timeout=15, what="the worker logging the unhandled signal")

    # The update form validates and answers; a rejection changes nothing.
    bad_update = tenv.temporal("workflow", "update", "execute", "--workflow-id", wid,
                               "--name", "set_max_parallel", "--input", "0")
    assert bad_update.returncode != 0
    assert "set_max_parallel needs an integer in 1..500" in bad_update.stderr, bad_update.stderr
    unknown = tenv.temporal("workflow", "update", "execute", "--workflow-id", wid,
                            "--name", "speed_up", "--input", "1")
    assert unknown.returncode != 0
    assert "unknown update speed_up. KnownUpdates=[set_max_parallel]" in unknown.stderr
    assert progress(tenv, wid)["max_parallel"] == 1
    up = tenv.temporal("workflow", "update", "execute", "--workflow-id", wid,
                       "--name", "set_max_parallel", "--input", "2", "--output", "json")
    assert up.returncode == 0, up.stderr
    assert json.loads(up.stdout)["result"] == {"max_parallel": 2, "previous": 1}, up.stdout
    assert progress(tenv, wid)["max_parallel"] == 2

    signal(tenv, wid, "set_max_parallel", 3)
    signal(tenv, wid, "resume")
    qh.wait_for(lambda: progress(tenv, wid)["max_parallel"] == 3, timeout=15,
                what="max_parallel 3 in progress")
    code, out = tenv.result(wid, timeout=120)
    assert code == 0, f"{out}\n{tenv.worker_logs()}"
    agg = out["result"]
    assert (agg["total"], agg["succeeded"], agg["canceled"], agg["failed"]) == (6, 5, 1, 0), agg

    # `quarry-temporal describe` shows the workflow's own progress beside the server's view.
    d = tenv.client("describe", wid)
    assert d.returncode == 0, d.stderr
    described = json.loads(d.stdout)
    assert described["progress"]["done"] == 6 and described["progress"]["canceled"] == 1


def test_the_python_sdk_client_queries_progress(tenv, tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    tenv.worker()
    r = tenv.start("wf-query", script=PREPARE_ONLY, store=store, wait=True)
    assert r.returncode == 0, r.stderr

    async def ask():
        client = await Client.connect(tenv.server.address)
        handle = client.get_workflow_handle("wf-query")
        return await handle.query("progress")
    answer = asyncio.run(ask())
    assert answer["state"] == "succeeded" and answer["attempts"] == 1, answer
    assert answer["run_id"]
