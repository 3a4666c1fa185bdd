#!/usr/bin/env python3
"""Fake executor: replays tests/fixtures/ipc/full_run.bin verbatim (a stream captured from the real
executor, run_id "run-001", attempt 1), then exits 0. Used with `--run-id run-001`."""
import os
import sys
from pathlib import Path

from frames import read_request_line

read_request_line()
stream = (Path(__file__).resolve().parents[2] / "fixtures" / "ipc" / "full_run.bin").read_bytes()
sys.stdout.buffer.write(stream)
sys.stdout.buffer.flush()
sys.stdout.close()
os._exit(0)
