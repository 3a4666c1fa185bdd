"""Browser reuse across `quarry run`s (cli-and-integrations §10, executor-contract §21.4, §16.3):
real Chromium, a local fixture page, a discovery directory of the test's own (XDG_RUNTIME_DIR, set
by the harness)."""

import http.server
import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

import quarry_harness as qh

SCRIPT = qh.rel(qh.SCRIPTS / "reuse-state.mjs")


@pytest.fixture(scope="module")
def site():
    """A page with an origin of its own (cookies and localStorage need one)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = b"<!doctype html><title>reuse</title><p>reuse fixture</p>"
            try:
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # Chromium gave up on a request (a page closed mid-load)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/page"
    server.shutdown()


def discovery_dir() -> Path:
    return Path(qh.browser_runtime_dir()) / "quarry"


def record_path() -> Path:
    return discovery_dir() / "browser.json"


def read_record() -> dict:
    return json.loads(record_path().read_text())


def write_record(**fields) -> None:
    d = discovery_dir()
    d.mkdir(mode=0o700, exist_ok=True)
    rec = {"ws_endpoint": "ws://127.0.0.1:1/devtools/browser/x", "pid": 1, "proxy_hash": "",
           "started_at": "2024-01-01T00:00:00Z"}
    rec.update(fields)
    record_path().write_text(json.dumps(rec))


def reuse_args(tmp_path, run_id, job, extra=()) -> list[str]:
    store = tmp_path / "store"
    store.mkdir(exist_ok=True)
    args = qh.run_args(script=SCRIPT, run_id=run_id, store=store, extra=["--job", json.dumps(job)])
    return [a for a in args if a != "--no-browser-reuse"] + list(extra)


def state_of(tmp_path, run_id) -> dict:
    run = qh.LodeDataset(tmp_path / "store").run(run_id)
    items = run.items()
    assert len(items) == 1, items
    return items[0]["payload"]["data"]


def run_reuse(tmp_path, site, run_id, mark="m", extra=(), env=None, hold_ms=0):
    r = qh.run_quarry(reuse_args(tmp_path, run_id, {"url": site, "mark": mark, "hold_ms": hold_ms},
                                 extra), env=env, timeout=120)
    assert r.returncode == 0, r.describe()
    return r


def alive(pid: int) -> bool:
    p = qh._read_proc(pid, None)
    return p is not None and p.state not in ("Z", "X")


def server_processes() -> list[qh.Proc]:
    """Live browser-server executors of this test's discovery directory."""
    table = qh.process_table(qh.current_tag())
    prefix = os.path.join(qh.browser_runtime_dir(), "")
    return [p for p in table.values() if p.discovery_file and p.discovery_file.startswith(prefix)
            and "--browser-server" in p.cmdline.split() and p.state not in ("Z", "X")]


def pages_at(endpoint: str, url: str) -> list[dict]:
    base = endpoint.replace("ws://", "http://").split("/devtools")[0]
    with urllib.request.urlopen(base + "/json/list", timeout=5) as resp:
        return [t for t in json.load(resp) if t.get("type") == "page" and t.get("url") == url]


def started_pid(r) -> int:
    lines = [json.loads(l) for l in r.stderr_lines() if "started browser server pid" in l]
    assert len(lines) == 1, r.describe()
    return lines[0]["fields"]["pid"]


def reused_pid(r) -> int:
    lines = [json.loads(l) for l in r.stderr_lines() if "reusing browser server pid" in l]
    assert len(lines) == 1, r.describe()
    return lines[0]["fields"]["pid"]


