"""The read-only commands (cli-and-integrations.md §5-§6, storage-and-policies.md §6) against a
dataset produced by real runs, and against the hand-written original-layout fixture.

One module-scoped dataset: `rd-full` (every record kind, a sidecar file, an unscheduled enqueue),
a fan-out crawl `rd-fan` with two children, `rd-fail` (script_error) and `rd-killed` (SIGKILLed
after its first item, before its metrics record: `running`). Expected values come from the
suite's own reader of the files (quarry_harness.LodeDataset), never from quarry.
"""
import json
import os
import pty
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import yaml

import quarry_harness as qh

SCRIPT = "tests/e2e/scripts/read-kinds.mjs"
FANOUT = "tests/e2e/scripts/fanout-tree.mjs"
ORIGINAL = qh.REPO / "tests" / "fixtures" / "read" / "original-layout"
RUN_KEYS = ["run_id", "job_id", "state", "attempt", "parent_run", "policy", "started_at",
            "ended_at"]
METRICS_KEYS = ["ts", "runs_started_total", "runs_completed_total", "runs_failed_total",
                "runs_crashed_total", "events_received_total", "events_persisted_total",
                "events_dropped_total", "executor_launch_success_total",
                "executor_launch_failure_total", "executor_crash_total", "ipc_decode_errors_total",
                "lode_write_success_total", "lode_write_failure_total", "lode_write_retry_total",
                "policy", "executor", "storage_backend", "run_id"]


def tree_state(root: Path) -> dict:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*"))}


@pytest.fixture(scope="module")
def ds(tmp_path_factory):
    store = tmp_path_factory.mktemp("read-store")
    cache = tmp_path_factory.mktemp("read-cache")
    tag = qh.new_tag()
    qh.set_current_tag(tag)
    try:
        killed = qh.start_quarry(qh.run_args(script=SCRIPT, run_id="rd-killed", store=store,
                                             extra=["--job", json.dumps({"hold_ms": 60000})]))
        full = qh.start_quarry(qh.run_args(script=SCRIPT, run_id="rd-full", store=store,
                                           extra=["--job-id", "rd-job"]))
        tree = {"id": "root", "kids": [{"job": {"id": "a"}}, {"job": {"id": "b"}}]}
        fan = qh.start_quarry(qh.run_args(script=FANOUT, run_id="rd-fan", store=store, extra=[
            "--job", json.dumps(tree), "--job-id", "rd-fanjob", "--depth", "1",
            "--max-runs", "10"]))
        fail = qh.run_quarry(qh.run_args(script=SCRIPT, run_id="rd-fail", store=store,
                                         extra=["--job", json.dumps({"fail": True})]))
        assert fail.returncode != 0, fail.describe()
        for proc in (full, fan):
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err.decode()[-2000:]
        # The killed run: wait for its first item to be committed, then SIGKILL its whole tree.
        held = qh.escape_partition_value("rd-killed")
        deadline = time.monotonic() + 60
        while not any(f"run_id={held}/event_type=item" in str(p)
                      for p in store.rglob("manifest.json")):
            assert time.monotonic() < deadline, "rd-killed never committed its item"
            assert killed.poll() is None, killed.communicate()[1].decode()[-2000:]
            time.sleep(0.1)
        for p in qh.owned_processes(tag):
            try:
                os.kill(p.pid, signal.SIGKILL)
            except OSError:
                pass
        killed.communicate(timeout=30)
        qh.kill_tagged_processes(qh.wait_for_no_processes(tag, None, grace=3.0))
    finally:
        qh.set_current_tag(None)
    lode = qh.LodeDataset(str(store))  # a str: works with both harness versions
    return {"store": store, "cache": cache, "lode": lode, "env": {"XDG_CACHE_HOME": str(cache)}}


def q(ds, *args, env=None, store=None, ok=True):
    loc = ["--storage-backend", "fs", "--storage-path", str(store or ds["store"])]
    r = qh.run_quarry([*args, *loc], env={**ds["env"], **(env or {})}, timeout=60)
    if ok:
        assert r.returncode == 0, r.describe()
    return r


