"""End-to-end harness: run the real `quarry` binary, read its report, read the Lode dataset it
wrote, and check the process table afterwards.

Only the Python standard library is used. Contract references:
  cli-and-integrations.md §4 (quarry run), §12 (examples)
  executor-contract.md §16–§19 (outcomes, exit codes, report)
  storage-and-policies.md §4 (Lode v1 layout), §7 (metrics)
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import decimal
import json
import os
import socket
import re
import signal
import subprocess
import threading
import time
import uuid
from pathlib import Path

# ---------------------------------------------------------------------------------------------
# Locations

REPO = Path(os.environ.get("QUARRY_REPO") or Path(__file__).resolve().parents[2]).resolve()
_BIN_FROM_ENV = os.environ.get("QUARRY_BIN")
QUARRY_BIN = Path(_BIN_FROM_ENV or REPO / "build" / "cli" / "quarry")
QUARRY_BIN_EXPLICIT = bool(_BIN_FROM_ENV)
E2E_DIR = Path(__file__).resolve().parent
FAKES = E2E_DIR / "fakes"
SCRIPTS = E2E_DIR / "scripts"
# Optional override for debugging the suite against a specific executor bundle.
EXECUTOR_OVERRIDE = os.environ.get("QUARRY_E2E_EXECUTOR")

CONTRACT_VERSION = "0.13.4"
OUTCOME_EXIT = {"success": 0, "script_error": 1, "executor_crash": 2, "policy_failure": 3,
                "version_mismatch": 3}

# Every process a test starts carries this variable (inherited by the executor and Chromium), so
# the process-table check attributes processes to the test even when other work runs on the host.
TAG_VAR = "QUARRY_E2E_TAG"
_current_tag: str | None = None


def set_current_tag(tag: str | None) -> None:
    global _current_tag
    _current_tag = tag


# Browser reuse (cli-and-integrations §10): every test gets its own discovery directory through
# XDG_RUNTIME_DIR, so a reusable browser server started by one test (or by another suite running
# on the host) is never found by another, and the test's teardown stops the servers it started.
BROWSER_SERVER_VAR = "QUARRY_BROWSER_DISCOVERY_FILE"
_browser_runtime_dir: str | None = None


def set_browser_runtime_dir(path: str | None) -> None:
    global _browser_runtime_dir
    _browser_runtime_dir = path


def browser_runtime_dir() -> str | None:
    return _browser_runtime_dir


def current_tag() -> str | None:
    return _current_tag


def rel(path: Path) -> str:
    """Path relative to the repository root (the working directory of every run)."""
    return os.path.relpath(Path(path).resolve(), REPO)


def now_ms() -> int:
    return int(time.time() * 1000)


def utc_today() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")


# ---------------------------------------------------------------------------------------------
# Running quarry


@dataclasses.dataclass
class QuarryResult:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    elapsed: float
    report_path: Path | None
    day_window: tuple[str, str]  # UTC dates before and after the run

    @property
    def report(self) -> dict | None:
        if self.report_path is None or not self.report_path.exists():
            return None
        return json.loads(self.report_path.read_text(encoding="utf-8"))

    def stderr_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]

    def describe(self) -> str:
        return (f"quarry {' '.join(self.args)}\n  exit={self.returncode} elapsed={self.elapsed:.1f}s\n"
                f"  stdout: {self.stdout[-3000:]!r}\n  stderr: {self.stderr[-3000:]!r}")


# The key pair of the suite's S3 test server (s3_harness.Gateway); every quarry started by the
# suite gets it, and instance metadata is off so a credential lookup never leaves loopback.
S3_TEST_ACCESS_KEY = "quarrye2ekey"
S3_TEST_SECRET_KEY = "quarry-e2e-secret-7f3a91c2d4"


def quarry_env(extra: dict | None = None) -> dict:
    env = dict(os.environ)
    env["AWS_ACCESS_KEY_ID"] = S3_TEST_ACCESS_KEY
    env["AWS_SECRET_ACCESS_KEY"] = S3_TEST_SECRET_KEY
    env.pop("AWS_SESSION_TOKEN", None)
    env.pop("AWS_PROFILE", None)
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    # Keep logs at the default level unless a test asks otherwise; never inherit an endpoint.
    env.pop("QUARRY_BROWSER_ENDPOINT", None)
    env.pop("QUARRY_LOG_LEVEL", None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.pop(BROWSER_SERVER_VAR, None)
    if _browser_runtime_dir:
        env["XDG_RUNTIME_DIR"] = _browser_runtime_dir
    if _current_tag:
        env[TAG_VAR] = _current_tag
    if extra:
        env.update(extra)
    return env


def start_quarry(args: list[str], *, env: dict | None = None, cwd: Path = REPO) -> subprocess.Popen:
    """Starts quarry in its own session (so signals sent by the test reach only quarry)."""
    return subprocess.Popen([str(QUARRY_BIN), *args], cwd=cwd, env=quarry_env(env),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)


def finish_quarry(proc: subprocess.Popen, args: list[str], *, timeout: float, started: float,
                  report_path: Path | None, day_before: str) -> QuarryResult:
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        kill_tagged_processes()
        raise AssertionError(
            f"quarry did not finish within {timeout}s: quarry {' '.join(args)}\n"
            f"stdout: {out.decode('utf-8', 'replace')[-2000:]}\n"
            f"stderr: {err.decode('utf-8', 'replace')[-2000:]}")
    return QuarryResult(args=args, returncode=proc.returncode,
                        stdout=out.decode("utf-8", "replace"), stderr=err.decode("utf-8", "replace"),
                        elapsed=time.monotonic() - started, report_path=report_path,
                        day_window=(day_before, utc_today()))


def run_quarry(args: list[str], *, timeout: float = 120, env: dict | None = None,
               cwd: Path = REPO, report_path: Path | None = None) -> QuarryResult:
    """Runs `quarry <args>` to completion (killing it after `timeout` seconds)."""
    day_before = utc_today()
    started = time.monotonic()
    proc = start_quarry(args, env=env, cwd=cwd)
    return finish_quarry(proc, args, timeout=timeout, started=started, report_path=report_path,
                         day_before=day_before)


def storage_args(store) -> list[str]:
    """The storage flags of a store target: an fs directory, or an s3_harness.S3Store."""
    if hasattr(store, "storage_args"):
        return store.storage_args()
    return ["--storage-backend", "fs", "--storage-path", str(store)]


def store_dir(store) -> Path:
    """The directory holding a store target's objects (the posix directory behind S3)."""
    return store.root if hasattr(store, "storage_args") else Path(store)


