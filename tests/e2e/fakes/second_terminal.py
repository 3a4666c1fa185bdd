#!/usr/bin/env python3
"""Fake executor: item, run_complete, a second run_complete (seq-correct), run_result, exit 0."""
from frames import Fake

f = Fake()
f.item("fake", {"n": 1})
f.complete({"which": "first"})
f.complete({"which": "second"})
f.run_result()
f.finish(0)
