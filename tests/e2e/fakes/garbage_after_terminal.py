#!/usr/bin/env python3
"""Fake executor: item, run_complete, then an undecodable frame (still fatal after the terminal)."""
from frames import Fake

f = Fake()
from frames import frame
f.item("fake", {"n": 1})
f.complete()
f.write_raw(frame(b"\xc1"))
f.hang()
