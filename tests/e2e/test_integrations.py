"""Event sinks and notification adapters against real servers (cli-and-integrations.md §4.1 rows
39–53, §4.3 steps 9–10 and 14, §4.5, §8.2–§8.5; checklist A01–A04, S01–S05).

A real `redis-server` is started on a free loopback port with a temp dir; a real HTTP server
(http.server in a thread) fails, delays or succeeds on demand. Fake executors (tests/e2e/fakes)
emit the frames, so no browser is involved.
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

import quarry_harness as qh

DEMO = "examples/demo/script.mjs"
REDIS_SERVER = shutil.which("redis-server")
pytestmark = pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed")

STREAM_FIELDS = ["run_id", "event_type", "seq", "timestamp", "payload", "source", "category"]
RUN_COMPLETED_KEYS = ["contract_version", "event_type", "run_id", "source", "category", "day",
                      "outcome", "storage_path", "timestamp", "job_id", "attempt", "event_count",
                      "duration_ms"]


free_port = qh.free_port


# ---------------------------------------------------------------------------------------------
# A minimal RESP client (the standard library has none).


class Resp:
    def __init__(self, port: int, timeout: float = 10.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def close(self):
        self.sock.close()

    def _line(self) -> bytes:
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("redis closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n: int) -> bytes:
        while len(self.buf) < n + 2:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("redis closed the connection")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def read(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n).decode()
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise ValueError(f"unexpected RESP reply {line!r}")

    def send(self, *args):
        out = [f"*{len(args)}\r\n".encode()]
        for a in args:
            b = str(a).encode()
            out.append(f"${len(b)}\r\n".encode() + b + b"\r\n")
        self.sock.sendall(b"".join(out))

    def cmd(self, *args):
        self.send(*args)
        return self.read()


class RedisServer:
    def __init__(self, tmp: Path):
        self.port = free_port()
        self.dir = tmp / f"redis-{self.port}"
        self.dir.mkdir(parents=True)
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.dir), "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                c = Resp(self.port)
                c.cmd("PING")
                c.close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.client = Resp(self.port)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def xrange(self, key: str) -> list[dict]:
        out = []
        for entry_id, flat in self.client.cmd("XRANGE", key, "-", "+"):
            fields = list(zip(flat[0::2], flat[1::2]))
            out.append({"id": entry_id, "names": [k for k, _ in fields], "fields": dict(fields)})
        return out

    def stop(self):
        self.client.close()
        self.proc.kill()
        self.proc.wait()


@pytest.fixture
def redis(tmp_path):
    server = RedisServer(tmp_path)
    yield server
    server.stop()


# ---------------------------------------------------------------------------------------------
# A scripted HTTP server.


class Hook:
    """Answers POSTs with the scripted statuses (then 200), optionally after a delay; records
    every request with its arrival time and whether the run's metrics record was already stored."""

    def __init__(self, statuses=(), delay: float = 0.0, store: Path | None = None):
        self.statuses = list(statuses)
        self.delay = delay
        self.store = store
        self.requests: list[dict] = []
        hook = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                metrics_stored = bool(hook.store and list(
                    Path(hook.store).glob("datasets/*/partitions/*/*/*/*/event_type=metrics/"
                                          "segments/*/manifest.json")))
                hook.requests.append({"t": time.monotonic(), "path": self.path,
                                      "headers": list(self.headers.items()), "body": body,
                                      "metrics_stored": metrics_stored})
                if hook.delay:
                    time.sleep(hook.delay)
                status = hook.statuses.pop(0) if hook.statuses else 200
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:
                    pass

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path="/hook?token=s3cr3t-query") -> str:
        return f"http://hookuser:s3cr3t-pass@127.0.0.1:{self.server.server_address[1]}{path}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook_factory():
    hooks = []

    def make(**kw):
        h = Hook(**kw)
        hooks.append(h)
        return h

    yield make
    for h in hooks:
        h.close()


# ---------------------------------------------------------------------------------------------
# Helpers


def run_fake(tmp_path, fake="happy", *, extra=(), name=None, timeout=60, store=None, env=None):
    path = qh.FAKES / f"{fake}.py"
    return qh.run_example(tmp_path, name or f"int-{fake}", DEMO, executor=qh.rel(path),
                          extra=list(extra), timeout=timeout, store=store, env=env)


def assert_no_secret(result, *secrets):
    for s in secrets:
        assert s not in result.stdout and s not in result.stderr, f"{s!r} leaked:\n{result.describe()}"


