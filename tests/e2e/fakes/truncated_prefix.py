#!/usr/bin/env python3
"""Fake executor: one item, then only 2 bytes of a length prefix, then EOF."""
from frames import Fake

f = Fake()
f.item("fake", {"n": 1})
f.write_raw(b"\x00\x00")
f.finish(0)
