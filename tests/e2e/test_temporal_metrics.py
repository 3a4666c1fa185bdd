"""`quarry-temporal worker --metrics-address`: Prometheus metrics of a real worker after a real
workflow (docs/temporal.md, "Metrics")."""

import json
import re
import time
import urllib.error
import urllib.request

from temporal_harness import free_port, temporal_server, tenv  # noqa: F401

STATIC = "examples/static-html-list/script.mjs"


def scrape(port: int) -> dict[str, float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = r.read().decode()
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name, value = line.rsplit(" ", 1)
        samples[name] = float(value)
    return samples


def test_the_worker_exposes_sdk_style_and_run_metrics(tenv, tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    port = free_port()
    worker = tenv.worker("--metrics-address", f"127.0.0.1:{port}", "--max-concurrent-activities", "3")
    deadline = time.monotonic() + 30
    while True:
        try:
            before = scrape(port)
            break
        except (urllib.error.URLError, ConnectionError):
            assert time.monotonic() < deadline, worker.output()
            time.sleep(0.2)
    assert before['temporal_worker_task_slots_available{worker_type="ActivityWorker"}'] == 3
    assert before['temporal_worker_task_slots_available{worker_type="WorkflowWorker"}'] == 2
    assert before.get('quarry_runs_total{outcome="success"}', 0) == 0

    r = tenv.start("wf-metrics", script=STATIC, store=store, wait=True)
    assert r.returncode == 0, f"{r.stdout}\n{r.stderr}\n{tenv.worker_logs()}"
    persisted = json.loads(r.stdout)["result"]["final"]["events_persisted"]

    m = scrape(port)
    assert m['quarry_runs_total{outcome="success"}'] == 1
    assert m["quarry_events_persisted_total"] == persisted > 0
    assert m['temporal_activity_execution_latency_seconds_count{activity_type="RunQuarryExtraction"}'] == 1
    assert m['temporal_activity_execution_latency_seconds_sum{activity_type="RunQuarryExtraction"}'] > 0
    assert m['temporal_activity_execution_failed_total{activity_type="RunQuarryExtraction"}'] == 0
    assert m["temporal_activity_task_queue_poll_succeed_total"] == 1
    # Start, activity completed: at least two workflow tasks, each timed and none failed.
    assert m["temporal_workflow_task_queue_poll_succeed_total"] >= 2
    assert m["temporal_workflow_task_execution_latency_seconds_count"] == m[
        "temporal_workflow_task_queue_poll_succeed_total"]
    assert m["temporal_workflow_task_execution_failed_total"] == 0
    assert m['temporal_activity_schedule_to_start_latency_seconds_bucket{le="+Inf"}'] == 1
    # Nothing runs now: every slot is free again.
    assert m['temporal_worker_task_slots_used{worker_type="ActivityWorker"}'] == 0
    assert m['temporal_worker_task_slots_used{worker_type="WorkflowWorker"}'] == 0

    # Only /metrics is served.
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/other", timeout=10)
        raise AssertionError("/other was served")
    except urllib.error.HTTPError as e:
        assert e.code == 404


def test_a_bad_metrics_address_is_one_line_and_exit_2(tenv):
    w = tenv.worker("--metrics-address", "localhost-ish:99999")
    assert w.proc.wait(timeout=30) == 2
    out = w.output().strip().splitlines()
    assert out[-1].startswith("Error: --metrics-address \"localhost-ish:99999\""), out