def stream_entry_check(entry, *, run_id, source="example-runner", category="examples"):
    assert entry["names"] == STREAM_FIELDS, entry["names"]
    f = entry["fields"]
    assert (f["run_id"], f["source"], f["category"]) == (run_id, source, category)
    json.loads(f["payload"])
    return f


# ---------------------------------------------------------------------------------------------
# Event sinks (S01–S05)


def test_lode_and_redis_sinks_get_every_event(tmp_path, redis):
    ex = run_fake(tmp_path, "sinks_run", extra=[
        "--event-sink", "lode,redis", "--event-sink-redis-url", redis.url,
        "--event-sink-redis-stream-key", "it:events"])
    assert ex.result.returncode == 0, ex.result.describe()
    entries = redis.xrange("it:events")
    types = [stream_entry_check(e, run_id=ex.run_id)["event_type"] for e in entries]
    assert types == ["item", "artifact", "item", "run_complete"], types
    assert [e["fields"]["seq"] for e in entries] == ["1", "2", "3", "4"]
    first = entries[0]["fields"]
    # Only the payload, canonical JSON with sorted keys (storage-and-policies.md §4.8).
    assert first["payload"] == ('{"data":{"n":1,"price":9.5,"tags":["a","b"]},'
                                '"item_type":"fake"}'), first["payload"]
    assert entries[3]["fields"]["payload"] == '{"summary":{"items":2}}'
    run = ex.run_view()
    assert run.types() == ["item", "artifact", "item", "run_complete"]
    assert [e["payload"] for e in run.items()] == [json.loads(entries[0]["fields"]["payload"]),
                                                 json.loads(entries[2]["fields"]["payload"])]
    assert entries[0]["fields"]["timestamp"] == run.events[0]["ts"]
    # One EXPIRE with the 24h default.
    assert 86000 < redis.client.cmd("TTL", "it:events") <= 86400


def test_redis_only_writes_no_events_to_lode_but_chunks_sidecars_metrics(tmp_path, redis):
    ex = run_fake(tmp_path, "sinks_run", extra=[
        "--event-sink", "redis", "--event-sink-redis-url", redis.url])
    assert ex.result.returncode == 0, ex.result.describe()
    entries = redis.xrange("quarry:events")  # the default key
    assert [e["fields"]["event_type"] for e in entries] == ["item", "artifact", "item",
                                                           "run_complete"]
    run = ex.run_view()
    assert run.events == [], [e.data for e in run.events]
    assert len(run.chunks) == 1 and run.chunks[0]["artifact_id"] == "art-1"
    assert len(run.metrics) == 1 and run.metrics[0]["outcome"] == "success"
    side = list(ex.store.glob("datasets/quarry/partitions/*/*/*/*/files/side.txt"))
    assert len(side) == 1 and side[0].read_bytes() == b"sidecar"
    report = ex.report
    assert report["policy"]["events_persisted"] == 4


def test_event_sink_flag_is_repeatable_and_duplicates_are_rejected(tmp_path, redis):
    ex = run_fake(tmp_path, extra=["--event-sink", "redis", "--event-sink", "lode",
                                   "--event-sink-redis-url", redis.url])
    assert ex.result.returncode == 0, ex.result.describe()
    assert len(redis.xrange("quarry:events")) == 3
    assert ex.run_view().types() == ["item", "item", "run_complete"]
    for args in (["--event-sink", "lode", "--event-sink", "lode"],
                 ["--event-sink", "lode,redis,lode", "--event-sink-redis-url", redis.url]):
        bad = run_fake(tmp_path, extra=args, name="dup")
        assert bad.result.returncode == 2, bad.result.describe()
        assert 'duplicate event sink "lode"' in bad.result.stderr
        assert not bad.store.joinpath("datasets").exists()
    bad = run_fake(tmp_path, extra=["--event-sink", "kafka"], name="unknown")
    assert bad.result.returncode == 2 and 'unknown event sink type "kafka"' in bad.result.stderr


def test_mandatory_redis_down_is_policy_failure(tmp_path):
    dead = f"redis://127.0.0.1:{free_port()}"
    ex = run_fake(tmp_path, extra=["--event-sink", "lode,redis", "--event-sink-redis-url", dead,
                                   "--event-sink-redis-retries", "0",
                                   "--event-sink-redis-timeout", "500ms"])
    assert ex.result.returncode == 3, ex.result.describe()
    report = ex.report
    assert report["outcome"] == "policy_failure"
    assert report["message"].startswith("event sink write failed: redis: "), report["message"]


