"""Fan-out with the real quarry, executor and Chromium (cli-and-integrations.md §9, docs/fanout.md).

Every crawl uses tests/e2e/scripts/fanout-tree.mjs: a node whose job lists the children to enqueue.
Nodes with children connect to the crawl's managed browser (the harness passes
--no-browser-reuse, so with fan-out one managed Chromium serves the whole crawl); leaves end in
their `prepare` hook and start no browser, which keeps these crawls fast.

Covered: dedup, depth limit, --max-runs, children concurrent with the root, the summary, the
fan-out link in the dataset, a policy that drops `enqueue`, source/category inheritance down three
levels, SIGTERM with children running, --child-retries with lineage, and --resume after SIGKILL
of quarry at several moments of one crawl.
"""

from __future__ import annotations

import json
import re
import signal
import time
from pathlib import Path


import quarry_harness as qh

SCRIPT = "tests/e2e/scripts/fanout-tree.mjs"
UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
RESULT_LINE = re.compile(r"^  (\S+): outcome=(\w+), events=(\d+), duration=(\S+?)(, .*)?$")


def leaf(node_id: str, **extra) -> dict:
    return {"job": {"id": node_id, **extra}}


def node(node_id: str, kids: list, **extra) -> dict:
    return {"job": {"id": node_id, "kids": kids, **extra}}


def crawl(tmp_path: Path, name: str, root_job: dict, *, depth: int, max_runs: int,
          parallel: int = 1, extra=(), run_id: str | None = None, env: dict | None = None,
          store: Path | None = None, timeout: float = 120, policy: tuple = ()) -> qh.ExampleRun:
    """A crawl with the §12 command line (`policy` replaces its `--policy strict`)."""
    run_id = run_id or f"fanout-{name}-{qh.now_ms()}"
    store = store or tmp_path / name
    store.mkdir(parents=True, exist_ok=True)
    report = tmp_path / f"{name}-{qh.now_ms()}-report.json"
    args = qh.run_args(script=SCRIPT, run_id=run_id, store=store, report=report, extra=[
        "--job", json.dumps(root_job), "--depth", str(depth), "--max-runs", str(max_runs),
        "--parallel", str(parallel), *extra])
    if policy:
        i = args.index("--policy")
        args[i:i + 2] = list(policy)
    result = qh.run_quarry(args, timeout=timeout, env=env, report_path=report)
    return qh.ExampleRun(name=name, run_id=run_id, store=store, result=result)


def summary_of(stdout: str) -> dict:
    """The fan-out summary block: its labelled lines and the per-child result lines."""
    assert stdout.count("=== Fan-Out Summary ===") == 1, stdout
    block = stdout.split("=== Fan-Out Summary ===\n", 1)[1]
    out = {"lines": {}, "results": []}
    in_results = False
    for line in block.splitlines():
        if line == "--- Child Run Results ---":
            in_results = True
            continue
        if in_results:
            m = RESULT_LINE.match(line)
            assert m, f"bad child result line: {line!r}"
            out["results"].append({"run_id": m[1], "outcome": m[2], "events": int(m[3]),
                                   "duration": m[4], "rest": m[5] or ""})
        elif line:
            label, value = line.split(":", 1)
            assert value.startswith(" " * (18 - len(label) - 1)), f"label not padded: {line!r}"
            out["lines"][label] = value.strip()
    ids = [r["run_id"] for r in out["results"]]
    assert ids == sorted(ids), "child results must be sorted by run_id"
    return out


def node_id_of(run: qh.RunView) -> str:
    """Which tree node a stored run executed: its `node` item, or a leaf's skip reason."""
    items = run.items("node")
    if items:
        return items[0]["payload"]["data"]["id"]
    term = run.terminal
    assert term is not None and term["event_type"] == "run_complete", run.run_id
    reason = term["payload"]["summary"]["reason"]
    assert reason.startswith("leaf "), reason
    return reason[len("leaf "):]


