#!/usr/bin/env python3
"""Fake executor: item seq 1 (0.13.4), then item seq 2 with contract_version 0.14.0."""
from frames import Fake

f = Fake()
f.item("fake", {"n": 1})
f.item("fake", {"n": 2}, version="0.14.0")
f.hang()
