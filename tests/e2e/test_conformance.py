"""Conformance gap-fillers: checklist items of executor-contract §23 and storage-and-policies §10
that no other test proved end to end (the item numbers are in each test's docstring; the map of
every item to its tests is docs/conformance.md).

Same harness as the rest of the suite: the real `quarry` binary, the real executor and Chromium
where a script is named, fake executors (tests/e2e/fakes/) where the wire itself is under test, and
the autouse `procs` fixture checking that no process of the run survives it.
"""

import base64
import http.server
import json
import re
import select
import socket
import struct
import subprocess
import threading
import time
import urllib.request
import uuid
from pathlib import Path


import quarry_harness as qh

DEMO = "examples/demo/script.mjs"
FULL_RUN_BIN = qh.REPO / "tests" / "fixtures" / "ipc" / "full_run.bin"
FULL_RUN_JSON = qh.REPO / "tests" / "fixtures" / "ipc" / "full_run.json"

# executor-contract §19: the report's keys, in the order of the table.
REPORT_KEY_ORDER = ["run_id", "job_id", "attempt", "outcome", "message", "exit_code",
                    "duration_ms", "event_count", "policy", "artifacts", "metrics",
                    "terminal_summary", "proxy_used", "stderr"]


def fake(name: str) -> str:
    path = qh.FAKES / f"{name}.py"
    assert path.exists(), path
    return qh.rel(path)


def run_fake(tmp_path, name, *, extra=(), run_id=None, env=None, store=None, timeout=60,
             label=None) -> qh.ExampleRun:
    return qh.run_example(tmp_path, label or f"conf-{name}", DEMO, executor=fake(name),
                          extra=extra, run_id=run_id, env=env, store=store, timeout=timeout)


def closed_loopback_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def all_dataset_bytes(store) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(store.rglob("*")) if p.is_file())


def pid_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            state = fh.read().decode("utf-8", "replace")
    except OSError:
        return False
    return state[state.rfind(")") + 2:].split()[0] not in ("Z", "X")


# ---------------------------------------------------------------------------------------------
# executor-contract §22: the `full_run` golden fixture, replayed through `quarry run`.


def test_full_run_fixture_replayed_through_quarry_run_is_success(tmp_path):
    """§22 `full_run` (captured from our real executor): `success`, exit 0, everything stored."""
    desc = json.loads(FULL_RUN_JSON.read_text())
    assert FULL_RUN_BIN.stat().st_size == desc["stream_bytes"]
    ex = run_fake(tmp_path, "replay_full_run", run_id="run-001")
    report, run = qh.check_run(ex, outcome="success",
                               types=["item", "log", "artifact", "item", "run_complete"])
    expected = desc["expected_runtime"]
    assert ex.result.returncode == expected["exit_code"] == 0
    assert report["message"] == expected["message"]
    assert report["event_count"] == expected["events_accepted"] == 5
    assert report["terminal_summary"] == expected["terminal_summary"]
    (art_id, art), = expected["artifacts"].items()
    assert report["artifacts"] == {"total": 1, "committed": 1, "orphaned": 0, "chunks": 1,
                                   "bytes": art["size_bytes"]}
    commit = run.of_type("artifact")[0]
    assert commit["artifact_id"] == art_id and commit["size_bytes"] == 64
    assert run.artifact_bytes(art_id) == bytes(range(64))
    assert [e["payload"]["data"]["name"] for e in run.items()] == ["Full Run Widget",
                                                                 "Second Widget"]
    assert run.of_type("log")[0]["payload"] == {
        "level": "info", "message": "captured for the full_run fixture", "fields": {"step": 2}}


# ---------------------------------------------------------------------------------------------
# executor-contract §23 item 43 (D7, D11.25): unreachable explicit browser endpoint.


