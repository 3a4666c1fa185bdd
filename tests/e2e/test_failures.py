"""Failure paths of `quarry run`: script errors, hooks, a killed executor, signals, --timeout, and
fake executors that break the wire protocol (executor-contract §4–§19, cli-and-integrations §4.10).

Fake executors live in tests/e2e/fakes/ (Python, standard library only); they are passed with
--executor and ignore the --script path.
"""

import json
import os
import re
import signal
import time

import pytest

import quarry_harness as qh

SLOW = "examples/slow-sleep/script.mjs"
DEMO = "examples/demo/script.mjs"


def test_script_throws_without_terminal(tmp_path):
    ex = qh.run_example(tmp_path, "throw", qh.rel(qh.SCRIPTS / "throw-no-terminal.mjs"))
    report, run = qh.check_run(ex, outcome="script_error", types=["run_error"])
    err = run.terminal["payload"]
    assert err["error_type"] == "script_error"
    assert err["message"] == "custom failure 42 from the e2e suite"
    assert "RangeError" in err["stack"] and "throw-no-terminal.mjs" in err["stack"]
    assert report["message"] == "custom failure 42 from the e2e suite"
    assert report["terminal_summary"] == err


def test_script_returns_without_terminal(tmp_path):
    ex = qh.run_example(tmp_path, "return", qh.rel(qh.SCRIPTS / "return-no-terminal.mjs"))
    report, run = qh.check_run(ex, outcome="success", types=["log", "run_complete"])
    assert run.events[0]["payload"] == {"level": "info",
                                        "message": "about to return without a terminal",
                                        "fields": {"step": 1}}
    assert run.terminal["payload"] == {}
    assert report["terminal_summary"] == {}


def test_prepare_skip_without_reason(tmp_path, procs):
    ex = qh.run_example(tmp_path, "skip", qh.rel(qh.SCRIPTS / "prepare-skip-no-reason.mjs"))
    report, run = qh.check_run(ex, outcome="success", types=["run_complete"])
    assert run.terminal["payload"] == {"summary": {"skipped": True}}
    assert report["terminal_summary"] == {"summary": {"skipped": True}}
    assert procs.browsers_seen() == [], "the skip path must not start a browser"


def test_prepare_throws(tmp_path, procs):
    ex = qh.run_example(tmp_path, "prepare-throws", qh.rel(qh.SCRIPTS / "prepare-throws.mjs"))
    report, run = qh.check_run(ex, outcome="executor_crash", types=[])
    assert "prepare exploded on purpose" in report["message"], report["message"]
    assert report["event_count"] == 0 and "terminal_summary" not in report
    assert report["metrics"]["executor_crash_total"] == 0, "a clean stream is not a stream error"
    assert procs.browsers_seen() == [], "prepare failures happen before any browser"


def test_script_load_failure(tmp_path):
    ex = qh.run_example(tmp_path, "bad-export", qh.rel(qh.SCRIPTS / "bad-export.mjs"))
    report, _ = qh.check_run(ex, outcome="executor_crash", types=[])
    assert "bad-export.mjs" in report["message"] or "load" in report["message"].lower(), report


# ---------------------------------------------------------------------------------------------
# Killing the executor, signals and --timeout, all on the 60 s slow-sleep example.


class SlowRun:
    def __init__(self, tmp_path, name, extra=()):
        self.run_id = f"example-{name}-{qh.now_ms()}"
        self.store = tmp_path / name
        self.store.mkdir()
        self.report_path = tmp_path / f"{name}-report.json"
        self.args = qh.run_args(script=SLOW, run_id=self.run_id, store=self.store,
                                report=self.report_path, extra=list(extra))
        self.day_before = qh.utc_today()
        self.started = time.monotonic()
        self.proc = qh.start_quarry(self.args)

    def wait_sleeping(self, timeout=60.0):
        """Waits until the before_sleep item is on disk (strict writes it at once)."""
        def ready():
            if self.proc.poll() is not None:
                out, err = self.proc.communicate()
                raise AssertionError(f"quarry ended early ({self.proc.returncode}): {err[-2000:]!r}")
            return qh.stored_items_of(self.store)
        qh.wait_for(ready, timeout, what="the before_sleep item on disk")

    def finish(self, timeout=30.0) -> qh.ExampleRun:
        result = qh.finish_quarry(self.proc, self.args, timeout=timeout, started=self.started,
                                  report_path=self.report_path, day_before=self.day_before)
        return qh.ExampleRun(name="slow", run_id=self.run_id, store=self.store, result=result)


