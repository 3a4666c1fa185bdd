#!/usr/bin/env python3
"""Fake executor: item seq 1, then a frame whose payload is not msgpack (0xc1 is never used)."""
from frames import Fake

f = Fake()
from frames import frame
f.item("fake", {"n": 1})
f.write_raw(frame(b"\xc1\xc1\xc1\xc1"))
f.hang()
