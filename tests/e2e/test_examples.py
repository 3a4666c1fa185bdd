"""The example scripts of cli-and-integrations §12, run with the real quarry, executor and Chromium.

Each test runs the §12 command line (strict policy, fs storage under tmp, no browser reuse, cwd =
repository root) and checks the exit code, the report, and every record on disk. The autouse
`procs` fixture checks that no process of the run survives it.
"""

import json
import os
import struct

import pytest

import quarry_harness as qh

EX = "examples"


def script(name: str, file: str = "script.mjs") -> str:
    path = qh.REPO / EX / name / file
    assert path.exists(), path
    return f"{EX}/{name}/{file}"


def payloads(run, item_type=None):
    return [e["payload"]["data"] for e in run.items(item_type)]


def test_demo(tmp_path):
    ex = qh.run_example(tmp_path, "demo", script("demo"))
    report, run = qh.check_run(ex, outcome="success", types=["item", "run_complete"])
    item = run.items()[0]
    assert item["payload"] == {"item_type": "demo", "data": {"message": "hello from quarry"}}
    assert run.terminal["payload"] == {}
    assert report["terminal_summary"] == {}
    assert report["artifacts"] == {"total": 0, "committed": 0, "orphaned": 0, "chunks": 0, "bytes": 0}
    assert report["metrics"]["executor"] == os.path.basename(report["metrics"]["executor"])


def test_static_html_list(tmp_path):
    ex = qh.run_example(tmp_path, "static-html-list", script("static-html-list"))
    _, run = qh.check_run(ex, outcome="success", types=["item"] * 3 + ["run_complete"])
    assert payloads(run, "static_list_item") == [{"title": "Alpha"}, {"title": "Beta"},
                                                 {"title": "Gamma"}]
    # The README's main job is meant to take well under 10 s; the bound leaves room for a loaded CI.
    assert ex.result.elapsed < 20, f"the README's main job took {ex.result.elapsed:.1f}s"


def test_toy_pagination(tmp_path):
    ex = qh.run_example(tmp_path, "toy-pagination", script("toy-pagination"))
    types = ["item"] * 3 + ["checkpoint"] + ["item"] * 3 + ["checkpoint", "run_complete"]
    _, run = qh.check_run(ex, outcome="success", types=types)
    assert payloads(run, "toy_page_item") == [
        {"title": "One", "page": 1}, {"title": "Two", "page": 1}, {"title": "Three", "page": 1},
        {"title": "Four", "page": 2}, {"title": "Five", "page": 2}, {"title": "Six", "page": 2}]
    checkpoints = run.of_type("checkpoint")
    assert [c["seq"] for c in checkpoints] == [4, 8]
    assert [c["payload"]["checkpoint_id"] for c in checkpoints] == ["page-1", "page-2"]
    assert [c["payload"]["note"] for c in checkpoints] == ["3 items", "3 items"]
    # Items and checkpoints live in their own event_type partitions.
    assert {r.partition["event_type"] for r in run.records} == {"item", "checkpoint",
                                                               "run_complete", "metrics"}


def test_artifact_snapshot(tmp_path, new_store):
    ex = qh.run_example(tmp_path, "artifact-snapshot", script("artifact-snapshot"),
                        store=new_store("artifact-snapshot"))
    report, run = qh.check_run(ex, outcome="success", types=["artifact", "run_complete"])
    commit = run.events[0]
    assert commit["record_kind"] == "artifact_event"
    assert "type" not in commit.data and "payload" not in commit.data
    assert commit["name"] == "snapshot.png" and commit["content_type"] == "image/png"
    assert run.artifact_ids() == [commit["artifact_id"]]
    png = run.artifact_bytes(commit["artifact_id"])
    assert commit["size_bytes"] == len(png) >= 1000, (commit["size_bytes"], len(png))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    assert 0 < width <= 480 and 0 < height <= 320, (width, height)
    assert png[-8:-4] == b"IEND"

    arts = report["artifacts"]
    assert arts["total"] == 1 and arts["committed"] == 1 and arts["orphaned"] == 0
    assert arts["bytes"] == len(png)
    assert arts["chunks"] == len(run.chunks) == 1
    # The chunk snapshot precedes the commit's snapshot (chunks before commit, §4.10).
    chunk_pos = next(i for i, s in enumerate(run.snapshots) if run.chunks[0].path in s.file_paths)
    commit_pos = next(i for i, s in enumerate(run.snapshots) if commit.path in s.file_paths)
    assert chunk_pos < commit_pos


