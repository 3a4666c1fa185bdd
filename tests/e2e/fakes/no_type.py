#!/usr/bin/env python3
"""Fake executor: item seq 1, then an envelope map without a type key."""
from frames import Fake

f = Fake()
f.item("fake", {"n": 1})
env = f.envelope("item", {"item_type": "fake", "data": {"n": 2}})
del env["type"]
f.send(env)
f.hang()
