#!/usr/bin/env python3
"""Fake executor: writes 1.5 MiB to stderr before the first frame, then a normal run."""
from frames import Fake

f = Fake(echo_request=False)
import sys
TOTAL = 3 * 512 * 1024  # 1.5 MiB
head = b"STDERR-HEAD-MARKER\n"
tail = b"STDERR-TAIL-MARKER\n"
line = b"x" * 1023 + b"\n"
body_len = TOTAL - len(head) - len(tail)
body = b"y" * (body_len % len(line)) + line * (body_len // len(line))
sys.stderr.buffer.write(head + body + tail)
sys.stderr.buffer.flush()
f.item("fake", {"n": 1, "stderr_bytes": TOTAL})
f.complete()
f.run_result()
f.finish(0)
