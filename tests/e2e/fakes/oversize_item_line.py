#!/usr/bin/env python3
"""Fake executor: item seq 1, then an item whose stored JSONL line would exceed 10 MiB (the frame
itself is legal, ~10.5 MiB), then run_complete and run_result, exit 0."""
from frames import Fake

f = Fake()
f.item("fake", {"n": 1})
f.item("huge", {"blob": "a" * (10 * 1024 * 1024 + 512 * 1024)})
f.complete()
f.run_result()
f.finish(0)