def _check_crash_after_sleep_started(ex, *, message_re, procs):
    report, run = qh.check_run(ex, outcome="executor_crash", types=["item"])
    assert re.search(message_re, report["message"]), report["message"]
    item = run.items()[0]["payload"]
    assert item == {"item_type": "before_sleep", "data": {"status": "sleeping", "sleep_seconds": 60}}
    assert run.metrics_record["outcome"] == "executor_crash"
    m = report["metrics"]
    assert m["executor_crash_total"] == 0 and m["ipc_decode_errors_total"] == 0, (
        "killed executors, signals and timeouts are not stream errors")
    assert procs.browsers_seen(), "the run should have started Chromium"
    return report, run


def test_executor_killed_with_sigkill(tmp_path, procs):
    slow = SlowRun(tmp_path, "sigkill")
    slow.wait_sleeping()
    executor = qh.find_executor_pid(slow.proc.pid, "slow-sleep")
    os.kill(executor, signal.SIGKILL)
    ex = slow.finish(timeout=30)
    report, _ = _check_crash_after_sleep_started(ex, message_re=r"(?i)signal|killed", procs=procs)
    assert ex.result.elapsed < 60


def test_quarry_killed_with_sigkill_while_idle_leaves_no_process(tmp_path, procs):
    """kill -9 of quarry itself while the script sleeps: the executor and its Chromium go at once
    (the orphan guard), not when the script next touches the dead pipe a minute later."""
    slow = SlowRun(tmp_path, "quarry-sigkill")
    slow.wait_sleeping()
    qh.find_executor_pid(slow.proc.pid, "slow-sleep")
    assert procs.browsers_seen(), "the run should have started Chromium"
    slow.proc.kill()
    slow.proc.communicate()
    killed = time.monotonic()
    # Issue 9 item 4 asks for 2 s whatever the script does.
    survivors = qh.wait_for_no_processes(qh.current_tag(), procs, grace=2.0)
    listing = [f"{p.pid} {p.cmdline[:100]}" for p in survivors]
    assert not survivors, f"alive {time.monotonic() - killed:.1f}s after kill -9: {listing}"
    # What strict had accepted before the kill is on disk.
    assert qh.stored_items_of(slow.store)


def test_deeply_nested_emit_is_refused_and_the_run_goes_on(tmp_path):
    ex = qh.run_example(tmp_path, "deep-value", qh.rel(qh.SCRIPTS / "deep-value.mjs"))
    report, run = qh.check_run(ex, outcome="success", types=["item", "item", "run_complete"])
    items = [r["payload"] for r in run.items()]
    assert [i["item_type"] for i in items] == ["before", "after"], items
    refused = items[1]["data"]["refused"]
    assert refused.startswith("EncodeError: ") and "nested deeper than 128 levels" in refused, refused


@pytest.mark.parametrize("signame", ["SIGINT", "SIGTERM"])
def test_signal_cancels_run(tmp_path, procs, signame):
    slow = SlowRun(tmp_path, signame.lower())
    slow.wait_sleeping()
    sent = time.monotonic()
    slow.proc.send_signal(getattr(signal, signame))
    ex = slow.finish(timeout=30)
    assert time.monotonic() - sent < 20, "cancellation must not wait for the 60 s script"
    report, run = _check_crash_after_sleep_started(ex, message_re=r"^run canceled", procs=procs)
    assert run.metrics_record["outcome_message"].startswith("run canceled")


def test_timeout_ends_sleeping_run(tmp_path, procs):
    ex = qh.run_example(tmp_path, "timeout", SLOW, extra=["--timeout", "2s"], timeout=60)
    assert ex.result.elapsed < 15, f"--timeout 2s took {ex.result.elapsed:.1f}s"
    report = qh.check_report(ex.result, run_id=ex.run_id, outcome="executor_crash")
    assert report["message"] == "run timed out after 2s (--timeout)"
    assert 2000 <= report["duration_ms"] < 15000, report["duration_ms"]
    ex.ds.validate()
    run = ex.run_view()
    assert run.metrics_record["outcome"] == "executor_crash"
    assert run.metrics_record["outcome_message"] == "run timed out after 2s (--timeout)"
    assert report["metrics"]["executor_crash_total"] == 0
    assert run.terminal is None and run.types() in ([], ["item"])
    assert "terminal_summary" not in report


# ---------------------------------------------------------------------------------------------
# Fake executors


def run_fake(tmp_path, fake: str, *, extra=(), timeout=40) -> qh.ExampleRun:
    path = qh.FAKES / f"{fake}.py"
    assert path.exists()
    return qh.run_example(tmp_path, f"fake-{fake}", DEMO, executor=qh.rel(path), extra=extra,
                          timeout=timeout)