def test_d7_unreachable_browser_endpoint_fails_before_the_executor_starts(tmp_path, procs):
    """Item 43: executor_crash (exit 2) without starting the executor; the endpoint's userinfo and
    query are redacted in the message, the report, the logs and the stored metrics record."""
    port = closed_loopback_port()
    user_secret, pass_secret, query_secret = "d7user-9f1c", "d7pass-7b2e4a", "d7token-51aa0c"
    endpoint = (f"ws://{user_secret}:{pass_secret}@127.0.0.1:{port}/devtools/browser/"
                f"d7-target?token={query_secret}")
    marker = tmp_path / "executor-started"
    ex = run_fake(tmp_path, "must_not_start", extra=["--browser-ws-endpoint", endpoint],
                  env={"QUARRY_E2E_MARKER": str(marker)}, timeout=30)
    report = qh.check_report(ex.result, run_id=ex.run_id, outcome="executor_crash")
    assert not marker.exists(), "the executor was started although the probe failed"
    started = [p.cmdline for p in procs.seen.values()
               if not p.cmdline.startswith(str(qh.QUARRY_BIN))]
    assert started == [], started
    assert ex.result.elapsed < 10, f"a refused probe took {ex.result.elapsed:.1f}s"

    redacted = f"ws://***@127.0.0.1:{port}/devtools/***?***"
    message = report["message"]
    assert message.startswith(f"browser endpoint unreachable: {redacted}: "), message
    assert len(message) > len(f"browser endpoint unreachable: {redacted}: "), "reason missing"
    m = report["metrics"]
    assert (m["runs_started_total"], m["runs_crashed_total"]) == (1, 1)
    assert (m["executor_launch_success_total"], m["executor_launch_failure_total"]) == (0, 0)
    assert m["executor_crash_total"] == 0 and report["event_count"] == 0
    assert "terminal_summary" not in report and "stderr" not in report

    run = ex.run_view()
    assert run.events == [] and run.chunks == []
    assert run.metrics_record["outcome"] == "executor_crash"
    assert run.metrics_record["outcome_message"] == message
    everything = (ex.result.stdout + ex.result.stderr).encode() + ex.result.report_path.read_bytes()
    everything += all_dataset_bytes(ex.store)
    for secret in (user_secret, pass_secret, query_secret):
        assert secret.encode() not in everything, f"{secret} leaked"


# ---------------------------------------------------------------------------------------------
# executor-contract §23 items 55–57: the report's key order and terminal_summary.


def test_report_keys_follow_the_section_19_order(tmp_path):
    """Items 55–57: keys in the §19 order (job_id, terminal_summary, stderr present here), metrics
    keys in their order, exit_code = process exit, event_count = last seq, duration_ms."""
    ex = run_fake(tmp_path, "happy", extra=["--job-id", "job-order-1"])
    report, run = qh.check_run(ex, outcome="success", types=["item", "item", "run_complete"],
                               our_executor=False, job_id="job-order-1")
    keys = list(report)
    assert keys == [k for k in REPORT_KEY_ORDER if k in report], keys
    assert {"job_id", "terminal_summary", "stderr"} <= set(keys)
    assert list(report["policy"]) == ["name", "events_received", "events_persisted",
                                      "events_dropped"]
    assert list(report["artifacts"]) == ["total", "committed", "orphaned", "chunks", "bytes"]
    assert list(report["metrics"]) == [k for k in qh.REPORT_METRICS_ORDER
                                       if k not in ("dropped_by_type", "flush_triggers",
                                                    "events_persisted_by_sink",
                                                    "event_sink_dropped_total")]
    assert report["exit_code"] == ex.result.returncode == 0
    assert report["event_count"] == run.events[-1]["seq"] == 3
    assert isinstance(report["duration_ms"], int) and 0 <= report["duration_ms"] <= ex.result.elapsed * 1000 + 1000
    assert report["terminal_summary"] == {"summary": {"items": 2}}


def test_run_result_without_terminal_is_a_crash_and_has_no_terminal_summary(tmp_path):
    """Items 45 (D11.1) and 57: exit 0 with a `completed` run_result but no run_complete is
    executor_crash (exit 2); terminal_summary is absent; key order still §19."""
    ex = run_fake(tmp_path, "run_result_without_terminal")
    report, run = qh.check_run(ex, outcome="executor_crash", types=["item"], our_executor=False)
    assert ex.result.returncode == 2 and report["exit_code"] == 2
    assert "terminal_summary" not in report
    assert report["event_count"] == 1
    assert report["metrics"]["executor_crash_total"] == 0, "a clean stream is not a stream error"
    keys = list(report)
    assert keys == [k for k in REPORT_KEY_ORDER if k in report], keys


