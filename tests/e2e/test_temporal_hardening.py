"""Hardening of quarry-temporal against hostile input and an unreliable server (issue 9):
deeply nested JSON from any client, a server that goes away while an activity finishes, Quarry's
own credentials kept from scripts, and errors that stay one line."""

import asyncio
import json
import socket
import threading
import time

import quarry_harness as qh
from temporal_harness import SCRIPTS, temporal_server, tenv  # noqa: F401

STATIC = str(qh.REPO / "examples" / "static-html-list" / "script.mjs")
FINISH_AFTER_MARKER = str(SCRIPTS / "finish-after-marker.mjs")
DUMP_ENV = str(qh.SCRIPTS / "dump-env.mjs")  # shared with test_secrets.py
DEPTH = 30_000  # the example: crashed `quarry run`; refused here by every door
# Deep enough to overflow an 8 MiB thread stack in the recursive copy/serialisation of a value
# (30,000 levels happened to fit into the worker's stack).
CRASH_DEPTH = 300_000


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


async def start_raw(address: str, task_queue: str, workflow_id: str, data: bytes) -> None:
    from temporalio.api.common.v1 import Payload
    from temporalio.client import Client
    from temporalio.common import RawValue
    client = await Client.connect(address)
    await client.start_workflow(
        "QuarryExtractionWorkflow",
        RawValue(Payload(metadata={"encoding": b"json/plain"}, data=data)),
        id=workflow_id, task_queue=task_queue)


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, f"expected exactly one line on stderr, got {len(lines)}:\n{stderr}"
    return lines[0]