def link_of(run: qh.RunView) -> tuple:
    rec = run.metrics_record
    return rec["enqueued_by_run_id"], rec["enqueued_by_event_id"], rec["fanout_depth"]


def journal_lines(store: Path, root_run_id: str, dataset: str = "quarry") -> list[dict]:
    d = store / "datasets" / dataset / "fanout" / f"run_id={qh.escape_partition_value(root_run_id)}" / "journal"
    if not d.is_dir():
        return []
    out = []
    for f in sorted(d.iterdir()):
        if re.fullmatch(r"[0-9]{20}\.jsonl", f.name):
            out.extend(json.loads(line) for line in f.read_text().splitlines() if line)
    return out


def browser_launchers(watcher: qh.ProcessWatcher) -> set[str]:
    """Command lines of the executors that started a Chromium seen in the test. (Chromium's own
    forks have a Chromium parent; its crash handler double-forks and is re-parented to quarry,
    the subreaper: neither is an executor.)"""
    seen = {p.pid: p for p in watcher.seen.values()}
    return {seen[p.ppid].cmdline for p in watcher.browsers_seen()
            if p.ppid in seen and "executor.mjs" in seen[p.ppid].cmdline}


# ---------------------------------------------------------------------------------------------
# §9 rules


def test_dedup_depth_and_summary(tmp_path, procs):
    # root (depth 0) enqueues a, a again, b, an empty target and m; m (depth 1) enqueues x, y, a
    # (already seen) and m2; m2 (depth 2) enqueues z, which would be depth 3 > --depth 2.
    tree = {"id": "root", "kids": [
        leaf("a"), leaf("a"), leaf("b"), {"target": "", "job": {}},
        node("m", [leaf("x"), leaf("y"), leaf("a"), node("m2", [leaf("z")])])]}
    ex = crawl(tmp_path, "rules", tree, depth=2, max_runs=50, parallel=2,
               extra=["--job-id", "job-crawl"])
    assert ex.result.returncode == 0, ex.result.describe()
    s = summary_of(ex.result.stdout)
    assert s["lines"]["Child Runs"] == "6 total, 6 succeeded, 0 failed"
    assert s["lines"]["Enqueue Events"] == "10 received, 2 deduped, 2 skipped"
    assert set(s["lines"]) == {"Child Runs", "Enqueue Events"}  # no retry/resume lines

    # The summary follows the root's result block on stdout.
    out = ex.result.stdout
    assert out.index("=== Run Result ===") < out.index("=== Metrics ===") < out.index(
        "=== Fan-Out Summary ===")

    ds = ex.ds
    ds.validate()
    children = ds.run_ids() - {ex.run_id}
    assert children == {r["run_id"] for r in s["results"]}
    runs = {cid: ds.run(cid) for cid in children}
    by_node = {node_id_of(r): r for r in runs.values()}
    assert sorted(by_node) == ["a", "b", "m", "m2", "x", "y"], "each task ran exactly once"
    assert node_id_of(ds.run(ex.run_id)) == "root"

    results = {r["run_id"]: r for r in s["results"]}
    depth = {"a": 1, "b": 1, "m": 1, "x": 2, "y": 2, "m2": 2}
    parent = {"a": ex.run_id, "b": ex.run_id, "m": ex.run_id, "x": by_node["m"].run_id,
              "y": by_node["m"].run_id, "m2": by_node["m"].run_id}
    for name, run in by_node.items():
        assert UUID4.fullmatch(run.run_id), run.run_id
        assert results[run.run_id]["outcome"] == "success"
        assert results[run.run_id]["events"] == len(run.events)
        enq_run, enq_event, d = link_of(run)
        assert (enq_run, d) == (parent[name], depth[name]), name
        # The link names the very enqueue event stored in the enqueuing run.
        enqueues = ds.run(enq_run).of_type("enqueue")
        assert enq_event in {e["event_id"] for e in enqueues}, name
        for desc in run.descriptors():
            assert desc["enqueued_by_run_id"] == enq_run and desc["fanout_depth"] == d
            assert desc["enqueued_by_event_id"] == enq_event
            assert desc["attempt"] == 1 and "parent_run_id" not in desc
        for e in run.events:
            assert e["job_id"] == "job-crawl" and e["attempt"] == 1
            assert "parent_run_id" not in e.data
        assert run.metrics_record["outcome"] == "success"
        assert {r["day"] for r in run.records} <= set(ex.result.day_window)
    # The root carries no link; the report is the root's alone.
    assert "enqueued_by_run_id" not in ds.run(ex.run_id).metrics_record.data
    report = ex.report
    assert report["run_id"] == ex.run_id and report["outcome"] == "success"
    # One managed Chromium served the whole crawl (nodes with kids connect to it).
    launchers = browser_launchers(procs)
    assert len(launchers) == 1 and "--launch-browser" in launchers.pop(), launchers