def check_fake(ex, *, outcome, types, crash=0, decode=0, message_re=None, event_counts=None):
    report, run = qh.check_run(ex, outcome=outcome, types=types, our_executor=False,
                               event_counts=event_counts)
    m = report["metrics"]
    assert (m["executor_crash_total"], m["ipc_decode_errors_total"]) == (crash, decode), (
        f"executor_crash_total={m['executor_crash_total']} ipc_decode_errors_total="
        f"{m['ipc_decode_errors_total']}, expected {crash}/{decode}; message {report['message']!r}")
    assert m["executor"] == ex.result.args[ex.result.args.index("--executor") + 1].split("/")[-1]
    if message_re:
        assert re.search(message_re, report["message"]), report["message"]
    first = run.events[0]
    assert first["payload"]["item_type"] == "fake" and first["payload"]["data"]["n"] == 1
    return report, run


def test_fake_happy_path_and_run_request(tmp_path):
    ex = run_fake(tmp_path, "happy", extra=["--job", '{"q":"<a&b>","n":[1,2]}', "--job-id", "job-7"])
    report, run = qh.check_run(ex, outcome="success", types=["item", "item", "run_complete"],
                               our_executor=False, job_id="job-7")
    assert report["message"] == "run completed with summary"
    assert report["terminal_summary"] == {"summary": {"items": 2}}
    assert run.items()[1]["payload"]["data"] == {"n": 2, "nested": {"ok": True, "ratio": 0.25,
                                                                    "tags": ["a", "b"]}}
    # The run request (executor-contract §7): one compact JSON line, <>& escaped, keys in order.
    line = next(l for l in report["stderr"].splitlines() if l.startswith("FAKE-REQUEST: "))
    raw = line[len("FAKE-REQUEST: "):]
    assert "\\u003ca\\u0026b\\u003e" in raw and "<" not in raw, raw
    req = json.loads(raw)
    assert list(req) == ["run_id", "attempt", "job_id", "job", "storage"], list(req)
    assert req["run_id"] == ex.run_id and req["attempt"] == 1 and req["job_id"] == "job-7"
    assert req["job"] == {"q": "<a&b>", "n": [1, 2]}
    assert req["storage"] == {"dataset": "quarry", "source": "example-runner",
                              "category": "examples", "day": ex.day, "run_id": ex.run_id}
    assert "=== Executor Stderr ===" in ex.result.stdout


@pytest.mark.parametrize("fake", ["truncated_payload", "truncated_prefix"])
def test_fake_truncated_frame(tmp_path, fake):
    ex = run_fake(tmp_path, fake)
    check_fake(ex, outcome="executor_crash", types=["item"], crash=1, decode=0)


def test_fake_oversized_length_prefix(tmp_path):
    ex = run_fake(tmp_path, "oversized_prefix")
    check_fake(ex, outcome="executor_crash", types=["item"], crash=1, decode=0,
               message_re=r"(?i)too large")
    # The fake keeps its stdout open for 60 s: only an immediate rejection ends the run early.
    assert ex.result.elapsed < 30, "an oversized prefix must fail before any payload is read"


def test_fake_seq_gap(tmp_path):
    ex = run_fake(tmp_path, "seq_gap")
    check_fake(ex, outcome="executor_crash", types=["item"], crash=1, decode=0,
               message_re=r"(?i)seq")
    assert ex.result.elapsed < 30


def test_fake_wrong_contract_version(tmp_path):
    ex = run_fake(tmp_path, "wrong_version")
    report, run = check_fake(ex, outcome="version_mismatch", types=["item"], crash=0, decode=0)
    assert "0.14.0" in report["message"] and "0.13" in report["message"], report["message"]
    assert report["metrics"]["runs_failed_total"] == 1 and report["metrics"]["runs_crashed_total"] == 0


@pytest.mark.parametrize("fake,message_re", [("garbage", None), ("not_a_map", None),
                                             ("no_type", r"(?i)type")])
def test_fake_decode_errors(tmp_path, fake, message_re):
    ex = run_fake(tmp_path, fake)
    check_fake(ex, outcome="executor_crash", types=["item"], crash=1, decode=1,
               message_re=message_re)
    assert ex.result.elapsed < 30


def test_fake_decode_error_after_terminal_is_still_fatal(tmp_path):
    ex = run_fake(tmp_path, "garbage_after_terminal")
    check_fake(ex, outcome="executor_crash", types=["item", "run_complete"], crash=1, decode=1)


def test_fake_truncation_after_terminal_is_a_normal_end(tmp_path):
    ex = run_fake(tmp_path, "truncated_after_terminal")
    check_fake(ex, outcome="success", types=["item", "run_complete"], crash=0, decode=0)


