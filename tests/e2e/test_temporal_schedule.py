"""Temporal Schedules made with `quarry-temporal schedule` (../shared/spec/temporal.md §5, §6): a
schedule with a short interval fires at least twice, every workflow it starts completes on our
worker and writes its run to Lode, `list` and `describe` show it, `delete` removes it and nothing
starts afterwards; bad specs and server errors are one-line errors with exit code 2."""

import json
import time

import quarry_harness as qh
from temporal_harness import lode_run, temporal_server, tenv  # noqa: F401

# With a stale job this script returns from its `prepare` hook: no browser, a run of about a second.
SKIPPING = "examples/hooks-prepare/script.mjs"
STALE_JOB = '{"url": "https://example.com", "stale": true}'
INTERVAL = 3  # seconds


def schedule(tenv, command, *args, timeout=60):
    return tenv.quarry_temporal("schedule", command, "--address", tenv.server.address, *args,
                                timeout=timeout)


def create_args(tenv, schedule_id, store, *spec):
    return ["--schedule-id", schedule_id, *spec, "--task-queue", tenv.task_queue,
            "--script", SKIPPING, "--job", STALE_JOB, "--source", "temporal-e2e",
            "--category", "schedule", "--storage-backend", "fs", "--storage-path", str(store)]


def describe(tenv, schedule_id) -> dict:
    r = schedule(tenv, "describe", "--schedule-id", schedule_id)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def listed(tenv) -> dict:
    r = schedule(tenv, "list")
    assert r.returncode == 0, r.stderr
    return {e["schedule_id"]: e for e in map(json.loads, r.stdout.splitlines())}


def scheduled_workflows(tenv, schedule_id) -> set[str]:
    """Every workflow the schedule started, from the server's visibility (official CLI)."""
    r = tenv.temporal("workflow", "list", "--query", f"TemporalScheduledById = '{schedule_id}'",
                      "--output", "json")
    assert r.returncode == 0, r.stderr
    text = r.stdout.strip()
    if not text:
        return set()
    try:
        rows = json.loads(text)
    except json.JSONDecodeError:
        rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    if isinstance(rows, dict):
        rows = [rows]
    return {row["execution"]["workflowId"] for row in rows}


def one_error_line(r, expected_start):
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(expected_start), r.stderr