def run_args(*, script: str, run_id: str, store: Path, source: str = "example-runner",
             category: str = "examples", report: Path | None = None, executor: str | None = None,
             extra: list[str] | tuple = ()) -> list[str]:
    """The §12 command line: strict policy, fs storage (or the S3 target `store` names), no
    browser reuse."""
    args = ["run", "--script", script, "--run-id", run_id, "--source", source,
            "--category", category, "--no-browser-reuse", *storage_args(store), "--policy", "strict"]
    executor = executor or EXECUTOR_OVERRIDE
    if executor:
        args += ["--executor", executor]
    if report is not None:
        args += ["--report", str(report)]
    return args + list(extra)


# ---------------------------------------------------------------------------------------------
# Process table


@dataclasses.dataclass(frozen=True)
class Proc:
    pid: int
    ppid: int
    state: str
    starttime: int
    cmdline: str
    tagged: bool
    # The discovery file named in the environment of a reusable browser server's processes.
    discovery_file: str | None = None

    @property
    def key(self) -> tuple[int, int]:
        return (self.pid, self.starttime)


def _read_proc(pid: int, tag: str | None) -> Proc | None:
    base = f"/proc/{pid}"
    try:
        with open(f"{base}/stat", "rb") as fh:
            stat = fh.read().decode("utf-8", "replace")
        with open(f"{base}/cmdline", "rb") as fh:
            cmdline = fh.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
        tagged = False
        discovery_file = None
        if tag:
            try:
                with open(f"{base}/environ", "rb") as fh:
                    entries = fh.read().split(b"\0")
                tagged = f"{TAG_VAR}={tag}".encode() in entries
                prefix = f"{BROWSER_SERVER_VAR}=".encode()
                for e in entries:
                    if e.startswith(prefix):
                        discovery_file = e[len(prefix):].decode("utf-8", "replace")
            except OSError:
                tagged = False
    except OSError:
        return None
    rest = stat[stat.rfind(")") + 2:].split()
    return Proc(pid=pid, ppid=int(rest[1]), state=rest[0], starttime=int(rest[19]),
                cmdline=cmdline, tagged=tagged, discovery_file=discovery_file)


def process_table(tag: str | None = None) -> dict[int, Proc]:
    table = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            p = _read_proc(int(name), tag)
            if p is not None:
                table[p.pid] = p
    return table


def _with_descendants(table: dict[int, Proc], roots: list[int]) -> set[int]:
    children: dict[int, list[int]] = {}
    for p in table.values():
        children.setdefault(p.ppid, []).append(p.pid)
    found, stack = set(), list(roots)
    while stack:
        pid = stack.pop()
        if pid in found:
            continue
        found.add(pid)
        stack.extend(children.get(pid, []))
    return found


def browser_server_pids(table: dict[int, Proc], discovery_prefix: str | None = None) -> set[int]:
    """Processes of reusable browser servers (the executor in --browser-server mode and its
    Chromium): they carry QUARRY_BROWSER_DISCOVERY_FILE, or descend from one that does. With
    `discovery_prefix`, only servers whose discovery file lies under it."""
    roots = [p.pid for p in table.values() if p.discovery_file is not None
             and (discovery_prefix is None or p.discovery_file.startswith(discovery_prefix))]
    return _with_descendants(table, roots)


def owned_processes(tag: str | None, table: dict[int, Proc] | None = None, *,
                    include_browser_servers: bool = False) -> list[Proc]:
    """Live (non-zombie) processes carrying `tag`, plus all their descendants.

    Chromium's zygote children rewrite their environment block (process title), so they are found
    through their tagged ancestors instead. Reusable browser servers are meant to outlive the
    quarry that started them: they are left out unless `include_browser_servers` (the test's
    teardown stops them, then checks that nothing at all is left).
    """
    if not tag:
        return []
    table = table if table is not None else process_table(tag)
    owned = _with_descendants(
        table, [p.pid for p in table.values() if p.tagged and p.pid != os.getpid()])
    if not include_browser_servers:
        owned -= browser_server_pids(table)
    return [table[pid] for pid in sorted(owned) if table[pid].state not in ("Z", "X")]


def stop_browser_servers(runtime_dir: str, grace: float = 5.0) -> list[Proc]:
    """Stops every browser server whose discovery file lies under `runtime_dir` (SIGTERM: the
    server deletes its browser.json and closes Chromium), then SIGKILLs what is left of their
    trees. Returns the server processes that were found."""
    prefix = os.path.join(runtime_dir, "")
    table = process_table(_current_tag or "-")
    found = [table[pid] for pid in browser_server_pids(table, prefix)]
    for p in found:
        if p.discovery_file is not None and "--browser-server" in p.cmdline.split():
            try:
                os.kill(p.pid, signal.SIGTERM)
            except OSError:
                pass
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        alive = [p for p in found if (now := _read_proc(p.pid, None)) is not None
                 and now.starttime == p.starttime and now.state not in ("Z", "X")]
        if not alive:
            return found
        time.sleep(0.1)
    for p in found:
        now = _read_proc(p.pid, None)
        if now is not None and now.starttime == p.starttime:
            try:
                os.kill(p.pid, signal.SIGKILL)
            except OSError:
                pass
    return found


