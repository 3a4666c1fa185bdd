#!/usr/bin/env python3
"""Fake executor for the event-sink tests: an item, an artifact (one chunk + commit), a sidecar
file (waits for its ack), a second item, run_complete, run_result, exit 0."""
from frames import Fake

f = Fake()
f.item("fake", {"n": 1, "price": 9.5, "tags": ["a", "b"]})
f.chunk("art-1", 1, b"hello", True)
f.event("artifact", {"artifact_id": "art-1", "name": "a.txt", "content_type": "text/plain",
                     "size_bytes": 5})
f.file_write(1, "side.txt", "text/plain", b"sidecar")
f.read_frame()  # the file_write ack
f.item("fake", {"n": 2})
f.complete({"items": 2})
f.run_result("completed", "run completed")
f.finish(0)