def test_max_runs_cap_skips_the_rest(tmp_path):
    tree = {"id": "root", "kids": [leaf(f"l{i}") for i in range(5)] + [leaf("l0")]}
    ex = crawl(tmp_path, "cap", tree, depth=1, max_runs=3, parallel=3)
    assert ex.result.returncode == 0, ex.result.describe()
    s = summary_of(ex.result.stdout)
    assert s["lines"]["Child Runs"] == "3 total, 3 succeeded, 0 failed"
    # The repeat of an accepted task is deduplicated even after the cap was reached.
    assert s["lines"]["Enqueue Events"] == "6 received, 1 deduped, 2 skipped"
    names = sorted(node_id_of(ex.ds.run(r)) for r in ex.ds.run_ids() - {ex.run_id})
    assert names == ["l0", "l1", "l2"], "the first --max-runs tasks in FIFO order"


def test_policy_that_drops_enqueue_still_fans_out(tmp_path):
    # buffered with room for 2 events: the item and the first enqueue fill it, later enqueues are
    # dropped (buffer_full) and run_complete evicts the buffered enqueue: none is stored.
    tree = {"id": "root", "kids": [leaf("p"), leaf("q"), leaf("r")]}
    ex = crawl(tmp_path, "drops", tree, depth=1, max_runs=10,
               policy=("--policy", "buffered", "--buffer-events", "2"))
    assert ex.result.returncode == 0, ex.result.describe()
    root = ex.ds.run(ex.run_id)
    assert root.types() == ["item", "run_complete"]
    assert ex.report["policy"]["events_dropped"] == 3
    s = summary_of(ex.result.stdout)
    assert s["lines"]["Child Runs"] == "3 total, 3 succeeded, 0 failed"
    assert s["lines"]["Enqueue Events"] == "3 received, 0 deduped, 0 skipped"
    assert sorted(node_id_of(ex.ds.run(r)) for r in ex.ds.run_ids() - {ex.run_id}) == ["p", "q", "r"]
    for cid in ex.ds.run_ids() - {ex.run_id}:
        assert ex.ds.run(cid).metrics_record["policy"] == "buffered"  # children inherit it


def test_source_and_category_inherited_down_three_levels(tmp_path):
    tree = {"id": "root", "kids": [
        {"job": {"id": "A", "kids": [
            {"job": {"id": "B", "kids": [leaf("C")]}, "category": "cat-b"}]}, "source": "src-a"},
        leaf("A2")]}
    ex = crawl(tmp_path, "inherit", tree, depth=3, max_runs=10, parallel=2)
    assert ex.result.returncode == 0, ex.result.describe()
    ds = ex.ds
    ds.validate()
    got = {}
    for rid in ds.run_ids():
        run = ds.run(rid)
        parts = {(r["source"], r["category"]) for r in run.records}
        assert len(parts) == 1, parts
        got[node_id_of(run)] = parts.pop()
        for d in run.descriptors():
            assert (d["source"], d["category"]) == got[node_id_of(run)]
    assert got == {
        "root": ("example-runner", "examples"),
        "A": ("src-a", "examples"),        # its enqueue overrides source
        "B": ("src-a", "cat-b"),           # inherits A's override, overrides category
        "C": ("src-a", "cat-b"),           # the grandchild inherits its parent's values (D11.16)
        "A2": ("example-runner", "examples"),
    }
    assert summary_of(ex.result.stdout)["lines"]["Child Runs"] == "4 total, 4 succeeded, 0 failed"


