"""`quarry export` (issue 12 item 2, docs/export.md) on a dataset written by real runs.

Two runs of one job (real executor, real Chromium) write items of two types with awkward values,
a log, an artifact and the metrics records; an orphan data file (no manifest names it) is
planted in the first run's item partition. Every assertion reads that one dataset.
"""

import csv
import io
import json
import os

import pytest

import quarry_harness as qh

SCRIPT = """
export default async function (ctx) {
  const items = JSON.parse(ctx.job.items);
  for (const it of items) await ctx.emit.item(it);
  await ctx.emit.log({ level: 'info', message: 'done ' + items.length });
  await ctx.emit.artifact({ name: 'note.txt', content_type: 'text/plain', data: Buffer.from('hi') });
}
"""

ITEMS_A = [
    {"item_type": "product", "data": {"title": "Plain", "price": {"amount": 5, "currency": "EUR"},
                                      "tags": ["a", "b"], "in_stock": True}},
    {"item_type": "product", "data": {"title": 'Comma, "quote"\nand newline', "price":
                                      {"amount": 12.5, "currency": "USD"}, "note": None}},
    {"item_type": "review", "data": {"title": "Ünïcödé ✓", "stars": 4, "seq": 99}},
]
ITEMS_B = [
    {"item_type": "product", "data": {"title": "Other source", "price": {"amount": 0,
                                                                         "currency": "EUR"}}},
]


def export(store, *args, code=0):
    r = qh.run_quarry(["export", *args, *qh.storage_args(store)], timeout=60)
    assert r.returncode == code, r.describe()
    return r


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("export")
    script = root / "emit.mjs"
    script.write_text(SCRIPT)
    store = root / "store"
    store.mkdir()
    for run_id, source, items in [("exp-a", "shop", ITEMS_A), ("exp-b", "other", ITEMS_B)]:
        args = qh.run_args(script=qh.rel(script), run_id=run_id, store=store, source=source,
                           extra=["--job-id", "job-x", "--job", json.dumps({"items": json.dumps(items)})])
        r = qh.run_quarry(args, timeout=90)
        assert r.returncode == 0, r.describe()
    ds = qh.LodeDataset(store)
    item_file = next(p for m in ds.chain() for p in m.file_paths
                     if "run_id=exp-a/event_type=item/" in p)
    orphan_dir = store / item_file.split("/segments/")[0] / "segments" / "9999999999999999999" / "data"
    orphan_dir.mkdir(parents=True)
    orphan = orphan_dir / "data"
    orphan.write_text(json.dumps({"record_kind": "event", "type": "item", "run_id": "exp-a",
                                  "payload": {"item_type": "product", "data": {"title": "ORPHAN"}}})
                      + "\n")
    return store, ds, orphan


def stored(ds, run_ids, event_types):
    return [r.data for r in ds.records()
            if r.partition["run_id"] in run_ids and r.partition["event_type"] in event_types]


def test_jsonl_is_the_committed_records_as_stored(dataset):
    store, ds, _ = dataset
    out = export(store, "--run-id", "exp-a").stdout
    assert [json.loads(l) for l in out.splitlines()] == stored(ds, {"exp-a"}, {"item"})
    assert "ORPHAN" not in out
    assert [json.loads(l)["payload"] for l in out.splitlines()] == ITEMS_A


def flat(item):
    row = {"run_id": "exp-a", "item_type": item["item_type"]}
    def walk(v, prefix):
        if isinstance(v, dict) and v:
            for k, x in v.items():
                walk(x, f"{prefix}.{k}" if prefix else k)
        elif v is None:
            row[prefix] = ""
        elif isinstance(v, bool):
            row[prefix] = "true" if v else "false"
        elif isinstance(v, (list, dict)):
            row[prefix] = json.dumps(v, separators=(",", ":"), ensure_ascii=False)
        else:
            row[prefix] = str(v)
    for k, v in item["data"].items():
        walk(v, f"data.{k}" if k in ("run_id", "seq", "ts", "item_type") else k)
    return row


