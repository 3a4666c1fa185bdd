#!/usr/bin/env python3
"""Fake executor: one item, then keeps stdout open until the runtime kills it (cancel/timeout)."""
from frames import Fake

f = Fake()
f.item("fake", {"n": 1})
f.hang(120)
