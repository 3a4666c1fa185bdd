#!/usr/bin/env python3
"""Whole-run comparison of two runtime binaries (docs/benchmarks.md, "Against a baseline").

Runs `quarry run --executor synthetic_executor ...` with our binary and with a baseline binary
(e.g. the previous release, built from a tag) alternately, on identical frames (the synthetic
executor is deterministic for a given event count and size), and a `cat` of the same frames into a
file on the same filesystem, all in one invocation so that machine load falls on all alike. Prints
medians and the ratios ours/baseline, ours/cat and baseline/cat; raw samples go to --out as JSON
lines. bench/run.sh --baseline PATH calls this after building.

Rows: POLICY:EVENTS[:flag=value,...], e.g. strict:2000 strict:2000:storage-sync=never
streaming:1000000:flush-count=1000. A flag the baseline binary does not know (`run --help`) is left
out of its command line (so `--storage-sync never` compares against the baseline's only mode).
--strace counts the fsync-family system calls of each binary's run once per strict row.
--disk-load runs a background writer (dd with fsync, 64 MiB at a time) beside every run.
"""

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

SYNC_CALLS = "fsync,fdatasync,syncfs,sync,sync_file_range,msync"


def parse_row(text):
    parts = text.split(":")
    if len(parts) < 2:
        raise SystemExit(f"bad row {text!r}: POLICY:EVENTS[:flag=value,...]")
    flags = []
    if len(parts) > 2 and parts[2]:
        for kv in parts[2].split(","):
            k, _, v = kv.partition("=")
            flags += [f"--{k}", v]
    return {"name": text, "policy": parts[0], "events": int(parts[1]), "flags": flags}


def known_flags(binary):
    out = subprocess.run([binary, "run", "--help"], capture_output=True, text=True).stdout
    return set(re.findall(r"(--[a-z][a-z0-9-]*)", out))


def strip_unknown(flags, known):
    out, i = [], 0
    while i < len(flags):
        if flags[i] in known:
            out += flags[i:i + 2]
        i += 2
    return out


def run_once(binary, row, args, work, flags, known, strace_out=None):
    store = tempfile.mkdtemp(prefix="quarry-cmp-", dir=work)
    script = os.path.join(store, "script.mjs")
    open(script, "w").close()
    rusage = os.path.join(store, "executor.rusage")
    env = dict(os.environ, QUARRY_SYNTH_EVENTS=str(row["events"]), QUARRY_SYNTH_BYTES=str(args.bytes),
               QUARRY_SYNTH_RUSAGE=rusage)
    cmd = [binary, "run", "--quiet", "--script", script, "--run-id", "bench-cli", "--source", "bench",
           "--executor", os.path.join(args.bench, "synthetic_executor"), "--storage-backend", "fs",
           "--storage-path", store, "--policy", row["policy"], *flags]
    if "--no-browser-reuse" in known:  # the synthetic executor needs no browser server
        cmd.append("--no-browser-reuse")
    if row["policy"] == "buffered" and "--buffer-bytes" not in flags:
        cmd += ["--buffer-bytes", "1099511627776"]
    if strace_out:
        cmd = ["strace", "-f", "-c", "-e", f"trace={SYNC_CALLS}", "-o", strace_out, *cmd]
    meter = [os.path.join(args.bench, "measure_run"), "--", *cmd]
    p = subprocess.run(meter, env=env, capture_output=True, text=True)
    m = json.loads(p.stderr.strip().splitlines()[-1])
    exec_cpu = float(open(rusage).read().split()[0]) if os.path.exists(rusage) else 0.0
    shutil.rmtree(store, ignore_errors=True)
    return {"exit": m["exit"], "wall_s": m["wall_s"], "cpu_s": m["cpu_s"] - exec_cpu,
            "peak_rss_mb": m["peak_rss_mb"]}


