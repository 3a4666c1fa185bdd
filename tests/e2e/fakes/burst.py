#!/usr/bin/env python3
"""Fake executor: QUARRY_FAKE_ITEMS items (default 6), run_complete, run_result, exit 0.

With QUARRY_FAKE_FILES=N it first writes N sidecar files (file-1.txt …), each after the ack of
the one before.

With QUARRY_FAKE_START_AT (Unix seconds, float) it waits for that instant before the first frame,
so that many runs started one after another write to their dataset at the same moment.
"""
import os
import time

from frames import Fake

f = Fake(echo_request=False)
start_at = float(os.environ.get("QUARRY_FAKE_START_AT", "0"))
if start_at > time.time():
    time.sleep(start_at - time.time())
for i in range(1, int(os.environ.get("QUARRY_FAKE_FILES", "0")) + 1):
    f.file_write(i, f"file-{i}.txt", "text/plain", f"sidecar {i}".encode())
    f.read_frame()
n = int(os.environ.get("QUARRY_FAKE_ITEMS", "6"))
for i in range(1, n + 1):
    f.item("fake", {"n": i, "run": f.run_id})
f.complete({"items": n})
f.run_result("completed", "run completed")
f.finish(0)
