"""`quarry run` on the S3 backend (storage-and-policies.md §5): bad settings refused before
anything starts, transient S3 faults retried within the budget (and counted), an exhausted budget
ending the run as policy_failure with everything accepted before intact, a SIGKILL during commits
on either backend leaving a dataset whose manifests name only present objects, and the secret key
in no output at all.

The S3 server is the suite's versitygw (conftest `s3_gateway`); faults come from
s3_harness.FaultProxy between quarry and it. Runs use the `burst` fake executor (no browser).
"""

import collections
import json
import shlex
import signal
import time

import pytest

import quarry_harness as qh
import s3_harness

BURST = qh.rel(qh.FAKES / "burst.py")


def _script(tmp_path):
    path = tmp_path / "script.mjs"
    path.write_text("export default async function run() {}\n")
    return qh.rel(path)


def _args(tmp_path, store, run_id, *extra):
    report = tmp_path / f"{run_id}.json"
    args = qh.run_args(script=_script(tmp_path), run_id=run_id, store=store, source="s3e2e",
                       category="faults", report=report, executor=BURST,
                       extra=["--quiet", *extra])
    return args, report


def _run(tmp_path, store, run_id, *extra, items=6, env=None, timeout=90):
    args, report = _args(tmp_path, store, run_id, *extra)
    return qh.run_quarry(args, env={"QUARRY_FAKE_ITEMS": str(items), **(env or {})},
                         report_path=report, timeout=timeout)


def _assert_no_secret(result, store=None):
    secret = s3_harness.SECRET_KEY
    texts = [result.stdout, result.stderr]
    if result.report_path is not None and result.report_path.exists():
        texts.append(result.report_path.read_text())
    for t in texts:
        assert secret not in t, "the secret key appears in an output"
    if store is not None:
        for p in qh.store_dir(store).rglob("*"):
            if p.is_file():
                assert secret.encode() not in p.read_bytes(), f"the secret key is stored in {p}"


def _stored_items(store, run_id):
    ds = qh.LodeDataset(store)
    return sorted(r["seq"] for r in ds.records()
                  if r["record_kind"] == "event" and r["run_id"] == run_id and r["type"] == "item")


# --- bad settings: exit 2, one line, nothing started -------------------------------------------


def _closed_port():
    return s3_harness.free_port()


@pytest.mark.parametrize("case", ["scheme", "empty-bucket", "missing-bucket", "wrong-secret",
                                  "unreachable"])
def test_bad_s3_settings_fail_before_the_executor_with_one_line(tmp_path, s3_gateway, procs, case):
    store = s3_gateway.store("bad")
    args, _ = _args(tmp_path, store, f"bad-{case}")
    path_at = args.index("--storage-path") + 1
    env = {}
    if case == "scheme":
        args[path_at] = f"s3://{s3_harness.BUCKET}/x"
        needles = ["s3://", "bucket[/prefix]"]
    elif case == "empty-bucket":
        args[path_at] = "/x"
        needles = ["bucket name is empty"]
    elif case == "missing-bucket":
        args[path_at] = "no-such-bucket/x"
        needles = ["no-such-bucket", "NoSuchBucket", s3_gateway.endpoint]
    elif case == "wrong-secret":
        env = {"AWS_SECRET_ACCESS_KEY": "wrong-" + s3_harness.SECRET_KEY}
        needles = [s3_harness.BUCKET, "SignatureDoesNotMatch", s3_gateway.endpoint]
    else:
        endpoint = f"http://127.0.0.1:{_closed_port()}"
        args[args.index("--storage-endpoint") + 1] = endpoint
        needles = [endpoint, "connection refused"]
    result = qh.run_quarry(args, env=env, timeout=30)
    assert result.returncode == 2, result.describe()
    lines = result.stderr_lines()
    assert len(lines) == 1, f"expected one line:\n{result.stderr}"
    for needle in needles:
        assert needle in lines[0], f"{needle!r} not in {lines[0]!r}"
    started = [p.cmdline for p in procs.seen.values() if not p.cmdline.startswith(str(qh.QUARRY_BIN))]
    assert started == [], f"processes were started: {started}"
    assert not store.root.exists(), "something was written"
    _assert_no_secret(result)
    assert env.get("AWS_SECRET_ACCESS_KEY", "\0") not in result.stderr


# --- faults between quarry and the server -------------------------------------------------------