def test_intentional_failure(tmp_path):
    ex = qh.run_example(tmp_path, "intentional-failure", script("intentional-failure"))
    report, run = qh.check_run(ex, outcome="script_error", types=["item", "run_error"])
    assert run.items()[0]["payload"] == {"item_type": "before_failure",
                                         "data": {"message": "this item should be emitted"}}
    err = run.terminal["payload"]
    assert err["error_type"] == "script_error"
    assert err["message"] == "Intentional failure for testing"
    assert "Intentional failure for testing" in err.get("stack", ""), "stack of the thrown error"
    assert report["message"] == "Intentional failure for testing"
    assert report["terminal_summary"]["error_type"] == "script_error"
    assert report["terminal_summary"]["message"] == "Intentional failure for testing"
    assert run.metrics_record["outcome_message"] == "Intentional failure for testing"


def test_hooks_prepare_continue(tmp_path):
    ex = qh.run_example(tmp_path, "hooks-prepare", script("hooks-prepare"),
                        extra=["--job", '{"url":"https://example.com"}'])
    _, run = qh.check_run(ex, outcome="success", types=["item", "run_complete"])
    assert run.items()[0]["payload"] == {"item_type": "page",
                                         "data": {"url": "https://example.com", "title": ""}}


def test_hooks_prepare_skip(tmp_path, procs):
    ex = qh.run_example(tmp_path, "hooks-prepare-skip", script("hooks-prepare"),
                        extra=["--job", '{"url":"https://example.com","stale":true}'])
    report, run = qh.check_run(ex, outcome="success", types=["run_complete"])
    assert run.terminal["seq"] == 1
    assert run.terminal["payload"] == {"summary": {"skipped": True, "reason": "job marked as stale"}}
    assert report["event_count"] == 1
    assert report["terminal_summary"] == {"summary": {"skipped": True,
                                                      "reason": "job marked as stale"}}
    assert procs.browsers_seen() == [], "the skip path must not start a browser"


def test_hooks_before_terminal(tmp_path):
    ex = qh.run_example(tmp_path, "hooks-before-terminal", script("hooks-before-terminal"))
    _, run = qh.check_run(ex, outcome="success", types=["item"] * 4 + ["run_complete"])
    products = payloads(run, "product")
    assert [p["name"] for p in products] == ["Widget", "Gadget", "Gizmo"]
    for p in products:
        assert isinstance(p["price"], int) and 0 <= p["price"] <= 99, p
    summary = run.events[-2]
    assert summary["payload"] == {"item_type": "run_summary", "data": {"total_items": 3}}
    assert summary["seq"] == run.terminal["seq"] - 1


def test_fan_out_chain_without_depth(tmp_path):
    ex = qh.run_example(tmp_path, "fan-out-chain", script("fan-out-chain", "root.mjs"))
    _, run = qh.check_run(ex, outcome="success", types=["enqueue"] * 3 + ["run_complete"])
    target = script("fan-out-chain", "detail.mjs")
    assert [e["payload"] for e in run.of_type("enqueue")] == [
        {"target": target, "params": {"product_id": str(i), "fixture": f"detail-{i}.html"}}
        for i in (1, 2, 3)]
    # Fan-out is off: no other run was started and written to the dataset.
    assert ex.ds.run_ids() == {ex.run_id}
    assert "Fan-Out Summary" not in ex.result.stdout


@pytest.mark.parametrize("pid,title,price", [("1", "Widget Alpha", "9.99"),
                                             ("2", "Widget Beta", "14.50"),
                                             ("3", "Widget Gamma", "24.00")])