def test_sigterm_with_children_running_leaves_no_process(tmp_path, procs):
    store = tmp_path / "cancel"
    store.mkdir()
    run_id = f"cancel-{qh.now_ms()}"
    tree = {"id": "root", "hold_ms": 60000,
            "kids": [leaf(f"s{i}", sleep_ms=60000) for i in range(4)]}
    args = qh.run_args(script=SCRIPT, run_id=run_id, store=store,
                       extra=["--job", json.dumps(tree), "--depth", "1", "--max-runs", "10",
                              "--parallel", "2"])
    proc = qh.start_quarry(args)
    try:
        qh.wait_for(lambda: sum(1 for r in journal_lines(store, run_id)
                                if r["kind"] == "start" and "key" in r) == 2,
                    timeout=60, what="two children started")
        time.sleep(1.0)  # both children are inside their 60 s prepare
        running = [p for p in qh.owned_processes(qh.current_tag())
                   if "fanout-tree.mjs" in p.cmdline and "--launch-browser" not in p.cmdline
                   and "chrom" not in p.cmdline and not p.cmdline.startswith(str(qh.QUARRY_BIN))]
        assert len(running) == 3, [p.cmdline for p in running]  # the root and two children
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    out, err = out.decode(), err.decode()
    assert time.monotonic() - started < 20, "cancellation must not wait for the children's sleep"
    assert proc.returncode == 2, err  # the root's outcome: canceled
    assert "run canceled: SIGTERM" in out
    s = summary_of(out)
    assert s["lines"]["Child Runs"] == "2 total, 0 succeeded, 2 failed"
    assert all(r["outcome"] == "executor_crash" for r in s["results"])
    ends = [r for r in journal_lines(store, run_id) if r["kind"] == "end"]
    assert len(ends) == 3 and all(r.get("canceled") for r in ends), ends
    # Nothing of the crawl survives: the procs fixture fails the test otherwise; check now too.
    assert qh.wait_for_no_processes(qh.current_tag(), procs, grace=5.0) == []
    assert any("--launch-browser" in c for c in browser_launchers(procs)), "no managed browser"


def test_validation_of_the_fanout_flags(tmp_path):
    store = tmp_path / "v"
    store.mkdir()

    def run(*extra):
        return qh.run_quarry(qh.run_args(script=SCRIPT, run_id=f"v-{qh.now_ms()}", store=store,
                                         extra=list(extra)), timeout=60)

    for extra, message in [
        (["--depth", "1"], "--max-runs must be > 0 when --depth > 0"),
        (["--depth", "-1"], "--depth must be >= 0 (got -1)"),
        (["--max-runs", "-3"], "--max-runs must be >= 0 (got -3)"),
        (["--depth", "1", "--max-runs", "1", "--parallel", "0"], "--parallel must be >= 1 (got 0)"),
        (["--depth", "1", "--max-runs", "1", "--child-retries", "-1"],
         "--child-retries must be >= 0 (got -1)"),
        (["--resume"], "--resume continues a fan-out crawl: it needs --depth > 0"),
        (["--depth", "x"], "--depth"),
    ]:
        r = run(*extra)
        assert r.returncode == 2, r.describe()
        lines = r.stderr_lines()
        assert len(lines) == 1 and message in lines[0], (extra, lines)
    assert not (store / "datasets").exists(), "a pre-run error writes nothing"

    # --parallel without --depth: a warning, and a plain run (prepare skip: no browser).
    r = run("--parallel", "4", "--max-runs", "5", "--job", json.dumps({"id": "solo"}))
    assert r.returncode == 0, r.describe()
    assert "Warning: --parallel has no effect without --depth" in r.stderr
    assert "Fan-Out Summary" not in r.stdout


