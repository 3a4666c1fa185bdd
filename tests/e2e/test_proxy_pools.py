"""Proxy pools with real proxies in the browser's path (storage-and-policies §8, cli §4.1 rows
22–27, docs/proxies.md): three tinyproxy instances (one with Basic auth) in front of a fixture
site. Which proxy carried a page is proven by the proxy itself: each instance has its own
ViaProxyName, which the site echoes, and each logs the requests it forwarded."""

import concurrent.futures
import json
import shutil
import socket
import sqlite3
import subprocess
import threading
import http.server
import uuid
from pathlib import Path

import pytest

import quarry_harness as qh

SCRIPT = qh.rel(qh.SCRIPTS / "proxy-visit.mjs")
PASSWORD = f"pw-{uuid.uuid4().hex[:16]}"


free_port = qh.free_port


def site_address() -> str:
    """A non-loopback address of this host: Chromium never sends loopback through a proxy."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect(("192.0.2.1", 9))  # no packet is sent; this only picks the outgoing interface
        addr = s.getsockname()[0]
    assert not addr.startswith("127."), "the proxy tests need a non-loopback IPv4 address"
    return addr


class TinyProxy:
    def __init__(self, root: Path, name: str, auth: tuple[str, str] | None = None):
        self.name, self.port = name, free_port()
        self.log = root / f"{name}.log"
        conf = root / f"{name}.conf"
        lines = [f"Port {self.port}", "Listen 127.0.0.1", "Timeout 30", f'LogFile "{self.log}"',
                 "LogLevel Connect", "MaxClients 50", "Allow 127.0.0.1", f'ViaProxyName "{name}"',
                 "XTinyproxy No"]
        if auth:
            lines.append(f"BasicAuth {auth[0]} {auth[1]}")
        conf.write_text("\n".join(lines) + "\n")
        self.proc = subprocess.Popen([shutil.which("tinyproxy") or "/usr/bin/tinyproxy", "-d", "-c",
                                      str(conf)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        def listening() -> bool:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return True
            except OSError:
                return False
        qh.wait_for(listening, timeout=10, interval=0.05, what=f"tinyproxy {name} to listen")

    def requests(self) -> str:
        return self.log.read_text() if self.log.exists() else ""

    def close(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    root = tmp_path_factory.mktemp("proxies")

    site_auth = []  # the Authorization headers sent to the site's protected page

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            body = f"<html><body>via={self.headers.get('Via', 'direct')}</body></html>".encode()
            protected = "/site-auth" in self.path
            if protected:
                site_auth.append(self.headers.get("Authorization"))
            try:
                self.send_response(401 if protected else 200)
                if protected:
                    self.send_header("WWW-Authenticate", 'Basic realm="site"')
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args):
            pass

    addr = site_address()
    server = http.server.ThreadingHTTPServer((addr, 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    proxies = {n: TinyProxy(root, n) for n in ("proxy-a", "proxy-b")}
    proxies["proxy-auth"] = TinyProxy(root, "proxy-auth", ("scraper", PASSWORD))
    yield {"url": f"http://{addr}:{server.server_address[1]}", "proxies": proxies,
           "site_auth": site_auth}
    for p in proxies.values():
        p.close()
    server.shutdown()


def endpoint(p: TinyProxy, password: str | None = PASSWORD) -> dict:
    e = {"protocol": "http", "host": "127.0.0.1", "port": p.port}
    if p.name == "proxy-auth":
        e.update(username="scraper", password=password)
    return e


def write_config(path: Path, pools: dict, proxy: dict | None = None) -> Path:
    doc = {"proxies": pools}
    if proxy:
        doc["proxy"] = proxy
    path.write_text(json.dumps(doc, indent=2))  # JSON is YAML: no PyYAML needed
    return path


def run(tmp_path, net, run_id, *, config, job=None, extra=(), env=None, timeout=120,
        policy="strict"):
    job = {"url": f"{net['url']}/{run_id}", **(job or {})}
    (tmp_path / "data").mkdir(exist_ok=True)
    report = tmp_path / f"{run_id}.report.json"
    args = qh.run_args(script=SCRIPT, run_id=run_id, store=tmp_path / "data", report=report,
                       extra=["--config", str(config), "--job", json.dumps(job), *extra])
    args[args.index("--policy") + 1] = policy
    return qh.run_quarry(args, env={"QUARRY_STATE_DIR": str(tmp_path / "state"), **(env or {})},
                         report_path=report, timeout=timeout)


def seen_via(tmp_path, run_id) -> str:
    """Which proxy carried the run's page, from the Via header the site saw."""
    items = qh.LodeDataset(tmp_path / "data").run(run_id).items("visit")
    assert len(items) == 1, items
    body = items[0]["payload"]["data"]["body"]
    # "via=1.1 proxy-a (tinyproxy/1.11.1)"
    assert body.startswith("via=1.1 ") and "(tinyproxy/" in body, body
    return body.split()[1]