# ---------------------------------------------------------------------------------------------
# executor-contract §23 item 19 (D11.3): one warning with the count of post-terminal frames.


def test_frames_after_the_terminal_produce_exactly_one_warning_with_their_count(tmp_path):
    """Item 19: the after_terminal fake sends an item, a log and a chunk after run_complete: none
    is stored and exactly one warn line reports 3 frames."""
    ex = run_fake(tmp_path, "after_terminal")
    report, run = qh.check_run(ex, outcome="success", types=["item", "run_complete"],
                               our_executor=False, event_counts=(4,))
    assert run.chunks == []
    warnings = []
    for line in ex.result.stderr.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("level") == "warn" and "terminal" in entry.get("message", ""):
            warnings.append(entry)
    assert len(warnings) == 1, f"expected exactly one warning:\n{ex.result.stderr}"
    assert warnings[0]["fields"].get("frames") == 3, warnings[0]
    assert "3" in warnings[0]["message"], warnings[0]


# ---------------------------------------------------------------------------------------------
# executor-contract §23 item 39 (D8): no process survives a decode error or a policy failure.


def test_decode_error_kills_a_grandchild_in_another_session(tmp_path, procs):
    """Item 39 (decode error): the executor's grandchild, started in a session of its own like
    Chromium, is killed and reaped when a decode error ends the run."""
    ex = run_fake(tmp_path, "garbage_with_grandchild", timeout=40)
    report = qh.check_report(ex.result, run_id=ex.run_id, outcome="executor_crash")
    assert (report["metrics"]["executor_crash_total"], report["metrics"]["ipc_decode_errors_total"]) == (1, 1)
    assert ex.result.elapsed < 30, "the hanging fake must be killed, not waited for"
    match = re.search(r"FAKE-GRANDCHILD: (\d+)", report.get("stderr", ""))
    assert match, report.get("stderr")
    grandchild = int(match.group(1))
    # The fake logged the pid after Popen returned, so the grandchild (`sleep 120`) existed; the
    # runtime may kill it before the background sampler ever sees it, so only its death is checked.
    deadline = time.monotonic() + 3
    while pid_alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not pid_alive(grandchild), f"grandchild {grandchild} survived the run"


def test_policy_failure_with_a_live_browser_kills_the_tree_and_exits_3(tmp_path, procs):
    """Items 39 (policy failure, real Chromium), 53 (policy_failure -> exit 3) and storage 29 (NaN
    fails the run with policy_failure naming the seq): strict refuses item seq 2 while the script
    sleeps 60 s; the run ends at once, nothing of its tree survives."""
    script = qh.rel(qh.SCRIPTS / "nan-then-sleep.mjs")
    ex = qh.run_example(tmp_path, "nan", script, timeout=90)
    result = ex.result
    assert result.returncode == 3, result.describe()
    assert result.elapsed < 40, f"policy failure waited for the script ({result.elapsed:.1f}s)"
    report = result.report
    assert report["outcome"] == "policy_failure" and report["exit_code"] == 3
    assert "event seq 2 (item)" in report["message"], report["message"]
    assert "payload.data.price" in report["message"], report["message"]
    m = report["metrics"]
    assert (m["runs_failed_total"], m["runs_crashed_total"], m["executor_crash_total"]) == (1, 0, 0)
    assert procs.browsers_seen(), "the run should have started Chromium"
    ex.ds.validate()
    run = ex.run_view()
    assert run.types() == ["item"] and run.items()[0]["payload"]["data"] == {"n": 1}
    assert run.metrics_record["outcome"] == "policy_failure"
    assert run.metrics_record["outcome_message"] == report["message"]


# ---------------------------------------------------------------------------------------------
# storage-and-policies §10 item 31 (D2): an item whose stored line would exceed 10 MiB.


