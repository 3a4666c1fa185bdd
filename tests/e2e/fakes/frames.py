"""Hand-written msgpack encoder and frame helpers for the fake executors.

The fakes speak the executor side of the wire protocol (executor-contract §3–§9) without any
third-party package: each frame is a 4-byte big-endian payload length followed by one msgpack
map. Only what the fakes need is implemented: nil, bool, int, float64, str, bin, array, map.
"""

from __future__ import annotations

import datetime
import json
import os
import select
import struct
import sys
import time
import uuid

CONTRACT_VERSION = "0.13.4"
MAX_PAYLOAD_SIZE = 16_777_212


class RawStr(bytes):
    """Bytes sent as a msgpack str as they are (e.g. invalid UTF-8 that a foreign executor sends)."""


def pack(value) -> bytes:
    """Encodes one value as msgpack using the smallest form for ints, strs, bins and containers."""
    if isinstance(value, RawStr):
        return b"\xd9" + bytes([len(value)]) + bytes(value)
    if value is None:
        return b"\xc0"
    if value is True:
        return b"\xc3"
    if value is False:
        return b"\xc2"
    if isinstance(value, int):
        return _pack_int(value)
    if isinstance(value, float):
        return b"\xcb" + struct.pack(">d", value)
    if isinstance(value, str):
        raw = value.encode("utf-8")
        n = len(raw)
        if n < 32:
            return bytes([0xA0 | n]) + raw
        if n < 0x100:
            return b"\xd9" + bytes([n]) + raw
        if n < 0x10000:
            return b"\xda" + struct.pack(">H", n) + raw
        return b"\xdb" + struct.pack(">I", n) + raw
    if isinstance(value, (bytes, bytearray)):
        n = len(value)
        if n < 0x100:
            return b"\xc4" + bytes([n]) + bytes(value)
        if n < 0x10000:
            return b"\xc5" + struct.pack(">H", n) + bytes(value)
        return b"\xc6" + struct.pack(">I", n) + bytes(value)
    if isinstance(value, (list, tuple)):
        n = len(value)
        if n < 16:
            head = bytes([0x90 | n])
        elif n < 0x10000:
            head = b"\xdc" + struct.pack(">H", n)
        else:
            head = b"\xdd" + struct.pack(">I", n)
        return head + b"".join(pack(v) for v in value)
    if isinstance(value, dict):
        n = len(value)
        if n < 16:
            head = bytes([0x80 | n])
        elif n < 0x10000:
            head = b"\xde" + struct.pack(">H", n)
        else:
            head = b"\xdf" + struct.pack(">I", n)
        return head + b"".join(pack(k) + pack(v) for k, v in value.items())
    raise TypeError(f"cannot encode {type(value).__name__}")


def _pack_int(v: int) -> bytes:
    if 0 <= v < 0x80:
        return bytes([v])
    if -32 <= v < 0:
        return struct.pack(">b", v)
    if v >= 0:
        if v < 0x100:
            return b"\xcc" + struct.pack(">B", v)
        if v < 0x10000:
            return b"\xcd" + struct.pack(">H", v)
        if v < 0x100000000:
            return b"\xce" + struct.pack(">I", v)
        return b"\xcf" + struct.pack(">Q", v)
    if v >= -0x80:
        return b"\xd0" + struct.pack(">b", v)
    if v >= -0x8000:
        return b"\xd1" + struct.pack(">h", v)
    if v >= -0x80000000:
        return b"\xd2" + struct.pack(">i", v)
    return b"\xd3" + struct.pack(">q", v)


def frame(payload: bytes) -> bytes:
    """Prefixes raw payload bytes with their big-endian uint32 length."""
    return struct.pack(">I", len(payload)) + payload


def now_ts() -> str:
    t = datetime.datetime.now(datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


class Fake:
    """One fake executor run: reads the run request, then writes frames on stdout."""

    def __init__(self, echo_request: bool = True):
        self.out = sys.stdout.buffer
        self.request_line = read_request_line()
        self.request = json.loads(self.request_line)
        self.run_id = self.request["run_id"]
        self.attempt = self.request["attempt"]
        self.seq = 0
        # Echoed so that tests can check the run request the runtime wrote (executor-contract §7).
        if echo_request:
            log("FAKE-REQUEST: " + self.request_line.decode("utf-8", "replace"))

    def envelope(self, type_, payload, *, seq=None, version=CONTRACT_VERSION, **overrides) -> dict:
        if seq is None:
            self.seq += 1
            seq = self.seq
        env = {
            "contract_version": version,
            "event_id": str(uuid.uuid4()),
            "run_id": self.run_id,
            "type": type_,
            "ts": now_ts(),
            "payload": payload,
            "attempt": self.attempt,
        }
        for key in ("job_id", "parent_run_id"):
            if self.request.get(key):
                env[key] = self.request[key]
        env["seq"] = seq
        env.update(overrides)
        return env

    def write_raw(self, data: bytes) -> None:
        self.out.write(data)
        self.out.flush()

    def send(self, value) -> None:
        self.write_raw(frame(pack(value)))

    def event(self, type_, payload, **kw) -> dict:
        env = self.envelope(type_, payload, **kw)
        self.send(env)
        return env

    def item(self, item_type: str, data: dict, **kw) -> dict:
        return self.event("item", {"item_type": item_type, "data": data}, **kw)

    def complete(self, summary=None) -> dict:
        return self.event("run_complete", {} if summary is None else {"summary": summary})

    def run_result(self, status="completed", message="run completed", **extra) -> None:
        outcome = {"status": status, "message": message}
        outcome.update(extra)
        self.send({"type": "run_result", "outcome": outcome})

    def chunk(self, artifact_id: str, seq: int, data: bytes, is_last: bool) -> None:
        self.send({"type": "artifact_chunk", "artifact_id": artifact_id, "seq": seq,
                   "is_last": is_last, "data": data})

    def file_write(self, write_id: int, filename: str, content_type: str, data: bytes) -> None:
        self.send({"type": "file_write", "write_id": write_id, "filename": filename,
                   "content_type": content_type, "data": data})

    def read_frame(self, timeout: float = 10.0) -> bytes | None:
        """Reads one raw frame (prefix + payload) from stdin, or None on EOF/timeout."""
        head = _read_exact(4, timeout)
        if head is None:
            return None
        (n,) = struct.unpack(">I", head)
        body = _read_exact(n, timeout)
        if body is None:
            return None
        return head + body

    def finish(self, code: int = 0) -> None:
        self.out.flush()
        sys.stdout.close()
        os._exit(code)

    def hang(self, seconds: float = 60.0) -> None:
        """Keeps stdout open and waits to be killed by the runtime."""
        self.out.flush()
        time.sleep(seconds)
        log("FAKE: was not killed")
        os._exit(0)


def log(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


_stdin_buf = bytearray()


def read_request_line() -> bytes:
    """Reads stdin up to the first LF; bytes after it stay buffered for the ack stream."""
    fd = sys.stdin.fileno()
    while b"\n" not in _stdin_buf:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        _stdin_buf.extend(chunk)
    line, _, rest = bytes(_stdin_buf).partition(b"\n")
    _stdin_buf[:] = rest
    return line


def _read_exact(n: int, timeout: float) -> bytes | None:
    fd = sys.stdin.fileno()
    deadline = time.monotonic() + timeout
    while len(_stdin_buf) < n:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            return None
        chunk = os.read(fd, 65536)
        if not chunk:
            return None
        _stdin_buf.extend(chunk)
    data = bytes(_stdin_buf[:n])
    del _stdin_buf[:n]
    return data