# ---------------------------------------------------------------------------------------------
# --child-retries


def test_child_retries_with_lineage(tmp_path):
    flaky, broken = tmp_path / "flaky.count", tmp_path / "broken.count"
    tree = {"id": "root", "kids": [
        leaf("flaky", fail_file=str(flaky), fail_times=2),
        leaf("broken", fail_file=str(broken), fail_times=99),
        leaf("fine")]}
    ex = crawl(tmp_path, "retries", tree, depth=1, max_runs=10, parallel=2,
               extra=["--child-retries", "2"], env={"QUARRY_CHILD_RETRY_BASE_MS": "50"})
    assert ex.result.returncode == 0, ex.result.describe()  # the root's outcome only
    assert flaky.read_text() == "3" and broken.read_text() == "3"
    s = summary_of(ex.result.stdout)
    assert s["lines"]["Child Runs"] == "7 total, 2 succeeded, 5 failed"
    assert s["lines"]["Child Retries"] == "4 retries, 1 tasks failed on every attempt"
    assert s["lines"]["Enqueue Events"] == "3 received, 0 deduped, 0 skipped"

    ds = ex.ds
    ds.validate()
    results = {r["run_id"]: r for r in s["results"]}
    children = ds.run_ids() - {ex.run_id}
    assert children == set(results), "every attempt is its own run in the dataset"
    attempts = {}  # task (enqueue event id) -> runs
    for cid in children:
        run = ds.run(cid)
        attempts.setdefault(link_of(run), []).append(run)
    assert sorted(len(v) for v in attempts.values()) == [1, 3, 3]
    for link, runs in attempts.items():
        assert link[0] == ex.run_id and link[2] == 1  # every attempt keeps the task's link
        by_attempt = {}
        for run in runs:
            d = run.descriptors()[0]
            by_attempt[d["attempt"]] = (run, d)
        assert sorted(by_attempt) == list(range(1, len(runs) + 1))
        assert "parent_run_id" not in by_attempt[1][1]
        for n in range(2, len(runs) + 1):
            run, d = by_attempt[n]
            prev = by_attempt[n - 1][0]
            assert d["parent_run_id"] == prev.run_id
            assert prev.metrics_record["outcome"] == "executor_crash"
            assert results[run.run_id]["rest"] == f", attempt={n}, parent_run_id={prev.run_id}"
    outcomes = sorted(ds.run(cid).metrics_record["outcome"] for cid in children)
    assert outcomes == ["executor_crash"] * 5 + ["success"] * 2


# ---------------------------------------------------------------------------------------------
# --resume


def test_resume_refusals_and_a_finished_crawl(tmp_path):
    tree = {"id": "root", "kids": [leaf("only")]}
    ex = crawl(tmp_path, "again", tree, depth=1, max_runs=5)
    assert ex.result.returncode == 0, ex.result.describe()
    store, run_id = ex.store, ex.run_id

    # The same root run id again without --resume: refused before anything runs.
    again = crawl(tmp_path, "again", tree, depth=1, max_runs=5, run_id=run_id, store=store)
    assert again.result.returncode == 2
    assert again.result.stderr_lines() == [
        f'Error: a fan-out crawl with root run id "{run_id}" already ran in dataset "quarry": '
        "pass --resume to continue it, or use another --run-id"]
    # A resume must ask for the same crawl.
    other = crawl(tmp_path, "again", tree, depth=2, max_runs=5, run_id=run_id, store=store,
                  extra=["--resume"])
    assert other.result.returncode == 2
    assert ("--resume: --depth differs from the crawl being resumed (it had 1, this invocation "
            "has 2)") in other.result.stderr
    before = ex.ds.run_ids()

    # Resuming a finished crawl runs nothing and reports what it was.
    done = crawl(tmp_path, "again", tree, depth=1, max_runs=5, run_id=run_id, store=store,
                 extra=["--resume"])
    assert done.result.returncode == 0, done.result.describe()
    assert "the root run ended in an earlier invocation of this crawl" in done.result.stdout
    assert "Warning: no report written" in done.result.stderr
    s = summary_of(done.result.stdout)
    assert s["lines"]["Child Runs"] == "1 total, 1 succeeded, 0 failed"
    assert s["results"][0]["rest"] == ", earlier invocation"
    assert s["lines"]["Resumed"].startswith("1 child runs ended in earlier invocations")
    assert qh.LodeDataset(store).run_ids() == before


