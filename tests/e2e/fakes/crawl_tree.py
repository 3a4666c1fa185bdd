#!/usr/bin/env python3
"""Fake executor for large crawl tests (no browser): a run with job {"n": N, "kind": K} emits one
`page` item and then, for kind "root", QUARRY_FAKE_LISTINGS enqueues of listings (default 100);
for kind "listing", QUARRY_FAKE_DETAILS enqueues of details (default 99); details enqueue nothing.
Every enqueue targets the script the run was started with (the fake ignores it), so 100 listings of 99
details make a crawl of exactly 10,000 children.
"""
import os
import sys

from frames import Fake

f = Fake(echo_request=False)
job = f.request.get("job") or {}
kind = job.get("kind", "root")
n = int(job.get("n", 0))
f.item("page", {"n": n, "kind": kind})
script = sys.argv[1] if len(sys.argv) > 1 else ""  # the runtime runs <executor> <script>
if kind == "root":
    for i in range(int(os.environ.get("QUARRY_FAKE_LISTINGS", "100"))):
        f.event("enqueue", {"target": script, "params": {"kind": "listing", "n": i + 1}})
elif kind == "listing":
    details = int(os.environ.get("QUARRY_FAKE_DETAILS", "99"))
    for i in range(details):
        f.event("enqueue", {"target": script, "params": {"kind": "detail", "n": n * 1000 + i}})
f.complete()
f.run_result("completed", "run completed")
f.finish(0)