def test_interval_schedule_fires_and_every_run_lands_in_lode(tenv, tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    tenv.worker()
    sid = "sched-e2e"
    r = schedule(tenv, "create", *create_args(tenv, sid, store, "--interval", f"{INTERVAL}s",
                                              "--note", "e2e"))
    assert r.returncode == 0, r.stderr
    created = json.loads(r.stdout)
    assert created == {"schedule_id": sid, "spec": f"every {INTERVAL}s", "overlap": "skip",
                       "paused": False, "workflow_id_prefix": sid, "task_queue": tenv.task_queue}
    dup = schedule(tenv, "create", *create_args(tenv, sid, store, "--interval", "5s"))
    one_error_line(dup, f"Error: schedule already exists: {sid}")

    # At least two actions.
    def fired_twice():
        d = describe(tenv, sid)
        return len(d["recent_actions"]) >= 2 and d
    d = qh.wait_for(fired_twice, timeout=30, interval=0.5, what="two scheduled actions")
    assert d["spec"] == f"every {INTERVAL}s" and d["overlap"] == "skip" and not d["paused"]
    assert d["note"] == "e2e" and d["workflow_type"] == "QuarryExtractionWorkflow"
    assert d["task_queue"] == tenv.task_queue and d["next_action_times"]

    # `list` reads the visibility store, which follows the schedule shortly.
    entry = qh.wait_for(lambda: listed(tenv).get(sid), timeout=15, interval=0.5,
                        what="schedule in list")
    assert entry["spec"] == f"every {INTERVAL}s" and entry["paused"] is False
    assert entry["workflow_type"] == "QuarryExtractionWorkflow" and entry["next_action_times"]
    table = schedule(tenv, "list", "--output", "table")
    assert table.returncode == 0, table.stderr
    header, *rows = table.stdout.splitlines()
    assert header.split() == ["SCHEDULE", "ID", "PAUSED", "NEXT", "ACTION", "SPEC"]
    assert any(row.split()[:2] == [sid, "no"] for row in rows), table.stdout

    r = schedule(tenv, "delete", "--schedule-id", sid)
    assert r.returncode == 0, r.stderr
    one_error_line(schedule(tenv, "describe", "--schedule-id", sid),
                   f"Error: schedule not found: {sid}")
    one_error_line(schedule(tenv, "delete", "--schedule-id", sid),
                   f"Error: schedule not found: {sid}")

    # Every workflow the schedule started completes, each with its own run in Lode.
    # Visibility follows the starts by a moment: take the set once two reads a second apart agree.
    def settled():
        first = scheduled_workflows(tenv, sid)
        time.sleep(1)
        return len(first) >= 2 and first == scheduled_workflows(tenv, sid) and first
    started = qh.wait_for(settled, timeout=20, what="scheduled workflows in visibility")
    run_ids = set()
    for wid in sorted(started):
        assert wid.startswith(sid + "-"), wid
        code, out = tenv.result(wid, timeout=60)
        assert code == 0 and out["status"] == "completed", f"{out}\n{tenv.worker_logs()}"
        final = out["result"]["final"]
        assert final["outcome"] == "success" and final["job_id"] == wid
        run = lode_run(store, final["run_id"])
        assert run.terminal is not None and run.terminal["event_type"] == "run_complete"
        assert run.terminal["payload"]["summary"]["skipped"] is True
        assert {e["job_id"] for e in run.events} == {wid}
        assert run.metrics_record["outcome"] == "success"
        run_ids.add(final["run_id"])
    ds = qh.LodeDataset(store)
    ds.validate()
    assert ds.run_ids() == run_ids and len(run_ids) == len(started)

    # Deleted: two more intervals start nothing.
    time.sleep(2 * INTERVAL + 1)
    assert scheduled_workflows(tenv, sid) == started
    assert qh.LodeDataset(store).run_ids() == run_ids


def test_bad_specs_and_server_errors_are_one_line(tenv, tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    cases = [
        (["--interval", "banana"], 'Error: --interval: invalid duration "banana"'),
        (["--interval", "0s"], "Error: --interval must be at least 1s"),
        (["--interval", "10s", "--offset", "10s"], "Error: --offset must be shorter than"),
        (["--cron", "* * *"], 'Error: --cron "* * *": expected 5 fields'),
        (["--cron", "* * * * *", "--interval", "1m"], "Error: --cron and --interval are exclusive"),
        ([], "Error: a schedule needs --cron"),
        (["--interval", "1m", "--overlap", "sometimes"], 'Error: --overlap "sometimes" must be'),
        # Well-formed but out of range: refused by the server, reported in one line.
        (["--cron", "75 * * * *"], "Error: invalid schedule bad-spec: "),
    ]
    for spec, expected in cases:
        r = schedule(tenv, "create", *create_args(tenv, "bad-spec", store, *spec))
        one_error_line(r, expected)
    # Nothing was created by the refused requests.
    one_error_line(schedule(tenv, "describe", "--schedule-id", "bad-spec"),
                   "Error: schedule not found: bad-spec")

    missing = tenv.quarry_temporal("schedule", "create", "--address", tenv.server.address,
                                   "--schedule-id", "no-script", "--interval", "1m",
                                   "--source", "x")
    one_error_line(missing, "Error: --script is required")
    unreachable = tenv.quarry_temporal("schedule", "list", "--address", "127.0.0.1:1")
    one_error_line(unreachable, "Error: server unreachable at 127.0.0.1:1")
