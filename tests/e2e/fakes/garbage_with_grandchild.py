#!/usr/bin/env python3
"""Fake executor: starts a long-lived grandchild in a session of its own (as Puppeteer does with
Chromium), logs its pid, writes item seq 1, then a frame that is not msgpack, and hangs."""
import subprocess

from frames import Fake, frame, log

f = Fake(echo_request=False)
child = subprocess.Popen(["sleep", "120"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
log(f"FAKE-GRANDCHILD: {child.pid}")
f.item("fake", {"n": 1})
f.write_raw(frame(b"\xc1\xc1\xc1\xc1"))
f.hang()