def test_item_over_the_line_limit_fails_the_run_with_the_documented_message(tmp_path):
    """Storage item 31: policy_failure (exit 3) with `event seq <n> (<type>) encodes to <N> bytes;
    stored lines are limited to 10485760 bytes`; nothing of that event is stored."""
    ex = run_fake(tmp_path, "oversize_item_line", timeout=60)
    result = ex.result
    assert result.returncode == 3, result.describe()
    report = result.report
    assert report["outcome"] == "policy_failure"
    match = re.fullmatch(r"event seq 2 \(item\) encodes to (\d+) bytes; stored lines are limited "
                         r"to 10485760 bytes", report["message"])
    assert match, report["message"]
    assert int(match.group(1)) > 10_485_760
    ex.ds.validate()
    run = ex.run_view()
    assert run.types() == ["item"] and run.items()[0]["payload"]["data"] == {"n": 1}
    assert run.metrics_record["outcome"] == "policy_failure"
    for path in ex.store.rglob("data"):
        if path.is_file():
            for line in path.read_bytes().split(b"\n"):
                assert len(line) + 1 <= 10_485_760


def test_map_keys_that_are_not_utf8_are_refused_naming_the_path(tmp_path):
    """Storage §4.8 (docs/decisions.md): two keys differing only in invalid bytes would both be
    stored as "a\\ufffd" and a reader would keep one value; the event is refused at admission, also
    under buffered, with one line naming the path."""
    for policy in ("strict", "buffered"):
        store = tmp_path / f"key-{policy}"
        store.mkdir()
        report = tmp_path / f"key-{policy}-report.json"
        args = qh.run_args(script=DEMO, run_id=f"key-{policy}-{qh.now_ms()}", store=store,
                           executor=fake("invalid_utf8_key"), report=report)
        if policy != "strict":
            i = args.index("--policy")
            args[i:i + 2] = POLICIES[policy]
        result = qh.run_quarry(args, timeout=60, report_path=report)
        assert result.returncode == 3, result.describe()
        assert result.report["message"] == ("event seq 1 (item) cannot be stored: map key is not "
                                            "valid UTF-8 at payload.data.a\\xff"), result.report
        events = [r for r in qh.LodeDataset(store).records() if r["record_kind"] == "event"]
        assert events == [], events


def test_sidecar_names_cannot_collide_and_a_failed_put_leaves_nothing(tmp_path):
    """Storage §4.3/§4.12 (docs/decisions.md): "x.meta.json" is refused with an error ack (it would
    take over the companion path of "x"), "x" keeps its own companion, and a put whose companion
    cannot be written ("y": the test put a directory in its place) removes its file again; the
    run goes on and later puts work."""
    run_id = f"conf-sidecar-{qh.now_ms()}"
    store = tmp_path / "conf-sidecar"
    files = (store / "datasets/quarry/partitions/source=example-runner/category=examples"
             / f"day={qh.utc_today()}" / f"run_id={run_id}" / "files")
    (files / "y.meta.json").mkdir(parents=True)
    ex = run_fake(tmp_path, "sidecar_names", run_id=run_id, store=store)
    assert ex.result.returncode == 0, ex.result.describe()
    acks = [line for line in ex.result.report["stderr"].splitlines() if line.startswith("ACK ")]
    assert acks[0] == ('ACK x.meta.json error invalid sidecar filename "x.meta.json": names ending '
                       'in ".meta.json" are reserved for the content-type companions of sidecar '
                       'files'), acks
    assert acks[1] == "ACK x ok " and acks[3] == "ACK z ok ", acks
    assert acks[2].startswith("ACK y error write ") and "y.meta.json" in acks[2], acks
    assert sorted(p.name for p in files.iterdir()) == ["x", "x.meta.json", "y.meta.json", "z",
                                                      "z.meta.json"]
    assert (files / "x").read_bytes() == b"data of x"
    assert json.loads((files / "x.meta.json").read_text()) == {"content_type": "text/csv"}
    assert (files / "y.meta.json").is_dir()  # not ours: left alone
    listed = [s["filename"] for m in ex.ds.manifests().values()
              for s in m.data["metadata"].get("sidecar_files", [])]
    assert sorted(listed) == ["x", "z"], listed
    assert ex.report["metrics"]["lode_write_failure_total"] == 2


# ---------------------------------------------------------------------------------------------
# executor-contract §23 item 22: artifact chunk boundaries through the real executor.


def _pattern(size: int, seed: int) -> bytes:
    return bytes(((i * 31 + seed) & 0xFF) for i in range(size))