def test_fan_out_chain_detail_script_alone(tmp_path, pid, title, price):
    job = json.dumps({"product_id": pid, "fixture": f"detail-{pid}.html"})
    ex = qh.run_example(tmp_path, f"fan-out-detail-{pid}", script("fan-out-chain", "detail.mjs"),
                        extra=["--job", job])
    _, run = qh.check_run(ex, outcome="success", types=["item", "run_complete"])
    item = run.items("product")[0]["payload"]["data"]
    assert {k: item[k] for k in ("id", "title", "price")} == {"id": pid, "title": title,
                                                            "price": price}
    assert isinstance(item["description"], str) and item["description"]


def test_fan_out_chain_with_depth(tmp_path, procs):
    ex = qh.run_example(tmp_path, "fan-out-depth", script("fan-out-chain", "root.mjs"),
                        extra=["--depth", "1", "--max-runs", "10", "--parallel", "3",
                               "--job-id", "job-fanout"])
    report = qh.check_report(ex.result, run_id=ex.run_id, outcome="success", job_id="job-fanout")
    ds = ex.ds
    ds.validate()
    root = ds.run(ex.run_id)
    assert root.types() == ["enqueue"] * 3 + ["run_complete"]
    children = sorted(ds.run_ids() - {ex.run_id})
    assert len(children) == 3
    got = {}
    for child_id in children:
        child = ds.run(child_id)
        assert child.types() == ["item", "run_complete"]
        for e in child.events:
            assert e["job_id"] == "job-fanout" and e["attempt"] == 1 and "parent_run_id" not in e.data
        item = child.items("product")[0]["payload"]["data"]
        got[item["id"]] = (item["title"], item["price"])
        assert item["description"]
        assert child.metrics_record["outcome"] == "success"
    assert got == {"1": ("Widget Alpha", "9.99"), "2": ("Widget Beta", "14.50"),
                   "3": ("Widget Gamma", "24.00")}
    out = ex.result.stdout
    assert "=== Fan-Out Summary ===" in out
    assert "3 total, 3 succeeded, 0 failed" in out
    assert "3 received, 0 deduped, 0 skipped" in out
    assert report["event_count"] == 4
    # Every child is linked to the root's enqueue event that asked for it (D5).
    enqueue_ids = {e["event_id"] for e in root.of_type("enqueue")}
    links = {(ds.run(c).metrics_record["enqueued_by_run_id"],
              ds.run(c).metrics_record["enqueued_by_event_id"],
              ds.run(c).metrics_record["fanout_depth"]) for c in children}
    assert links == {(ex.run_id, eid, 1) for eid in enqueue_ids}
    # One managed browser for the crawl: its executor is the only one that started a Chromium.
    seen = {p.pid: p for p in procs.seen.values()}
    launchers = {seen[p.ppid].cmdline for p in procs.browsers_seen()
                 if p.ppid in seen and "executor.mjs" in seen[p.ppid].cmdline}
    assert len(launchers) == 1 and "--launch-browser" in launchers.pop()


