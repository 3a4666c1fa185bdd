#!/usr/bin/env python3
"""Fake executor: a file_write before the terminal and one after it; logs both acks as hex on stderr."""
from frames import Fake

f = Fake()
from frames import log
f.item("fake", {"n": 1})
f.file_write(1, "before.json", "application/json", b"{}")
ack = f.read_frame()
log("FAKE-ACK-1: " + (ack.hex() if ack else "none"))
f.complete()
f.file_write(2, "late.txt", "text/plain", b"too late")
ack = f.read_frame()
log("FAKE-ACK-2: " + (ack.hex() if ack else "none"))
f.run_result()
f.finish(0)
