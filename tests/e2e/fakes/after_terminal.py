#!/usr/bin/env python3
"""Fake executor: item, run_complete, then an item, a log and a chunk after the terminal, run_result, exit 0."""
from frames import Fake

f = Fake()
f.item("fake", {"n": 1})
f.complete()
f.item("fake", {"n": 3, "late": True})
f.event("log", {"level": "info", "message": "late log"})
f.chunk("late-artifact", 1, b"late", True)
f.run_result()
f.finish(0)
