"""Cross-SDK use of RunQuarryExtraction (../shared/spec/temporal.md §3, §6): a workflow written
with the official Python SDK (temporalio, pinned in scripts/setup.sh) and run by a Python worker on
its own task queue in this process schedules our activity on the quarry-temporal worker's queue,
and sees our results and the mapped failures: SCRIPT_ERROR (retryable) and POLICY_FAILURE
(non-retryable), each with the ExtractionResult in the failure details. It retries on its own, and
the second attempt's lineage (attempt 2, parent_run_id) reaches Lode."""

import asyncio
import uuid
from datetime import timedelta

import quarry_harness as qh
from temporal_harness import SCRIPTS, lode_run, temporal_server, tenv  # noqa: F401

from temporalio.client import Client
from temporalio.worker import Worker

from temporal_sdk_workflows import PythonSdkCallsQuarry

STATIC = qh.REPO / "examples/static-html-list/script.mjs"
FAILING = qh.REPO / "examples/intentional-failure/script.mjs"


def template(script, store):
    return {"script": str(script), "source": "python-sdk", "category": "interop",
            "storage": {"backend": "fs", "path": str(store)}}


def run_python_workflow(tenv, params: dict, max_attempts: int = 1) -> dict:
    """Runs PythonSdkCallsQuarry to its end with a Python worker on a queue of its own."""
    async def main():
        client = await Client.connect(tenv.server.address)
        queue = f"python-sdk-{uuid.uuid4().hex[:8]}"
        async with Worker(client, task_queue=queue, workflows=[PythonSdkCallsQuarry]):
            return await client.execute_workflow(
                PythonSdkCallsQuarry.run,
                {"task_queue": tenv.task_queue, "template": params, "max_attempts": max_attempts},
                id=f"python-sdk-{uuid.uuid4().hex[:8]}", task_queue=queue,
                execution_timeout=timedelta(minutes=5))

    out = asyncio.run(main())
    assert isinstance(out, dict), out
    return out


def test_python_workflow_gets_our_result(tenv, tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    tenv.worker()
    out = run_python_workflow(tenv, template(STATIC, store))
    assert out["status"] == "completed", f"{out}\n{tenv.worker_logs()}"
    [attempt] = out["attempts"]
    result = attempt["result"]
    assert result["outcome"] == "success" and result["run_id"] == attempt["run_id"]
    assert result["attempt"] == 1 and "parent_run_id" not in result
    assert result["storage_path"] == str(store / "datasets" / "quarry")

    qh.LodeDataset(store).validate()
    run = lode_run(store, result["run_id"])
    assert result["event_count"] == result["events_persisted"] == len(run.events)
    assert result["events_dropped"] == 0
    assert [i["payload"]["data"]["title"] for i in run.items("static_list_item")] == [
        "Alpha", "Beta", "Gamma"]
    assert {e["source"] for e in run.records} == {"python-sdk"}
    assert run.metrics_record["outcome"] == "success"


def test_python_workflow_sees_a_retryable_script_error(tenv, tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    tenv.worker()
    out = run_python_workflow(tenv, template(FAILING, store))
    assert out["status"] == "failed", f"{out}\n{tenv.worker_logs()}"
    [attempt] = out["attempts"]
    assert attempt["activity_type"] == "RunQuarryExtraction"
    # maximum_attempts=1: the server did not retry; the workflow decides.
    assert attempt["retry_state"] == "MAXIMUM_ATTEMPTS_REACHED"
    failure = attempt["failure"]
    assert failure["class"] == "ApplicationError", failure
    assert failure["type"] == "SCRIPT_ERROR" and failure["non_retryable"] is False
    details = failure["details"][0]
    assert details["run_id"] == attempt["run_id"] and details["outcome"] == "script_error"
    assert details["attempt"] == 1

    run = lode_run(store, attempt["run_id"])
    assert [i["payload"]["item_type"] for i in run.items()] == ["before_failure"]
    assert run.metrics_record["outcome"] == "script_error"


def test_python_workflow_sees_a_non_retryable_policy_failure(tenv, tmp_path):
    store = tmp_path / "store"
    (store / "datasets").mkdir(parents=True)
    (store / "datasets" / "quarry").write_text("not a directory")  # every Lode write fails
    tenv.worker()
    # Three attempts allowed, but a non-retryable failure ends the Python workflow's loop.
    out = run_python_workflow(tenv, template(STATIC, store), max_attempts=3)
    assert out["status"] == "failed", f"{out}\n{tenv.worker_logs()}"
    [attempt] = out["attempts"]
    assert attempt["retry_state"] == "NON_RETRYABLE_FAILURE"
    failure = attempt["failure"]
    assert failure["type"] == "POLICY_FAILURE" and failure["non_retryable"] is True
    details = failure["details"][0]
    assert details["run_id"] == attempt["run_id"] and details["outcome"] == "policy_failure"


def test_python_workflow_retries_with_lineage(tenv, tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    tenv.worker()
    out = run_python_workflow(tenv, template(SCRIPTS / "fail-first-attempt.mjs", store),
                              max_attempts=3)
    assert out["status"] == "completed", f"{out}\n{tenv.worker_logs()}"
    first, second = out["attempts"]
    assert first["failure"]["type"] == "SCRIPT_ERROR" and first["failure"]["non_retryable"] is False
    result = second["result"]
    assert result["outcome"] == "success" and result["attempt"] == 2
    assert result["run_id"] == second["run_id"] != first["run_id"]
    assert result["parent_run_id"] == first["run_id"]

    ds = qh.LodeDataset(store)
    ds.validate()
    assert ds.run_ids() == {first["run_id"], second["run_id"]}
    run1, run2 = lode_run(store, first["run_id"]), lode_run(store, second["run_id"])
    assert {e["attempt"] for e in run1.events} == {1}
    assert all("parent_run_id" not in e.data for e in run1.events)
    assert {e["attempt"] for e in run2.events} == {2}
    assert {e["parent_run_id"] for e in run2.events} == {first["run_id"]}
    assert run2.items("attempt_seen")[0]["payload"]["data"]["attempt"] == 2
