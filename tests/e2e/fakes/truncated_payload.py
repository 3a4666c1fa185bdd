#!/usr/bin/env python3
"""Fake executor: one item, then a frame whose payload stops after 10 of 100 bytes, then EOF."""
from frames import Fake

f = Fake()
f.item("fake", {"n": 1})
f.write_raw((100).to_bytes(4, "big") + b"\x85" + b"\x00" * 9)
f.finish(0)