def is_browser_or_executor(p: Proc) -> bool:
    """Chromium, a Node executor bundle or one of the fake executors (used by other suites too)."""
    c = p.cmdline
    return "chromium" in c or "chrome" in c or "executor.mjs" in c or "/fakes/" in c


class ProcessWatcher:
    """Samples the process table in the background and remembers every process of the tag."""

    def __init__(self, tag: str, interval: float = 0.05):
        self.tag = tag
        self.interval = interval
        self.seen: dict[tuple[int, int], Proc] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _loop(self):
        while not self._stop.is_set():
            for p in owned_processes(self.tag):
                self.seen.setdefault(p.key, p)
            self._stop.wait(self.interval)

    def browsers_seen(self) -> list[Proc]:
        return [p for p in self.seen.values() if "chrom" in p.cmdline]

    def leftovers(self) -> list[Proc]:
        """Processes seen during the test that are still alive (same pid and start time)."""
        out = []
        for key, p in self.seen.items():
            now = _read_proc(p.pid, None)
            if now is not None and now.starttime == p.starttime and now.state not in ("Z", "X"):
                out.append(now)
        return out


def wait_for_no_processes(tag: str, watcher: ProcessWatcher | None = None,
                          grace: float = 3.0, *, include_browser_servers: bool = False) -> list[Proc]:
    """Waits up to `grace` seconds for all processes of the tag to go; returns the survivors."""
    deadline = time.monotonic() + grace
    while True:
        alive = {p.key: p for p in owned_processes(
            tag, include_browser_servers=include_browser_servers)}
        if watcher is not None:
            for p in watcher.leftovers():
                alive.setdefault(p.key, p)
        if not alive or time.monotonic() >= deadline:
            return list(alive.values())
        time.sleep(0.1)


def kill_tagged_processes(procs: list[Proc] | None = None) -> None:
    """Cleans up processes this test started (only those carrying the test's tag)."""
    for p in procs if procs is not None else owned_processes(_current_tag):
        if p.pid != os.getpid():
            try:
                os.kill(p.pid, signal.SIGKILL)
            except OSError:
                pass


def find_executor_pid(quarry_pid: int, script_fragment: str, timeout: float = 10.0) -> int:
    """The pid of the executor that quarry started for `script_fragment`: the descendant of quarry
    closest to it whose command line names the script (Chromium and quarry's own forks excluded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        table = process_table(_current_tag)
        depth = {quarry_pid: 0}
        changed = True
        while changed:
            changed = False
            for p in table.values():
                if p.pid not in depth and p.ppid in depth:
                    depth[p.pid] = depth[p.ppid] + 1
                    changed = True
        matches = sorted((depth[p.pid], p.pid) for p in table.values()
                         if p.pid in depth and p.pid != quarry_pid and p.state != "Z"
                         and script_fragment in p.cmdline and "chrom" not in p.cmdline
                         # quarry's orphan guard is a fork of quarry: same command line
                         and not p.cmdline.startswith(str(QUARRY_BIN)))
        if matches:
            return matches[0][1]
        time.sleep(0.1)
    raise AssertionError(f"no executor below quarry pid {quarry_pid} runs {script_fragment}")


# ---------------------------------------------------------------------------------------------
# Lode v1 dataset reader (storage-and-policies.md §4)

# Characters that stay literal in partition values (§4.4); everything else is %XX (uppercase).
_LITERAL = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~$&+:=@")


def escape_partition_value(value) -> str:
    if isinstance(value, bool):
        value = "true" if value else "false"
    return "".join(chr(b) if b in _LITERAL else f"%{b:02X}" for b in str(value).encode("utf-8"))


def unescape_partition_value(text: str) -> str:
    raw = bytearray()
    i = 0
    while i < len(text):
        if text[i] == "%":
            raw.append(int(text[i + 1:i + 3], 16))
            i += 3
        else:
            raw.extend(text[i].encode("utf-8"))
            i += 1
    return raw.decode("utf-8")


PARTITION_KEYS = ("source", "category", "day", "run_id", "event_type")
MANIFEST_KEY_ORDER = ["schema_name", "format_version", "dataset_id", "snapshot_id", "created_at",
                      "metadata", "files", "parent_snapshot_id", "row_count", "codec",
                      "compressor", "partitioner"]
RECORD_KINDS = {"event", "artifact_event", "artifact_chunk", "metrics"}
DATA_PATH_RE = re.compile(
    r"^datasets/(?P<dataset>[^/]+)/partitions/source=(?P<source>[^/]+)/category=(?P<category>[^/]+)"
    r"/day=(?P<day>[^/]+)/run_id=(?P<run_id>[^/]+)/event_type=(?P<event_type>[^/]+)"
    r"/segments/(?P<snapshot>[0-9]+)/data/data$")
CREATED_AT_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d*[1-9])?Z$")
STARTED_AT_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
EVENT_TS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
METRICS_TS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
UUID4_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def canonical_json(value) -> str:
    """The canonical JSONL encoding of §4.8 (sorted keys, compact, Quarry's escaping/floats)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _canonical_float(value)
    if isinstance(value, str):
        return _canonical_str(value)
    if isinstance(value, list):
        return "[" + ",".join(canonical_json(v) for v in value) + "]"
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda kv: kv[0].encode("utf-8"))
        return "{" + ",".join(_canonical_str(k) + ":" + canonical_json(v) for k, v in items) + "}"
    raise TypeError(type(value))