def test_transient_faults_are_retried_counted_and_lose_nothing(tmp_path, s3_gateway):
    """503 SlowDown, 500, a dropped connection and a slow answer, each once, on requests after
    the startup probe: the run succeeds, every event is stored once, and the retries show in
    lode_write_retry_total (report and metrics record)."""
    # Past the startup reads, inside the commits of the 10 snapshots (about 5 requests each).
    proxy = s3_harness.FaultProxy(s3_gateway.port,
                                  faults={20: "503", 26: "500", 32: "drop", 38: "slow"})
    try:
        store = s3_gateway.store("faults", endpoint=proxy.endpoint)
        result = _run(tmp_path, store, "faults-ok", items=8)
    finally:
        proxy.close()
    assert result.returncode == 0, result.describe() + f"\ninjected: {proxy.injected}"
    assert [f for _, f, _ in proxy.injected] == ["503", "500", "drop", "slow"], proxy.injected
    report = result.report
    assert report["outcome"] == "success"
    # The slow answer is under the request timeout: three of the four faults needed a retry.
    assert report["metrics"]["lode_write_retry_total"] >= 3, report["metrics"]
    assert report["metrics"]["lode_write_failure_total"] == 0
    ds = qh.LodeDataset(store)
    ds.validate()
    assert _stored_items(store, "faults-ok") == list(range(1, 9))
    event_ids = collections.Counter(r["event_id"] for r in ds.records() if "event_id" in r.data)
    assert set(event_ids.values()) == {1}
    rec = ds.run("faults-ok").metrics_record
    assert rec["lode_write_retry_total"] == report["metrics"]["lode_write_retry_total"]
    assert rec["storage_backend"] == "s3"
    _assert_no_secret(result, store)


def test_retries_of_the_startup_probe_and_of_sidecar_puts_are_counted(tmp_path, s3_gateway):
    """The first request (the bucket probe) and the first put of each sidecar file and of its
    content-type companion answer 503 once: the run succeeds with both files stored, and
    lode_write_retry_total counts all five retries."""
    seen: set[str] = set()

    def first_time_503(n, line):
        key = line.split(" ")[1].split("?")[0] if " " in line else line
        if n == 1 or (line.startswith("PUT ") and "/files/" in key and key not in seen):
            seen.add(key)
            return "503"
        return None

    proxy = s3_harness.FaultProxy(s3_gateway.port, fail_when=first_time_503)
    try:
        store = s3_gateway.store("sidecar-retries", endpoint=proxy.endpoint)
        result = _run(tmp_path, store, "sidecar-retries", items=2, env={"QUARRY_FAKE_FILES": "2"})
    finally:
        proxy.close()
    assert result.returncode == 0, result.describe() + f"\ninjected: {proxy.injected}"
    injected = [line for _, _, line in proxy.injected]
    assert len(injected) == 5, proxy.injected
    assert not injected[0].startswith("PUT "), injected[0]
    assert sum(".meta.json" in line for line in injected) == 2, injected
    report = result.report
    assert report["metrics"]["lode_write_retry_total"] == 5, report["metrics"]
    assert report["metrics"]["lode_write_failure_total"] == 0
    files = qh.store_dir(store)
    stored = sorted(p.name for p in files.rglob("file-*.txt*") if p.is_file())
    assert stored == ["file-1.txt", "file-1.txt.meta.json", "file-2.txt", "file-2.txt.meta.json"]
    rec = qh.LodeDataset(store).run("sidecar-retries").metrics_record
    assert rec["lode_write_retry_total"] == 5


def test_exhausted_retries_end_the_run_as_policy_failure_keeping_what_was_accepted(
        tmp_path, s3_gateway):
    """From the 20th request on, every data-file put is answered 503 SlowDown: that write fails
    after 3 attempts, the run ends policy_failure (exit 3) with a message naming the S3 code, and
    the snapshots committed before stay whole: the dataset validates, events 1..k are all there."""
    proxy = s3_harness.FaultProxy(
        s3_gateway.port,
        fail_when=lambda n, line: "503" if n >= 20 and line.startswith("PUT ") and
        "/data/data " in line else None)
    try:
        store = s3_gateway.store("exhausted", endpoint=proxy.endpoint)
        result = _run(tmp_path, store, "faults-exhausted", items=20)
    finally:
        proxy.close()
    assert result.returncode == 3, result.describe()
    report = result.report
    assert report["outcome"] == "policy_failure", report
    assert "SlowDown" in report["message"] and "after 3 attempts" in report["message"], report
    assert "rate limited" in report["message"], report["message"]
    ds = qh.LodeDataset(store)
    ds.validate()
    seqs = _stored_items(store, "faults-exhausted")
    assert seqs and seqs == list(range(1, len(seqs) + 1)), seqs
    assert len(seqs) < 20
    _assert_no_secret(result, store)


# --- SIGKILL during commits, on both backends -------------------------------------------------


def _check_crash_state(store) -> qh.LodeDataset:
    """What a kill may leave (§4.6): orphan data files, a stale pointer, missing partition copies.
    What it may not: a manifest naming a missing or short object, or a copy that differs."""
    ds = qh.LodeDataset(store)
    manifests = ds.manifests()
    for sid, m in manifests.items():
        for f in m.data["files"]:
            obj = qh.store_dir(store) / f["path"]
            assert obj.is_file(), f"manifest {sid} names a missing object {f['path']}"
            assert obj.stat().st_size == f["size_bytes"], f"{f['path']} is not whole"
    for copy in (ds.root / "partitions").rglob("segments/*/manifest.json"):
        sid = copy.parent.name
        assert sid in manifests and copy.read_bytes() == manifests[sid].raw, copy
    return ds


