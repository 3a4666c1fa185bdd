#!/usr/bin/env python3
"""Fake executor: storage.put of "x.meta.json", then "x", then "y" (whose companion path the test
has blocked), then "z"; each ack's ok flag goes to stderr as "ACK <name> ok|error <text>"."""
import sys

from frames import Fake

f = Fake(echo_request=False)
for i, name in enumerate(["x.meta.json", "x", "y", "z"], start=1):
    f.file_write(i, name, "text/csv", f"data of {name}".encode())
    ack = f.read_frame() or b""
    ok = b"\xa2ok\xc3" in ack
    err = ""
    if b"\xa5error" in ack:
        rest = ack.split(b"\xa5error", 1)[1]
        skip = 1 if 0xA0 <= rest[0] <= 0xBF else 2 if rest[0] == 0xD9 else 3
        err = rest[skip:].decode("utf-8", "replace")
    print(f"ACK {name} {'ok' if ok else 'error'} {err}", file=sys.stderr, flush=True)
f.item("fake", {"n": 1})
f.complete({"items": 1})
f.run_result("completed", "run completed")
f.finish(0)
