#!/usr/bin/env python3
"""Fake executor: QUARRY_FAKE_ITEMS items (default 21) QUARRY_FAKE_GAP_MS apart (default 50),
run_complete, run_result, exit 0: a run whose length the script, not the runtime, sets."""
import os
import time

from frames import Fake

f = Fake(echo_request=False)
n = int(os.environ.get("QUARRY_FAKE_ITEMS", "21"))
gap = int(os.environ.get("QUARRY_FAKE_GAP_MS", "50")) / 1000
for i in range(1, n + 1):
    time.sleep(gap)
    f.item("fake", {"n": i})
f.complete({"items": n})
f.run_result("completed", "run completed")
f.finish(0)