def forwarded(p: TinyProxy, run_id: str) -> bool:
    return f"/{run_id} " in p.requests() or p.requests().rstrip().endswith(f"/{run_id}")


def assert_no_password(tmp_path, results):
    """Outputs, reports, logs, the state store and the dataset: no password anywhere (only the
    config files the test wrote hold it)."""
    for r in results:
        assert PASSWORD not in r.stdout and PASSWORD not in r.stderr, r.describe()
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.suffix != ".yaml" and path.name != "pools.json":
            assert PASSWORD.encode() not in path.read_bytes(), path


def read(tmp_path, *args, fmt="json"):
    r = qh.run_quarry([*args, "--format", fmt], env={"QUARRY_STATE_DIR": str(tmp_path / "state")})
    assert r.returncode == 0, r.describe()
    assert PASSWORD not in r.stdout + r.stderr
    return json.loads(r.stdout) if fmt == "json" else r.stdout


def state_bytes(tmp_path) -> dict:
    return {p.name: p.read_bytes() for p in (tmp_path / "state").iterdir()}


def rr_config(tmp_path, net):
    p = net["proxies"]
    return write_config(tmp_path / "q.yaml", {"rr": {"strategy": "round_robin", "endpoints": [
        endpoint(p["proxy-a"]), endpoint(p["proxy-b"]), endpoint(p["proxy-auth"])]}})


def test_round_robin_visits_each_endpoint_in_turn_across_runs(tmp_path, net):
    p = net["proxies"]
    cfg = rr_config(tmp_path, net)
    results = []
    expected = ["proxy-a", "proxy-b", "proxy-auth", "proxy-a"]
    for i, name in enumerate(expected):
        r = run(tmp_path, net, f"rr-{i}", config=cfg, extra=["--proxy-pool", "rr"])
        assert r.returncode == 0, r.describe()
        results.append(r)
        assert seen_via(tmp_path, f"rr-{i}") == name
        assert r.report["proxy_used"]["port"] == p[name].port
        # The proxy's own log: it forwarded this run's page; no other proxy did.
        assert f"/rr-{i}" in p[name].requests(), (name, p[name].requests()[-2000:])
        for other in set(p) - {name}:
            assert f"/rr-{i}" not in p[other].requests(), other
        # inspect proxy reads the persisted state: the index the next selection returns.
        view = read(tmp_path, "inspect", "proxy", "rr", "--config", str(cfg))
        assert view["runtime"]["round_robin_index"] == (i + 1) % 3, view
    # The authenticated proxy got the credentials (its page loaded); the summary and the report
    # name the endpoint without the password.
    assert "=== Proxy ===" in results[2].stdout and "scraper" in results[2].stdout
    assert results[2].report["proxy_used"] == {"protocol": "http", "host": "127.0.0.1",
                                               "port": p["proxy-auth"].port, "username": "scraper"}
    db = sqlite3.connect(tmp_path / "state" / "proxy-state.sqlite")
    (state,), = db.execute("SELECT state FROM pool_state WHERE name = 'rr'").fetchall()
    db.close()  # `with` would only commit: an open connection keeps the WAL files around
    assert json.loads(state)["requests"] == 4
    assert read(tmp_path, "stats", "proxies") == [
        {"pool": "rr", "requests": 4, "failures": 0, "last_used_at": read(
            tmp_path, "inspect", "proxy", "rr", "--config", str(cfg))["runtime"]["last_used_at"]}]
    assert read(tmp_path, "list", "pools") == [{"name": "rr", "strategy": "round_robin"}]
    # debug resolve proxy peeks; --commit applies to an in-memory copy only (D11.26).
    before = state_bytes(tmp_path)
    for flags in ([], ["--commit"], ["--commit"]):
        got = read(tmp_path, "debug", "resolve", "proxy", "rr", "--config", str(cfg), *flags)
        assert got == {"endpoint": {"protocol": "http", "host": "127.0.0.1", "port": p["proxy-b"].port},
                       "committed": bool(flags)}, got
    assert state_bytes(tmp_path) == before
    for fmt in ("table", "yaml"):
        for cmd in (["inspect", "proxy", "rr", "--config", str(cfg)], ["stats", "proxies"],
                    ["list", "pools", "--config", str(cfg)],
                    ["debug", "resolve", "proxy", "rr", "--config", str(cfg)]):
            assert "rr" in read(tmp_path, *cmd, fmt=fmt) or cmd[0] == "debug"
    assert_no_password(tmp_path, results)


