#!/usr/bin/env python3
"""Fake executor: one item, then a length prefix of 16,777,213 (one above the limit); no payload follows."""
from frames import Fake

f = Fake()
f.item("fake", {"n": 1})
f.write_raw((16_777_213).to_bytes(4, "big"))
f.hang()