def qj(ds, *args, **kw):
    return json.loads(q(ds, *args, "--format", "json", **kw).stdout)


def metrics_of(ds, run_id):
    recs = [r.data for r in ds["lode"].records()
            if r.get("record_kind") == "metrics" and r.get("run_id") == run_id]
    assert len(recs) == 1, recs
    return recs[0]


def child_ids(ds):
    return sorted({r["run_id"] for r in ds["lode"].records()
                   if r.get("enqueued_by_run_id") == "rd-fan"})


def test_inspect_run_every_shape(ds):
    full = qj(ds, "inspect", "run", "rd-full")
    assert list(full) == RUN_KEYS + ["sidecar_files", "outcome", "message"]
    m = metrics_of(ds, "rd-full")
    assert full["state"] == "succeeded" and full["outcome"] == "success"
    assert full["job_id"] == "rd-job" and full["parent_run"] is None and full["attempt"] == 1
    assert full["policy"] == "strict" and full["ended_at"] == m["ts"]
    assert full["message"] == m["outcome_message"]
    [side] = full["sidecar_files"]
    assert list(side) == ["filename", "content_type", "size", "path"]
    assert side["filename"] == "page.html" and side["content_type"] == "text/html"
    assert (ds["store"] / side["path"]).read_bytes() == b"<p>hi</p>" and side["size"] == 9
    first_ts = min(r["ts"] for r in ds["lode"].run("rd-full").events)
    assert full["started_at"] <= first_ts

    fail = qj(ds, "inspect", "run", "rd-fail")
    rec = metrics_of(ds, "rd-fail")
    assert fail["state"] == "failed" and fail["outcome"] == rec["outcome"] != "success"
    assert fail["message"] == rec["outcome_message"] and "planned failure" in fail["message"]

    killed = qj(ds, "inspect", "run", "rd-killed")
    assert list(killed) == RUN_KEYS  # no outcome, message, sidecars, link or children
    assert killed["state"] == "running" and killed["ended_at"] is None

    kids = child_ids(ds)
    assert len(kids) == 2
    root = qj(ds, "inspect", "run", "rd-fan")
    assert sorted(root["children"]) == kids and "enqueued_by_run_id" not in root
    enqueues = {e["event_id"] for e in ds["lode"].run("rd-fan").of_type("enqueue")}
    for kid in kids:
        child = qj(ds, "inspect", "run", kid)
        assert child["enqueued_by_run_id"] == "rd-fan" and child["fanout_depth"] == 1
        assert child["enqueued_by_event_id"] in enqueues
        assert child["job_id"] == "rd-fanjob" and child["state"] == "succeeded"
        assert list(child)[-3:] == ["enqueued_by_run_id", "enqueued_by_event_id", "fanout_depth"]


def test_inspect_job_task_executor(ds):
    job = qj(ds, "inspect", "job", "rd-fanjob")
    assert list(job) == ["job_id", "state", "run_ids"]
    assert job["state"] == "completed" and job["run_ids"][0] == "rd-fan"
    assert sorted(job["run_ids"][1:]) == child_ids(ds)
    assert qj(ds, "inspect", "job", "rd-job")["run_ids"] == ["rd-full"]

    fan_enqueue = ds["lode"].run("rd-fan").of_type("enqueue")[0]
    task = qj(ds, "inspect", "task", fan_enqueue["event_id"])
    assert list(task) == ["task_id", "state", "run_id", "target", "enqueued_by"]
    assert task["state"] == "succeeded" and task["run_id"] in child_ids(ds)
    assert task["enqueued_by"] == "rd-fan" and task["target"] == fan_enqueue["payload"]["target"]
    [lone] = ds["lode"].run("rd-full").of_type("enqueue")
    unscheduled = qj(ds, "inspect", "task", lone["event_id"])
    assert unscheduled["state"] == "unscheduled" and unscheduled["run_id"] is None
    assert unscheduled["target"] == "tests/e2e/scripts/read-kinds.mjs"

    executor = metrics_of(ds, "rd-full")["executor"]
    ex = qj(ds, "inspect", "executor", executor)
    assert list(ex) == ["executor_id", "state", "last_seen_at"]
    assert ex["state"] == "running"  # rd-killed never ended
    started = [qj(ds, "inspect", "run", r)["started_at"] for r in ("rd-full", "rd-killed")]
    assert ex["last_seen_at"] >= max(started)