def test_csv_round_trips_through_pythons_csv_module(dataset):
    store, ds, _ = dataset
    text = export(store, "--run-id", "exp-a", "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert len(rows) == len(ITEMS_A)
    records = stored(ds, {"exp-a"}, {"item"})
    for row, item, rec in zip(rows, ITEMS_A, records):
        expected = flat(item)
        expected.update(seq=str(rec["seq"]), ts=rec["ts"])
        got = {k: v for k, v in row.items() if v != "" or k in expected}
        assert got == expected, (row, item)
    header = next(csv.reader(io.StringIO(text, newline="")))
    assert header[:4] == ["run_id", "seq", "ts", "item_type"], header
    assert "data.seq" in header and "price.amount" in header and "tags" in header, header


def test_item_type_and_kinds(dataset):
    store, ds, _ = dataset
    reviews = export(store, "--run-id", "exp-a", "--item-type", "review").stdout.splitlines()
    assert [json.loads(l)["payload"] for l in reviews] == [ITEMS_A[2]]
    events = [json.loads(l) for l in export(store, "--run-id", "exp-a", "--kind", "event").stdout.splitlines()]
    assert [e["type"] for e in events] == ["log", "run_complete"], events
    artifacts = [json.loads(l) for l in export(store, "--run-id", "exp-a", "--kind", "artifact").stdout.splitlines()]
    assert [(a["record_kind"], a["name"], a["size_bytes"]) for a in artifacts] == [
        ("artifact_event", "note.txt", 2)]
    metrics = list(csv.DictReader(io.StringIO(
        export(store, "--job-id", "job-x", "--kind", "metrics", "--format", "csv").stdout, newline="")))
    assert sorted(m["run_id"] for m in metrics) == ["exp-a", "exp-b"]
    assert {m["outcome"] for m in metrics} == {"success"}
    line = export(store, "--kind", "log", code=1).stderr_lines()
    assert line == ['Error: invalid kind: "log" (must be item, event, artifact, or metrics)'], line


def test_selection_by_job_source_and_day(dataset):
    store, _, _ = dataset
    def titles(*args):
        return [json.loads(l)["payload"]["data"]["title"] for l in export(store, *args).stdout.splitlines()]
    every = [i["data"]["title"] for i in ITEMS_A + ITEMS_B]
    assert titles("--job-id", "job-x") == every
    assert titles() == every
    assert titles("--source", "other") == ["Other source"]
    today = qh.utc_today()
    assert titles("--day", f"{today}..{today}") == every
    assert titles("--day", "2000-01-01") == []
    assert export(store, "--run-id", "nope", code=1).stderr_lines() == ["Error: run not found: nope"]
    assert export(store, "--job-id", "nope", code=1).stderr_lines() == ["Error: job not found: nope"]


def test_list_files_names_exactly_the_committed_files(dataset):
    store, ds, orphan = dataset
    listed = export(store, "--list-files", "--job-id", "job-x").stdout.splitlines()
    committed = [str(store / p) for m in ds.chain() for p in m.file_paths if "/event_type=item/" in p]
    assert sorted(listed) == sorted(committed)
    assert str(orphan) not in listed
    assert all(os.path.isabs(p) and os.path.isfile(p) for p in listed)


def test_output_file_and_location_errors(dataset, tmp_path):
    store, _, _ = dataset
    target = tmp_path / "items.csv"
    r = export(store, "--run-id", "exp-a", "--format", "csv", "-o", str(target))
    assert r.stdout == ""
    assert len(list(csv.DictReader(target.open(newline="")))) == len(ITEMS_A)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["items.csv"]
    r = qh.run_quarry(["export", "--run-id", "exp-a"], timeout=30)
    assert r.returncode == 1 and r.stderr_lines() == [
        "Error: no dataset location: pass --storage-backend and --storage-path, or --config"], r.describe()


def test_duckdb_reads_the_listed_files(dataset):
    duckdb = pytest.importorskip("duckdb")
    store, _, _ = dataset
    listed = export(store, "--list-files", "--run-id", "exp-a").stdout.splitlines()
    rows = duckdb.sql(
        f"SELECT payload.item_type AS t, payload.data.title AS title, run_id FROM read_json({listed!r}, "
        "format = 'newline_delimited', hive_partitioning = true, union_by_name = true) ORDER BY seq"
    ).fetchall()
    assert [(t, title) for t, title, _ in rows] == [(i["item_type"], i["data"]["title"]) for i in ITEMS_A]
