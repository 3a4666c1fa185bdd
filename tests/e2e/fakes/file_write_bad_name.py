#!/usr/bin/env python3
"""Fake executor: item, then a file_write with filename ../x (must be fatal)."""
from frames import Fake

f = Fake()
f.item("fake", {"n": 1})
f.file_write(1, "../x", "text/plain", b"escape")
f.hang()
