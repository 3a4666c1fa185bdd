"""Self-check of the suite's Lode reader against the worked example of storage-and-policies §4.16.

The dataset is built by hand from the documented records, so the reader (layout rules, canonical
JSONL, chain, manifest copies, artifact reassembly, sidecar references) is verified independently
of the product. Negative cases make sure the reader's checks can fail.
"""

import json
import shutil

import pytest

import quarry_harness as qh

RUN = "run-001"
PART = "datasets/quarry/partitions/source=shop/category=products/day=2026-03-22/run_id=run-001"
DESCRIPTOR = {"attempt": 1, "category": "products", "day": "2026-03-22", "executor": "executor.mjs",
              "job_id": "job-42", "policy": "strict", "run_id": RUN, "source": "shop",
              "started_at": "2026-03-22T09:15:00.012Z"}
SIDECAR = {"path": f"{PART}/files/page.html", "filename": "page.html", "content_type": "text/html",
           "size": 120}

LINES = {
    "1774170900120500000": ("item", '{"attempt":1,"category":"products","contract_version":"0.13.4","day":"2026-03-22","event_id":"5b0c7f0e-6d1f-4c39-9a57-2f3b8f0a1c01","event_type":"item","job_id":"job-42","payload":{"data":{"price":9.5,"sku":"A1"},"item_type":"product"},"policy":"strict","record_kind":"event","run_id":"run-001","seq":1,"source":"shop","ts":"2026-03-22T09:15:00.120Z","type":"item"}'),
    "1774170900210500000": ("item", '{"attempt":1,"category":"products","contract_version":"0.13.4","day":"2026-03-22","event_id":"5b0c7f0e-6d1f-4c39-9a57-2f3b8f0a1c02","event_type":"item","job_id":"job-42","payload":{"data":{"note":"\\u003cb\\u003e \\u0026 \\u2028","price":1e+21,"small":1.5e-7,"x":0.000001},"item_type":"product"},"policy":"strict","record_kind":"event","run_id":"run-001","seq":2,"source":"shop","ts":"2026-03-22T09:15:00.210Z","type":"item"}'),
    "1774170900300500000": ("log", '{"attempt":1,"category":"products","contract_version":"0.13.4","day":"2026-03-22","event_id":"5b0c7f0e-6d1f-4c39-9a57-2f3b8f0a1c03","event_type":"log","job_id":"job-42","payload":{"level":"info","message":"page done"},"policy":"strict","record_kind":"event","run_id":"run-001","seq":3,"source":"shop","ts":"2026-03-22T09:15:00.300Z","type":"log"}'),
    "1774170900350500000": ("artifact", '{"artifact_id":"art-1","category":"products","data":"YWJjZA==","day":"2026-03-22","event_type":"artifact","is_last":false,"length":4,"offset":0,"record_kind":"artifact_chunk","run_id":"run-001","seq":1,"source":"shop"}'),
    "1774170900360500000": ("artifact", '{"artifact_id":"art-1","category":"products","data":"ZWY=","day":"2026-03-22","event_type":"artifact","is_last":true,"length":2,"offset":4,"record_kind":"artifact_chunk","run_id":"run-001","seq":2,"source":"shop"}'),
    "1774170900400500000": ("artifact", '{"artifact_id":"art-1","attempt":1,"category":"products","content_type":"image/png","contract_version":"0.13.4","day":"2026-03-22","event_id":"5b0c7f0e-6d1f-4c39-9a57-2f3b8f0a1c04","event_type":"artifact","job_id":"job-42","name":"shot.png","policy":"strict","record_kind":"artifact_event","run_id":"run-001","seq":4,"size_bytes":6,"source":"shop","ts":"2026-03-22T09:15:00.400Z"}'),
    "1774170900500500000": ("run_complete", '{"attempt":1,"category":"products","contract_version":"0.13.4","day":"2026-03-22","event_id":"5b0c7f0e-6d1f-4c39-9a57-2f3b8f0a1c05","event_type":"run_complete","job_id":"job-42","payload":{},"policy":"strict","record_kind":"event","run_id":"run-001","seq":5,"source":"shop","ts":"2026-03-22T09:15:00.500Z","type":"run_complete"}'),
    "1774170901000500000": ("metrics", '{"category":"products","day":"2026-03-22","event_type":"metrics","events_dropped_total":0,"events_persisted_total":5,"events_received_total":5,"executor":"executor.mjs","executor_crash_total":0,"executor_launch_failure_total":0,"executor_launch_success_total":1,"ipc_decode_errors_total":0,"job_id":"job-42","lode_write_failure_total":0,"lode_write_retry_total":0,"lode_write_success_total":7,"outcome":"success","outcome_message":"run completed","policy":"strict","record_kind":"metrics","run_id":"run-001","runs_completed_total":1,"runs_crashed_total":0,"runs_failed_total":0,"runs_started_total":1,"source":"shop","storage_backend":"fs","ts":"2026-03-22T09:15:01Z"}'),
}