def test_artifact_chunk_boundaries_through_the_real_executor(tmp_path):
    """Item 22 end to end: empty -> one empty chunk with is_last; 8 MiB -> one chunk; 8 MiB + 1 ->
    two chunks (8 MiB, 1 byte). Counted in the report, stored as pieces that reassemble."""
    script = qh.rel(qh.SCRIPTS / "artifact-sizes.mjs")
    ex = qh.run_example(tmp_path, "artifact-sizes", script, timeout=180)
    # Not qh.check_run: it assumes one stored piece per IPC chunk, and 8 MiB chunks are stored
    # as 6 MiB + 2 MiB pieces (D2).
    report = qh.check_report(ex.result, run_id=ex.run_id, outcome="success")
    ex.ds.validate()
    run = ex.run_view()
    run.check_shapes()
    assert run.types() == ["artifact", "item"] * 3 + ["run_complete"], run.types()
    assert [e["seq"] for e in run.events] == list(range(1, 8))
    # strict: one write (and one snapshot) per event and per IPC chunk, plus the metrics snapshot.
    assert report["metrics"]["lode_write_success_total"] == 7 + 4
    assert len(run.snapshots) == 7 + 4 + 1
    mib8 = 8 * 1024 * 1024
    ids = {i["payload"]["data"]["name"]: i["payload"]["data"]["id"] for i in run.items()}
    sizes = {"empty.bin": 0, "eight.bin": mib8, "eight-plus-one.bin": mib8 + 1}
    # IPC chunks: 1 + 1 + 2; the 8 MiB IPC chunks are stored as 6 MiB + 2 MiB pieces (D2).
    assert report["artifacts"] == {"total": 3, "committed": 3, "orphaned": 0, "chunks": 4,
                                   "bytes": 2 * mib8 + 1}
    for name, size in sizes.items():
        commit = next(e for e in run.of_type("artifact") if e["artifact_id"] == ids[name])
        assert commit["name"] == name and commit["size_bytes"] == size
        data = run.artifact_bytes(ids[name])
        assert len(data) == size and data == _pattern(size, len(name)), name
    pieces = {name: sorted((c for c in run.chunks if c["artifact_id"] == ids[name]),
                           key=lambda c: c["offset"]) for name in sizes}
    assert [(c["length"], c["is_last"]) for c in pieces["empty.bin"]] == [(0, True)]
    assert [c["length"] for c in pieces["eight.bin"]] == [6_291_456, 2_097_152]
    assert [c["length"] for c in pieces["eight-plus-one.bin"]] == [6_291_456, 2_097_152, 1]
    assert pieces["eight-plus-one.bin"][-1]["offset"] == mib8


# ---------------------------------------------------------------------------------------------
# storage-and-policies §10 items 35 and 37: metrics record per policy; one layout for all.


POLICIES = {
    "strict": [],
    "buffered": ["--policy", "buffered", "--buffer-events", "100", "--buffer-bytes", "1048576"],
    "streaming": ["--policy", "streaming", "--flush-count", "2"],
}


def _replay_with(tmp_path, policy, new_store):
    store = new_store(f"layout-{policy}")
    args = qh.run_args(script=DEMO, run_id="run-001", store=store, executor=fake("replay_full_run"),
                       report=tmp_path / f"layout-{policy}-report.json")
    if policy != "strict":
        i = args.index("--policy")
        del args[i:i + 2]
        args += POLICIES[policy]
    result = qh.run_quarry(args, timeout=60, report_path=tmp_path / f"layout-{policy}-report.json")
    assert result.returncode == 0, result.describe()
    return store, result


def _layout(store):
    """{partition dir: sorted record lines with the policy value blanked}, metrics excluded."""
    ds = qh.LodeDataset(store)
    ds.validate()
    out = {}
    for r in ds.records():
        if r["record_kind"] == "metrics":
            continue
        data = dict(r.data)
        if "policy" in data:
            data["policy"] = "<policy>"
        part = r.path.split("/segments/")[0]
        out.setdefault(part, []).append(qh.canonical_json(data))
    return {k: sorted(v) for k, v in out.items()}