def test_sticky_job_keeps_its_endpoint_and_rotate_proxy_moves_the_next_run(tmp_path, net):
    p = net["proxies"]
    cfg = write_config(tmp_path / "q.yaml", {"sticky": {"strategy": "sticky", "sticky": {"scope": "job"},
                                                        "endpoints": [endpoint(p["proxy-a"]),
                                                                      endpoint(p["proxy-b"])]}},
                       {"pool": "sticky"})
    first = None
    for i in range(3):
        r = run(tmp_path, net, f"st-{i}", config=cfg, extra=["--job-id", "job-7"])
        assert r.returncode == 0, r.describe()
        name = seen_via(tmp_path, f"st-{i}")
        first = first or name
        assert name == first
    # The script asks to rotate: the current run keeps its endpoint, the next one moves.
    r = run(tmp_path, net, "st-rotate", config=cfg, extra=["--job-id", "job-7"], job={"rotate": True})
    assert r.returncode == 0, r.describe()
    assert seen_via(tmp_path, "st-rotate") == first
    after = []
    for i in range(2):
        r = run(tmp_path, net, f"st-after-{i}", config=cfg, extra=["--job-id", "job-7"])
        assert r.returncode == 0, r.describe()
        after.append(seen_via(tmp_path, f"st-after-{i}"))
    assert after[0] != first and after[1] == after[0], (first, after)
    assert read(tmp_path, "stats", "proxies")[0]["failures"] == 1


def test_a_wrong_password_fails_the_run_with_a_clear_message(tmp_path, net):
    p = net["proxies"]
    wrong = "not-the-" + PASSWORD
    cfg = write_config(tmp_path / "q.yaml", {"auth": {"strategy": "round_robin", "endpoints": [
        endpoint(p["proxy-auth"], password=wrong)]}})
    r = run(tmp_path, net, "bad-auth", config=cfg, extra=["--proxy-pool", "auth"])
    assert r.returncode == 1, r.describe()
    assert f"proxy authentication failed for http://127.0.0.1:{p['proxy-auth'].port} (user scraper)" in r.stdout + r.stderr, r.describe()
    assert wrong not in r.stdout + r.stderr
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.suffix != ".yaml":
            assert wrong.encode() not in path.read_bytes(), path


def test_eight_concurrent_runs_make_eight_distinct_round_robin_selections(tmp_path, net):
    ports = [free_port() for _ in range(8)]  # the runs do not navigate: no proxy behind these
    cfg = write_config(tmp_path / "q.yaml", {"wide": {"strategy": "round_robin", "endpoints": [
        {"protocol": "http", "host": "127.0.0.1", "port": port} for port in ports]}})

    def one(i):
        return run(tmp_path, net, f"par-{i}", config=cfg, extra=["--proxy-pool", "wide"],
                   job={"visit": False}, timeout=240)

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(one, range(8)))
    for r in results:
        assert r.returncode == 0, r.describe()
    assert sorted(r.report["proxy_used"]["port"] for r in results) == sorted(ports)