@pytest.mark.parametrize("args,message", [
    (["inspect", "run", "nope"], "run not found: nope"),
    (["inspect", "run"], "run-id required"),
    (["inspect", "job", "nope"], "job not found: nope"),
    (["inspect", "job"], "job-id required"),
    (["inspect", "task", "nope"], "task not found: nope"),
    (["inspect", "task"], "task-id required"),
    (["inspect", "executor", "nope"], "executor not found: nope"),
    (["inspect", "executor"], "executor-id required"),
    (["list", "runs", "--state", "done"], 'invalid state: "done" (must be running, failed, or succeeded)'),
    (["list", "runs", "--format", "xml"], 'invalid format: "xml" (must be json, table, or yaml)'),
    (["list", "runs", "--format", "xml", "--tui"], 'invalid format: "xml" (must be json, table, or yaml)'),
    (["list", "runs", "--tui"], "--tui is not supported for list commands"),
    (["debug", "ipc", "--tui"], "--tui is not supported for debug commands"),
])
def test_errors(ds, args, message):
    r = q(ds, *args, ok=False)
    assert (r.returncode, r.stderr, r.stdout) == (1, f"Error: {message}\n", ""), r.describe()


def test_stats_and_lists(ds):
    lode = ds["lode"]
    run_ids = {r["run_id"] for r in lode.records()}
    with_metrics = {r["run_id"] for r in lode.records() if r.get("record_kind") == "metrics"}
    failed = {r for r in with_metrics if metrics_of(ds, r)["outcome"] != "success"}
    assert qj(ds, "stats", "runs") == {"total": len(run_ids), "running": len(run_ids - with_metrics),
                                       "succeeded": len(with_metrics - failed), "failed": len(failed)}
    assert list(qj(ds, "stats", "runs")) == ["total", "running", "succeeded", "failed"]
    # Jobs: rd-job, rd-fanjob (completed); the runs without --job-id have none.
    assert qj(ds, "stats", "jobs") == {"total": 2, "running": 0, "succeeded": 2, "failed": 0}
    # Tasks: rd-fan's two (both succeeded) and rd-full's unscheduled one.
    assert qj(ds, "stats", "tasks") == {"total": 3, "running": 0, "succeeded": 2, "failed": 0}
    assert qj(ds, "stats", "executors") == {"total": 1, "running": 1, "idle": 0, "failed": 0}

    runs = qj(ds, "list", "runs")
    assert {r["run_id"] for r in runs} == run_ids and all(list(r) == ["run_id", "state", "started_at"] for r in runs)
    starts = [r["started_at"] for r in runs]
    assert starts == sorted(starts, reverse=True)
    assert [r["run_id"] for r in qj(ds, "list", "runs", "--state", "failed")] == sorted(failed)
    assert [r["run_id"] for r in qj(ds, "list", "runs", "--state", "running")] == ["rd-killed"]
    assert qj(ds, "list", "runs", "--limit", "2") == runs[:2]
    # Jobs newest first by the start of their first run.
    start = {r["run_id"]: r["started_at"] for r in runs}
    jobs = sorted([("rd-job", start["rd-full"]), ("rd-fanjob", start["rd-fan"])],
                  key=lambda j: j[1], reverse=True)
    assert qj(ds, "list", "jobs") == [{"job_id": j, "state": "completed"} for j, _ in jobs]
    [ex] = qj(ds, "list", "executors")
    assert ex == {"executor_id": metrics_of(ds, "rd-full")["executor"], "state": "running"}


