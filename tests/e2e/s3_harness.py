"""S3 for the end-to-end suite: a real S3-compatible server (versitygw, built by scripts/setup.sh)
on a free loopback port, store targets on it that the harness treats like an fs store directory,
and a fault-injecting HTTP proxy to put between quarry and the server.

versitygw's posix backend keeps every object as a file under <root>/<bucket>/<key>, so the
suite reads S3 datasets back through that directory with the same LodeDataset reader it uses for
fs: what quarry wrote through S3 is exactly what is read, with no second client in between.
"""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

import quarry_harness as qh

ACCESS_KEY = qh.S3_TEST_ACCESS_KEY
SECRET_KEY = qh.S3_TEST_SECRET_KEY  # grepped for in every output by the S3 tests
BUCKET = "quarry-e2e"
REGION = "us-east-1"


def versitygw_bin() -> str:
    for candidate in (os.environ.get("QUARRY_VERSITYGW"), qh.REPO / ".cache" / "bin" / "versitygw",
                      Path.home() / "go" / "bin" / "versitygw"):
        if candidate and Path(candidate).exists():
            return str(candidate)
    raise RuntimeError("versitygw not found: run scripts/setup.sh (or set QUARRY_VERSITYGW)")


free_port = qh.free_port


def s3_env(extra: dict | None = None) -> dict:
    """Credentials for the test server; instance metadata off so nothing looks beyond loopback."""
    env = {"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
           "AWS_EC2_METADATA_DISABLED": "true"}
    env.update(extra or {})
    return env


class Gateway:
    """One versitygw process; objects under `root`/<bucket>/."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="quarry-e2e-s3-"))
        self.root = self.dir / "gw"
        (self.root / BUCKET).mkdir(parents=True)
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.log = open(self.dir / "versitygw.log", "wb")
        # Not tagged: the gateway outlives single tests, the process watcher must not see it.
        env = {k: v for k, v in os.environ.items() if k != qh.TAG_VAR}
        self.proc = subprocess.Popen(
            [versitygw_bin(), "--port", f"127.0.0.1:{self.port}", "--access", ACCESS_KEY,
             "--secret", SECRET_KEY, "posix", str(self.root)],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"versitygw exited: {(self.dir / 'versitygw.log').read_text()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"versitygw not listening on {self.endpoint}")

    def store(self, name: str, *, endpoint: str | None = None) -> "S3Store":
        return S3Store(self, f"{name}-{uuid.uuid4().hex[:8]}", endpoint=endpoint)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=2)  # its data is on disk already: no need to wait longer
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class S3Store:
    """A dataset location on the gateway: bucket/prefix, read back through the posix directory.

    Quacks like the Path of an fs store where the harness needs one: `storage_args()` gives the
    run flags, `root` (and `/`) the directory holding what was written."""

    backend = "s3"

    def __init__(self, gw: Gateway, prefix: str, endpoint: str | None = None):
        self.gw = gw
        self.prefix = prefix
        self.endpoint = endpoint or gw.endpoint
        self.root = gw.root / BUCKET / prefix

    def storage_args(self) -> list[str]:
        return ["--storage-backend", "s3", "--storage-path", f"{BUCKET}/{self.prefix}",
                "--storage-endpoint", self.endpoint, "--storage-s3-path-style",
                "--storage-region", REGION]

    def mkdir(self, parents: bool = False, exist_ok: bool = False):
        pass  # nothing to create: keys need no directories

    def __truediv__(self, rel):
        return self.root / rel

    def rglob(self, pattern):
        return self.root.rglob(pattern) if self.root.exists() else iter(())

    def __str__(self):
        return f"s3://{BUCKET}/{self.prefix}"


class FaultProxy:
    """HTTP/1.1 proxy on loopback in front of the gateway. `faults` maps the 1-based number of a
    request (counted over all connections) to what happens to it instead of forwarding:
    "503" (SlowDown), "500" (InternalError), "drop" (close without answer) or "slow" (forward
    after `slow_seconds`). Requests are forwarded byte for byte, so
    signatures stay valid (the client signed the proxy's host, which the server sees as Host)."""

    def __init__(self, upstream_port: int, faults: dict[int, str] | None = None,
                 slow_seconds: float = 2.0, fail_when=None):
        self.upstream_port = upstream_port
        self.faults = dict(faults or {})
        # fail_when(n, request_line) -> fault or None, asked for every request not in `faults`.
        self.fail_when = fail_when
        self.slow_seconds = slow_seconds
        self.count = 0
        self.injected: list[tuple[int, str, str]] = []  # (number, fault, request line)
        self._lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._stop = False
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def close(self):
        self._stop = True
        self.sock.close()

    def _accept(self):
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    @staticmethod
    def _read_request(f):
        line = f.readline()
        if not line:
            return None
        head = [line]
        length = 0
        while True:
            h = f.readline()
            if not h:
                return None
            head.append(h)
            if h in (b"\r\n", b"\n"):
                break
            name, _, value = h.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        body = f.read(length) if length else b""
        return line, b"".join(head), body

    def _serve(self, conn: socket.socket):
        upstream = None
        f = conn.makefile("rb")
        try:
            while True:
                req = self._read_request(f)
                if req is None:
                    return
                line, head, body = req
                with self._lock:
                    self.count += 1
                    n = self.count
                    fault = self.faults.get(n)
                    if fault is None and self.fail_when is not None:
                        fault = self.fail_when(n, line.decode("latin-1"))
                    if fault:
                        self.injected.append((n, fault, line.decode("latin-1").strip()))
                if fault == "drop":
                    return
                if fault in ("503", "500"):
                    code, text = ("SlowDown", "Please reduce your request rate.") if fault == "503" \
                        else ("InternalError", "We encountered an internal error.")
                    xml = (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code>"
                           f"<Message>{text}</Message></Error>").encode()
                    conn.sendall(f"HTTP/1.1 {fault} X\r\nContent-Type: application/xml\r\n"
                                 f"Content-Length: {len(xml)}\r\n\r\n".encode() + xml)
                    continue
                if fault == "slow":
                    time.sleep(self.slow_seconds)
                if upstream is None:
                    upstream = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=30)
                upstream.connect() if upstream.sock is None else None
                upstream.sock.sendall(head + body)
                resp = http.client.HTTPResponse(upstream.sock, method=line.split(b" ")[0].decode())
                resp.begin()
                data = resp.read()
                out = [f"HTTP/1.1 {resp.status} {resp.reason}\r\n".encode()]
                for k, v in resp.getheaders():
                    if k.lower() in ("content-length", "transfer-encoding", "connection"):
                        continue
                    out.append(f"{k}: {v}\r\n".encode())
                if line.split(b" ")[0] != b"HEAD":
                    out.append(f"Content-Length: {len(data)}\r\n".encode())
                elif resp.getheader("Content-Length"):
                    out.append(f"Content-Length: {resp.getheader('Content-Length')}\r\n".encode())
                out.append(b"\r\n")
                conn.sendall(b"".join(out) + data)
                if resp.will_close:
                    upstream.close()
                    upstream = None
        except OSError:
            return
        finally:
            f.close()
            conn.close()
            if upstream is not None:
                upstream.close()