def test_layout_is_identical_across_policies(tmp_path, new_store):
    """Storage item 37: the same stream (the full_run fixture) under strict, buffered and streaming
    gives the same partitions and the same records; only the policy value and the grouping into
    snapshots differ. Storage item 35: the metrics record has flush_triggers only for streaming,
    with all four keys; no job_id or dropped_by_type keys when empty."""
    layouts, snapshot_counts = {}, {}
    for policy in POLICIES:
        store, result = _replay_with(tmp_path, policy, new_store)
        layouts[policy] = _layout(store)
        ds = qh.LodeDataset(store)
        run = ds.run("run-001")
        snapshot_counts[policy] = len(run.snapshots)
        policies = {r["policy"] for r in run.records if r["record_kind"] != "artifact_chunk"}
        assert policies == {policy}, policies
        rec = run.metrics_record
        assert "job_id" not in rec.data and "dropped_by_type" not in rec.data
        report = result.report
        if policy == "streaming":
            assert set(rec["flush_triggers"]) == {"count", "interval", "termination", "capacity"}
            assert rec["flush_triggers"] == report["metrics"]["flush_triggers"]
            assert report["policy"]["flush_triggers"] == rec["flush_triggers"]
        else:
            assert "flush_triggers" not in rec.data
            assert "flush_triggers" not in report["metrics"]
            assert "flush_triggers" not in report["policy"]
    assert layouts["strict"] == layouts["buffered"] == layouts["streaming"]
    assert sorted(p.rsplit("event_type=", 1)[1] for p in layouts["strict"]) == [
        "artifact", "item", "log", "run_complete"]
    # strict: 5 events + 1 chunk + metrics; buffered: chunks, events, metrics.
    assert snapshot_counts["strict"] == 7 and snapshot_counts["buffered"] == 3, snapshot_counts
    assert snapshot_counts["streaming"] < snapshot_counts["strict"], snapshot_counts


# ---------------------------------------------------------------------------------------------
# Executor modes driven directly (the runtime's browser reuse and proxy pools are not built yet):
# executor-contract §23 items 59 (executor side), 60 and 63.

EXECUTOR = Path(qh.EXECUTOR_OVERRIDE) if qh.EXECUTOR_OVERRIDE else qh.REPO / "executor" / "dist" / "executor.mjs"


def _frames(stream: bytes) -> list[bytes]:
    out, i = [], 0
    while i + 4 <= len(stream):
        n = int.from_bytes(stream[i:i + 4], "big")
        out.append(stream[i + 4:i + 4 + n])
        i += 4 + n
    assert i == len(stream), "stdout is not a whole number of frames"
    return out


def run_executor_directly(script: str, request: dict, *, timeout: float = 90) -> subprocess.CompletedProcess:
    """Writes the run request + LF, closes stdin (no acks: fire-and-forget) and collects output."""
    line = json.dumps(request, separators=(",", ":")).encode() + b"\n"
    return subprocess.run([str(EXECUTOR), script], input=line, capture_output=True,
                          cwd=qh.REPO, env=qh.quarry_env({"QUARRY_STEALTH": "0"}), timeout=timeout)


