"""Proxy pools under quarry-temporal (docs/temporal.md, "Proxies"): the worker defines the pools
(its --config), the workflow input names one, and every attempt and every batch run makes its
own committed selection on the worker's host; a retry after rotate_proxy gets another endpoint.
The proxies are real (tinyproxy, test_proxy_pools.py's fixture); the password never reaches
Temporal."""

import json

import quarry_harness as qh
from temporal_harness import temporal_server, tenv  # noqa: F401
from test_proxy_pools import PASSWORD, endpoint, free_port, net, read, write_config  # noqa: F401
from test_temporal_batch import write_jobs

SCRIPT = str(qh.SCRIPTS / "proxy-visit.mjs")


def run_batch(tenv, workflow_id: str, jobs, store, source: str, *extra):
    r = tenv.quarry_temporal(
        "batch", "--address", tenv.server.address, "--task-queue", tenv.task_queue,
        "--workflow-id", workflow_id, "--file", str(jobs), "--script", SCRIPT,
        "--source", source, "--storage-backend", "fs", "--storage-path", str(store), *extra,
        "--wait")
    assert r.returncode == 0, f"{r.stdout}\n{r.stderr}\n{tenv.worker_logs()}"
    return r


def via_of(store, run_id) -> str:
    body = qh.LodeDataset(store).run(run_id).items("visit")[0]["payload"]["data"]["body"]
    assert body.startswith("via=1.1 "), body
    return body.split()[1]


def test_attempts_and_batch_runs_select_on_the_worker(tenv, tmp_path, net):
    p = net["proxies"]
    cfg = write_config(tmp_path / "worker.yaml", {
        "sticky": {"strategy": "sticky", "sticky": {"scope": "job"},
                   "endpoints": [endpoint(p["proxy-a"]), endpoint(p["proxy-b"]),
                                 endpoint(p["proxy-auth"])]},
        "rr": {"strategy": "round_robin",
               "endpoints": [endpoint(p["proxy-a"]), endpoint(p["proxy-b"]), endpoint(p["proxy-auth"])]}})
    tenv.worker("--config", str(cfg), env={"QUARRY_STATE_DIR": str(tmp_path / "state")})
    store = tmp_path / "store"
    store.mkdir()

    # Attempt 1 rotates and fails; attempt 2 selects again and must avoid attempt 1's endpoint.
    job = {"url": f"{net['url']}/wf-proxy", "fail_first": True}
    r = tenv.start("wf-proxy", script=SCRIPT, store=store, wait=True,
                   extra=["--proxy-pool", "sticky", "--job", json.dumps(job), "--max-attempts", "2",
                          "--initial-interval", "1s"])
    assert r.returncode == 0, f"{r.stdout}\n{r.stderr}\n{tenv.worker_logs()}"
    attempts = json.loads(r.stdout)["result"]["attempts"]
    assert [a["outcome"] for a in attempts] == ["script_error", "success"], attempts
    first, second = (via_of(store, a["run_id"]) for a in attempts)
    assert first != second, (first, second)
    assert f"/wf-proxy" in p[first].requests() and f"/wf-proxy" in p[second].requests()

    # Another workflow of the same job sticks to the endpoint the retry got.
    r = tenv.start("wf-proxy-again", script=SCRIPT, store=store, wait=True,
                   extra=["--proxy-pool", "sticky", "--job-id", "wf-proxy",
                          "--job", json.dumps({"url": f"{net['url']}/wf-proxy-again"})])
    assert r.returncode == 0, f"{r.stdout}\n{r.stderr}\n{tenv.worker_logs()}"
    final = json.loads(r.stdout)["result"]["final"]
    assert via_of(store, final["run_id"]) == second

    # Each batch run makes its own round-robin selection.
    jobs = write_jobs(tmp_path / "jobs.jsonl",
                      [{"job": {"url": f"{net['url']}/batch-{i}"}} for i in range(3)])
    run_batch(tenv, "b-proxy", jobs, store, "temporal-proxy", "--max-parallel", "1",
              "--proxy-pool", "rr")
    seen = set()
    for rec in qh.LodeDataset(store).records():
        if rec.get("source") == "temporal-proxy" and rec.get("event_type") == "item":
            seen.add(rec["payload"]["data"]["body"].split()[1])
    assert seen == {"proxy-a", "proxy-b", "proxy-auth"}, seen

    # Credentials stay on the worker: not in any history, not in the worker's log.
    for wid in ("wf-proxy", "wf-proxy-again", "b-proxy"):
        h = tenv.temporal("workflow", "show", "--workflow-id", wid, "--output", "json")
        assert h.returncode == 0 and PASSWORD not in h.stdout
    assert PASSWORD not in tenv.worker_logs()


def test_a_pool_the_worker_does_not_define_is_a_config_error(tenv, tmp_path, net):
    tenv.worker(env={"QUARRY_STATE_DIR": str(tmp_path / "state")})
    store = tmp_path / "store"
    store.mkdir()
    r = tenv.start("wf-nopool", script=SCRIPT, store=store, wait=True,
                   extra=["--proxy-pool", "nope", "--job", json.dumps({"url": net["url"]})])
    assert r.returncode != 0
    out = json.loads(r.stdout)
    text = json.dumps(out)
    assert "nope" in text and "is not defined on this worker" in text, out
    assert out["failure"]["cause"]["type"] == "CONFIG_ERROR" and out["failure"]["cause"]["non_retryable"]


def test_two_workers_on_one_host_never_lose_a_selection(tenv, tmp_path, net):
    """Two workers on one host share its selection state: eight batch runs at once, spread over
    both workers, make eight committed selections with none lost (one atomic read-modify-write
    each, across the two processes)."""
    ports = [free_port() for _ in range(8)]  # the runs do not navigate: no proxy behind these
    cfg = write_config(tmp_path / "worker.yaml", {"wide": {"strategy": "round_robin", "endpoints": [
        {"protocol": "http", "host": "127.0.0.1", "port": port} for port in ports]}})
    env = {"QUARRY_STATE_DIR": str(tmp_path / "state")}
    workers = [tenv.worker("--config", str(cfg), "--max-concurrent-activities", "4", env=env)
               for _ in range(2)]
    store = tmp_path / "store"
    store.mkdir()
    jobs = write_jobs(tmp_path / "jobs.jsonl", [{"job": {"visit": False}} for _ in range(8)])
    run_batch(tenv, "b-two-workers", jobs, store, "temporal-proxy-wide", "--max-parallel", "8",
              "--proxy-pool", "wide")
    # Eight committed selections, none lost to a race: the counter went round the pool once.
    assert read(tmp_path, "stats", "proxies")[0]["requests"] == 8
    view = read(tmp_path, "inspect", "proxy", "wide", "--config", str(cfg))
    assert view["runtime"]["round_robin_index"] == 0, view
    # Both workers ran some of them (each logs its own runs).
    assert all("run started" in w.output() for w in workers), [w.output()[-500:] for w in workers]
