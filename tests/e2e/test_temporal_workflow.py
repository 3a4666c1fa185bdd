"""QuarryExtractionWorkflow end to end: a real Temporal dev server, the real quarry-temporal worker
and client, real Chromium, real Lode files (../shared/spec/temporal.md §3–§6)."""

import base64
import json
import time

import quarry_harness as qh
from temporal_harness import SCRIPTS, lode_run, temporal_server, tenv  # noqa: F401

STATIC = "examples/static-html-list/script.mjs"


def test_success_writes_the_run_with_workflow_lineage(tenv, tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    tenv.worker()
    r = tenv.start("wf-success", script=STATIC, store=store, wait=True)
    assert r.returncode == 0, f"{r.stdout}\n{r.stderr}\n{tenv.worker_logs()}"
    out = json.loads(r.stdout)
    assert out["status"] == "completed" and out["workflow_id"] == "wf-success"
    final = out["result"]["final"]
    assert final["outcome"] == "success" and final["attempt"] == 1
    assert final["job_id"] == "wf-success" and "parent_run_id" not in final
    assert final["storage_path"] == str(store / "datasets" / "quarry")
    assert out["result"]["attempts"] == [{"run_id": final["run_id"], "attempt": 1,
                                          "outcome": "success"}]

    ds = qh.LodeDataset(store)
    ds.validate()
    assert ds.run_ids() == {final["run_id"]}
    run = lode_run(store, final["run_id"])
    assert run.events and run.terminal is not None
    for e in run.events:
        assert e["attempt"] == 1 and e["job_id"] == "wf-success" and "parent_run_id" not in e.data
    assert final["event_count"] == len(run.events) == final["events_persisted"]
    assert run.metrics_record["outcome"] == "success"

    # The client reads the same result again, and describes the closed workflow.
    code, again = tenv.result("wf-success")
    assert code == 0 and again["result"] == out["result"]
    d = tenv.client("describe", "wf-success")
    assert d.returncode == 0, d.stderr
    desc = json.loads(d.stdout)
    assert desc["status"] == "COMPLETED" and desc["type"] == "QuarryExtractionWorkflow"


def test_failed_first_attempt_is_retried_with_lineage(tenv, tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    tenv.worker()
    r = tenv.start("wf-retry", script=str(SCRIPTS / "fail-first-attempt.mjs"), store=store,
                   wait=True, extra=["--initial-interval", "1s"])
    assert r.returncode == 0, f"{r.stdout}\n{r.stderr}\n{tenv.worker_logs()}"
    result = json.loads(r.stdout)["result"]
    attempts = result["attempts"]
    assert [a["outcome"] for a in attempts] == ["script_error", "success"]
    first, second = attempts[0]["run_id"], attempts[1]["run_id"]
    assert first != second and result["final"]["run_id"] == second
    assert result["final"]["parent_run_id"] == first and result["final"]["attempt"] == 2

    ds = qh.LodeDataset(store)
    ds.validate()
    assert ds.run_ids() == {first, second}
    run1, run2 = lode_run(store, first), lode_run(store, second)
    assert {e["attempt"] for e in run1.events} == {1}
    assert all("parent_run_id" not in e.data for e in run1.events)
    assert run1.metrics_record["outcome"] == "script_error"
    assert {e["attempt"] for e in run2.events} == {2}
    assert {e["parent_run_id"] for e in run2.events} == {first}
    assert {e["job_id"] for e in run1.events + run2.events} == {"wf-retry"}
    assert run2.items("attempt_seen")[0]["payload"]["data"]["attempt"] == 2


def test_policy_failure_fails_fast_and_is_not_retried(tenv, tmp_path):
    store = tmp_path / "store"
    (store / "datasets").mkdir(parents=True)
    (store / "datasets" / "quarry").write_text("not a directory")  # every Lode write fails
    tenv.worker()
    started = time.monotonic()
    r = tenv.start("wf-policy", script=STATIC, store=store, wait=True,
                   extra=["--max-attempts", "3", "--initial-interval", "1s"])
    assert r.returncode == 3, f"{r.stdout}\n{r.stderr}\n{tenv.worker_logs()}"
    out = json.loads(r.stdout)
    assert out["status"] == "failed"
    failure = out["failure"]
    assert failure["type"] == "POLICY_FAILURE" and failure["non_retryable"] is True
    assert [a["outcome"] for a in failure["details"]["attempts"]] == ["policy_failure"]
    assert failure["details"]["final"]["outcome"] == "policy_failure"
    assert failure["cause"]["type"] == "POLICY_FAILURE"
    assert time.monotonic() - started < 120


def test_invalid_input_is_a_config_error(tenv, tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    tenv.worker()
    # Valid in shape, refused by the run validation `quarry run` applies.
    r = tenv.start("wf-config", script=STATIC, store=tmp_path / "missing", wait=True)
    assert r.returncode == 2, f"{r.stdout}\n{r.stderr}\n{tenv.worker_logs()}"
    failure = json.loads(r.stdout)["failure"]
    assert failure["type"] == "CONFIG_ERROR" and failure["non_retryable"] is True
    assert "does not exist" in failure["message"]
    assert len(failure["details"]["attempts"]) == 1


def test_a_script_missing_on_the_worker_fails_once_as_a_config_error(tenv, tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    tenv.worker()
    missing = tmp_path / "not-deployed.mjs"
    r = tenv.start("wf-no-script", script=missing, store=store, wait=True,
                   extra=["--max-attempts", "3", "--initial-interval", "1s"])
    assert r.returncode == 2, f"{r.stdout}\n{r.stderr}\n{tenv.worker_logs()}"
    failure = json.loads(r.stdout)["failure"]
    assert failure["type"] == "CONFIG_ERROR" and failure["non_retryable"] is True
    assert failure["message"] == f"attempt 1 of 3: script not found: {missing}"
    assert [a["outcome"] for a in failure["details"]["attempts"]] == ["config_error"]
    # Refused before an executor started: no run, no event, not even a dataset directory.
    assert list(store.iterdir()) == []


def test_search_attributes_and_memo_are_set_on_the_started_workflow(tenv, tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    tenv.worker()
    r = tenv.start("wf-annotated", script=STATIC, store=store, wait=True,
                   extra=["--search-attribute", "QuarryEnv=e2e-annotated",
                          "--memo", "owner=ops", "--memo", "pages=3"])
    assert r.returncode == 0, f"{r.stdout}\n{r.stderr}"
    d = tenv.temporal("workflow", "describe", "--workflow-id", "wf-annotated", "--output", "json")
    assert d.returncode == 0, d.stderr
    info = json.loads(d.stdout)["workflowExecutionInfo"]
    assert info["memo"]["fields"] == {"owner": "ops", "pages": 3}, info
    sa = info["searchAttributes"]["indexedFields"]["QuarryEnv"]  # a raw payload, base64
    assert base64.b64decode(sa["data"]) == b'"e2e-annotated"', sa

    def listed():  # visibility lags the start by a moment
        q = tenv.temporal("workflow", "list", "--query", 'QuarryEnv="e2e-annotated"',
                          "--output", "json")
        return q.returncode == 0 and "wf-annotated" in q.stdout
    qh.wait_for(listed, timeout=20, what="the workflow listed by its search attribute")

    # A search attribute the namespace does not have: the server's refusal, one line, exit 2.
    bad = tenv.start("wf-bad-sa", script=STATIC, store=store,
                     extra=["--search-attribute", "NotRegistered=x"])
    assert bad.returncode == 2
    assert bad.stderr.startswith("Error: ") and bad.stderr.count("\n") == 1, bad.stderr
    assert "NotRegistered" in bad.stderr, bad.stderr
    malformed = tenv.start("wf-bad-memo", script=STATIC, store=store, extra=["--memo", "novalue"])
    assert malformed.returncode == 2
    assert malformed.stderr == 'Error: --memo "novalue": expected key=value\n'


def test_notify_webhook_posts_the_final_outcome(tenv, tmp_path):
    import http.server
    import threading

    received = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.headers.get("X-Token"), json.loads(body)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        store = tmp_path / "store"
        store.mkdir()
        tenv.worker()
        url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        r = tenv.start("wf-notify", script=STATIC, store=store, wait=True,
                       extra=["--notify-url", url, "--notify-header", "X-Token: t0k"])
        assert r.returncode == 0, f"{r.stdout}\n{r.stderr}\n{tenv.worker_logs()}"
    finally:
        server.shutdown()
    assert len(received) == 1
    token, body = received[0]
    assert token == "t0k"
    assert body["workflow_id"] == "wf-notify" and body["status"] == "completed"
    assert body["final"]["outcome"] == "success" and len(body["attempts"]) == 1


def test_client_errors_are_one_line(tenv, tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    unreachable = tenv.quarry_temporal("describe", "--address", "127.0.0.1:1", "-w", "x")
    assert unreachable.returncode == 2
    assert unreachable.stderr.startswith("Error: server unreachable at 127.0.0.1:1")
    assert len(unreachable.stderr.strip().splitlines()) == 1

    first = tenv.start("wf-dup", script=STATIC, store=store)
    assert first.returncode == 0, first.stderr
    dup = tenv.start("wf-dup", script=STATIC, store=store)
    assert dup.returncode == 2 and dup.stderr.strip() == "Error: workflow already running: wf-dup"
    tenv.client("cancel", "wf-dup")

    ns = tenv.quarry_temporal("describe", "--address", tenv.server.address, "--namespace",
                              "no-such-ns", "-w", "x")
    assert ns.returncode == 2 and "no-such-ns" in ns.stderr and "not found" in ns.stderr.lower()

    typo = tenv.start("wf-typo-local", script=STATIC, store=store, extra=["--max-attempts", "0"])
    assert typo.returncode == 2 and "max_attempts" in typo.stderr


def test_activity_slots_bound_concurrent_runs(tenv, tmp_path):
    """With --max-concurrent-activities 1 a second attempt waits until the first run ends."""
    store_a, store_b = tmp_path / "a", tmp_path / "b"
    store_a.mkdir()
    store_b.mkdir()
    tenv.worker("--max-concurrent-activities", "1")
    assert tenv.start("wf-slot-a", script=str(SCRIPTS / "sleep-on-first-attempt.mjs"),
                      store=store_a).returncode == 0
    tenv.wait_for_item(store_a, "before_sleep")
    assert tenv.start("wf-slot-b", script=STATIC, store=store_b).returncode == 0
    time.sleep(4)
    desc = json.loads(tenv.client("describe", "wf-slot-b").stdout)
    assert [(a["activity_id"], a["state"]) for a in desc["pending_activities"]] == [
        ("attempt-1", "SCHEDULED")], desc
    assert not (store_b / "datasets").exists()

    assert tenv.client("cancel", "wf-slot-a").returncode == 0
    code, out = tenv.result("wf-slot-b")
    assert code == 0 and out["status"] == "completed", f"{out}\n{tenv.worker_logs()}"
    assert tenv.result("wf-slot-a")[1]["status"] == "canceled"