class CrashedDataset(qh.LodeDataset):
    """A dataset whose writer was SIGKILLed: a snapshot directory without its manifest is a put
    that never finished (no pointer names it), not a snapshot."""

    def manifests(self):
        if self._manifests is None:
            seg = self.root / "segments"
            self._manifests = {}
            for d in sorted(seg.iterdir()) if seg.is_dir() else []:
                if (d / "manifest.json").exists():
                    raw = (d / "manifest.json").read_bytes()
                    self._manifests[d.name] = qh.Manifest(d.name, raw, json.loads(raw))
        return self._manifests


def _kill_when(proc, store, run_id, predicate, what):
    try:
        qh.wait_for(lambda: predicate(journal_lines(store, run_id)) or proc.poll() is not None,
                    timeout=90, what=what)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.communicate()
    # The orphan guard takes the executors and the managed browser down with quarry.
    assert qh.wait_for_no_processes(qh.current_tag(), grace=10.0) == []


def _ends(lines):
    return sum(1 for r in lines if r["kind"] == "end" and "key" in r and not r.get("canceled"))


def _running(lines, since):
    """Child attempts started by the current invocation (journal lines from `since` on) that have
    not ended: a kill now interrupts them."""
    ended = {r["run_id"] for r in lines if r["kind"] == "end"}
    return [r for r in lines[since:]
            if r["kind"] == "start" and "key" in r and r["run_id"] not in ended]