def test_stats_metrics_and_debug_ipc(ds):
    rec = metrics_of(ds, "rd-full")
    one = qj(ds, "stats", "metrics", "--run-id", "rd-full")
    assert [k for k in one if k != "job_id"] == METRICS_KEYS and one["job_id"] == "rd-job"
    assert all(one[k] == rec[k] for k in METRICS_KEYS)
    recs = [r.data for r in ds["lode"].records() if r.get("record_kind") == "metrics"]
    agg = qj(ds, "stats", "metrics")
    assert agg["runs"] == len(recs) and list(agg)[-1] == "runs" and "job_id" not in agg
    for key in METRICS_KEYS[1:15]:
        assert agg[key] == sum(r[key] for r in recs), key
    r = q(ds, "stats", "metrics", "--source", "nowhere", ok=False)
    assert (r.returncode, r.stderr) == (1, "Error: failed to read metrics from Lode: no metrics records found\n")
    r = q(ds, "stats", "metrics", "--run-id", "rd-killed", ok=False)
    assert r.stderr == "Error: failed to read metrics from Lode: no metrics records found\n"

    ipc = qj(ds, "debug", "ipc")
    assert ipc == {"transport": "stdio", "encoding": "msgpack",
                   "messages_sent": sum(r["events_received_total"] for r in recs),
                   "errors": sum(r["ipc_decode_errors_total"] for r in recs), "last_error": None}
    verbose = qj(ds, "debug", "ipc", "--verbose", "--run-id", "rd-full")
    assert verbose["messages_sent"] == rec["events_received_total"] and verbose["recent_errors"] == []


def test_formats_colour_and_version(ds):
    as_json = qj(ds, "inspect", "run", "rd-full")
    assert yaml.safe_load(q(ds, "inspect", "run", "rd-full", "--format", "YAML").stdout) == as_json
    table = q(ds, "inspect", "run", "rd-full", "-f", "table").stdout.splitlines()
    assert table[0].split() == ["run_id", "rd-full"] and "\033[" not in "".join(table)
    assert table[RUN_KEYS.index("parent_run")].rstrip() == "parent_run"  # null -> empty cell
    assert [l.split()[0] for l in table] == list(as_json)
    assert any(l.split() == ["sidecar_files", "[1", "items]"] for l in table)
    # Piped: JSON by default.
    assert json.loads(q(ds, "stats", "runs").stdout)["total"] >= 5

    # On a terminal: a table, coloured unless NO_COLOR / --no-color.
    def on_tty(*args, env=None):
        master, slave = pty.openpty()
        p = subprocess.Popen([str(qh.QUARRY_BIN), *args, "--storage-backend", "fs",
                              "--storage-path", str(ds["store"])], stdout=slave,
                             stderr=subprocess.PIPE, env=qh.quarry_env({**ds["env"], **(env or {})}))
        os.close(slave)
        out = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        p.wait(timeout=30)
        os.close(master)
        return out.decode()
    coloured = on_tty("list", "runs", "--state", "failed")
    assert coloured.splitlines()[0].split() == ["run_id", "state", "started_at"]
    assert "\033[31mfailed\033[0m" in coloured
    assert "\033[" not in on_tty("list", "runs", env={"NO_COLOR": "1"})
    assert "\033[" not in on_tty("list", "runs", "--no-color")

    v = qh.run_quarry(["version"])
    assert list(json.loads(v.stdout)) == ["version", "commit", "contract_version"]
    assert json.loads(v.stdout)["contract_version"] == "0.13.4"
    assert qh.run_quarry(["version", "-f", "yaml"]).stdout.startswith("version: ")
    bad = qh.run_quarry(["version", "--tui"])
    assert (bad.returncode, bad.stderr) == (1, "Error: --tui is not supported for version command\n")


