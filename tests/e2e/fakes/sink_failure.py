#!/usr/bin/env python3
"""Fake executor for the sink-counter tests: QUARRY_FAKE_ITEMS items (default 8) and run_complete.
At QUARRY_FAKE_BREAK_AT ("first", "middle" or "flush") it makes the Redis at QUARRY_FAKE_REDIS_PORT
refuse writes (CONFIG SET maxmemory 1: XADD then fails with OOM) while the server stays up.
"middle" and "flush" first wait for a sidecar ack: frames are ingested in order, so under strict
every earlier event has then been written."""
import os
import socket

from frames import Fake

f = Fake(echo_request=False)
n = int(os.environ.get("QUARRY_FAKE_ITEMS", "8"))
at = os.environ.get("QUARRY_FAKE_BREAK_AT", "first")
port = int(os.environ["QUARRY_FAKE_REDIS_PORT"])
write_id = 0


def break_redis():
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"*4\r\n$6\r\nCONFIG\r\n$3\r\nSET\r\n$9\r\nmaxmemory\r\n$1\r\n1\r\n")
        assert s.recv(64).startswith(b"+OK"), "CONFIG SET failed"


def barrier():
    global write_id
    write_id += 1
    f.file_write(write_id, f"barrier-{write_id}.txt", "text/plain", b"x")
    f.read_frame()


if at == "first":
    break_redis()
for i in range(1, n + 1):
    if at == "middle" and i == n // 2 + 1:
        barrier()
        break_redis()
    f.item("fake", {"n": i})
f.complete({"items": n})
if at == "flush":
    barrier()  # after the terminal: acked "run already terminated", still in order
    break_redis()
f.run_result("completed", "run completed")
f.finish(0)
