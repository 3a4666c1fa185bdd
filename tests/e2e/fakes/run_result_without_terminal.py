#!/usr/bin/env python3
"""Fake executor: one item and a `completed` run_result but no terminal event, exit 0 (D11.1)."""
from frames import Fake

f = Fake()
f.item("fake", {"n": 1})
f.run_result("completed", "run completed")
f.finish(0)
