#!/usr/bin/env python3
"""Fake executor: item seq 1, then a frame whose payload is a msgpack array, not a map."""
from frames import Fake

f = Fake()
f.item("fake", {"n": 1})
f.send(["item", 2, {"item_type": "fake"}])
f.hang()
