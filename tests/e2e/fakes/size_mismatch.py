#!/usr/bin/env python3
"""Fake executor: item, chunk 1/1 of 3 bytes, then an artifact commit declaring 5 bytes."""
from frames import Fake

f = Fake()
f.item("fake", {"n": 1})
f.chunk("art-1", 1, b"abc", True)
f.event("artifact", {"artifact_id": "art-1", "name": "a.bin", "content_type": "application/octet-stream", "size_bytes": 5})
f.hang()