def test_sigkill_during_commits_leaves_only_whole_snapshots(tmp_path, new_store, procs):
    """Streaming runs killed with SIGKILL at three moments while they commit: every manifest
    names objects that exist with their recorded sizes, and a run started afterwards repairs the
    pointer if needed and appends to one chain holding every snapshot."""
    store = new_store("sigkill")
    latest = qh.store_dir(store) / "datasets" / "quarry" / "latest"
    killed = []
    for i, delay in enumerate((0.3, 0.7, 1.2)):
        run_id = f"killed-{i}"
        args, _ = _args(tmp_path, store, run_id, "--policy", "streaming", "--flush-count", "5")
        at = args.index("--policy")
        del args[at:at + 2]  # run_args' strict; the streaming flags follow
        before = latest.read_bytes() if latest.exists() else None
        proc = qh.start_quarry(args, env={"QUARRY_FAKE_ITEMS": "100000"})
        qh.wait_for(lambda: latest.exists() and latest.read_bytes() != before, timeout=30,
                    what="a first commit of the run")
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        qh.kill_tagged_processes()
        killed.append(run_id)
        _check_crash_state(store)
    result = _run(tmp_path, store, "after-kills", items=6)
    assert result.returncode == 0, result.describe()
    ds = _check_crash_state(store)
    assert {m.snapshot_id for m in ds.chain()} == set(ds.manifests()), "history is not one chain"
    assert _stored_items(store, "after-kills") == list(range(1, 7))
    for run_id in killed:
        seqs = _stored_items(store, run_id)
        assert seqs and seqs == list(range(1, len(seqs) + 1)), f"{run_id}: a gap in its events"


def test_s3_settings_with_fs_warn_and_are_ignored(tmp_path):
    store = tmp_path / "fs-store"
    store.mkdir()
    args, report = _args(tmp_path, store, "fs-with-s3-flags", "--storage-endpoint",
                         "http://127.0.0.1:9", "--storage-s3-path-style")
    args.remove("--quiet")
    result = qh.run_quarry(args, env={"QUARRY_FAKE_ITEMS": "2"}, report_path=report)
    assert result.returncode == 0, result.describe()
    assert "--storage-endpoint is ignored with --storage-backend fs" in result.stderr
    assert "--storage-s3-path-style is ignored with --storage-backend fs" in result.stderr
    assert _stored_items(store, "fs-with-s3-flags") == [1, 2]


def test_the_summary_commands_read_the_run_back_from_s3(tmp_path, s3_gateway):
    """The run summary's inspect and export commands carry every S3 flag the run used, and work
    as printed: the read commands and export on the S3 backend."""
    store = s3_gateway.store("summary")
    args, report = _args(tmp_path, store, "s3-summary")
    args.remove("--quiet")
    result = qh.run_quarry(args, env={"QUARRY_FAKE_ITEMS": "3"}, report_path=report)
    assert result.returncode == 0, result.describe()
    lines = result.stdout.rstrip().splitlines()
    block = lines[lines.index("=== Data ===") + 1:]
    assert block[0].split(":", 1)[1].strip() == f"{store}/datasets/quarry", block
    inspect = block[2].split(":", 1)[1].strip()
    export = block[3].split(":", 1)[1].strip()
    def options(words):  # flag -> value (None for a switch), order aside
        out, i = {}, 0
        while i < len(words):
            has_value = i + 1 < len(words) and not words[i + 1].startswith("--")
            out[words[i]] = words[i + 1] if has_value else None
            i += 2 if has_value else 1
        return out
    wanted = options(store.storage_args())
    assert shlex.split(inspect)[:4] == ["quarry", "inspect", "run", "s3-summary"], block
    assert options(shlex.split(inspect)[4:]) == wanted, block
    assert shlex.split(export)[:4] == ["quarry", "export", "--run-id", "s3-summary"], block
    assert options(shlex.split(export)[4:]) == wanted, block
    shown = qh.run_quarry(shlex.split(inspect)[1:] + ["--format", "json"], timeout=60)
    assert shown.returncode == 0, shown.describe()
    run = json.loads(shown.stdout)
    assert (run["run_id"], run["state"], run["outcome"]) == ("s3-summary", "succeeded", "success")
    exported = qh.run_quarry(shlex.split(export)[1:], timeout=60)
    assert exported.returncode == 0, exported.describe()
    records = [json.loads(l) for l in exported.stdout.splitlines()]
    assert sorted(r["seq"] for r in records if r["type"] == "item") == [1, 2, 3]
    _assert_no_secret(shown)
    _assert_no_secret(exported)
