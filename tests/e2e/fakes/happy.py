#!/usr/bin/env python3
"""Fake executor: a well-behaved run: two items, run_complete, run_result, exit 0."""
from frames import Fake

f = Fake()
f.item("fake", {"n": 1})
f.item("fake", {"n": 2, "nested": {"ok": True, "ratio": 0.25, "tags": ["a", "b"]}})
f.complete({"items": 2})
f.run_result("completed", "run completed with summary")
f.finish(0)