def _check_sidecars(ex, run, day, *, source, category):
    fixture = (qh.REPO / EX / "storage-put" / "page.html").read_bytes()
    stored = payloads(run, "stored")
    assert [s["filename"] for s in stored] == ["page.html", "summary.json", "after-failure.txt"]
    content_types = {"page.html": "text/html", "summary.json": "application/json",
                     "after-failure.txt": "text/plain"}
    for s in stored:
        key = qh.sidecar_key("quarry", source, category, day, ex.run_id, s["filename"])
        assert s["key"] == key, f"storage.put returned {s['key']!r}, stored path is {key!r}"
        path = ex.store / key
        assert path.is_file(), f"sidecar missing: {path}"
        assert path.stat().st_size == s["size"]
        meta = path.with_name(path.name + ".meta.json")
        assert meta.read_bytes() == json.dumps(
            {"content_type": content_types[s["filename"]]}, separators=(",", ":")).encode()
    files_dir = ex.store / qh.sidecar_key("quarry", source, category, day, ex.run_id, "")
    assert sorted(p.name for p in files_dir.iterdir()) == sorted(
        [f for f in content_types] + [f + ".meta.json" for f in content_types])
    # The first put's bytes survived the failed duplicate put.
    assert (files_dir / "page.html").read_bytes() == fixture
    summary = json.loads((files_dir / "summary.json").read_bytes())
    assert summary == {"title": "Sidecar fixture", "heading": "Quarterly report",
                       "metrics": [{"label": "Widgets sold", "value": 42},
                                   {"label": "Returns", "value": 7}]}
    assert (files_dir / "after-failure.txt").read_bytes() == b"written after a failed put\n"

    failed = payloads(run, "put_failed")
    assert len(failed) == 1 and failed[0]["filename"] == "page.html"
    assert failed[0]["message"].startswith('storage.put failed for "page.html": '), failed[0]
    assert "path already exists" in failed[0]["message"], failed[0]
    assert run.items("unexpected") == []

    # Each sidecar is listed exactly once in metadata.sidecar_files of an event/metrics snapshot.
    refs = run.sidecar_refs()
    assert sorted(ref["filename"] for _, ref in refs) == sorted(content_types)
    for snap, ref in refs:
        key = qh.sidecar_key("quarry", source, category, day, ex.run_id, ref["filename"])
        assert ref == {"path": key, "filename": ref["filename"],
                       "content_type": content_types[ref["filename"]],
                       "size": (ex.store / key).stat().st_size}
        assert not any("/event_type=artifact/" in p for p in snap.file_paths)


def test_storage_put(tmp_path, new_store):
    ex = qh.run_example(tmp_path, "storage-put", script("storage-put"), store=new_store("storage-put"))
    report, run = qh.check_run(ex, outcome="success", types=["item"] * 4 + ["run_complete"],
                               sidecar_failures=1)
    _check_sidecars(ex, run, ex.day, source="example-runner", category="examples")
    assert report["metrics"]["lode_write_failure_total"] == 1


def test_storage_put_escapes_partition_values(tmp_path):
    """D11.11: the key returned by storage.put and the sidecar path use the §4.4 escaping."""
    ex = qh.run_example(tmp_path, "storage-put-escaped", script("storage-put"),
                        source="shop eu/1", category="größe&more")
    _, run = qh.check_run(ex, outcome="success", types=["item"] * 4 + ["run_complete"],
                          sidecar_failures=1)
    key = payloads(run, "stored")[0]["key"]
    assert "/source=shop%20eu%2F1/category=gr%C3%B6%C3%9Fe&more/" in key, key
    _check_sidecars(ex, run, ex.day, source="shop eu/1", category="größe&more")


def test_typescript_list(tmp_path):
    ex = qh.run_example(tmp_path, "typescript-list", script("typescript-list", "script.ts"))
    _, run = qh.check_run(ex, outcome="success", types=["item"] * 3 + ["run_complete"])
    assert payloads(run, "ts_list_item") == [
        {"name": "ALGOL", "year": 1958, "position": 1},
        {"name": "Simula", "year": 1962, "position": 2},
        {"name": "Smalltalk", "year": 1972, "position": 3}]


def test_examples_share_one_dataset_chain(tmp_path):
    """Two runs into one store extend one linear chain; each run reads back on its own."""
    store = tmp_path / "shared"
    first = qh.run_example(tmp_path, "demo", script("demo"), store=store)
    second = qh.run_example(tmp_path, "static-html-list", script("static-html-list"), store=store)
    assert first.result.returncode == 0 and second.result.returncode == 0
    ds = qh.LodeDataset(store)
    ds.validate()
    assert ds.run_ids() == {first.run_id, second.run_id}
    chain = ds.chain()
    assert chain[-1].snapshot_id == ds.latest()
    first_ids = {m.snapshot_id for m in ds.run(first.run_id).snapshots}
    second_ids = [m.snapshot_id for m in ds.run(second.run_id).snapshots]
    # The second run's first snapshot has the first run's metrics snapshot as parent.
    first_head = [m for m in chain if m.snapshot_id in first_ids][-1]
    assert ds.manifests()[second_ids[0]].parent == first_head.snapshot_id
    assert [e["payload"]["data"]["title"] for e in ds.run(second.run_id).items()] == [
        "Alpha", "Beta", "Gamma"]