def test_fake_second_terminal_is_ignored(tmp_path):
    ex = run_fake(tmp_path, "second_terminal")
    # A later terminal is consumed: its seq advances the counter (storage-and-policies §2), so
    # event_count is 3, but nothing after seq 2 is handed to the policy or stored.
    report, run = check_fake(ex, outcome="success", types=["item", "run_complete"],
                             event_counts=(3,))
    assert report["policy"]["events_received"] == 2
    assert run.terminal["payload"] == {"summary": {"which": "first"}}
    assert report["terminal_summary"] == {"summary": {"which": "first"}}


def test_fake_events_after_terminal_are_not_stored(tmp_path):
    ex = run_fake(tmp_path, "after_terminal")
    # Post-terminal events are consumed (seq advances to 4) but not persisted (D11.3).
    report, run = check_fake(ex, outcome="success", types=["item", "run_complete"],
                             event_counts=(4,))
    assert report["policy"]["events_received"] == 2, "post-terminal events reach no policy"
    assert run.chunks == [], "a chunk after the terminal must not be stored"
    assert all(e["payload"].get("data", {}).get("late") is None for e in run.items())
    warnings = [l for l in ex.result.stderr.splitlines()
                if '"level":"warn"' in l.replace(" ", "") and "terminal" in l.lower()]
    assert warnings, f"expected one warning about frames after the terminal:\n{ex.result.stderr}"


def test_fake_unknown_event_type_is_stored(tmp_path):
    ex = run_fake(tmp_path, "unknown_type")
    _, run = check_fake(ex, outcome="success", types=["item", "quarry_test_marker", "run_complete"])
    marker = run.of_type("quarry_test_marker")[0]
    assert marker["record_kind"] == "event" and marker["type"] == "quarry_test_marker"
    assert marker["payload"] == {"marker": "m-1", "count": 7}
    assert "/event_type=quarry_test_marker/" in marker.path


def test_fake_chunk_seq_2_first(tmp_path):
    ex = run_fake(tmp_path, "chunk_seq2_first")
    report, run = check_fake(ex, outcome="executor_crash", types=["item"], crash=1, decode=0)
    assert run.chunks == []


def test_fake_artifact_size_mismatch(tmp_path):
    ex = run_fake(tmp_path, "size_mismatch")
    # The commit (seq 2) fails an artifact rule, so it is not accepted: event_count stays 1.
    report, run = check_fake(ex, outcome="executor_crash", types=["item"], crash=1, decode=0,
                             event_counts=(1,))
    assert run.of_type("artifact") == [], "a commit with the wrong size must not be stored"


def test_fake_file_write_with_bad_filename(tmp_path):
    ex = run_fake(tmp_path, "file_write_bad_name")
    check_fake(ex, outcome="executor_crash", types=["item"], crash=1, decode=0)
    written = [p for p in ex.store.rglob("*") if p.name in ("x", "x.meta.json")]
    assert written == [], written
    assert not list(ex.store.rglob("files")), "no sidecar directory may be created"


def test_fake_file_write_after_terminal(tmp_path):
    ex = run_fake(tmp_path, "file_write_after_terminal")
    report, run = check_fake(ex, outcome="success", types=["item", "run_complete"])
    stderr = report["stderr"]
    # Exact ack bytes of executor-contract §6.5.
    assert ("FAKE-ACK-1: 0000002783a474797065ae66696c655f77726974655f61636ba877726974655f6964"
            "ce00000001a26f6bc3") in stderr, stderr
    assert ("FAKE-ACK-2: 0000004484a474797065ae66696c655f77726974655f61636ba877726974655f6964"
            "ce00000002a26f6bc2a56572726f72b672756e20616c7265616479207465726d696e61746564") in stderr, stderr
    files = ex.store / qh.sidecar_key("quarry", "example-runner", "examples", ex.day, ex.run_id, "")
    assert sorted(p.name for p in files.iterdir()) == ["before.json", "before.json.meta.json"]
    assert (files / "before.json").read_bytes() == b"{}"
    assert report["metrics"]["lode_write_failure_total"] == 0


def test_fake_large_stderr_does_not_stall(tmp_path):
    total = 3 * 512 * 1024
    ex = run_fake(tmp_path, "big_stderr", timeout=40)
    report, _ = check_fake(ex, outcome="success", types=["item", "run_complete"])
    stderr = report["stderr"]
    first, _, rest = stderr.partition("\n")
    match = re.fullmatch(r"\[quarry: (\d+) earlier bytes of executor stderr omitted\]", first)
    assert match, f"missing omission line, stderr starts with {stderr[:120]!r}"
    omitted = int(match.group(1))
    kept = len(rest.encode("utf-8"))
    assert kept <= 1_048_576, kept
    assert abs(omitted + kept - total) <= 1, (omitted, kept, total)
    assert omitted >= total - 1_048_576 - 1
    assert "STDERR-HEAD-MARKER" not in stderr
    assert rest.rstrip("\n").endswith("STDERR-TAIL-MARKER")