def test_bad_pool_sources_are_pre_run_errors(tmp_path, net):
    p = net["proxies"]
    legacy = tmp_path / "pools.json"
    legacy.write_text(json.dumps([{"name": "rr", "strategy": "round_robin",
                                   "endpoints": [endpoint(p["proxy-a"])]}]))
    cfg = rr_config(tmp_path, net)
    both = run(tmp_path, net, "both", config=cfg, extra=["--proxy-config", str(legacy), "--proxy-pool", "rr"])
    assert both.returncode == 2 and "cannot be combined with the proxies: section" in both.stderr
    empty = write_config(tmp_path / "empty.yaml", {})
    nopools = run(tmp_path, net, "nopools", config=empty, extra=["--proxy-pool", "rr"])
    assert nopools.returncode == 2 and "--proxy-pool needs pools" in nopools.stderr
    unknown = run(tmp_path, net, "unknown", config=cfg, extra=["--proxy-pool", "nope"])
    assert unknown.returncode == 2
    assert unknown.stderr.strip().endswith('proxy selection failed: unknown pool "nope"'), unknown.stderr
    bad = write_config(tmp_path / "bad.yaml", {"rr": {"strategy": "round_robin", "endpoints": [
        {"protocol": "http", "host": "127.0.0.1", "port": 70000}]}})
    badport = run(tmp_path, net, "badport", config=bad, extra=["--proxy-pool", "rr"])
    assert badport.returncode == 2
    assert "proxy selection failed: pool \"rr\" endpoint 0: port 70000 is out of range 1..65535" in badport.stderr
    # The legacy file alone works, with its deprecation warning, and selects from the same state.
    r = qh.run_quarry(qh.run_args(script=SCRIPT, run_id="legacy", store=tmp_path / "data",
                                  extra=["--proxy-config", str(legacy), "--proxy-pool", "rr",
                                         "--job", json.dumps({"url": f"{net['url']}/legacy"})]),
                      env={"QUARRY_STATE_DIR": str(tmp_path / "state")})
    assert r.returncode == 0, r.describe()
    assert "--proxy-config is deprecated" in r.stderr
    assert seen_via(tmp_path, "legacy") == "proxy-a"


def test_a_failing_endpoint_is_benched_after_consecutive_failures(tmp_path, net):
    p = net["proxies"]
    dead = free_port()
    cfg = write_config(tmp_path / "q.yaml", {"flaky": {"strategy": "round_robin", "endpoints": [
        {"protocol": "http", "host": "127.0.0.1", "port": dead}, endpoint(p["proxy-a"])]}},
        {"pool": "flaky", "bench_after": 2, "bench_for": "5m"})
    outcomes = []
    for i in range(5):
        r = run(tmp_path, net, f"fl-{i}", config=cfg)
        outcomes.append((r.returncode, r.report["proxy_used"]["port"]))
        if r.report["proxy_used"]["port"] == dead:
            assert f"proxy connection failed through http://127.0.0.1:{dead}" in r.stdout + r.stderr, r.describe()
    # Two failures in a row bench the dead endpoint: the last two runs both go through proxy-a.
    assert outcomes == [(1, dead), (0, p["proxy-a"].port), (1, dead), (0, p["proxy-a"].port),
                        (0, p["proxy-a"].port)], outcomes
    health = read(tmp_path, "inspect", "proxy", "flaky", "--config", str(cfg))["health"]
    assert health[0]["benched"] and health[0]["consecutive_failures"] == 2, health
    assert health[0]["benched_until"] is not None and health[0]["failures"] == 2
    assert not health[1]["benched"] and health[1]["successes"] == 3, health


def test_a_site_asking_for_credentials_never_gets_the_proxy_password(tmp_path, net):
    """Only proxy challenges are answered with the pool's credentials: a page whose server asks
    for Basic auth gets none (Puppeteer's page.authenticate would have sent them)."""
    p = net["proxies"]
    cfg = write_config(tmp_path / "q.yaml", {"auth": {"strategy": "round_robin", "endpoints": [
        endpoint(p["proxy-auth"])]}})
    r = run(tmp_path, net, "site-auth", config=cfg, extra=["--proxy-pool", "auth"])
    assert r.returncode == 0, r.describe()  # the site's own 401 is the site's answer, not a failure
    item = qh.LodeDataset(tmp_path / "data").run("site-auth").items("visit")[0]
    assert item["payload"]["data"]["status"] == 401
    assert "/site-auth" in p["proxy-auth"].requests()
    assert net["site_auth"] and all(h is None for h in net["site_auth"]), net["site_auth"]


