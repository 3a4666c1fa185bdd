"""Interop with the official `temporal` CLI: it starts QuarryExtractionWorkflow with JSON input
on our worker's task queue and reads our result back (../shared/spec/temporal.md §2, §6)."""

import json

import quarry_harness as qh
from temporal_harness import lode_run, temporal_server, tenv  # noqa: F401


def test_official_cli_starts_and_reads_the_workflow(tenv, tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    tenv.worker()
    params = {"script": str(qh.REPO / "examples/static-html-list/script.mjs"),
              "source": "interop", "category": "cli",
              "storage": {"backend": "fs", "path": str(store)},
              "retry": {"max_attempts": 2}}
    r = tenv.temporal("workflow", "start", "--type", "QuarryExtractionWorkflow", "--task-queue",
                      tenv.task_queue, "--workflow-id", "wf-interop", "--input", json.dumps(params))
    assert r.returncode == 0, r.stderr
    r = tenv.temporal("workflow", "result", "--workflow-id", "wf-interop", "--output", "json",
                      timeout=300)
    assert r.returncode == 0, f"{r.stdout}\n{r.stderr}\n{tenv.worker_logs()}"
    out = json.loads(r.stdout)
    assert out["status"] == "COMPLETED", out
    result = out["result"]
    final = result["final"]
    assert final["outcome"] == "success" and final["job_id"] == "wf-interop"
    assert result["attempts"][0]["run_id"] == final["run_id"]
    run = lode_run(store, final["run_id"])
    assert run.events and {r["source"] for r in run.records} == {"interop"}

    # Our client agrees with the official one.
    code, ours = tenv.result("wf-interop")
    assert code == 0 and ours["result"] == result

    # Queries are answered at once: `progress` by the workflow, an unknown type with the list the
    # SDKs give, instead of timing out.
    q = tenv.temporal("workflow", "query", "--workflow-id", "wf-interop", "--type", "progress",
                      timeout=60)
    assert q.returncode == 0, (q.stdout, q.stderr)
    q = tenv.temporal("workflow", "query", "--workflow-id", "wf-interop", "--type", "status",
                      timeout=60)
    assert q.returncode != 0 and "KnownQueryTypes=[__stack_trace progress]" in q.stderr, (q.stdout, q.stderr)


def test_official_cli_sees_config_errors(tenv, tmp_path):
    tenv.worker()
    r = tenv.temporal("workflow", "start", "--type", "QuarryExtractionWorkflow", "--task-queue",
                      tenv.task_queue, "--workflow-id", "wf-typo",
                      "--input", json.dumps({"script": "x.mjs", "sourc": "typo"}))
    assert r.returncode == 0, r.stderr
    code, out = tenv.result("wf-typo")
    assert code == 2 and out["status"] == "failed", out
    assert out["failure"]["type"] == "CONFIG_ERROR"
    assert 'unknown field "sourc"' in out["failure"]["message"]
