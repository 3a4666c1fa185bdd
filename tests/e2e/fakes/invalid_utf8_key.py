#!/usr/bin/env python3
"""Fake executor: an item whose data has two keys that differ only in invalid UTF-8 bytes (stored
as "\\ufffd" they would be one key), then run_complete."""
from frames import Fake, RawStr

f = Fake(echo_request=False)
f.item("fake", {RawStr(b"a\xff"): 1, RawStr(b"a\xfe"): 2})
f.complete({"items": 1})
f.run_result("completed", "run completed")
f.finish(0)
