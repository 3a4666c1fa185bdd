#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (fuzz/corpus/<target>/) from the repo's fixtures.

    python3 fuzz/corpus/make_seeds.py

Sources: tests/fixtures/ipc/*.bin (executor stdout streams), the recorded Temporal histories in
tests/unit/temporal/histories/*.json (and the workflow/activity inputs inside them), and the
config-file shapes of tests/unit/cli/config_file_test.cc and cli-and-integrations.md §7. The
binary histories need the `temporalio` Python package (installed by scripts/setup.sh). Seeds are
small and few; the fuzzers find the rest. Re-running rewrites every generated file.
"""
import base64
import json
import pathlib
import struct

ROOT = pathlib.Path(__file__).resolve().parents[2]
CORPUS = ROOT / "fuzz" / "corpus"
IPC = ROOT / "tests" / "fixtures" / "ipc"
HISTORIES = ROOT / "tests" / "unit" / "temporal" / "histories"


def write(target, name, data):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    (d / name).write_bytes(data)


def frames(stream):
    """The payloads of a framed stream (stops at a truncated or oversized frame)."""
    out, pos = [], 0
    while pos + 4 <= len(stream):
        (n,) = struct.unpack(">I", stream[pos:pos + 4])
        if n > 16777212 or pos + 4 + n > len(stream):
            break
        out.append(stream[pos + 4:pos + 4 + n])
        pos += 4 + n
    return out


def ipc_seeds():
    # Policy byte, knobs byte, then the stream: strict; buffered with 3 events, or 1400 bytes and
    # chunks_first; streaming flushing every 3 events.
    combos = ((0, 0x00), (1, 0x0b), (1, 0x32), (2, 0x02))
    everywhere = {"full_run", "event_sequence", "artifact_chunk_then_commit"}
    for i, f in enumerate(sorted(IPC.glob("*.bin"))):
        stream = f.read_bytes()
        write("frame_reader_fuzz", f.stem, stream)
        for policy, knobs in combos if f.stem in everywhere else (combos[i % 4],):
            write("ingest_policy_fuzz", f"{f.stem}-{policy}-{knobs:02x}", bytes([policy, knobs]) + stream)
        for i, p in enumerate(frames(stream)):
            write("msgpack_json_fuzz", f"{f.stem}-{i}", p)
    # Values the fixtures do not hold: every scalar width, timestamps, bin, nesting, bad UTF-8.
    extra = {
        "uint64-max": b"\xcf" + b"\xff" * 8,
        "int64-min": b"\xd3\x80" + b"\x00" * 7,
        "float32": b"\xca\x3d\xcc\xcc\xcd",
        "float64-nan": b"\xcb\x7f\xf8" + b"\x00" * 6,
        "float64-tiny": b"\xcb\x00\x00\x00\x00\x00\x00\x00\x01",
        "ts32": b"\xd6\xff\x00\x00\x00\x01",
        "ts64": b"\xd7\xff" + struct.pack(">Q", (5 << 34) | 1),
        "ts96": b"\xc7\x0c\xff" + struct.pack(">Iq", 999999999, -62135596800),
        "bin": b"\xc4\x04\x00\xff\x10\x80",
        "nested": b"\x91" * 200 + b"\xc0",
        "map-unsorted-dup": b"\x83\xa1b\x01\xa1a\x02\xa1b\x03",
        "str-bad-utf8": b"\xa8\xe2\x82\xed\xa0\x80<\xff",
        "str-escapes": b"\xb2\"\\\n\t\x01<>&\xe2\x80\xa8\xe2\x80\xa9\xf0\x9f\x98\x80",
    }
    for name, data in extra.items():
        write("msgpack_json_fuzz", name, data)


def history_seeds():
    try:
        from google.protobuf import json_format
        from temporalio.api.history.v1 import History
    except ImportError:
        History = None
    for f in sorted(HISTORIES.glob("*.json")):
        text = f.read_text()
        write("history_replay_json_fuzz", f.stem, text)
        doc = json.loads(text)
        for e in doc["events"]:
            for attrs in e.values():
                if not isinstance(attrs, dict):
                    continue
                for key in ("input", "result"):
                    for p in attrs.get(key, {}).get("payloads", []):
                        data = base64.b64decode(p.get("data", ""))
                        kind = attrs.get("activityType", attrs.get("workflowType", {})).get("name", key)
                        name = f"{f.stem}-{e['eventId']}-{kind}"
                        if key == "input":
                            write("workflow_params_fuzz", name, data)
                        if kind == "ReadQuarryBatchRuns" and key == "input":
                            write("batch_jsonl_fuzz", name, data + b"\n" + RUNS_FILE)
        if History is None:
            continue
        h = json_format.Parse(text, History(), ignore_unknown_fields=True)
        write("history_replay_fuzz", f.stem, h.SerializeToString())
        # The history as the worker saw it at each workflow task.
        for i in range(len(h.events) - 1):
            if h.events[i].event_type == 6 and h.events[i + 1].event_type == 7:  # started, completed
                cut = History()
                cut.events.extend(h.events[: i + 1])
                write("history_replay_fuzz", f"{f.stem}-task-{i + 1}", cut.SerializeToString())


RUNS_FILE = (
    b'{"job": {"n": 0}}\n'
    b'\n'
    b'  {"job": {"n": 1}, "script": "/abs/other.mjs"}  \r\n'
    b'{"source": "s2", "policy": "buffered", "buffer_events": 10}\n'
)


def jsonl_seeds():
    write("batch_jsonl_fuzz", "whole", b"{}\n" + RUNS_FILE)
    write("batch_jsonl_fuzz", "slice", b'{"runs_offset": 1, "runs_count": 2}\n' + RUNS_FILE)
    write("batch_jsonl_fuzz", "count-only", b'{"runs_count": 0}\n' + RUNS_FILE)
    write("batch_jsonl_fuzz", "bad-line", b'{"runs_offset": 0}\n{"job": 1}\n[1, 2]\n')


PARAMS = {
    "extraction": {"script": "/abs/s.mjs", "run_id": "r-1", "attempt": 2, "parent_run_id": "r-0",
                   "source": "shop", "job": {"a": [1, 2]}, "policy": "streaming", "flush_count": 5,
                   "flush_interval": "2s", "timeout": "5m",
                   "storage": {"backend": "fs", "path": "/tmp/q", "dataset": "d"},
                   "proxy": {"protocol": "http", "host": "h", "port": 8080, "username": "u"}},
    "workflow": {"script": "/abs/s.mjs", "source": "shop",
                 "retry": {"max_attempts": 3, "initial_interval": "1s", "backoff_coefficient": 2,
                           "maximum_interval": 60},
                 "activity": {"start_to_close_timeout": "1h", "heartbeat_timeout": 30},
                 "notify": {"url": "http://127.0.0.1:1/hook", "headers": {"x-k": "v"}}},
    "large": {"defaults": {"script": "/abs/s.mjs", "source": "s"}, "runs_file": "/abs/runs.jsonl",
              "chunk_size": 100, "max_parallel_chunks": 2},
    "chunk": {"defaults": {"script": "/abs/s.mjs", "source": "s"}, "runs_file": "/abs/runs.jsonl",
              "runs_file_sha256": "00", "runs_offset": 3, "runs_count": 2, "first_index": 3,
              "job_id_prefix": "wf/"},
}


CONFIGS = {
    "minimal": "source: shop\n",
    "full": """source: ${QUARRY_FUZZ_SET}
category: ${QUARRY_FUZZ_UNSET:-products}
executor: /abs/executor.mjs
browser_ws_endpoint: ws://127.0.0.1:9222/devtools
no_browser_reuse: true
resolve_from: /abs
timeout: 30m
storage:
  dataset: quarry
  backend: fs
  path: ${QUARRY_FUZZ_EMPTY:-/data/q}
  region: eu-west-1
  endpoint: http://127.0.0.1:9000
  s3_path_style: true
policy:
  name: buffered
  flush_mode: two_phase
  buffer_events: 100
  buffer_bytes: 1048576
  flush_count: 10
  flush_interval: 5s
proxies:
  pool-b:
    strategy: round_robin
    endpoints:
      - {protocol: http, host: p1, port: 8080}
      - protocol: socks5
        host: p2
        port: 1080
        username: u
        password: pw
    sticky: {scope: domain, ttl_ms: 60000}
    recency_window: 3
  pool-a:
    strategy: random
proxy:
  pool: pool-a
  strategy: random
adapter:
  type: webhook
  url: http://127.0.0.1:1/hook
  headers: {X-Token: t}
  timeout: 10s
  retries: 3
events:
  sinks:
    - type: lode
      delivery: mandatory
    - type: redis
      url: redis://127.0.0.1:6379/0
      stream_key: quarry:events
      max_len: 1000
      ttl: -1
      timeout: 2s
      retries: 2
""",
    "unknown-key": "storage:\n  bakend: fs\n",
    "bad-type": "policy:\n  buffer_events: many\n",
    "unclosed": "source: [unclosed\n",
    "anchors": "base: &b {backend: fs}\nstorage: *b\n",
    "empty": "",
}


def text_seeds():
    for name, doc in PARAMS.items():
        write("workflow_params_fuzz", name, json.dumps(doc))
    for name, text in CONFIGS.items():
        write("config_yaml_fuzz", name, text)


if __name__ == "__main__":
    ipc_seeds()
    history_seeds()
    jsonl_seeds()
    text_seeds()
    for d in sorted(CORPUS.iterdir()):
        if d.is_dir():
            print(f"{d.name}: {len(list(d.iterdir()))} seeds")