def test_fan_out_children_select_their_own_endpoint_and_follow_a_rotation(tmp_path, net):
    """F08: each child makes its own committed selection; with sticky scope job the children share
    the root's job id, so they stick together — on another endpoint once the root rotated."""
    p = net["proxies"]
    cfg = write_config(tmp_path / "q.yaml", {"sticky": {"strategy": "sticky", "sticky": {"scope": "job"},
                                                        "endpoints": [endpoint(p["proxy-a"]),
                                                                      endpoint(p["proxy-b"])]}},
                       {"pool": "sticky"})
    kids = [{"url": f"{net['url']}/kid-{i}"} for i in range(2)]
    r = run(tmp_path, net, "fan-root", config=cfg, job={"rotate": True, "kids": kids},
            extra=["--job-id", "fan-job", "--depth", "1", "--max-runs", "10", "--parallel", "1"], timeout=240)
    assert r.returncode == 0, r.describe()
    root = seen_via(tmp_path, "fan-root")
    ds = qh.LodeDataset(tmp_path / "data")
    children = sorted(ds.run_ids() - {"fan-root"})
    assert len(children) == 2
    kid_proxies = {seen_via(tmp_path, c) for c in children}
    assert kid_proxies == ({"proxy-a", "proxy-b"} - {root}), (root, kid_proxies)
    assert read(tmp_path, "stats", "proxies")[0]["requests"] == 3


def test_a_rotation_the_policy_drops_still_rotates(tmp_path, net):
    """§8.5: rotate_proxy is recorded before the policy sees it. A buffered policy with room for
    two events evicts the run's rotate_proxy for its run_complete, and the next run of the job
    still moves to the other endpoint."""
    ports = [free_port() for _ in range(2)]  # the runs do not navigate: no proxy behind these
    cfg = write_config(tmp_path / "q.yaml", {"sticky": {"strategy": "sticky", "endpoints": [
        {"protocol": "http", "host": "127.0.0.1", "port": port} for port in ports]}},
        {"pool": "sticky"})
    policy = ["--job-id", "job-drop", "--buffer-events", "2"]
    first = run(tmp_path, net, "drop-1", config=cfg, job={"visit": False, "rotate": True},
                extra=policy, policy="buffered")
    assert first.returncode == 0, first.describe()
    assert first.report["metrics"]["dropped_by_type"] == {"rotate_proxy": 1}, first.report
    again = run(tmp_path, net, "drop-2", config=cfg, job={"visit": False}, extra=policy,
                policy="buffered")
    assert again.returncode == 0, again.describe()
    assert again.report["proxy_used"]["port"] != first.report["proxy_used"]["port"]
    assert read(tmp_path, "stats", "proxies")[0]["failures"] == 1


def test_sticky_scope_without_its_key_warns_then_fails_the_selection(tmp_path, net):
    p = net["proxies"]
    cfg = write_config(tmp_path / "q.yaml", {"site": {"strategy": "sticky",
                                                      "sticky": {"scope": "domain"},
                                                      "endpoints": [endpoint(p["proxy-a"])]}})
    r = run(tmp_path, net, "no-domain", config=cfg, extra=["--proxy-pool", "site"])
    assert r.returncode == 2, r.describe()
    lines = r.stderr.strip().splitlines()
    assert any("sticky scope domain, but neither --proxy-sticky-key nor --proxy-domain" in l
               for l in lines), r.stderr
    assert lines[-1].endswith("proxy selection failed: sticky selection requires a sticky key")
    ok = run(tmp_path, net, "with-domain", config=cfg,
             extra=["--proxy-pool", "site", "--proxy-domain", "shop.example"])
    assert ok.returncode == 0 and "sticky scope" not in ok.stderr, ok.describe()