class AuthProxy:
    """A local HTTP proxy that answers every request itself; it requires Basic credentials
    user:password and records (url, authorized) for each request."""

    def __init__(self, name: str, user: str, password: str):
        expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        seen = self.seen = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                ok = self.headers.get("Proxy-Authorization") == expected
                seen.append((self.path, ok))
                if not ok:
                    self.send_response(407)
                    self.send_header("Proxy-Authenticate", 'Basic realm="quarry-conformance"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = f"<html><body>via {name}</body></html>".encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def _read_endpoint(proc: subprocess.Popen, timeout: float = 30) -> str:
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    assert ready, "no endpoint line within 30 s"
    line = proc.stdout.readline().decode().strip()
    assert re.fullmatch(r"ws://127\.0\.0\.1:\d+/devtools/browser/\S+", line), line
    return line


def test_proxy_per_context_in_launch_and_connect_mode_with_page_auth_only(tmp_path, procs):
    """Items 60 and 59 (executor side): each run's proxy applies to its own context, in launch
    mode and in connect mode against one shared browser (two runs, two proxies); credentials go
    through page authentication only — never in any process's arguments, never in a URL the
    proxies see — and proxy_used, stdout and stderr carry no password."""
    script = qh.rel(qh.SCRIPTS / "proxy-fetch.mjs")
    pass_a, pass_b = f"pwA-{uuid.uuid4().hex[:12]}", f"pwB-{uuid.uuid4().hex[:12]}"
    proxy_a, proxy_b = AuthProxy("proxy-a", "user-a", pass_a), AuthProxy("proxy-b", "user-b", pass_b)
    shared = subprocess.Popen([str(EXECUTOR), "--launch-browser", script], cwd=qh.REPO,
                              env=qh.quarry_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, start_new_session=True)
    try:
        endpoint = _read_endpoint(shared)
        runs = {
            "launch-a": (None, proxy_a, "user-a", pass_a),
            "connect-a": (endpoint, proxy_a, "user-a", pass_a),
            "connect-b": (endpoint, proxy_b, "user-b", pass_b),
        }
        results = {}
        for name, (ws, proxy, user, password) in runs.items():
            request = {"run_id": f"proxy-{name}", "attempt": 1,
                       "job": {"url": f"http://quarry-{name}.invalid/page"},
                       "proxy": {"protocol": "http", "host": "127.0.0.1", "port": proxy.port,
                                 "username": user, "password": password}}
            if ws:
                request["browser_ws_endpoint"] = ws
            results[name] = run_executor_directly(script, request)
        shared.stdin.close()
        assert shared.wait(timeout=30) == 0
    finally:
        if shared.poll() is None:
            shared.kill()
            shared.wait()
        proxy_a.close()
        proxy_b.close()

    for name, r in results.items():
        assert r.returncode == 0, (name, r.stderr.decode(errors="replace")[-2000:])
        frames = [qh_decode(f) for f in _frames(r.stdout)]
        item = next(f for f in frames if f.get("type") == "item")
        proxy_name = "proxy-b" if name.endswith("-b") else "proxy-a"
        assert item["payload"]["data"]["status"] == 200 and item["payload"]["data"]["body"] == f"via {proxy_name}", (name, item)
        used = next(f for f in frames if f.get("type") == "run_result")["proxy_used"]
        proxy = runs[name][1]
        assert used == {"protocol": "http", "host": "127.0.0.1", "port": proxy.port,
                        "username": runs[name][2]}, used
        for password in (pass_a, pass_b):
            assert password.encode() not in r.stdout and password.encode() not in r.stderr, name
    # Each proxy saw exactly its own runs' URLs, authorized, and no credentials in any URL.
    def pages(proxy):  # Chromium also asks for /favicon.ico
        return {u for u, ok in proxy.seen if ok and not u.endswith("/favicon.ico")}

    assert pages(proxy_a) == {"http://quarry-launch-a.invalid/page",
                              "http://quarry-connect-a.invalid/page"}, proxy_a.seen
    assert pages(proxy_b) == {"http://quarry-connect-b.invalid/page"}, proxy_b.seen
    assert not any("-b.invalid" in u for u, _ in proxy_a.seen), proxy_a.seen
    assert not any("-a.invalid" in u for u, _ in proxy_b.seen), proxy_b.seen
    for url, _ in proxy_a.seen + proxy_b.seen:
        assert pass_a not in url and pass_b not in url and "@" not in url, url
    # Page authentication only: no process of the test (executor, Chromium) had a password in argv.
    assert procs.browsers_seen(), "Chromium was never observed"
    for p in procs.seen.values():
        assert pass_a not in p.cmdline and pass_b not in p.cmdline, p.cmdline[:300]


def qh_decode(payload: bytes):
    """Minimal msgpack decoder for the frames our executor writes (maps, str, bin, ints, floats,
    bool, nil, arrays)."""
    value, end = _mp(payload, 0)
    assert end == len(payload)
    return value


def _mp(b: bytes, i: int):
    t = b[i]
    if t <= 0x7F:
        return t, i + 1
    if t >= 0xE0:
        return t - 256, i + 1
    if 0x80 <= t <= 0x8F:
        return _mp_map(b, i + 1, t & 0x0F)
    if 0x90 <= t <= 0x9F:
        return _mp_arr(b, i + 1, t & 0x0F)
    if 0xA0 <= t <= 0xBF:
        n = t & 0x1F
        return b[i + 1:i + 1 + n].decode(), i + 1 + n
    fixed = {0xC0: None, 0xC2: False, 0xC3: True}
    if t in fixed:
        return fixed[t], i + 1
    if t in (0xC4, 0xC5, 0xC6, 0xD9, 0xDA, 0xDB):
        width = {0xC4: 1, 0xC5: 2, 0xC6: 4, 0xD9: 1, 0xDA: 2, 0xDB: 4}[t]
        n = int.from_bytes(b[i + 1:i + 1 + width], "big")
        raw = b[i + 1 + width:i + 1 + width + n]
        return (raw if t in (0xC4, 0xC5, 0xC6) else raw.decode()), i + 1 + width + n
    if t in (0xCC, 0xCD, 0xCE, 0xCF):
        width = {0xCC: 1, 0xCD: 2, 0xCE: 4, 0xCF: 8}[t]
        return int.from_bytes(b[i + 1:i + 1 + width], "big"), i + 1 + width
    if t in (0xD0, 0xD1, 0xD2, 0xD3):
        width = {0xD0: 1, 0xD1: 2, 0xD2: 4, 0xD3: 8}[t]
        return int.from_bytes(b[i + 1:i + 1 + width], "big", signed=True), i + 1 + width
    if t == 0xCB:
        return struct.unpack(">d", b[i + 1:i + 9])[0], i + 9
    if t in (0xDE, 0xDF):
        width = 2 if t == 0xDE else 4
        return _mp_map(b, i + 1 + width, int.from_bytes(b[i + 1:i + 1 + width], "big"))
    if t in (0xDC, 0xDD):
        width = 2 if t == 0xDC else 4
        return _mp_arr(b, i + 1 + width, int.from_bytes(b[i + 1:i + 1 + width], "big"))
    raise ValueError(f"unsupported msgpack byte 0x{t:02x}")


def _mp_map(b, i, n):
    out = {}
    for _ in range(n):
        k, i = _mp(b, i)
        v, i = _mp(b, i)
        out[k] = v
    return out, i


def _mp_arr(b, i, n):
    out = []
    for _ in range(n):
        v, i = _mp(b, i)
        out.append(v)
    return out, i


class PageServer:
    """Serves one small HTML page on loopback."""

    def __init__(self):
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                body = b"<html><body>kept open</body></html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/page"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_browser_server_stays_while_a_page_is_open_then_exits_idle(tmp_path, procs):
    """Item 63: with a 1 s idle timeout the browser server keeps running while a page with a
    non-blank URL is open (two 5 s poll periods), then, once the page is closed, logs its idle
    time, deletes its discovery file and exits 0; no Chromium process survives."""
    discovery = tmp_path / "browser.json"
    discovery.write_text("{}")
    page = PageServer()
    server = subprocess.Popen([str(EXECUTOR), "--browser-server", DEMO], cwd=qh.REPO,
                              env=qh.quarry_env({"QUARRY_BROWSER_IDLE_TIMEOUT": "1",
                                                 "QUARRY_BROWSER_DISCOVERY_FILE": str(discovery)}),
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, start_new_session=True)
    try:
        endpoint = _read_endpoint(server)
        port = int(re.match(r"ws://127\.0\.0\.1:(\d+)/", endpoint).group(1))
        req = urllib.request.Request(f"http://127.0.0.1:{port}/json/new?{page.url}", method="PUT")
        target = json.loads(urllib.request.urlopen(req, timeout=10).read())

        def page_listed():
            listing = json.loads(urllib.request.urlopen(
                f"http://127.0.0.1:{port}/json/list", timeout=5).read())
            return any(t.get("id") == target["id"] and t.get("url") == page.url for t in listing)

        qh.wait_for(page_listed, 15, what="the page to be open at its URL")
        time.sleep(12)
        assert server.poll() is None, "the server exited although a page was open"
        assert discovery.exists(), "the discovery file was deleted while a page was open"
        urllib.request.urlopen(f"http://127.0.0.1:{port}/json/close/{target['id']}", timeout=10).read()
        code = server.wait(timeout=40)
        stderr = server.stderr.read().decode(errors="replace")
        assert code == 0, stderr
        assert re.search(r"idle for \d+s", stderr), stderr
        assert not discovery.exists(), "the discovery file survived the idle shutdown"
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        page.close()
