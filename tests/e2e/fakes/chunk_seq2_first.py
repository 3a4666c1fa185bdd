#!/usr/bin/env python3
"""Fake executor: item, then an artifact chunk whose seq is 2 although no chunk 1 was sent."""
from frames import Fake

f = Fake()
f.item("fake", {"n": 1})
f.chunk("art-x", 2, b"abc", False)
f.hang()
