#!/usr/bin/env python3
"""Fake executor: item, an event of an unknown type, run_complete, run_result, exit 0."""
from frames import Fake

f = Fake()
f.item("fake", {"n": 1})
f.event("quarry_test_marker", {"marker": "m-1", "count": 7})
f.complete()
f.run_result()
f.finish(0)
