"""Shared fixtures for the end-to-end suite.

Every test gets a fresh process tag (see quarry_harness.TAG_VAR). Each quarry started by the test
carries it, so after the test every process of the run's tree — executor, Chromium and its
helpers — can be found and must be gone (executor-contract §14.3, §23 items 39–40).
"""

import shutil
import tempfile

import pytest

import quarry_harness as qh


@pytest.fixture(scope="module", autouse=True)
def quarry_binary(request):
    if request.module.__name__ == "test_harness_reader":
        return None  # checks the suite's own reader; needs no binary
    if not qh.QUARRY_BIN.exists():
        message = f"quarry binary not found at {qh.QUARRY_BIN} (build it or set QUARRY_BIN)"
        if qh.QUARRY_BIN_EXPLICIT:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return qh.QUARRY_BIN


@pytest.fixture(autouse=True)
def procs():
    """Watches the test's processes; fails the test if any survive it (3 s grace for reaping).

    Reusable browser servers the test started (in its own discovery directory) are stopped first;
    anything left after that, a server included, is a leak."""
    tag = qh.new_tag()
    qh.set_current_tag(tag)
    runtime_dir = tempfile.mkdtemp(prefix="quarry-e2e-rt-")
    qh.set_browser_runtime_dir(runtime_dir)
    with qh.ProcessWatcher(tag) as watcher:
        yield watcher
    qh.stop_browser_servers(runtime_dir)
    survivors = qh.wait_for_no_processes(tag, watcher, grace=3.0)
    survivors += [p for p in qh.wait_for_no_processes(tag, None, grace=0.5, include_browser_servers=True)
                  if p.key not in {s.key for s in survivors}]
    qh.set_current_tag(None)
    qh.set_browser_runtime_dir(None)
    shutil.rmtree(runtime_dir, ignore_errors=True)
    if survivors:
        qh.kill_tagged_processes(survivors)
        listing = "\n".join(f"  pid {p.pid} (ppid {p.ppid}, state {p.state}): {p.cmdline[:160]}"
                            for p in survivors)
        pytest.fail(f"processes of the run are still alive after the test:\n{listing}",
                    pytrace=False)


# --- storage backends ----------------------------------------------------------------------------
# Storage tests take `new_store` and run once per backend: `new_store("name")` is a fresh fs
# directory or a fresh bucket prefix on the suite's S3 server (one versitygw for the session).


@pytest.fixture(scope="session")
def s3_gateway():
    import s3_harness
    gw = s3_harness.Gateway()
    yield gw
    gw.stop()


@pytest.fixture(params=["fs", "s3"])
def backend(request):
    return request.param


@pytest.fixture
def new_store(backend, tmp_path, request):
    def make(name: str):
        if backend == "fs":
            path = tmp_path / name
            path.mkdir(parents=True, exist_ok=True)
            return path
        return request.getfixturevalue("s3_gateway").store(name)
    return make
