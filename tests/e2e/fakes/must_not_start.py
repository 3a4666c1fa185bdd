#!/usr/bin/env python3
"""Fake executor that must never run: it creates the file named by QUARRY_E2E_MARKER as soon as
it starts, then behaves like `happy`. Tests of pre-start failures check the marker is absent."""
import os
from pathlib import Path

marker = os.environ.get("QUARRY_E2E_MARKER")
if marker:
    Path(marker).write_text("started\n")

from frames import Fake

f = Fake()
f.item("fake", {"n": 1})
f.complete()
f.run_result()
f.finish(0)