def test_resume_after_sigkill_at_several_moments(tmp_path):
    store = tmp_path / "resume"
    store.mkdir()
    run_id = f"resume-{qh.now_ms()}"
    leaves = [leaf(f"l{i}", sleep_ms=600) for i in range(8)]
    deep = node("m", [leaf(f"m{i}", sleep_ms=600) for i in range(4)] + [leaf("l0", sleep_ms=600)])
    tree = {"id": "root", "hold_ms": 2500, "kids": leaves[:4] + [deep] + leaves[4:] + [leaves[1]]}
    args = qh.run_args(script=SCRIPT, run_id=run_id, store=store,
                       extra=["--job", json.dumps(tree), "--depth", "2", "--max-runs", "50",
                              "--parallel", "2"])
    resume_args = args + ["--resume"]

    # 1: while the root still runs (it holds 2.5 s after enqueueing), children have started.
    proc = qh.start_quarry(args)
    _kill_when(proc, store, run_id,
               lambda ls: any(r["kind"] == "start" and "key" in r for r in ls),
               "the first child start")
    assert not any(r["kind"] == "end" and r.get("root") for r in journal_lines(store, run_id))
    # 2: mid-crawl, a few children done.
    since = len(journal_lines(store, run_id))
    proc = qh.start_quarry(resume_args)
    _kill_when(proc, store, run_id, lambda ls: _ends(ls) >= 3 and _running(ls, since),
               "three children ended, one running")
    # 3: later, most children done.
    since = len(journal_lines(store, run_id))
    proc = qh.start_quarry(resume_args)
    _kill_when(proc, store, run_id, lambda ls: _ends(ls) >= 8 and _running(ls, since),
               "eight children ended, one running")
    # Then resume until the crawl completes.
    for _ in range(3):
        final = qh.run_quarry(resume_args, timeout=120)
        if final.returncode == 0 and "Resumed:" in final.stdout:
            break
    assert final.returncode == 0, final.describe()

    lines = journal_lines(store, run_id)
    tasks = {r["key"]: r for r in lines if r["kind"] == "task"}
    names = sorted(t["params"]["id"] for t in tasks.values())
    expected = sorted([f"l{i}" for i in range(8)] + [f"m{i}" for i in range(4)] + ["m"])
    assert names == expected, "dedup held across invocations: every task recorded once"

    # Per task: exactly one success, nothing started after it, every rerun with lineage.
    starts, ends = {}, {}
    for i, r in enumerate(lines):
        if r["kind"] == "start" and "key" in r:
            starts.setdefault(r["key"], []).append((i, r))
        if r["kind"] == "end" and "key" in r:
            ends[r["run_id"]] = r
    for key, task in tasks.items():
        runs = starts[key]
        successes = [(i, r) for i, r in runs if ends.get(r["run_id"], {}).get("outcome") == "success"]
        assert len(successes) == 1, (task["params"]["id"], runs)
        assert successes[0] == runs[-1], "a finished child never ran again"
        for n, (_, r) in enumerate(runs, start=1):
            assert r["attempt"] == n
            if n > 1:
                prev = runs[n - 2][1]
                assert r["parent_run_id"] == prev["run_id"]
                # Only an interrupted (or canceled) attempt is run again: no retries configured.
                assert prev["run_id"] not in ends or ends[prev["run_id"]].get("canceled")

    assert any(len(runs) > 1 for runs in starts.values()), "some child was interrupted and rerun"

    # The root: interrupted once, then run again as attempt 2 with lineage; ended exactly once.
    root_starts = [r for r in lines if r["kind"] == "start" and r.get("root")]
    root_ends = [r for r in lines if r["kind"] == "end" and r.get("root")]
    assert len(root_ends) == 1 and root_ends[0]["outcome"] == "success"
    assert root_starts[0]["run_id"] == run_id and root_starts[0]["attempt"] == 1
    for n in range(1, len(root_starts)):
        assert root_starts[n]["attempt"] == n + 1
        assert root_starts[n]["parent_run_id"] == root_starts[n - 1]["run_id"]
    assert root_ends[0]["run_id"] == root_starts[-1]["run_id"]

    # The dataset agrees: each task has exactly one successful run (the journal's), unless a kill
    # landed after a child stored its outcome and before the journal recorded it, in which case
    # the extra success is an attempt the journal shows as never ended.
    ds = CrashedDataset(store)
    # One chain from the pointer, every record readable. A writer killed between its canonical
    # manifest and the partition copies (storage §4.6 step 5) leaves that snapshot without some
    # copies: at most one commit is in flight per process, so at most one per kill.
    chain = ds.chain()
    assert {m.snapshot_id for m in chain} == set(ds.manifests())
    incomplete = [m.snapshot_id for m in chain for path in m.file_paths
                  if not (store / Path(path).parent.parent / "manifest.json").exists()]
    assert len(set(incomplete)) <= 3, incomplete
    assert ds.records()
    success_runs = {}
    recorded = {r["run_id"] for _, r in sum(starts.values(), [])}
    for rid in ds.run_ids():
        run = ds.run(rid)
        if rid in recorded and run.metrics and run.metrics[0]["outcome"] == "success":
            success_runs.setdefault(node_id_of(run), []).append(rid)
    assert sorted(success_runs) == expected
    for name, rids in success_runs.items():
        journaled = [rid for rid in rids if ends.get(rid, {}).get("outcome") == "success"]
        assert len(journaled) == 1, (name, rids)
        assert all(rid in journaled or rid not in ends for rid in rids), (name, rids)
    # Every child run in the dataset was started through the journal.
    child_runs = ds.run_ids() - {r["run_id"] for r in root_starts}
    assert child_runs <= recorded
