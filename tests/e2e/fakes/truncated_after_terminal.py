#!/usr/bin/env python3
"""Fake executor: item, run_complete, run_result, then a truncated frame and EOF (a normal end)."""
from frames import Fake

f = Fake()
f.item("fake", {"n": 1})
f.complete()
f.run_result()
f.write_raw((50).to_bytes(4, "big") + b"\x81")
f.finish(0)