def _canonical_float(x: float) -> str:
    if x != x or x in (float("inf"), float("-inf")):
        raise ValueError("NaN/Infinity are not representable")
    if x == 0:
        return "-0" if str(x).startswith("-") else "0"
    r = repr(x)
    if 1e-6 <= abs(x) < 1e21:
        text = format(decimal.Decimal(r), "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return text
    mantissa, exp = r.split("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    e = int(exp)
    return f"{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "<": "\\u003c",
            ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _canonical_str(s: str) -> str:
    out = ['"']
    for ch in s:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


@dataclasses.dataclass
class Manifest:
    snapshot_id: str
    raw: bytes
    data: dict

    @property
    def parent(self) -> str | None:
        return self.data.get("parent_snapshot_id")

    @property
    def file_paths(self) -> list[str]:
        return [f["path"] for f in self.data["files"]]


@dataclasses.dataclass
class Record:
    data: dict
    path: str            # store-relative data file path
    snapshot_id: str
    partition: dict      # unescaped partition values from the path

    def __getitem__(self, key):
        return self.data[key]

    def get(self, key, default=None):
        return self.data.get(key, default)


class LodeDataset:
    """Reads and validates `datasets/<dataset>/` under an fs store root."""

    def __init__(self, store_root: Path, dataset: str = "quarry"):
        self.store = store_dir(store_root)
        self.dataset = dataset
        self.root = self.store / "datasets" / dataset
        self._manifests: dict[str, Manifest] | None = None

    # -- raw access ---------------------------------------------------------------------------

    def exists(self) -> bool:
        return self.root.is_dir()

    def latest(self) -> str:
        raw = (self.root / "latest").read_bytes()
        assert raw.isdigit(), f"latest pointer must be a bare snapshot id without newline: {raw!r}"
        return raw.decode()

    def manifests(self) -> dict[str, Manifest]:
        if self._manifests is None:
            out = {}
            seg_dir = self.root / "segments"
            if seg_dir.is_dir():
                for d in sorted(seg_dir.iterdir()):
                    # A directory is not an object: a put killed midway may leave one behind
                    # (fs before its link, versitygw before its rename) without the manifest.
                    if not (d / "manifest.json").is_file():
                        continue
                    raw = (d / "manifest.json").read_bytes()
                    out[d.name] = Manifest(d.name, raw, json.loads(raw))
            self._manifests = out
        return self._manifests

    def chain(self) -> list[Manifest]:
        """Snapshots from the oldest to the head, following parent links from `latest`."""
        ms = self.manifests()
        out, seen, sid = [], set(), self.latest()
        while sid is not None:
            assert sid not in seen, f"cycle in the snapshot chain at {sid}"
            assert sid in ms, f"snapshot {sid} named in the chain has no canonical manifest"
            seen.add(sid)
            out.append(ms[sid])
            sid = ms[sid].parent
        return list(reversed(out))

    def records(self) -> list[Record]:
        """All records of all snapshots, in chain order, then file order, then line order."""
        out = []
        for m in self.chain():
            for path in m.file_paths:
                match = DATA_PATH_RE.match(path)
                assert match, f"data file path does not follow the layout: {path}"
                partition = {k: unescape_partition_value(match[k]) for k in PARTITION_KEYS}
                for line in (self.store / path).read_bytes().split(b"\n"):
                    if line:
                        out.append(Record(json.loads(line), path, m.snapshot_id, partition))
        return out

    def run(self, run_id: str) -> "RunView":
        return RunView(self, run_id)

    def run_ids(self) -> set[str]:
        return {r["run_id"] for r in self.records()}

    # -- validation ---------------------------------------------------------------------------

    def validate(self, *, quarry_written: bool = True) -> None:
        """Checks the whole dataset against §4.3–§4.9 (raises AssertionError)."""
        assert self.exists(), f"dataset directory missing: {self.root}"
        ms = self.manifests()
        assert ms, "dataset has no canonical manifests"
        head = self.latest()
        assert head in ms, f"latest names {head}, which has no canonical manifest"

        for sid, m in ms.items():
            self._validate_manifest(sid, m, quarry_written=quarry_written)

        chain = self.chain()
        assert {m.snapshot_id for m in chain} == set(ms), (
            "snapshot history is not one linear chain: manifests not reachable from latest: "
            f"{sorted(set(ms) - {m.snapshot_id for m in chain})}")
        assert chain[0].parent is None, "the oldest snapshot must not have a parent"
        assert "parent_snapshot_id" not in chain[0].data
        # Every partition manifest copy on disk belongs to a canonical manifest with equal bytes.
        for copy in (self.root / "partitions").rglob("segments/*/manifest.json"):
            sid = copy.parent.name
            assert sid in ms, f"partition manifest without canonical manifest: {copy}"
            assert copy.read_bytes() == ms[sid].raw, f"partition manifest copy differs: {copy}"
        self._validate_records()

    def _validate_manifest(self, sid: str, m: Manifest, *, quarry_written: bool) -> None:
        d = m.data
        keys = list(d.keys())
        expected_order = [k for k in MANIFEST_KEY_ORDER if k in d]
        assert keys == expected_order, f"manifest {sid}: keys {keys} not in the order of §4.5"
        missing = set(MANIFEST_KEY_ORDER) - set(keys) - {"parent_snapshot_id"}
        assert not missing, f"manifest {sid}: missing keys {missing}"
        for forbidden in ("min_timestamp", "max_timestamp", "checksum_algorithm"):
            assert forbidden not in d, f"manifest {sid}: unexpected key {forbidden}"
        assert d["schema_name"] == "lode-manifest"
        assert d["format_version"] == "1.0.0"
        assert d["dataset_id"] == self.dataset
        assert d["snapshot_id"] == sid
        assert d["codec"] == "jsonl" and d["compressor"] == "noop" and d["partitioner"] == "hive"
        assert CREATED_AT_RE.match(d["created_at"]), f"manifest {sid}: created_at {d['created_at']}"
        assert re.fullmatch(r"[0-9]{19}", sid), f"snapshot id is not unix nanoseconds: {sid}"
        assert m.raw.startswith(b'{\n  "schema_name": '), f"manifest {sid} is not 2-space indented"
        assert isinstance(d["metadata"], dict), f"manifest {sid}: metadata must be an object"
        assert list(d["metadata"].keys()) == sorted(d["metadata"].keys())
        if quarry_written:
            runs = d["metadata"].get("quarry_runs")
            assert isinstance(runs, list) and runs, f"manifest {sid}: metadata.quarry_runs missing"
            for desc in runs:
                check_run_descriptor(desc)
        for ref in d["metadata"].get("sidecar_files", []):
            assert list(ref.keys()) == ["path", "filename", "content_type", "size"], ref
        files = d["files"]
        paths = [f["path"] for f in files]
        assert paths == sorted(paths), f"manifest {sid}: files not sorted by path"
        assert len(set(paths)) == len(paths)
        assert files, f"manifest {sid}: no data files"
        rows = 0
        for f in files:
            assert list(f.keys()) == ["path", "size_bytes"], f
            match = DATA_PATH_RE.match(f["path"])
            assert match, f"manifest {sid}: bad data file path {f['path']}"
            assert match["dataset"] == self.dataset and match["snapshot"] == sid
            for k in PARTITION_KEYS:
                value = match[k]
                assert escape_partition_value(unescape_partition_value(value)) == value, (
                    f"partition value not escaped per §4.4: {k}={value}")
            assert (self.store / f["path"]).is_file(), f"data file missing: {f['path']}"
            data = (self.store / f["path"]).read_bytes()
            assert len(data) == f["size_bytes"], f"size_bytes mismatch for {f['path']}"
            assert data.endswith(b"\n"), f"data file must end with LF: {f['path']}"
            rows += sum(1 for line in data.split(b"\n") if line)
            copy = self.store / Path(f["path"]).parent.parent / "manifest.json"
            assert copy.exists(), f"partition manifest copy missing: {copy}"
            assert copy.read_bytes() == m.raw, f"partition manifest copy differs: {copy}"
        assert d["row_count"] == rows, f"manifest {sid}: row_count {d['row_count']} != {rows}"

    def _validate_records(self) -> None:
        for r in self.records():
            kind = r.get("record_kind")
            assert kind in RECORD_KINDS, f"bad record_kind {kind!r} in {r.path}"
            line = canonical_json(r.data)
            assert len(line.encode()) + 1 <= 10_485_760
            for k in PARTITION_KEYS:
                assert r.get(k) == r.partition[k], (
                    f"record {k}={r.get(k)!r} does not match its partition path {r.path}")
            expected_type = {"event": r.get("type"), "artifact_event": "artifact",
                             "artifact_chunk": "artifact", "metrics": "metrics"}[kind]
            assert r["event_type"] == expected_type, f"event_type of {kind} record: {r.data}"
        # Byte-exact canonical encoding (sorted keys, compact, §4.8 escaping and floats).
        for m in self.chain():
            for path in m.file_paths:
                for line in (self.store / path).read_bytes().split(b"\n"):
                    if line:
                        expect = canonical_json(json.loads(line)).encode("utf-8")
                        assert line == expect, f"non-canonical JSONL in {path}:\n{line!r}\n{expect!r}"


def sidecar_key(dataset, source, category, day, run_id, filename) -> str:
    return (f"datasets/{dataset}/partitions/source={escape_partition_value(source)}"
            f"/category={escape_partition_value(category)}/day={escape_partition_value(day)}"
            f"/run_id={escape_partition_value(run_id)}/files/{filename}")


def partition_dir(dataset, source, category, day, run_id, event_type) -> str:
    return (f"datasets/{dataset}/partitions/source={escape_partition_value(source)}"
            f"/category={escape_partition_value(category)}/day={escape_partition_value(day)}"
            f"/run_id={escape_partition_value(run_id)}/event_type={escape_partition_value(event_type)}")


DESCRIPTOR_REQUIRED = {"run_id", "attempt", "source", "category", "day", "policy", "executor",
                       "started_at"}


def check_run_descriptor(desc: dict) -> None:
    keys = list(desc.keys())
    assert keys == sorted(keys), f"run descriptor keys not sorted: {keys}"
    missing = DESCRIPTOR_REQUIRED - set(keys)
    assert not missing, f"run descriptor lacks {missing}: {desc}"
    assert STARTED_AT_RE.match(desc["started_at"]), desc["started_at"]
    assert "/" not in desc["executor"] and desc["executor"], desc


EVENT_KEYS = {"record_kind", "contract_version", "event_id", "run_id", "seq", "type", "event_type",
              "ts", "payload", "attempt", "source", "category", "day", "policy"}
ARTIFACT_EVENT_KEYS = {"record_kind", "artifact_id", "name", "content_type", "size_bytes",
                       "contract_version", "event_id", "run_id", "seq", "event_type", "ts",
                       "attempt", "source", "category", "day", "policy"}
CHUNK_KEYS = {"record_kind", "artifact_id", "seq", "is_last", "offset", "length", "data",
              "event_type", "source", "category", "day", "run_id"}
METRICS_RECORD_KEYS = {"record_kind", "event_type", "ts", "runs_started_total",
                       "runs_completed_total", "runs_failed_total", "runs_crashed_total",
                       "events_received_total", "events_persisted_total", "events_dropped_total",
                       "executor_launch_success_total", "executor_launch_failure_total",
                       "executor_crash_total", "ipc_decode_errors_total",
                       "lode_write_success_total", "lode_write_failure_total",
                       "lode_write_retry_total", "policy", "executor", "storage_backend",
                       "run_id", "source", "category", "day", "outcome", "outcome_message"}
LINEAGE_OPTIONAL = {"job_id", "parent_run_id"}


class RunView:
    """All records of one run, grouped by kind and ordered by seq/offset."""

    def __init__(self, ds: LodeDataset, run_id: str):
        self.ds = ds
        self.run_id = run_id
        self.records = [r for r in ds.records() if r.get("run_id") == run_id]
        self.events = sorted((r for r in self.records
                              if r["record_kind"] in ("event", "artifact_event")),
                             key=lambda r: r["seq"])
        self.chunks = [r for r in self.records if r["record_kind"] == "artifact_chunk"]
        self.metrics = [r for r in self.records if r["record_kind"] == "metrics"]
        esc = "/run_id=" + escape_partition_value(run_id) + "/"
        self.snapshots = [m for m in ds.chain() if any(esc in p for p in m.file_paths)]

    # -- selection ----------------------------------------------------------------------------

    def types(self) -> list[str]:
        return [e["event_type"] for e in self.events]

    def of_type(self, event_type: str) -> list[Record]:
        return [e for e in self.events if e["event_type"] == event_type]

    def items(self, item_type: str | None = None) -> list[Record]:
        return [e for e in self.of_type("item")
                if item_type is None or e["payload"]["item_type"] == item_type]

    def by_type(self) -> dict[str, list[Record]]:
        out: dict[str, list[Record]] = {}
        for e in self.events:
            out.setdefault(e["event_type"], []).append(e)
        return out

    @property
    def terminal(self) -> Record | None:
        terms = [e for e in self.events if e["event_type"] in ("run_complete", "run_error")]
        assert len(terms) <= 1, f"more than one terminal event stored: {[t.data for t in terms]}"
        return terms[0] if terms else None

    @property
    def metrics_record(self) -> Record:
        assert len(self.metrics) == 1, f"expected exactly 1 metrics record, got {len(self.metrics)}"
        return self.metrics[0]

    def descriptors(self) -> list[dict]:
        return [d for m in self.snapshots for d in m.data["metadata"].get("quarry_runs", [])
                if d.get("run_id") == self.run_id]

    def sidecar_refs(self) -> list[tuple[Manifest, dict]]:
        return [(m, ref) for m in self.snapshots
                for ref in m.data["metadata"].get("sidecar_files", [])]

    # -- artifacts ----------------------------------------------------------------------------

    def artifact_ids(self) -> list[str]:
        return sorted({c["artifact_id"] for c in self.chunks})

    def artifact_bytes(self, artifact_id: str) -> bytes:
        """Reassembles an artifact from its stored pieces (by offset), checking piece rules."""
        pieces = sorted((c for c in self.chunks if c["artifact_id"] == artifact_id),
                        key=lambda c: c["offset"])
        assert pieces, f"no chunk records for artifact {artifact_id}"
        out = bytearray()
        for i, piece in enumerate(pieces, start=1):
            data = base64.b64decode(piece["data"], validate=True)
            assert piece["seq"] == i, f"piece seq {piece['seq']} != {i} for {artifact_id}"
            assert piece["offset"] == len(out), f"gap/overlap at offset {piece['offset']}"
            assert piece["length"] == len(data)
            assert len(data) <= 6_291_456, "stored piece larger than 6 MiB (D2)"
            assert piece["is_last"] == (i == len(pieces)), f"is_last wrong on piece {i}"
            out.extend(data)
        return bytes(out)

    # -- shape checks -------------------------------------------------------------------------

    def check_shapes(self, *, policy: str = "strict", our_executor: bool = True,
                     job_id: str | None = None) -> None:
        """Key sets and envelope fields of every record of the run (§4.9, §4.14)."""
        for r in self.records:
            kind = r["record_kind"]
            keys = set(r.data)
            if kind == "event":
                assert keys - LINEAGE_OPTIONAL == EVENT_KEYS, f"event keys: {sorted(keys)}"
            elif kind == "artifact_event":
                assert keys - LINEAGE_OPTIONAL == ARTIFACT_EVENT_KEYS, f"artifact_event keys: {sorted(keys)}"
                assert isinstance(r["size_bytes"], int)
            elif kind == "artifact_chunk":
                assert keys == CHUNK_KEYS, f"chunk keys: {sorted(keys)}"
                continue
            else:
                optional = {"dropped_by_type", "job_id", "flush_triggers",
                            "events_persisted_by_sink", "event_sink_dropped_total"}
                assert METRICS_RECORD_KEYS <= keys, f"metrics lacks {METRICS_RECORD_KEYS - keys}"
                assert keys - METRICS_RECORD_KEYS <= optional, f"metrics extra {keys - METRICS_RECORD_KEYS}"
                assert METRICS_TS_RE.match(r["ts"]), f"metrics ts {r['ts']}"
                assert r["policy"] == policy
                if job_id:
                    assert r["job_id"] == job_id
                else:
                    assert "job_id" not in keys
                continue
            assert r["contract_version"] == CONTRACT_VERSION
            assert r["policy"] == policy
            assert r["attempt"] == 1
            assert "parent_run_id" not in keys
            if job_id:
                assert r["job_id"] == job_id, r.data
            else:
                assert "job_id" not in keys, r.data
            if our_executor:
                assert UUID4_RE.match(r["event_id"]), r["event_id"]
                assert EVENT_TS_RE.match(r["ts"]), r["ts"]


# ---------------------------------------------------------------------------------------------
# Report and stdout

REPORT_METRICS_ORDER = ["runs_started_total", "runs_completed_total", "runs_failed_total",
                        "runs_crashed_total", "events_received_total", "events_persisted_total",
                        "events_dropped_total", "dropped_by_type", "flush_triggers",
                        "events_persisted_by_sink", "event_sink_dropped_total",
                        "executor_launch_success_total", "executor_launch_failure_total",
                        "executor_crash_total", "ipc_decode_errors_total",
                        "lode_write_success_total", "lode_write_failure_total",
                        "lode_write_retry_total", "policy", "executor", "storage_backend",
                        "run_id", "job_id"]
REPORT_KEYS_REQUIRED = {"run_id", "attempt", "outcome", "message", "exit_code", "duration_ms",
                        "event_count", "policy", "artifacts", "metrics"}
REPORT_KEYS_OPTIONAL = {"job_id", "terminal_summary", "proxy_used", "stderr"}


def outcome_counters(outcome: str) -> dict:
    return {"runs_started_total": 1,
            "runs_completed_total": int(outcome == "success"),
            "runs_failed_total": int(outcome in ("script_error", "policy_failure", "version_mismatch")),
            "runs_crashed_total": int(outcome == "executor_crash")}


def check_report(result: QuarryResult, *, run_id: str, outcome: str, policy: str = "strict",
                 job_id: str | None = None) -> dict:
    """Shape of the --report JSON (executor-contract §19) and its agreement with the exit code."""
    report = result.report
    assert report is not None, f"no report written\n{result.describe()}"
    mode = result.report_path.stat().st_mode & 0o777
    assert mode == 0o644, f"report mode {oct(mode)} != 0644"
    raw = result.report_path.read_text(encoding="utf-8")
    assert raw.endswith("}\n") and raw.startswith('{\n  "'), "report must be 2-space JSON + LF"
    keys = set(report)
    assert REPORT_KEYS_REQUIRED <= keys, f"report lacks {REPORT_KEYS_REQUIRED - keys}"
    assert keys <= REPORT_KEYS_REQUIRED | REPORT_KEYS_OPTIONAL, f"unexpected {keys - REPORT_KEYS_REQUIRED - REPORT_KEYS_OPTIONAL}"
    assert report["run_id"] == run_id
    assert report["attempt"] == 1
    assert report["outcome"] == outcome, f"outcome {report['outcome']!r} ({report['message']!r})\n{result.describe()}"
    assert report["exit_code"] == result.returncode == OUTCOME_EXIT[outcome], (
        f"exit {result.returncode}, report exit_code {report['exit_code']}\n{result.describe()}")
    assert isinstance(report["message"], str) and report["message"]
    assert isinstance(report["duration_ms"], int) and report["duration_ms"] >= 0
    assert isinstance(report["event_count"], int)
    if job_id:
        assert report["job_id"] == job_id
    else:
        assert "job_id" not in report
    pol = report["policy"]
    assert pol["name"] == policy
    assert set(pol) == {"name", "events_received", "events_persisted", "events_dropped"}
    assert set(report["artifacts"]) == {"total", "committed", "orphaned", "chunks", "bytes"}
    m = report["metrics"]
    assert list(m) == [k for k in REPORT_METRICS_ORDER if k in m], f"metrics key order: {list(m)}"
    assert set(REPORT_METRICS_ORDER) - set(m) <= {"dropped_by_type", "flush_triggers", "job_id",
                                                  "events_persisted_by_sink",
                                                  "event_sink_dropped_total"}
    for k, v in outcome_counters(outcome).items():
        assert m[k] == v, f"metrics {k}={m[k]}, expected {v} for {outcome}"
    backend = result.args[result.args.index("--storage-backend") + 1]
    assert m["policy"] == policy and m["storage_backend"] == backend and m["run_id"] == run_id
    assert m["events_received_total"] == pol["events_received"]
    assert m["events_persisted_total"] == pol["events_persisted"]
    assert m["events_dropped_total"] == pol["events_dropped"] == 0
    assert m["ipc_decode_errors_total"] <= m["executor_crash_total"]
    return report


def check_metrics_record(run: RunView, report: dict) -> Record:
    """The run's single metrics record agrees with the report (§4.9, D11.8)."""
    rec = run.metrics_record
    for key, value in report["metrics"].items():
        assert rec.get(key) == value, f"metrics record {key}={rec.get(key)!r}, report {value!r}"
    assert rec["outcome"] == report["outcome"]
    assert rec["outcome_message"] == report["message"]
    return rec


def check_stdout(result: QuarryResult, *, run_id: str, outcome: str, artifacts: bool = False) -> None:
    """The human summary of cli-and-integrations §4.5 (headers and the first line)."""
    out = result.stdout
    first = re.search(rf"^run_id={re.escape(run_id)}, attempt=1, outcome={outcome}, duration=\S+$",
                      out, re.M)
    assert first, f"result line missing from stdout:\n{out}"
    assert re.search(r"^policy=strict$", out, re.M), f"policy line missing:\n{out}"
    headers = ["=== Run Result ===", "=== Policy Stats ===", "=== Metrics ==="]
    if artifacts:
        headers.insert(2, "=== Artifact Stats ===")
    else:
        assert "=== Artifact Stats ===" not in out
    positions = [out.find(h) for h in headers]
    assert all(p >= 0 for p in positions), f"missing headers {headers} in:\n{out}"
    assert positions == sorted(positions), f"headers out of order in:\n{out}"


def free_port() -> int:
    """A TCP port free on loopback now (a server started by a test binds it next)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def stored_items_of(store: Path, item_event_type: str = "item") -> list[Path]:
    """Data files of a given event_type under a store (used while a run is still going)."""
    return [p for p in (store / "datasets").glob(
        f"*/partitions/*/*/*/*/event_type={item_event_type}/segments/*/data/data")
        if p.stat().st_size > 0]


def new_tag() -> str:
    return uuid.uuid4().hex


@dataclasses.dataclass
class ExampleRun:
    name: str
    run_id: str
    store: Path
    result: QuarryResult
    source: str = "example-runner"
    category: str = "examples"

    @property
    def report(self) -> dict | None:
        return self.result.report

    @property
    def ds(self) -> LodeDataset:
        return LodeDataset(self.store)

    def run_view(self) -> RunView:
        return self.ds.run(self.run_id)

    @property
    def day(self) -> str:
        """The run's partition day as stored (checked against the UTC dates around the run)."""
        days = {r["day"] for r in self.run_view().records}
        assert len(days) == 1, f"records of one run carry several days: {days}"
        day = days.pop()
        assert day in self.result.day_window, f"day {day} not the UTC run date {self.result.day_window}"
        return day


def run_example(tmp_path: Path, name: str, script: str, *, extra=(), run_id: str | None = None,
                source: str = "example-runner", category: str = "examples",
                executor: str | None = None, timeout: float = 120, env: dict | None = None,
                store: Path | None = None) -> ExampleRun:
    """Runs one script with the §12 command line, storage under <tmp>/<name>."""
    run_id = run_id or f"example-{name}-{now_ms()}"
    store = store or tmp_path / name
    store.mkdir(parents=True, exist_ok=True)
    report = tmp_path / f"{name}-{run_id[-6:]}-report.json"
    args = run_args(script=script, run_id=run_id, store=store, source=source, category=category,
                    report=report, executor=executor, extra=extra)
    result = run_quarry(args, timeout=timeout, env=env, report_path=report)
    return ExampleRun(name=name, run_id=run_id, store=store, result=result, source=source,
                      category=category)


def check_run(ex: ExampleRun, *, outcome: str, types: list[str] | None = None,
              job_id: str | None = None, sidecar_failures: int = 0, our_executor: bool = True,
              stdout: bool = True, event_counts: tuple[int, ...] | None = None
              ) -> tuple[dict, RunView]:
    """Everything a finished strict run must satisfy, from the report and from the dataset.

    Checks exit code/report, dataset structure, record shapes, seq 1..n with the terminal last,
    report vs. dataset counts, the metrics record, strict's one-snapshot-per-write layout, partition
    paths, run descriptors and the stdout summary.
    """
    result = ex.result
    report = check_report(result, run_id=ex.run_id, outcome=outcome, job_id=job_id)
    ds = ex.ds
    ds.validate()
    run = ex.run_view()
    run.check_shapes(our_executor=our_executor, job_id=job_id)
    day = ex.day
    for r in run.records:
        assert (r["source"], r["category"]) == (ex.source, ex.category), r.data

    seqs = [e["seq"] for e in run.events]
    assert seqs == list(range(1, len(seqs) + 1)), f"stored seqs are not 1..n: {seqs}"
    if types is not None:
        assert run.types() == types, f"event types {run.types()} != {types}"
    # event_count = the last accepted seq; callers may allow other values where frames after the
    # terminal were seq-checked but not stored (see test_failures).
    allowed_counts = event_counts or (len(seqs),)
    assert report["event_count"] in allowed_counts, (report["event_count"], seqs)
    pol = report["policy"]
    assert pol["events_received"] == pol["events_persisted"] == len(seqs), pol

    term = run.terminal
    if term is None:
        assert "terminal_summary" not in report, report.get("terminal_summary")
    else:
        assert term is run.events[-1], "the terminal event must be the last stored event"
        assert report["terminal_summary"] == term["payload"], (report.get("terminal_summary"), term.data)

    m = report["metrics"]
    rec = check_metrics_record(run, report)
    assert m["executor_launch_success_total"] == 1 and m["executor_launch_failure_total"] == 0
    if outcome != "executor_crash":
        assert m["executor_crash_total"] == 0 and m["ipc_decode_errors_total"] == 0
    assert m["lode_write_failure_total"] == sidecar_failures, m
    # strict: one write per event and one per IPC chunk (our artifacts are small: 1 piece each).
    assert m["lode_write_success_total"] == len(seqs) + len(run.chunks), (
        f"lode_write_success_total {m['lode_write_success_total']} != events {len(seqs)} + "
        f"chunk records {len(run.chunks)}")
    assert m["lode_write_retry_total"] >= 0
    assert rec["day"] == day

    # strict, one run in the process: one snapshot per event, per chunk, plus the metrics record.
    assert len(run.snapshots) == len(seqs) + len(run.chunks) + 1, (
        f"{len(run.snapshots)} snapshots for {len(seqs)} events + {len(run.chunks)} chunks + metrics")
    for snap in run.snapshots:
        assert snap.data["row_count"] == 1 and len(snap.data["files"]) == 1, snap.data
    assert "/event_type=metrics/" in run.snapshots[-1].file_paths[0], "metrics must be written last"
    event_order = [r["seq"] for snap in run.snapshots for r in run.events
                   if r.path == snap.file_paths[0]]
    assert event_order == seqs, f"event snapshots not committed in seq order: {event_order}"
    for r in run.records:
        expected = partition_dir(ds.dataset, ex.source, ex.category, day, ex.run_id, r["event_type"])
        assert r.path.startswith(expected + "/segments/"), f"{r.path} not under {expected}"

    descriptors = run.descriptors()
    assert len(descriptors) == len(run.snapshots), "every snapshot must describe the run once"
    for d in descriptors:
        assert d["attempt"] == 1 and d["policy"] == "strict" and d["day"] == day
        assert (d["source"], d["category"]) == (ex.source, ex.category)
        assert d["executor"] == m["executor"]
        assert ("job_id" in d) == bool(job_id) and "parent_run_id" not in d
    assert len({d["started_at"] for d in descriptors}) == 1, "started_at differs between snapshots"
    assert descriptors[0]["started_at"][:10] == day

    if stdout:
        check_stdout(result, run_id=ex.run_id, outcome=outcome,
                     artifacts=report["artifacts"]["total"] > 0)
    return report, run