def build_example(store):
    root = store / "datasets" / "quarry"
    parent = None
    for sid, (event_type, line) in LINES.items():
        path = f"{PART}/event_type={event_type}/segments/{sid}/data/data"
        data = (line + "\n").encode()
        (store / path).parent.mkdir(parents=True)
        (store / path).write_bytes(data)
        metadata = {"quarry_runs": [DESCRIPTOR]}
        if sid == "1774170900500500000":
            metadata["sidecar_files"] = [SIDECAR]
        manifest = {"schema_name": "lode-manifest", "format_version": "1.0.0",
                    "dataset_id": "quarry", "snapshot_id": sid,
                    "created_at": "2026-03-22T09:15:00.50061234Z", "metadata": metadata,
                    "files": [{"path": path, "size_bytes": len(data)}]}
        if parent:
            manifest["parent_snapshot_id"] = parent
        manifest.update(row_count=1, codec="jsonl", compressor="noop", partitioner="hive")
        raw = json.dumps(manifest, indent=2).encode()
        for where in (root / "segments" / sid, store / path.rsplit("/data/data", 1)[0]):
            where.mkdir(parents=True, exist_ok=True)
            (where / "manifest.json").write_bytes(raw)
        parent = sid
    (root / "latest").write_bytes(parent.encode())
    (root / "latest.lock").write_bytes(b"")
    files = store / PART / "files"
    files.mkdir()
    (files / "page.html").write_bytes(b"x" * 120)
    (files / "page.html.meta.json").write_bytes(b'{"content_type":"text/html"}')
    return qh.LodeDataset(store)


def test_worked_example_reads_back(tmp_path):
    ds = build_example(tmp_path)
    ds.validate()
    assert len((LINES["1774170900500500000"][1] + "\n").encode()) == 329  # as documented
    run = ds.run(RUN)
    run.check_shapes(our_executor=False, job_id="job-42")
    assert [e["seq"] for e in run.events] == [1, 2, 3, 4, 5]
    assert run.types() == ["item", "item", "log", "artifact", "run_complete"]
    assert run.artifact_bytes("art-1") == b"abcdef"
    assert run.terminal["seq"] == 5
    assert run.metrics_record["lode_write_success_total"] == 7
    assert [ref for _, ref in run.sidecar_refs()] == [SIDECAR]
    assert len(run.descriptors()) == 8
    assert qh.sidecar_key("quarry", "shop", "products", "2026-03-22", RUN, "page.html") == SIDECAR["path"]
    assert ds.chain()[0].snapshot_id == "1774170900120500000"


@pytest.mark.parametrize("value,text", [(5.0, "5"), (9.99, "9.99"), (1e21, "1e+21"),
                                        (1.5e-7, "1.5e-7"), (0.000001, "0.000001"), (-0.0, "-0"),
                                        (123456789.125, "123456789.125"), (1e20, "100000000000000000000")])
def test_canonical_floats(value, text):
    assert qh.canonical_json(value) == text


def test_escaping():
    assert qh.escape_partition_value("shop eu/1") == "shop%20eu%2F1"
    assert qh.escape_partition_value("a-b_c.d~$&+:=@") == "a-b_c.d~$&+:=@"
    assert qh.escape_partition_value("größe") == "gr%C3%B6%C3%9Fe"
    assert qh.unescape_partition_value("gr%C3%B6%C3%9Fe") == "größe"


def _mutate(tmp_path, fn, match):
    ds = build_example(tmp_path)
    fn(tmp_path, ds)
    ds = qh.LodeDataset(tmp_path)
    with pytest.raises(AssertionError, match=match):
        ds.validate()
        ds.run(RUN).artifact_bytes("art-1")


def test_reader_detects_a_differing_partition_copy(tmp_path):
    def fn(store, ds):
        copy = next((store / PART).rglob("segments/1774170900300500000/manifest.json"))
        copy.write_bytes(copy.read_bytes() + b" ")
    _mutate(tmp_path, fn, "copy differs")


def test_reader_detects_a_broken_chain(tmp_path):
    def fn(store, ds):
        (ds.root / "latest").write_bytes(b"1774170900500500000")
    _mutate(tmp_path, fn, "not one linear chain")


def test_reader_detects_a_newline_in_latest(tmp_path):
    def fn(store, ds):
        (ds.root / "latest").write_bytes(b"1774170901000500000\n")
    _mutate(tmp_path, fn, "latest pointer")


def test_reader_detects_non_canonical_jsonl(tmp_path):
    def fn(store, ds):
        path = next((store / PART / "event_type=log").rglob("data/data"))
        record = json.loads(path.read_bytes())
        path.write_bytes((json.dumps(record) + "\n").encode())  # spaces, unsorted-safe but not compact
        for m in [store / "datasets/quarry/segments/1774170900300500000/manifest.json",
                  path.parent.parent / "manifest.json"]:
            data = json.loads(m.read_bytes())
            data["files"][0]["size_bytes"] = path.stat().st_size
            m.write_bytes(json.dumps(data, indent=2).encode())
    _mutate(tmp_path, fn, "non-canonical JSONL")


def test_reader_detects_a_missing_data_file(tmp_path):
    def fn(store, ds):
        shutil.move(store / PART / "event_type=log", store / PART / "event_type=item2")
    _mutate(tmp_path, fn, "data file missing")


def _rewrite_record(store, sid, event_type, change):
    path = next((store / PART / f"event_type={event_type}").rglob(f"{sid}/data/data"))
    record = json.loads(path.read_bytes())
    change(record)
    line = (qh.canonical_json(record) + "\n").encode()
    path.write_bytes(line)
    for m in [store / f"datasets/quarry/segments/{sid}/manifest.json",
              path.parent.parent / "manifest.json"]:
        data = json.loads(m.read_bytes())
        data["files"][0]["size_bytes"] = len(line)
        m.write_bytes(json.dumps(data, indent=2).encode())


def test_reader_detects_a_record_outside_its_partition(tmp_path):
    _mutate(tmp_path, lambda store, ds: _rewrite_record(
        store, "1774170900300500000", "log", lambda r: r.update(source="elsewhere")), "does not match its partition")


def test_reader_detects_a_gap_in_artifact_pieces(tmp_path):
    _mutate(tmp_path, lambda store, ds: _rewrite_record(
        store, "1774170900360500000", "artifact", lambda r: r.update(offset=5)), "gap/overlap")