def cat_once(events, args, work):
    """The same frames moved by `cat` into a file on the store's filesystem."""
    d = tempfile.mkdtemp(prefix="quarry-cmp-cat-", dir=work)
    env = dict(os.environ, QUARRY_SYNTH_EVENTS=str(events), QUARRY_SYNTH_BYTES=str(args.bytes))
    request = '{"run_id":"bench-cli","attempt":1}\n'
    started = time.monotonic()
    gen = subprocess.Popen([os.path.join(args.bench, "synthetic_executor"), "x"], env=env,
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    with open(os.path.join(d, "frames"), "wb") as out:
        cat = subprocess.Popen(["cat"], stdin=gen.stdout, stdout=out)
        gen.stdout.close()
        gen.stdin.write(request.encode())
        gen.stdin.close()
        cat.wait()
        gen.wait()
    wall = time.monotonic() - started
    shutil.rmtree(d, ignore_errors=True)
    return wall


def strace_calls(path):
    total = 0
    for line in open(path):
        f = line.split()
        if len(f) >= 5 and f[-1] in SYNC_CALLS.split(","):
            total += int(f[3])  # % time, seconds, usecs/call, calls, [errors,] syscall
    return total


def disk_load(work):
    """A loop of 64 MiB writes with fsync beside the runs; returns the process to stop."""
    target = os.path.join(work, "disk-load")
    return subprocess.Popen(
        ["sh", "-c", f"while :; do dd if=/dev/zero of={target} bs=1M count=64 conv=fsync "
                     f"status=none; done"], start_new_session=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ours", required=True)
    ap.add_argument("--baseline", required=True)
    ap.add_argument("--bench", required=True, help="directory with synthetic_executor, measure_run")
    ap.add_argument("--bytes", type=int, default=200)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--work", default=tempfile.gettempdir(), help="stores are created here")
    ap.add_argument("--out", default=None, help="raw samples, one JSON line each")
    ap.add_argument("--strace", action="store_true")
    ap.add_argument("--disk-load", action="store_true")
    ap.add_argument("rows", nargs="*", default=[
        "strict:2000", "strict:2000:storage-sync=never", "strict:20000",
        "strict:20000:storage-sync=never", "buffered:200000",
        "streaming:1000000:flush-count=10000", "streaming:1000000:flush-count=1000"])
    args = ap.parse_args()
    rows = [parse_row(r) for r in args.rows]
    known = {"ours": known_flags(args.ours), "baseline": known_flags(args.baseline)}
    binaries = {"ours": args.ours, "baseline": args.baseline}
    raw = open(args.out, "w") if args.out else None
    load = disk_load(args.work) if args.disk_load else None
    samples = {}  # (row, who) -> [sample]
    cats = {}
    syscalls = {}
    try:
        print(f"load average {open('/proc/loadavg').read().split()[:3]}, reps {args.reps}"
              f"{', beside a disk-heavy job' if load else ''}", file=sys.stderr)
        for rep in range(args.reps):
            for row in rows:
                order = ["ours", "baseline"] if rep % 2 == 0 else ["baseline", "ours"]
                for who in order:
                    flags = strip_unknown(row["flags"], known[who])
                    s = run_once(binaries[who], row, args, args.work, flags, known[who])
                    s.update(row=row["name"], who=who, rep=rep, flags=flags)
                    samples.setdefault((row["name"], who), []).append(s)
                    if raw:
                        raw.write(json.dumps(s) + "\n")
                    print(f"  {row['name']} {who}: {s['wall_s']:.2f} s", file=sys.stderr)
                if row["events"] not in cats or len(cats[row["events"]]) <= rep:
                    cats.setdefault(row["events"], []).append(cat_once(row["events"], args, args.work))
        if args.strace:
            for row in rows:
                if row["policy"] != "strict":
                    continue
                for who in ("ours", "baseline"):
                    out = os.path.join(args.work, f"strace-{who}.txt")
                    run_once(binaries[who], row, args, args.work,
                             strip_unknown(row["flags"], known[who]), known[who], strace_out=out)
                    syscalls[(row["name"], who)] = strace_calls(out)
                    os.unlink(out)
    finally:
        if load:
            os.killpg(load.pid, signal.SIGTERM)
            load.wait()
            try:
                os.unlink(os.path.join(args.work, "disk-load"))
            except FileNotFoundError:
                pass

    med = statistics.median
    print()
    print("| run | events | ours wall s | baseline wall s | cat wall s | ours ÷ baseline | ours ÷ cat "
          "| baseline ÷ cat | ours CPU s / 1M | baseline CPU s / 1M | ours RSS MB | baseline RSS MB "
          "| sync calls / event ours | baseline | exits |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for row in rows:
        o, b = samples[(row["name"], "ours")], samples[(row["name"], "baseline")]
        ow, bw, cw = med(x["wall_s"] for x in o), med(x["wall_s"] for x in b), med(cats[row["events"]])
        per_m = row["events"] / 1e6
        oc, bc = med(x["cpu_s"] for x in o) / per_m, med(x["cpu_s"] for x in b) / per_m
        orss, brss = med(x["peak_rss_mb"] for x in o), med(x["peak_rss_mb"] for x in b)
        sc = lambda who: (f"{syscalls[(row['name'], who)] / row['events']:.2f}"
                          if (row["name"], who) in syscalls else "-")
        exits = ",".join(sorted({str(x["exit"]) for x in o + b}))
        print(f"| {row['name']} | {row['events']:,} | {ow:.2f} | {bw:.2f} | {cw:.3f} | {ow / bw:.2f} | "
              f"{ow / cw:.1f} | {bw / cw:.1f} | {oc:.2f} | {bc:.2f} | {orss:.1f} | {brss:.1f} | "
              f"{sc('ours')} | {sc('baseline')} | {exits} |")


if __name__ == "__main__":
    main()