def test_location_flags_config_and_read_only(ds, tmp_path):
    before = tree_state(ds["store"])
    for args, message in [
        ([], "no dataset location: pass --storage-backend and --storage-path, or --config"),
        (["--storage-backend", "fs"], "both --storage-backend and --storage-path are required for Lode reads"),
        (["--storage-path", str(ds["store"])], "both --storage-backend and --storage-path are required for Lode reads"),
    ]:
        r = qh.run_quarry(["stats", "runs", *args], env=ds["env"])
        assert (r.returncode, r.stderr) == (1, f"Error: {message}\n"), r.describe()
    cfg = tmp_path / "quarry.yaml"
    cfg.write_text(f"storage:\n  backend: fs\n  path: {ds['store']}\n")
    r = qh.run_quarry(["stats", "runs", "--config", str(cfg)], env=ds["env"])
    assert r.returncode == 0 and json.loads(r.stdout) == qj(ds, "stats", "runs"), r.describe()
    # Another dataset id: empty, so no runs.
    assert qj(ds, "stats", "runs", "--storage-dataset", "other") == {
        "total": 0, "running": 0, "succeeded": 0, "failed": 0}
    assert qj(ds, "list", "runs", "--storage-dataset", "other") == []
    # Nothing in the dataset changed; the cache lives outside it.
    assert tree_state(ds["store"]) == before
    assert list((ds["cache"] / "quarry" / "digests-v1").glob("*.jsonl"))


def test_cache_gives_the_same_answers(ds, tmp_path):
    fresh = {"XDG_CACHE_HOME": str(tmp_path / "c")}
    cold = q(ds, "list", "runs", env=fresh).stdout
    warm = q(ds, "list", "runs", env=fresh).stdout
    off = q(ds, "list", "runs", env={"QUARRY_CACHE_DIR": "off", "XDG_CACHE_HOME": str(tmp_path / "none")}).stdout
    assert cold == warm == off
    assert not (tmp_path / "none").exists()


def test_read_timeout(ds, tmp_path):
    # A data file the scan must read that blocks forever (a FIFO nobody writes): it gives up.
    store = tmp_path / "hung"
    shutil.copytree(ORIGINAL, store)
    [data] = (store / "datasets").rglob("run_id=orig-live/event_type=item/segments/*/data/data")
    data.unlink()
    os.mkfifo(data)
    started = time.monotonic()
    r = q(ds, "stats", "runs", store=store, env={"QUARRY_READ_TIMEOUT": "1s", "QUARRY_CACHE_DIR": "off"}, ok=False)
    assert (r.returncode, r.stderr) == (1, "Error: timed out reading dataset after 1s\n"), r.describe()
    assert time.monotonic() - started < 15


def test_original_layout_fixture(ds):
    env = {"QUARRY_CACHE_DIR": "off"}
    runs = qj(ds, "list", "runs", store=ORIGINAL, env=env)
    assert [(r["run_id"], r["state"]) for r in runs] == [
        ("orig-live", "running"), ("orig-err", "failed"), ("orig-crash", "failed"),
        ("orig-ok", "succeeded")]
    ok = qj(ds, "inspect", "run", "orig-ok", store=ORIGINAL, env=env)
    assert ok == {"run_id": "orig-ok", "job_id": "job-orig", "state": "succeeded", "attempt": 1,
                  "parent_run": None, "policy": "strict", "started_at": "2025-11-02T10:00:01.5Z",
                  "ended_at": "2025-11-02T10:00:04Z", "outcome": "success", "message": ""}
    err = qj(ds, "inspect", "run", "orig-err", store=ORIGINAL, env=env)
    assert (err["outcome"], err["message"]) == ("script_error", "boom: selector not found")
    assert qj(ds, "inspect", "job", "job-orig", store=ORIGINAL, env=env)["state"] == "failed"
    assert qj(ds, "stats", "metrics", store=ORIGINAL, env=env)["runs"] == 3
