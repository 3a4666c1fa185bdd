"""QuarryExtractionWorkflow writing to S3: the workflow input's storage object carries backend
"s3", path, region, endpoint and s3_path_style (from `quarry-temporal start`'s flags, the same as
`quarry run`'s), and the worker's run stores the dataset in the suite's versitygw."""

import json

import quarry_harness as qh
import s3_harness
from temporal_harness import temporal_server, tenv  # noqa: F401

STATIC = "examples/static-html-list/script.mjs"


def test_workflow_writes_its_run_to_s3(tenv, tmp_path, s3_gateway):
    store = s3_gateway.store("temporal")
    worker = tenv.worker()
    r = tenv.start("wf-s3", script=STATIC, store=store, wait=True)
    assert r.returncode == 0, f"{r.stdout}\n{r.stderr}\n{tenv.worker_logs()}"
    out = json.loads(r.stdout)
    final = out["result"]["final"]
    assert final["outcome"] == "success", final
    assert final["storage_path"] == f"s3://{s3_harness.BUCKET}/{store.prefix}/datasets/quarry"

    ds = qh.LodeDataset(store)
    ds.validate()
    assert ds.run_ids() == {final["run_id"]}
    run = ds.run(final["run_id"])
    assert [e["payload"]["data"]["title"] for e in run.items()] == ["Alpha", "Beta", "Gamma"]
    assert final["event_count"] == len(run.events) == final["events_persisted"]
    assert run.metrics_record["storage_backend"] == "s3"
    assert run.metrics_record["job_id"] == "wf-s3"

    tenv.stop_workers()
    assert s3_harness.SECRET_KEY not in worker.output()
    assert s3_harness.SECRET_KEY not in r.stdout + r.stderr
