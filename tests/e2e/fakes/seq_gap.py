#!/usr/bin/env python3
"""Fake executor: item seq 1, then item seq 3."""
from frames import Fake

f = Fake()
f.item("fake", {"n": 1})
f.item("fake", {"n": 3}, seq=3)
f.hang()