def spawn_tagged(args: list[str], env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(args, env=qh.quarry_env(env), stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def test_sequential_runs_share_one_server_each_with_a_fresh_context(tmp_path, site):
    first = run_reuse(tmp_path, site, "reuse-1", mark="one")
    pid = started_pid(first)
    rec = read_record()
    assert rec["pid"] == pid and rec["proxy_hash"] == ""
    assert rec["ws_endpoint"].startswith("ws://127.0.0.1:")
    assert set(rec) == {"ws_endpoint", "pid", "proxy_hash", "started_at"}
    assert rec["started_at"].endswith("Z") and "T" in rec["started_at"]
    one = state_of(tmp_path, "reuse-1")
    assert one["launched"] is False, "the run must connect to the server, not launch"
    assert one["before"] == {"cookie": "", "stored": None}
    assert one["after"] == {"cookie": "quarry-reuse=one", "stored": "one"}

    second = run_reuse(tmp_path, site, "reuse-2", mark="two")
    assert reused_pid(second) == pid
    assert "started browser server" not in second.stderr
    two = state_of(tmp_path, "reuse-2")
    assert two["launched"] is False
    # A fresh browser context per run: nothing of run 1's cookies or storage.
    assert two["before"] == {"cookie": "", "stored": None}, two
    assert two["after"] == {"cookie": "quarry-reuse=two", "stored": "two"}
    assert read_record()["pid"] == pid and alive(pid)
    assert [p.pid for p in server_processes()] == [pid]
    # The run's pages went with its context.
    assert pages_at(rec["ws_endpoint"], site) == []

    # Private files (§10.2).
    assert stat.S_IMODE(discovery_dir().stat().st_mode) == 0o700
    assert stat.S_IMODE(record_path().stat().st_mode) == 0o600
    assert stat.S_IMODE((discovery_dir() / "browser.lock").stat().st_mode) == 0o600
    assert not (discovery_dir() / "browser.json.tmp").exists()


def test_dead_pid_is_removed_and_a_server_launched(tmp_path, site):
    gone = subprocess.Popen(["true"])
    gone.wait()
    write_record(pid=gone.pid)
    r = run_reuse(tmp_path, site, "dead-1")
    assert f"pid {gone.pid} is gone" in r.stderr, r.describe()
    pid = started_pid(r)
    assert pid != gone.pid and read_record()["pid"] == pid
    assert state_of(tmp_path, "dead-1")["launched"] is False


def test_zombie_is_cleaned_up_and_replaced(tmp_path, site):
    record = str(record_path())
    # A "server" that left a process behind (as a crashed server leaves its Chromium) and exited
    # without being reaped: our child, so it stays a zombie while we hold the Popen.
    code = ("import os, subprocess, sys, time\n"
            "subprocess.Popen(['sleep', '300'], env=dict(os.environ, "
            f"QUARRY_BROWSER_DISCOVERY_FILE={record!r}))\n"
            "print(flush=True)\n")
    zombie = subprocess.Popen([sys.executable, "-c", code, "--browser-server", "x.mjs"],
                              env=qh.quarry_env(), stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, start_new_session=True)
    try:
        zombie.stdout.readline()
        qh.wait_for(lambda: (qh._read_proc(zombie.pid, None) or qh.Proc(0, 0, "?", 0, "", False))
                    .state == "Z", timeout=10, what="the fake server to become a zombie")
        table = qh.process_table(qh.current_tag())
        leftovers = [p for p in table.values() if p.discovery_file == record and p.state != "Z"]
        assert len(leftovers) == 1, leftovers
        write_record(pid=zombie.pid)

        r = run_reuse(tmp_path, site, "zombie-1")
        assert f"pid {zombie.pid} is a zombie" in r.stderr, r.describe()
        assert "1 leftover process(es) killed" in r.stderr, r.describe()
        qh.wait_for(lambda: not alive(leftovers[0].pid), timeout=5, what="the leftover killed")
        pid = started_pid(r)
        assert read_record()["pid"] == pid != zombie.pid
        assert state_of(tmp_path, "zombie-1")["launched"] is False
    finally:
        zombie.stdout.close()
        zombie.wait()


UNHEALTHY = """
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(500); self.send_header('Content-Length', '0'); self.end_headers()
    def log_message(self, *a): pass
s = http.server.HTTPServer(('127.0.0.1', 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
"""

SILENT = """
import socket, time
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(16)
print(s.getsockname()[1], flush=True)
time.sleep(300)
"""


def start_fake(code: str, *args: str) -> tuple[subprocess.Popen, int]:
    p = subprocess.Popen([sys.executable, "-c", code, *args], env=qh.quarry_env(),
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, start_new_session=True)
    return p, int(p.stdout.readline())


def test_unhealthy_server_is_killed_and_replaced(tmp_path, site):
    fake, port = start_fake(UNHEALTHY, "--browser-server", "x.mjs")
    try:
        write_record(pid=fake.pid, ws_endpoint=f"ws://127.0.0.1:{port}/devtools/browser/x")
        r = run_reuse(tmp_path, site, "unhealthy-1")
        assert f"pid {fake.pid} is unhealthy: HTTP status 500" in r.stderr, r.describe()
        # Its command line says it is a browser server: its process group is killed.
        assert fake.wait(timeout=10) == -signal.SIGKILL
        assert read_record()["pid"] == started_pid(r)
        assert state_of(tmp_path, "unhealthy-1")["launched"] is False
    finally:
        if fake.poll() is None:
            fake.kill()
        fake.wait()
        fake.stdout.close()


def test_silent_endpoint_of_a_stranger_is_replaced_without_killing_it(tmp_path, site):
    # A listener that never answers, whose pid is not a browser server (the recorded pid was
    # reused by an unrelated process): the 2 s health check fails, the stranger is left alone.
    fake, port = start_fake(SILENT)
    try:
        write_record(pid=fake.pid, ws_endpoint=f"ws://127.0.0.1:{port}/devtools/browser/x")
        started = time.monotonic()
        r = run_reuse(tmp_path, site, "silent-1")
        assert f"pid {fake.pid} is unhealthy" in r.stderr, r.describe()
        assert time.monotonic() - started >= 2.0
        assert fake.poll() is None, "a process that is not a browser server must not be killed"
        assert read_record()["pid"] == started_pid(r) != fake.pid
    finally:
        fake.kill()
        fake.wait()
        fake.stdout.close()


def test_server_with_a_browser_level_proxy_is_left_running_and_not_reused(tmp_path, site):
    other = spawn_tagged(["sleep", "300"])
    try:
        write_record(pid=other.pid, proxy_hash="sha256:" + "ab" * 32)
        before = record_path().read_text()
        r = run_reuse(tmp_path, site, "proxy-1")
        assert "Browser reuse unavailable:" in r.stderr and "browser-level proxy" in r.stderr, \
            r.describe()
        assert state_of(tmp_path, "proxy-1")["launched"] is True, "falls back to its own browser"
        assert other.poll() is None and record_path().read_text() == before
        assert server_processes() == []
    finally:
        other.kill()
        other.wait()


def test_concurrent_runs_serialize_on_the_lock_and_share_one_server(tmp_path, site):
    runs = []
    for i in range(3):
        args = reuse_args(tmp_path, f"conc-{i}", {"url": site, "mark": f"c{i}"})
        runs.append((args, time.monotonic(), qh.start_quarry(args)))
    results = [qh.finish_quarry(p, a, timeout=120, started=t, report_path=None,
                                day_before=qh.utc_today()) for a, t, p in runs]
    for r in results:
        assert r.returncode == 0, r.describe()
    started = [r for r in results if "started browser server pid" in r.stderr]
    assert len(started) == 1, "\n".join(r.describe() for r in results)
    pid = started_pid(started[0])
    assert sorted(reused_pid(r) for r in results if r is not started[0]) == [pid, pid]
    assert [p.pid for p in server_processes()] == [pid]
    for i in range(3):
        s = state_of(tmp_path, f"conc-{i}")
        assert s["launched"] is False and s["before"] == {"cookie": "", "stored": None}


def test_idle_timeout_ends_the_server_and_deletes_browser_json(tmp_path, site):
    config = tmp_path / "quarry.yaml"
    config.write_text("browser_idle_timeout: 1s\n")
    r = run_reuse(tmp_path, site, "idle-1", extra=["--config", str(config)])
    pid = started_pid(r)
    environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    assert b"QUARRY_BROWSER_IDLE_TIMEOUT=1" in environ
    assert b"QUARRY_GUARD_TOKEN" not in b"\0".join(environ), "the orphan guard must not reach it"
    # Idle = no client context and no page with a URL; polled every 5 s.
    qh.wait_for(lambda: not alive(pid), timeout=20, what="the idle server to exit")
    assert not record_path().exists()
    assert "idle for" in (discovery_dir() / "browser-server.log").read_text()
    assert server_processes() == []


def test_a_cancelled_run_leaves_the_server_and_takes_its_context_away(tmp_path, site):
    args = reuse_args(tmp_path, "cancel-1", {"url": site, "mark": "x", "hold_ms": 60000})
    proc = qh.start_quarry(args)
    started = time.monotonic()
    qh.wait_for(lambda: record_path().exists(), timeout=30, what="browser.json")
    endpoint = read_record()["ws_endpoint"]
    qh.wait_for(lambda: pages_at(endpoint, site), timeout=30, what="the run's page in the server")
    proc.send_signal(signal.SIGINT)
    r = qh.finish_quarry(proc, args, timeout=60, started=started, report_path=None,
                         day_before=qh.utc_today())
    assert r.returncode != 0, r.describe()
    qh.wait_for(lambda: not pages_at(endpoint, site), timeout=10,
                what="the cancelled run's page to go away")
    pid = read_record()["pid"]
    assert alive(pid) and [p.pid for p in server_processes()] == [pid]
    # The next run still reuses it.
    assert reused_pid(run_reuse(tmp_path, site, "cancel-2")) == pid


def test_no_browser_reuse_config_and_explicit_endpoint_bypass_the_server(tmp_path, site):
    r = run_reuse(tmp_path, site, "off-flag", extra=["--no-browser-reuse"])
    assert state_of(tmp_path, "off-flag")["launched"] is True
    assert "browser server" not in r.stderr and not record_path().exists()

    config = tmp_path / "off.yaml"
    config.write_text("no_browser_reuse: true\n")
    run_reuse(tmp_path, site, "off-config", extra=["--config", str(config)])
    assert state_of(tmp_path, "off-config")["launched"] is True
    assert not record_path().exists() and server_processes() == []

    # An explicit endpoint bypasses reuse (§10.1): a browser of our own, not a server.
    shared = subprocess.Popen(["node", str(qh.REPO / "executor" / "dist" / "executor.mjs"),
                               "--launch-browser", SCRIPT], env=qh.quarry_env(),
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        endpoint = shared.stdout.readline().decode().strip()
        assert endpoint.startswith("ws://"), endpoint
        r = run_reuse(tmp_path, site, "explicit", extra=["--browser-ws-endpoint", endpoint])
        assert state_of(tmp_path, "explicit")["launched"] is False
        assert "browser server" not in r.stderr and not record_path().exists()
    finally:
        shared.stdin.close()
        shared.wait(timeout=20)
        shared.stdout.close()

    bad = qh.run_quarry(reuse_args(tmp_path, "bad-idle", {"url": site, "mark": "x"}),
                        env={"QUARRY_BROWSER_IDLE_TIMEOUT": "soon"}, timeout=60)
    assert bad.returncode == 2, bad.describe()
    assert bad.stderr_lines() == [
        'Error: QUARRY_BROWSER_IDLE_TIMEOUT: invalid duration "soon": expected a number'], bad.describe()