def test_deeply_nested_input_is_refused_and_the_worker_survives(tenv, tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    worker = tenv.worker()
    # Any client: the Python SDK sends a raw payload as it is. (The official CLI cannot: it
    # refuses JSON nested deeper than Go's limit of 10,000.)
    text = '{"script": "/x.mjs", "source": "s", "job": {"a": ' + nested(CRASH_DEPTH) + "}}"
    asyncio.run(start_raw(tenv.server.address, tenv.task_queue, "wf-deep", text.encode()))
    code, out = tenv.result("wf-deep", timeout=120)
    assert code == 2 and out["status"] == "failed", f"{out}\n{tenv.worker_logs()}"
    assert out["failure"]["type"] == "CONFIG_ERROR" and out["failure"]["non_retryable"] is True
    assert "nested deeper than 256 levels" in out["failure"]["message"], out["failure"]
    assert worker.proc.poll() is None, f"the worker died\n{tenv.worker_logs()}"

    # The same worker still runs workflows.
    ok = tenv.start("wf-after-deep", script=STATIC, store=store, wait=True)
    assert ok.returncode == 0, f"{ok.stdout}\n{ok.stderr}\n{tenv.worker_logs()}"

    # Our client refuses such input before anything reaches the server: one line, exit 2.
    job = tmp_path / "deep-job.json"
    job.write_text('{"a": ' + nested(DEPTH) + "}")
    start = tenv.start("wf-deep-ours", script=STATIC, store=store, extra=["--job-json", str(job)])
    assert start.returncode == 2, (start.stdout, start.stderr)
    assert "nested deeper than 128 levels" in one_line(start.stderr)
    lines = tmp_path / "deep.jsonl"
    lines.write_text('{"job": {}}\n{"job": {"a": ' + nested(DEPTH) + "}}\n")
    batch = tenv.quarry_temporal("batch", "--address", tenv.server.address, "--task-queue",
                                 tenv.task_queue, "--file", str(lines), "--script", STATIC,
                                 "--source", "s", "--storage-backend", "fs", "--storage-path",
                                 str(store))
    assert batch.returncode == 2, (batch.stdout, batch.stderr)
    assert one_line(batch.stderr) == (f"Error: {lines} line 2: nested deeper than 129 levels "
                                      "(at byte 141)")
    assert tenv.temporal("workflow", "describe", "--workflow-id", "wf-deep-ours").returncode != 0


def test_a_result_finished_during_a_server_outage_is_reported_once_it_is_back(
        tenv, tmp_path):
    """The server is stopped in the last seconds of an activity and restarted 15 s later: the
    worker keeps the result and reports it, so the workflow completes with exactly one run."""
    store = tmp_path / "store"
    store.mkdir()
    worker = tenv.worker()
    # A heartbeat timeout longer than the outage: the attempt can still be accepted after it.
    # (Before the fix the lost report became a heartbeat timeout and attempt 2 ran.)
    r = tenv.start("wf-outage", script=FINISH_AFTER_MARKER, store=store,
                   extra=["--heartbeat-timeout", "45s", "--max-attempts", "2",
                          "--job", json.dumps({"sleep_ms": 3000})])
    assert r.returncode == 0, r.stderr
    tenv.wait_for_item(store, "about_to_finish")
    tenv.server._terminate()
    try:
        # A worker started while the server is away waits for it instead of exiting.
        late = tenv.worker()
        time.sleep(15)
        late_exited = late.proc.poll() is not None
    finally:
        tenv.server.start()  # the module's other tests share the server
    assert not late_exited, f"a worker exited while the server was away\n{tenv.worker_logs()}"

    code, out = tenv.result("wf-outage", timeout=120)
    assert code == 0 and out["status"] == "completed", f"{out}\n{tenv.worker_logs()}"
    attempts = out["result"]["attempts"]
    assert [a["attempt"] for a in attempts] == [1], f"{attempts}\n{tenv.worker_logs()}"
    ds = qh.LodeDataset(store)
    assert ds.run_ids() == {attempts[0]["run_id"]}, "exactly one run in Lode"
    assert [e["payload"]["item_type"] for e in ds.run(attempts[0]["run_id"]).items()] == [
        "about_to_finish", "finished"]

    log = worker.output()
    assert "result reported after" in log, log[-4000:]
    # Said once per outage, not once per poll or retry.
    assert log.count("server unreachable at") == 1, log[-4000:]
    assert log.count("is reachable again") == 1, log[-4000:]
    qh.wait_for(lambda: "worker started" in late.output(), timeout=30,
                what="the late worker to start once the server is back")
    late_log = late.output()
    assert late_log.count("server unreachable at") == 1, late_log


def test_quarrys_own_credentials_do_not_reach_scripts(tenv, tmp_path):
    """TEMPORAL_API_KEY would make the worker use TLS, which the dev server has not: the worker
    is given `--api-key ""` so it connects in plain text while the variable stays in its
    environment, where every executor would inherit it without the scrubbing."""
    store = tmp_path / "store"
    store.mkdir()
    tenv.worker("--api-key", "", env={
        "TEMPORAL_API_KEY": "tk-secret-e2e", "TEMPORAL_TLS_KEY": "/secret/tls.key",
        "AWS_SECRET_ACCESS_KEY": "aws-secret-e2e", "AWS_SESSION_TOKEN": "aws-token-e2e",
        "QUARRY_SECRET_WEBHOOK": "hook-secret-e2e", "MY_SETTING": "plain-value",
        "AWS_REGION": "eu-west-1"})
    r = tenv.start("wf-env", script=DUMP_ENV, store=store, wait=True)
    assert r.returncode == 0, f"{r.stdout}\n{r.stderr}\n{tenv.worker_logs()}"
    run_id = json.loads(r.stdout)["result"]["final"]["run_id"]
    [item] = qh.LodeDataset(store).run(run_id).items("env")
    env = item["payload"]["data"]["names"]
    assert "MY_SETTING" in env and "AWS_REGION" in env
    for name in ("TEMPORAL_API_KEY", "TEMPORAL_TLS_KEY", "AWS_SECRET_ACCESS_KEY",
                 "AWS_SESSION_TOKEN", "QUARRY_SECRET_WEBHOOK"):
        assert name not in env, f"{name} reached the script"
    stored = b"".join(p.read_bytes() for p in qh.stored_items_of(store))
    for secret in (b"tk-secret-e2e", b"aws-secret-e2e", b"aws-token-e2e", b"hook-secret-e2e"):
        assert secret not in stored


def plain_tcp_listener():
    """A loopback listener that accepts and closes connections: not TLS, not gRPC."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)

    def serve():
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            conn.close()
    threading.Thread(target=serve, daemon=True).start()
    return srv


def test_errors_are_one_line(tenv, tmp_path):
    # TLS against a server that does not speak it: gRPC's own handshake line is not printed.
    for address in (tenv.server.address, None):
        listener = None
        if address is None:
            listener = plain_tcp_listener()
            address = f"127.0.0.1:{listener.getsockname()[1]}"
        r = tenv.quarry_temporal("describe", "-w", "x", "--tls", "--address", address, timeout=60)
        if listener:
            listener.close()
        assert r.returncode == 2, (r.stdout, r.stderr)
        assert one_line(r.stderr).startswith(f"Error: server unreachable at {address}")

    # A newline in a workflow id stays escaped in the line that names it (no worker needed: the
    # workflow only has to exist).
    wf = "wf-new\nline"
    r = tenv.start(wf, script=str(SCRIPTS / "prepare-only.mjs"), store=tmp_path)
    assert r.returncode == 0, r.stderr
    c = tenv.client("cancel", wf)
    assert c.returncode == 0, (c.stdout, c.stderr)
    assert one_line(c.stderr) == "cancellation requested for workflow wf-new\\nline"