def test_best_effort_redis_down_is_logged_only(tmp_path):
    dead = f"redis://user:pw-secret@127.0.0.1:{free_port()}"
    ex = run_fake(tmp_path, extra=["--event-sink", "lode,redis", "--event-sink-redis-url", dead,
                                   "--event-sink-redis-delivery", "best_effort",
                                   "--event-sink-redis-retries", "0"])
    assert ex.result.returncode == 0, ex.result.describe()
    assert "best-effort event sink write failed: redis:" in ex.result.stderr
    assert_no_secret(ex.result, "pw-secret")
    assert ex.run_view().types() == ["item", "item", "run_complete"]


def test_retries_recover_when_redis_comes_back(tmp_path):
    # Redis starts only after quarry: the first XADD attempt is refused, a retry (500 ms, then
    # 1 s of backoff) reaches the server, and the mandatory sink succeeds.
    port = free_port()
    store = tmp_path / "late"
    store.mkdir()
    run_id = f"late-{qh.now_ms()}"
    args = qh.run_args(script=DEMO, run_id=run_id, store=store,
                       executor=qh.rel(qh.FAKES / "happy.py"),
                       extra=["--event-sink", "redis,lode", "--event-sink-redis-url",
                              f"redis://127.0.0.1:{port}", "--event-sink-redis-timeout", "0s",
                              "--event-sink-lode-delivery", "best_effort"])
    started = time.monotonic()
    proc = qh.start_quarry(args)
    time.sleep(0.2)
    late = subprocess.Popen([REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save",
                             "", "--appendonly", "no", "--dir", str(tmp_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        result = qh.finish_quarry(proc, args, timeout=60, started=started, report_path=None,
                                  day_before=qh.utc_today())
        assert result.returncode == 0, result.describe()
        client = Resp(port)
        assert len(client.cmd("XRANGE", "quarry:events", "-", "+")) == 3
        client.close()
    finally:
        late.kill()
        late.wait()


def summary_value(stdout: str, label: str) -> str:
    """A value of the human summary ("  Events Persisted: 4", "  events_persisted{sink=lode}: 4")."""
    for line in stdout.splitlines():
        key, _, value = line.strip().partition(":")
        if key == label:
            return value.strip()
    raise AssertionError(f"{label!r} missing from the summary:\n{stdout}")


POLICY_ARGS = {"strict": [], "buffered": ["--policy", "buffered", "--buffer-events", "100"],
               "streaming": ["--policy", "streaming", "--flush-count", "2"]}


def run_fake_with_policy(tmp_path, fake, policy, *, extra, env):
    """run_fake with --policy `policy` in place of the harness's strict."""
    run_id = f"int-{fake}-{qh.now_ms()}"
    store = tmp_path / fake
    store.mkdir()
    report = tmp_path / f"{fake}-report.json"
    args = qh.run_args(script=DEMO, run_id=run_id, store=store, report=report,
                       executor=qh.rel(qh.FAKES / f"{fake}.py"), extra=extra)
    i = args.index("--policy")
    args[i:i + 2] = POLICY_ARGS[policy] or ["--policy", "strict"]
    result = qh.run_quarry(args, timeout=60, env=env, report_path=report)
    return qh.ExampleRun(name=fake, run_id=run_id, store=store, result=result)


# Counters equal what is stored, in every sink failure mode (storage-and-policies §3.3, §3.10,
# docs/decisions.md): Redis refuses writes (OOM) from the first event, from the middle of the run
# or from the end-of-run flush on; the report, the metrics record and the summary must say what
# Lode and Redis hold, and Lode must hold no event twice however the policy retries.
@pytest.mark.parametrize("policy", ["strict", "buffered", "streaming"])
@pytest.mark.parametrize("delivery", ["mandatory", "best_effort"])
@pytest.mark.parametrize("at", ["first", "middle", "flush"])
def test_counters_equal_what_lode_and_redis_hold(tmp_path, redis, policy, delivery, at):
    ex = run_fake_with_policy(tmp_path, "sink_failure", policy, extra=[
        "--event-sink", "lode,redis", "--event-sink-redis-url", redis.url,
        "--event-sink-redis-delivery", delivery, "--event-sink-redis-retries", "0"],
        env={"QUARRY_FAKE_REDIS_PORT": str(redis.port), "QUARRY_FAKE_BREAK_AT": at})
    report = ex.report
    assert report is not None, ex.result.describe()
    run = ex.run_view()
    seqs = [e["seq"] for e in run.events]
    assert len(seqs) == len(set(seqs)), f"Lode holds an event twice: {seqs}"
    in_lode = len(seqs)
    in_redis = len(redis.xrange("quarry:events"))
    offered = 9  # 8 items and run_complete
    failed = delivery == "mandatory" and (at != "flush" or policy != "strict")
    if failed:
        assert report["outcome"] == "policy_failure", ex.result.describe()
        assert "event sink write failed: redis: " in report["message"], report["message"]
    else:
        assert report["outcome"] == "success", ex.result.describe()
        assert in_lode == offered
    if at == "first" or (at == "flush" and policy == "buffered"):
        assert in_redis == 0  # buffered writes only at the flush
    m = report["metrics"]
    assert report["policy"]["events_persisted"] == m["events_persisted_total"] == in_lode
    assert m["events_persisted_by_sink"] == {"lode": in_lode, "redis": in_redis}, m
    dropped = offered - in_redis if delivery == "best_effort" else 0
    assert m["event_sink_dropped_total"] == dropped, m
    (record,) = run.metrics
    assert record["events_persisted_total"] == in_lode
    assert record["events_persisted_by_sink"] == {"lode": in_lode, "redis": in_redis}
    assert record["event_sink_dropped_total"] == dropped
    out = ex.result.stdout
    assert summary_value(out, "Events Persisted") == str(in_lode)
    assert summary_value(out, "events_persisted_total") == str(in_lode)
    assert summary_value(out, "events_persisted{sink=redis}") == str(in_redis)
    assert summary_value(out, "event_sink_dropped_total") == str(dropped)


def timed_paced_run(tmp_path, name, url, *, items=21):
    started = time.monotonic()
    ex = run_fake(tmp_path, "paced", name=name, extra=[
        "--event-sink", "lode,redis", "--event-sink-redis-url", url,
        "--event-sink-redis-delivery", "best_effort"],
        env={"QUARRY_FAKE_ITEMS": str(items), "QUARRY_FAKE_GAP_MS": "50"})
    return ex, time.monotonic() - started


# A dead best-effort sink must not slow the run down (docs/integrations.md, circuit breaker): the
# same 21-event run, once with Redis up and once with nothing listening (default retries), in one
# test; the second may take at most 1.5x the first (it took 26x: every event paid 1.5 s of backoff).
def test_a_dead_best_effort_sink_does_not_slow_the_run(tmp_path, redis):
    up, t_up = timed_paced_run(tmp_path, "up", redis.url)
    assert up.result.returncode == 0, up.result.describe()
    assert len(redis.xrange("quarry:events")) == 22
    down, t_down = timed_paced_run(tmp_path, "down", f"redis://127.0.0.1:{free_port()}")
    assert down.result.returncode == 0, down.result.describe()
    assert t_down <= 1.5 * t_up, f"dead sink: {t_down:.2f}s, sink up: {t_up:.2f}s"
    # One warning for the failure burst, not one per event.
    assert down.result.stderr.count("best-effort event sink write failed: redis:") == 1, (
        down.result.stderr)
    m = down.report["metrics"]
    assert m["events_persisted_by_sink"] == {"lode": 22, "redis": 0}
    assert m["event_sink_dropped_total"] == 22
    assert down.run_view().types() == ["item"] * 21 + ["run_complete"]


# A best-effort sink that comes back is used again: Redis starts ~0.6 s into a 3 s run; the
# breaker's probe (1 s after the first failure, then 2 s) finds it and later events reach it.
def test_a_best_effort_sink_that_comes_back_is_used_again(tmp_path):
    port = free_port()
    store = tmp_path / "back"
    store.mkdir()
    report = tmp_path / "back-report.json"
    args = qh.run_args(script=DEMO, run_id=f"back-{qh.now_ms()}", store=store, report=report,
                       executor=qh.rel(qh.FAKES / "paced.py"),
                       extra=["--event-sink", "lode,redis", "--event-sink-redis-url",
                              f"redis://127.0.0.1:{port}", "--event-sink-redis-delivery",
                              "best_effort"])
    env = {"QUARRY_FAKE_ITEMS": "30", "QUARRY_FAKE_GAP_MS": "100"}
    started = time.monotonic()
    proc = qh.start_quarry(args, env=env)
    time.sleep(0.6)
    late = subprocess.Popen([REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save",
                             "", "--appendonly", "no", "--dir", str(tmp_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        result = qh.finish_quarry(proc, args, timeout=60, started=started, report_path=report,
                                  day_before=qh.utc_today())
        assert result.returncode == 0, result.describe()
        client = Resp(port)
        entries = client.cmd("XRANGE", "quarry:events", "-", "+")
        client.close()
        assert 0 < len(entries) < 31, len(entries)
        # The events it missed are the first ones; once back, it has every later event.
        seqs = [int(dict(zip(flat[0::2], flat[1::2]))["seq"]) for _, flat in entries]
        assert seqs == list(range(seqs[0], 32)), seqs
        m = result.report["metrics"]
        assert m["events_persisted_by_sink"] == {"lode": 31, "redis": len(entries)}
        assert m["event_sink_dropped_total"] == 31 - len(entries)
        assert result.stderr.count("best-effort event sink write failed: redis:") == 1
        assert "best-effort event sink redis is back" in result.stderr, result.stderr
    finally:
        late.kill()
        late.wait()


def test_minus_one_disables_ttl_and_maxlen(tmp_path, redis):
    ex = run_fake(tmp_path, extra=["--event-sink", "redis", "--event-sink-redis-url", redis.url,
                                   "--event-sink-redis-ttl", "-1",
                                   "--event-sink-redis-max-len", "-1"])
    assert ex.result.returncode == 0, ex.result.describe()
    assert redis.client.cmd("TTL", "quarry:events") == -1
    # MAXLEN ~ 1 trims (approximately) while -1 sends no MAXLEN: check with a small max-len.
    ex2 = run_fake(tmp_path, extra=["--event-sink", "redis", "--event-sink-redis-url", redis.url,
                                    "--event-sink-redis-stream-key", "trim",
                                    "--event-sink-redis-max-len", "1",
                                    "--event-sink-redis-ttl", "90s"], name="trim")
    assert ex2.result.returncode == 0, ex2.result.describe()
    assert 0 < redis.client.cmd("TTL", "trim") <= 90
    assert len(redis.xrange("quarry:events")) == 3


def test_sink_flag_without_its_sink_exits_2(tmp_path, redis):
    for extra, flag in ((["--event-sink-redis-ttl", "1h"], "--event-sink-redis-ttl"),
                        (["--event-sink", "lode", "--event-sink-redis-url", redis.url],
                         "--event-sink-redis-url"),
                        (["--event-sink", "redis", "--event-sink-redis-url", redis.url,
                          "--event-sink-lode-delivery", "best_effort"],
                         "--event-sink-lode-delivery")):
        ex = run_fake(tmp_path, extra=extra, name="orphan")
        assert ex.result.returncode == 2, ex.result.describe()
        assert flag in ex.result.stderr and "requires" in ex.result.stderr, ex.result.stderr
    ex = run_fake(tmp_path, extra=["--event-sink", "redis"], name="nourl")
    assert ex.result.returncode == 2
    assert "--event-sink-redis-url is required" in ex.result.stderr
    ex = run_fake(tmp_path, extra=["--event-sink", "redis", "--event-sink-redis-url",
                                   "http://u:topsecret@x"], name="badurl")
    assert ex.result.returncode == 2
    assert "failed to create policy: invalid redis URL" in ex.result.stderr
    assert_no_secret(ex.result, "topsecret")


def test_config_sinks_used_only_without_flag_and_flags_override_fields(tmp_path, redis):
    cfg = tmp_path / "q.yaml"
    cfg.write_text(f"""
events:
  sinks:
    - type: redis
      url: {redis.url}
      stream_key: from-config
      ttl: 1h
      retries: 0
""")
    ex = run_fake(tmp_path, extra=["--config", str(cfg)], name="cfg")
    assert ex.result.returncode == 0, ex.result.describe()
    assert len(redis.xrange("from-config")) == 3
    assert 3500 < redis.client.cmd("TTL", "from-config") <= 3600
    assert ex.run_view().events == []  # the config list has no lode
    # An explicit per-sink flag overrides a field of the config's sink.
    ex = run_fake(tmp_path, extra=["--config", str(cfg), "--event-sink-redis-stream-key",
                                   "from-flag"], name="cfg2")
    assert ex.result.returncode == 0, ex.result.describe()
    assert len(redis.xrange("from-flag")) == 3
    # Any --event-sink replaces the config list (not merged).
    ex = run_fake(tmp_path, extra=["--config", str(cfg), "--event-sink", "lode"], name="cfg3")
    assert ex.result.returncode == 0, ex.result.describe()
    assert len(redis.xrange("from-config")) == 3
    assert ex.run_view().types() == ["item", "item", "run_complete"]


# ---------------------------------------------------------------------------------------------
# Adapters (A01–A04)


def test_webhook_retries_with_backoff_then_succeeds(tmp_path, hook_factory):
    store = tmp_path / "wh"
    store.mkdir()
    hook = hook_factory(statuses=[500, 503], store=store)
    ex = run_fake(tmp_path, store=store, extra=[
        "--adapter", "webhook", "--adapter-url", hook.url(), "--adapter-header",
        "x-api-key=k1", "--adapter-header", "X-List=a,b", "--job-id", "job-42"])
    assert ex.result.returncode == 0, ex.result.describe()
    assert len(hook.requests) == 3, hook.requests
    gaps = [b["t"] - a["t"] for a, b in zip(hook.requests, hook.requests[1:])]
    assert 0.45 <= gaps[0] < 0.95 and 0.95 <= gaps[1] < 1.8, gaps
    req = hook.requests[-1]
    assert req["path"] == "/hook?token=s3cr3t-query"
    headers = req["headers"]
    names = [k for k, _ in headers]
    assert ("Content-Type", "application/json") in headers
    assert ("X-Api-Key", "k1") in headers and ("X-List", "a,b") in headers, headers
    assert "x-api-key" not in names
    assert req["metrics_stored"], "the notification must follow the metrics record"
    body = json.loads(req["body"])
    assert list(body) == RUN_COMPLETED_KEYS, list(body)
    day = ex.day
    assert body["contract_version"] == "0.13.4" and body["event_type"] == "run_completed"
    assert (body["run_id"], body["source"], body["category"], body["day"]) == (
        ex.run_id, "example-runner", "examples", day)
    assert body["outcome"] == "success" and body["job_id"] == "job-42"
    assert body["attempt"] == 1 and body["event_count"] == 3
    assert body["storage_path"] == (
        f"file://{store.resolve()}/datasets/quarry/partitions/source=example-runner/"
        f"category=examples/day={day}/run_id={ex.run_id}")
    assert body["timestamp"].endswith("Z") and len(body["timestamp"]) == 20
    assert 0 < body["duration_ms"] < 60000
    assert req["body"] == json.dumps(body, separators=(",", ":")).encode()
    assert_no_secret(ex.result, "s3cr3t-query", "s3cr3t-pass", "k1")


def test_webhook_4xx_stops_and_failure_is_a_warning(tmp_path, hook_factory):
    hook = hook_factory(statuses=[404])
    ex = run_fake(tmp_path, extra=["--adapter", "webhook", "--adapter-url", hook.url()])
    assert ex.result.returncode == 0, ex.result.describe()
    assert len(hook.requests) == 1
    assert "Warning: adapter notification failed: webhook: failed after 1 attempt: " \
           "unexpected HTTP status 404" in ex.result.stderr, ex.result.stderr
    assert_no_secret(ex.result, "s3cr3t-query", "s3cr3t-pass")


def test_webhook_overall_timeout_and_dead_url(tmp_path, hook_factory):
    hook = hook_factory(delay=3.0)
    started = time.monotonic()
    ex = run_fake(tmp_path, extra=["--adapter", "webhook", "--adapter-url", hook.url(),
                                   "--adapter-timeout", "1s", "--adapter-retries", "5"])
    assert ex.result.returncode == 0, ex.result.describe()
    assert len(hook.requests) == 1, "the whole publish is limited by the adapter timeout"
    assert "Warning: adapter notification failed: webhook: failed after 1 attempt" in \
        ex.result.stderr, ex.result.stderr
    assert time.monotonic() - started < 20
    dead = f"http://u:deadpass@127.0.0.1:{free_port()}/x?sig=deadsig"
    ex = run_fake(tmp_path, extra=["--adapter", "webhook", "--adapter-url", dead,
                                   "--adapter-retries", "1"], name="dead")
    assert ex.result.returncode == 0, ex.result.describe()
    assert "Warning: adapter notification failed: webhook: failed after 2 attempts" in \
        ex.result.stderr, ex.result.stderr
    assert_no_secret(ex.result, "deadpass", "deadsig")


def test_webhook_is_sent_for_failed_outcomes_too(tmp_path, hook_factory):
    hook = hook_factory()
    ex = run_fake(tmp_path, "truncated_payload",
                  extra=["--adapter", "webhook", "--adapter-url", hook.url()])
    assert ex.result.returncode == 2, ex.result.describe()
    assert len(hook.requests) == 1
    assert json.loads(hook.requests[0]["body"])["outcome"] == "executor_crash"


def test_adapter_config_stanza_with_header_merge_and_zero_retries(tmp_path, hook_factory):
    hook = hook_factory(statuses=[500])
    cfg = tmp_path / "a.yaml"
    cfg.write_text(f"""
adapter:
  type: webhook
  url: "{hook.url()}"
  retries: 0
  headers:
    authorization: "Bearer from-config"
    x-keep: kept
""")
    ex = run_fake(tmp_path, extra=["--config", str(cfg), "--adapter-header",
                                   "Authorization=Bearer from-flag"])
    assert ex.result.returncode == 0, ex.result.describe()
    assert len(hook.requests) == 1, "adapter.retries: 0 is honoured"
    headers = hook.requests[0]["headers"]
    assert ("Authorization", "Bearer from-flag") in headers and ("X-Keep", "kept") in headers
    assert not any(v == "Bearer from-config" for _, v in headers)


def test_adapter_validation_exits_2_before_the_run(tmp_path):
    for extra, text in ((["--adapter", "sns", "--adapter-url", "x"], 'unknown adapter type "sns"'),
                        (["--adapter", "webhook"], "--adapter-url is required"),
                        (["--adapter", "webhook", "--adapter-url", "http://h",
                          "--adapter-retries", "-1"], "--adapter-retries must be >= 0"),
                        (["--adapter", "webhook", "--adapter-url", "http://h",
                          "--adapter-header", "novalue"], "invalid --adapter-header")):
        ex = run_fake(tmp_path, extra=extra, name="badadapter")
        assert ex.result.returncode == 2, ex.result.describe()
        assert text in ex.result.stderr, ex.result.stderr
        assert not ex.store.joinpath("datasets").exists(), "nothing may run or be stored"


def test_redis_adapter_publishes_on_default_channel(tmp_path, redis):
    sub = Resp(redis.port)
    sub.cmd("SUBSCRIBE", "quarry:run_completed")
    ex = run_fake(tmp_path, extra=["--adapter", "redis", "--adapter-url", redis.url,
                                   "--adapter-header", "X-Ignored=1"])
    assert ex.result.returncode == 0, ex.result.describe()
    assert "--adapter-header is ignored by the redis adapter" in ex.result.stderr
    kind, channel, message = sub.read()
    assert (kind, channel) == ("message", "quarry:run_completed")
    body = json.loads(message)
    assert list(body) == [k for k in RUN_COMPLETED_KEYS if k != "job_id"]
    assert body["run_id"] == ex.run_id and body["outcome"] == "success"
    sub.close()
    sub = Resp(redis.port)
    sub.cmd("SUBSCRIBE", "custom")
    ex = run_fake(tmp_path, extra=["--adapter", "redis", "--adapter-url", redis.url,
                                   "--adapter-channel", "custom"], name="chan")
    assert ex.result.returncode == 0
    assert sub.read()[1] == "custom"
    sub.close()


def test_redis_adapter_bad_url_is_a_post_run_warning(tmp_path):
    ex = run_fake(tmp_path, extra=["--adapter", "redis", "--adapter-url",
                                   "redis://u:hidden-pw@127.0.0.1:notaport"])
    assert ex.result.returncode == 0, ex.result.describe()
    # The run executes; the URL is checked only after it (§4.3 step 18).
    assert ex.report["outcome"] == "success" and len(ex.run_view().metrics) == 1
    assert "Warning: adapter creation failed: invalid redis URL" in ex.result.stderr
    assert_no_secret(ex.result, "hidden-pw")


# ---------------------------------------------------------------------------------------------
# Outbox (A05, §8.6; format in docs/outbox.md)


def outbox_records(store: Path, run_id: str) -> list[dict]:
    paths = sorted(store.glob(f"datasets/quarry/partitions/*/*/*/run_id={run_id}/"
                              "event_type=adapter_outbox/*.json"))
    return [json.loads(p.read_text()) for p in paths]


def outbox(cmd: str, store: Path, *extra) -> qh.QuarryResult:
    return qh.run_quarry(["outbox", cmd, "--storage-backend", "fs", "--storage-path", str(store),
                          *extra], timeout=60)


def test_outbox_records_pending_then_delivered(tmp_path, hook_factory):
    store = tmp_path / "ob"
    store.mkdir()
    hook = hook_factory(store=store)
    ex = run_fake(tmp_path, store=store, extra=["--adapter", "webhook", "--adapter-url",
                                                 hook.url()])
    assert ex.result.returncode == 0, ex.result.describe()
    recs = outbox_records(store, ex.run_id)
    assert [r["state"] for r in recs] == ["notification_pending", "delivered"], recs
    first = recs[0]
    assert list(first) == ["record_kind", "state", "run_id", "source", "category", "day",
                           "created_at", "adapter_type", "target", "target_key",
                           "notification"]
    assert first["record_kind"] == "adapter_outbox" and first["adapter_type"] == "webhook"
    assert first["notification"].encode() == hook.requests[0]["body"]
    text = json.dumps(recs)
    assert "s3cr3t" not in text and first["target"].startswith("webhook http://***@127.0.0.1:")
    listed = outbox("list", store)
    assert listed.returncode == 0, listed.describe()
    assert json.loads(listed.stdout) == []
    # The Lode dataset is untouched by the outbox objects (they are not snapshots).
    ex.ds.validate()


def test_outbox_redelivers_on_the_next_run_and_lists_pending(tmp_path, hook_factory):
    store = tmp_path / "ob2"
    store.mkdir()
    hook = hook_factory(statuses=[500])
    args = ["--adapter", "webhook", "--adapter-url", hook.url(), "--adapter-retries", "0"]
    ex1 = run_fake(tmp_path, store=store, extra=args, name="first")
    assert ex1.result.returncode == 0, ex1.result.describe()
    assert "adapter notification failed" in ex1.result.stderr
    assert [r["state"] for r in outbox_records(store, ex1.run_id)] == ["notification_pending"]
    listed = outbox("list", store)
    assert listed.returncode == 1, listed.describe()
    pending = json.loads(listed.stdout)
    assert [p["run_id"] for p in pending] == [ex1.run_id]
    assert "s3cr3t" not in listed.stdout
    # The next run with the same adapter configuration re-publishes it before its own run.
    ex2 = run_fake(tmp_path, store=store, extra=args, name="second")
    assert ex2.result.returncode == 0, ex2.result.describe()
    bodies = [json.loads(r["body"]) for r in hook.requests]
    assert [b["run_id"] for b in bodies] == [ex1.run_id, ex1.run_id, ex2.run_id], bodies
    assert hook.requests[1]["body"] == hook.requests[0]["body"], "re-sent byte for byte"
    assert [r["state"] for r in outbox_records(store, ex1.run_id)] == [
        "notification_pending", "delivered"]
    assert outbox("list", store).returncode == 0


def test_outbox_flush_redrives_now(tmp_path, hook_factory, redis):
    store = tmp_path / "ob3"
    store.mkdir()
    dead = f"redis://127.0.0.1:{free_port()}"
    ex = run_fake(tmp_path, store=store, extra=["--adapter", "redis", "--adapter-url", dead,
                                                 "--adapter-retries", "0"])
    assert ex.result.returncode == 0, ex.result.describe()
    assert outbox("list", store).returncode == 1
    # A flush for another target leaves it pending (exit 1).
    other = outbox("flush", store, "--adapter", "redis", "--adapter-url", redis.url)
    assert other.returncode == 1, other.describe()
    assert json.loads(other.stdout)[0]["run_id"] == ex.run_id
    # Once the recorded target is reachable (a server comes up on that port), flushing to it
    # delivers the notification (exit 0).
    port = int(dead.rsplit(":", 1)[1])
    late = subprocess.Popen([REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save",
                             "", "--appendonly", "no", "--dir", str(tmp_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        qh.wait_for(lambda: _ping(port), 10, what="late redis")
        lsub = Resp(port)
        lsub.cmd("SUBSCRIBE", "quarry:run_completed")
        flushed = outbox("flush", store, "--adapter", "redis", "--adapter-url", dead)
        assert flushed.returncode == 0, flushed.describe()
        assert json.loads(flushed.stdout) == []
        kind, channel, message = lsub.read()
        assert json.loads(message)["run_id"] == ex.run_id
        lsub.close()
    finally:
        late.kill()
        late.wait()
    assert outbox("list", store).returncode == 0


def _ping(port: int) -> bool:
    try:
        c = Resp(port, timeout=1)
        ok = c.cmd("PING") == "PONG"
        c.close()
        return ok
    except OSError:
        return False


def test_notification_after_timeout_and_after_sigterm(tmp_path, hook_factory):
    hook = hook_factory()
    ex = run_fake(tmp_path, "item_then_hang", extra=["--timeout", "1s", "--adapter", "webhook",
                                                      "--adapter-url", hook.url()])
    assert ex.result.returncode == 2, ex.result.describe()
    assert len(hook.requests) == 1
    body = json.loads(hook.requests[0]["body"])
    assert (body["run_id"], body["outcome"], body["event_count"]) == (ex.run_id,
                                                                     "executor_crash", 1)

    store = tmp_path / "term"
    store.mkdir()
    run_id = f"term-{qh.now_ms()}"
    args = qh.run_args(script=DEMO, run_id=run_id, store=store,
                       executor=qh.rel(qh.FAKES / "item_then_hang.py"),
                       extra=["--adapter", "webhook", "--adapter-url", hook.url()])
    started = time.monotonic()
    proc = qh.start_quarry(args)
    qh.wait_for(lambda: qh.stored_items_of(store, "item"), 20, what="the first stored item")
    proc.send_signal(signal.SIGTERM)
    result = qh.finish_quarry(proc, args, timeout=30, started=started, report_path=None,
                              day_before=qh.utc_today())
    assert result.returncode == 2, result.describe()
    assert len(hook.requests) == 2
    body = json.loads(hook.requests[1]["body"])
    assert (body["run_id"], body["outcome"]) == (run_id, "executor_crash")
