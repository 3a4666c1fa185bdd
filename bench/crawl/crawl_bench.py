#!/usr/bin/env python3
"""Crawl and start-up benchmark for browser reuse (docs/benchmarks.md, "Crawling").

  crawl: a fan-out crawl of a local fixture site (root -> L listings -> L*D details, depth 2) with
         `--parallel P`, with browser reuse (the default) and with `--no-browser-reuse`, run
         alternately REPS times each. Reports wall time, pages/minute, Chromium processes launched
         (a wrapper around the chromium binary logs every launch) and the peak memory of every
         process the run started, detached browser server included (sum of PSS over a memory
         cgroup the run is placed in; host-wide fallback when cgroups are not writable).
  startup: a one-item script, spawn-to-first-emit (the script stamps Date.now() in the item), with
         and without reuse, alternately.

Every figure is reported with its ratio to the other mode measured in the same invocation.
Usage: crawl_bench.py QUARRY_BIN [crawl|startup|all]  (env: REPS, PARALLEL, LISTINGS, DETAILS,
STARTUP_REPS)"""
import concurrent.futures
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


def cgroup_root():
    """A writable memory cgroup to put runs in (v2 unified or v1 memory controller), or None."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        hid, ctrl, path = line.split(":", 2)
        if ctrl == "" and Path("/sys/fs/cgroup/cgroup.controllers").exists():
            base = Path("/sys/fs/cgroup") / path.lstrip("/")
        elif "memory" in ctrl.split(","):
            base = Path("/sys/fs/cgroup/memory") / path.lstrip("/")
        else:
            continue
        probe = base / f"quarry-bench-{os.getpid()}"
        try:
            probe.mkdir()
            return probe
        except OSError:
            continue
    return None


def pss_kb(pid):
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class Sampler(threading.Thread):
    """Peak of the summed PSS of the processes in `cg` (or of all chromium/node/quarry processes)."""

    def __init__(self, cg):
        super().__init__(daemon=True)
        self.cg, self.peak_kb, self.stop = cg, 0, threading.Event()

    def pids(self):
        if self.cg:
            try:
                return [int(p) for p in (self.cg / "cgroup.procs").read_text().split()]
            except OSError:
                return []
        out = []
        for d in Path("/proc").iterdir():
            if d.name.isdigit():
                try:
                    comm = (d / "comm").read_text().strip()
                except OSError:
                    continue
                if comm in ("quarry", "node", "chromium", "chrome") or comm.startswith("chrom"):
                    out.append(int(d.name))
        return out

    def run(self):
        while not self.stop.is_set():
            self.peak_kb = max(self.peak_kb, sum(pss_kb(p) for p in self.pids()))
            time.sleep(0.2)


def browser_servers():
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if b"--browser-server" in (d / "cmdline").read_bytes():
                    out.append(int(d.name))
            except OSError:
                pass
    return out


class Bench:
    def __init__(self, quarry):
        self.quarry = quarry
        self.tmp = Path(tempfile.mkdtemp(prefix="quarry-crawl-bench-"))
        self.site = self.tmp / "site"
        subprocess.run([sys.executable, str(HERE / "site.py"), str(self.site),
                        os.environ.get("LISTINGS", "10"), os.environ.get("DETAILS", "19")], check=True)
        self.http = subprocess.Popen([sys.executable, "-m", "http.server", "--bind", "127.0.0.1", "0",
                                      "-d", str(self.site)], stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True)
        line = self.http.stdout.readline()  # "Serving HTTP on 127.0.0.1 port N ..."
        self.base = "http://127.0.0.1:" + line.split(" port ")[1].split()[0]
        # Count Chromium launches: a wrapper that logs, then execs the real binary.
        real = os.environ.get("PUPPETEER_EXECUTABLE_PATH") or shutil.which("chromium")
        self.launch_log = self.tmp / "launches.log"
        wrapper = self.tmp / "chromium-wrapper"
        wrapper.write_text(f'#!/bin/sh\necho "$$" >> "{self.launch_log}"\nexec "{real}" "$@"\n')
        wrapper.chmod(0o755)
        self.env = dict(os.environ, PUPPETEER_EXECUTABLE_PATH=str(wrapper),
                        XDG_RUNTIME_DIR=str(self.tmp / "xdg"))
        (self.tmp / "xdg").mkdir(mode=0o700)
        self.cg = cgroup_root()

    def close(self):
        self.stop_servers()
        self.http.terminate()
        if self.cg:
            time.sleep(1)
            try:
                self.cg.rmdir()
            except OSError:
                pass
        shutil.rmtree(self.tmp, ignore_errors=True)

    def launches(self):
        return len(self.launch_log.read_text().splitlines()) if self.launch_log.exists() else 0

    def run(self, args, reuse, runs=None, parallel=1):
        """`quarry run` in the cgroup: once with `args`, or once per argument list of `runs`,
        `parallel` at a time. Returns (wall s, peak MB, chromium launches, last stdout, data dir,
        monotonic start)."""
        data = self.tmp / f"data-{uuid.uuid4().hex[:8]}"
        data.mkdir()
        cg = self.cg
        pre = (lambda: (cg / "cgroup.procs").write_text(str(os.getpid()))) if cg else None

        def one(a):
            cmd = [self.quarry, "run", "--source", "bench", "--storage-backend", "fs", "--storage-path",
                   str(data), "--run-id", str(uuid.uuid4())] + a + ([] if reuse else ["--no-browser-reuse"])
            p = subprocess.run(cmd, env=self.env, cwd=REPO, capture_output=True, text=True, preexec_fn=pre)
            if p.returncode != 0:
                sys.exit(f"run failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr[-2000:]}")
            return p.stdout

        before = self.launches()
        sampler = Sampler(cg)
        sampler.start()
        t0 = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(parallel) as pool:
            outs = list(pool.map(one, runs if runs is not None else [args]))
        wall = time.monotonic() - t0
        sampler.stop.set()
        sampler.join()
        return wall, sampler.peak_kb / 1024, self.launches() - before, outs[-1], data, t0

    def stop_servers(self):
        for pid in browser_servers():
            try:
                if (self.tmp / "xdg").as_posix().encode() in Path(f"/proc/{pid}/environ").read_bytes():
                    os.kill(pid, signal.SIGTERM)
            except OSError:
                pass
        time.sleep(1)


def first_emit_ms(data, run_t0_wall):
    for f in (p for p in data.rglob("data") if p.is_file()):
        for line in f.read_text().splitlines():
            rec = json.loads(line)
            if rec.get("type") == "item" and rec.get("payload", {}).get("item_type") == "ready":
                return rec["payload"]["data"]["t"] - run_t0_wall * 1000
    raise RuntimeError(f"no item in {data}")


def crawl(b):
    reps, parallel = int(os.environ.get("REPS", "2")), int(os.environ.get("PARALLEL", "4"))
    listings, details = int(os.environ.get("LISTINGS", "10")), int(os.environ.get("DETAILS", "19"))
    pages = 1 + listings * (1 + details)
    args = ["--script", "bench/crawl/root.mjs", "--job", json.dumps({"base": b.base}), "--depth", "2",
            "--max-runs", str(pages), "--parallel", str(parallel), "--policy", "strict"]
    # The same pages as independent runs, `parallel` at a time, each launching its own Chromium:
    # what a crawl cost before browser reuse and fan-out (one `quarry run` per page).
    separate = [["--script", "bench/crawl/root.mjs", "--job", json.dumps({"base": b.base})]]
    for i in range(listings):
        separate.append(["--script", "bench/crawl/listing.mjs",
                         "--job", json.dumps({"base": b.base, "page": f"listing-{i}.html"})])
        separate += [["--script", "bench/crawl/detail.mjs",
                      "--job", json.dumps({"base": b.base, "page": f"detail-{i}-{j}.html"})]
                     for j in range(details)]
    modes = {"reuse": "fan-out, reusable server (default)",
             "managed": "fan-out, --no-browser-reuse (managed browser)",
             "separate": f"{pages} separate runs, {parallel} at a time, own Chromium each"}
    rows = {m: [] for m in modes}
    order = list(modes)
    for i in range(reps):
        for m in (order if i % 2 == 0 else order[::-1]):
            b.stop_servers()  # a cold start each time: reuse pays for its own first launch
            if m == "separate":
                wall, peak, launched, out, _, _ = b.run(None, False, runs=separate, parallel=parallel)
            else:
                wall, peak, launched, out, _, _ = b.run(args, m == "reuse")
                if f"{pages - 1} total, {pages - 1} succeeded" not in out:
                    sys.exit("the crawl did not complete:\n" + out[-3000:])
            rows[m].append((wall, peak, launched))
            print(f"  {m:8s} wall {wall:6.1f} s  peak {peak:6.0f} MB  chromium launches {launched}",
                  file=sys.stderr)
    med = {m: [statistics.median(x[k] for x in v) for k in range(3)] for m, v in rows.items()}
    base = med["separate"]
    print(f"\nCrawl: {pages} pages (1 root + {pages - 1} children, depth 2), --parallel {parallel}, "
          f"median of {reps}; ratios against the separate runs measured in the same invocation")
    print("| mode | wall | pages/min | speed-up | Chromium launched | peak memory (PSS) | memory ratio |")
    print("|---|---|---|---|---|---|---|")
    for m, label in modes.items():
        w, peak, launched = med[m]
        print(f"| {label} | {w:.1f} s | {pages / w * 60:.0f} | {base[0] / w:.2f}× | {launched:.0f} | "
              f"{peak:.0f} MB | {peak / base[1]:.2f}× |")


def startup(b):
    reps = int(os.environ.get("STARTUP_REPS", "6"))
    res = {True: [], False: []}
    b.stop_servers()
    b.run(["--script", "bench/crawl/first-emit.mjs"], True)  # warm: the server exists, as between runs
    for i in range(reps):
        for reuse in ((True, False) if i % 2 == 0 else (False, True)):
            wall, _, _, _, data, t0 = b.run(["--script", "bench/crawl/first-emit.mjs"], reuse)
            # t0 is monotonic; the script stamps wall-clock ms: convert with the offset now.
            res[reuse].append((wall, data, t0))
    # Convert monotonic spawn times to wall clock (the offset is constant over the benchmark).
    offset = time.time() - time.monotonic()
    out = {}
    for reuse, v in res.items():
        firsts = [first_emit_ms(d, t0 + offset) for (_, d, t0) in v]
        out[reuse] = (statistics.median(firsts), statistics.median(w for (w, _, _) in v))
    on, off = out[True], out[False]
    print(f"\nStart-up: a one-item run, median of {reps} alternating runs each")
    print("| | reuse on (server warm) | --no-browser-reuse | off / on |")
    print("|---|---|---|---|")
    print(f"| spawn to first emit | {on[0]:.0f} ms | {off[0]:.0f} ms | {off[0] / on[0]:.2f}× |")
    print(f"| whole run (wall) | {on[1] * 1000:.0f} ms | {off[1] * 1000:.0f} ms | {off[1] / on[1]:.2f}× |")


def main():
    quarry = os.path.abspath(sys.argv[1])
    what = sys.argv[2] if len(sys.argv) > 2 else "all"
    b = Bench(quarry)
    try:
        print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; memory: "
              f"{'cgroup ' + str(b.cg) if b.cg else 'host-wide sampling'}", file=sys.stderr)
        if what in ("startup", "all"):
            startup(b)
        if what in ("crawl", "all"):
            crawl(b)
    finally:
        b.close()


if __name__ == "__main__":
    main()
