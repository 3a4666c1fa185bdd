"""`--tui` (cli-and-integrations.md §6.4) driven in a real terminal: tmux runs `quarry … --tui` in
a detached 120x40 pane, the test types keys with `send-keys` and reads the screen with
`capture-pane`. The dataset comes from real runs: a fan-out crawl (root + two children) and a run
held open while the TUI watches it, so a refresh must show it go from running to succeeded.
"""
import json
import re
import shutil
import subprocess
import time
import uuid

import pytest

import quarry_harness as qh

SCRIPT = "tests/e2e/scripts/read-kinds.mjs"
FANOUT = "tests/e2e/scripts/fanout-tree.mjs"



class Pane:
    """One quarry command in a tmux pane of its own server (its own socket)."""

    def __init__(self, tmp_path, command: list[str], *, width=120, height=40, env=None):
        self.socket = f"quarry-tui-{uuid.uuid4().hex[:8]}"
        self.done = tmp_path / f"{self.socket}.done"
        script = tmp_path / f"{self.socket}.sh"
        quoted = " ".join(_quote(a) for a in command)
        # What the terminal was before and after: the TUI must give it back cooked, with echo.
        script.write_text(
            "stty -a | tr ' ;' '\\n\\n' | grep -Ex -- '-?(icanon|echo)' | tr '\\n' ' ' > "
            f"{_quote(str(self.done))}.before\n"
            f"{quoted}\n"
            f"echo \"rc=$?\" > {_quote(str(self.done))}.tmp\n"
            "stty -a | tr ' ;' '\\n\\n' | grep -Ex -- '-?(icanon|echo)' | tr '\\n' ' ' >> "
            f"{_quote(str(self.done))}.tmp\n"
            f"mv {_quote(str(self.done))}.tmp {_quote(str(self.done))}\n"
            "sleep 600\n")
        env_args = []
        for k, v in {"LC_ALL": "C.UTF-8", "TERM": "tmux-256color", **(env or {})}.items():
            env_args += ["-e", f"{k}={v}"]
        self._tmux("-f", "/dev/null", "new-session", "-d", "-x", str(width), "-y", str(height),
                   *env_args, "bash", str(script))

    def _tmux(self, *args, check=True) -> str:
        r = subprocess.run(["tmux", "-u", "-L", self.socket, *args], capture_output=True,
                           text=True, timeout=10)
        if check:
            assert r.returncode == 0, r.stderr
        return r.stdout

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p")

    def keys(self, *keys):
        self._tmux("send-keys", *keys)

    def alternate(self) -> bool:
        return self._tmux("display", "-p", "#{alternate_on}").strip() == "1"

    def wait_for(self, predicate, what, timeout=20.0) -> str:
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = self.screen()
            if predicate(text):
                return text
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}; the screen:\n{text}")

    def wait_text(self, text, timeout=20.0) -> str:
        return self.wait_for(lambda s: text in s, repr(text), timeout)

    def result(self, timeout=10.0) -> tuple[str, str]:
        deadline = time.monotonic() + timeout
        while not self.done.exists():
            assert time.monotonic() < deadline, "quarry --tui did not exit; screen:\n" + self.screen()
            time.sleep(0.1)
        before = self.done.with_name(self.done.name + ".before").read_text().split()
        after = self.done.read_text().split()
        return after[0], " ".join(sorted(after[1:])) + " | before: " + " ".join(sorted(before))

    def close(self):
        self._tmux("kill-server", check=False)


def _quote(s: str) -> str:
    return "'" + s.replace("'", "'\\''") + "'"


def _plain(line: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", line).strip()


def selected_line(pane: Pane) -> str:
    """The row drawn in reverse video (the selection), from the pane with its escapes."""
    text = pane._tmux("capture-pane", "-p", "-e")
    for line in text.splitlines():
        if re.search(r"\x1b\[(?:\d*;)*7m", line) and "quit" not in line and "Quarry" not in line:
            return line
    return ""


@pytest.fixture(scope="module")
def ds(tmp_path_factory):
    store = tmp_path_factory.mktemp("tui-store")
    cache = tmp_path_factory.mktemp("tui-cache")
    tag = qh.new_tag()
    qh.set_current_tag(tag)
    try:
        tree = {"id": "root", "kids": [{"job": {"id": "a"}}, {"job": {"id": "b"}}]}
        fan = qh.run_quarry(qh.run_args(script=FANOUT, run_id="tui-fan", store=store, extra=[
            "--job", json.dumps(tree), "--depth", "1", "--max-runs", "10"]))
        assert fan.returncode == 0, fan.describe()
        fail = qh.run_quarry(qh.run_args(script=SCRIPT, run_id="tui-fail", store=store,
                                         extra=["--job", json.dumps({"fail": True})]))
        assert fail.returncode != 0, fail.describe()
        qh.kill_tagged_processes(qh.wait_for_no_processes(tag, None, grace=3.0))
    finally:
        qh.set_current_tag(None)
    children = sorted({r["run_id"] for r in qh.LodeDataset(str(store)).records()
                       if r.get("enqueued_by_run_id") == "tui-fan"})
    assert len(children) == 2, children
    return {"store": store, "env": {"XDG_CACHE_HOME": str(cache)}, "children": children}


def tui(ds, tmp_path, *args, store=None, **kw) -> Pane:
    loc = ["--storage-backend", "fs", "--storage-path", str(store or ds["store"])]
    return Pane(tmp_path, [str(qh.QUARRY_BIN), *args, "--tui", *loc], env=ds["env"], **kw)


def test_runs_view_navigation_and_quit_restore_the_terminal(ds, tmp_path):
    pane = tui(ds, tmp_path, "stats", "runs")
    try:
        screen = pane.wait_text("Runs, newest first (4)")
        assert pane.alternate(), "the TUI draws on the alternate screen"
        for label in ("Total", "Running", "Succeeded", "Failed"):
            assert label in screen
        assert "┌" in screen and "│" in screen  # UTF-8 locale: box drawing
        assert "tui-fail" in screen and "failed" in screen
        assert "q quit" in screen and "enter open" in screen
        # The newest run is selected first; j and k move the selection.
        first = selected_line(pane)
        assert first, screen
        pane.keys("j")
        pane.wait_for(lambda _: selected_line(pane) not in ("", first), "the selection to move")
        pane.keys("k")
        pane.wait_for(lambda _: selected_line(pane) == first, "the selection to move back")
        # Open the fan-out root: its run view, then its first child, then back twice.
        # The oldest run is the fan-out root (its children start after it, tui-fail last).
        pane.keys("G")
        pane.wait_for(lambda _: _plain(selected_line(pane)).startswith("tui-fan "),
                      "the root to be selected")
        pane.keys("Enter")
        screen = pane.wait_text("Run tui-fan")
        assert "Children (2)" in screen, screen
        assert "Stored by event type" in screen and "enqueue" in screen
        assert "esc back" in screen
        pane.keys("Enter")
        screen = pane.wait_for(lambda s: "Enqueued By" in s, "the child's run view")
        assert "Fan-out Depth" in screen and "tui-fan" in screen
        assert any(c in screen for c in ds["children"]), screen
        pane.keys("Escape")
        pane.wait_text("Children (2)")
        pane.keys("Escape")
        pane.wait_text("Runs, newest first (4)")
        pane.keys("q")
        rc, stty = pane.result()
        assert rc == "rc=0", pane.screen()
        assert stty.startswith("echo icanon"), stty
        assert not pane.alternate(), "the main screen is back after quitting"
    finally:
        pane.close()


def test_a_run_is_followed_from_running_to_succeeded(ds, tmp_path):
    store = tmp_path / "live"
    store.mkdir()
    tag = qh.new_tag()
    qh.set_current_tag(tag)
    try:
        held = qh.start_quarry(qh.run_args(script=SCRIPT, run_id="tui-held", store=store,
                                           extra=["--job", json.dumps({"hold_ms": 6000})]))
        # Open the TUI once the held run's first item is committed (it is then `running`).
        deadline = time.monotonic() + 60
        while not any("event_type=item" in str(p) for p in store.rglob("manifest.json")):
            assert held.poll() is None, held.communicate()[1].decode()[-2000:]
            assert time.monotonic() < deadline, "tui-held never committed its item"
            time.sleep(0.1)
        pane = tui(ds, tmp_path, "inspect", "run", "tui-held", store=store)
        try:
            screen = pane.wait_text("Run tui-held")
            assert "running" in screen and "Outcome" not in screen, screen
            out, err = held.communicate(timeout=60)
            assert held.returncode == 0, err.decode()[-2000:]
            # The 2 s refresh picks the end of the run up without a key.
            screen = pane.wait_text("succeeded", timeout=15)
            assert "Outcome" in screen and "success" in screen and "refreshed" in screen
            pane.keys("C-c")  # raw mode: ctrl+c is a key, and quits like q
            rc, stty = pane.result()
            assert rc == "rc=0"
            assert stty.startswith("echo icanon"), stty
        finally:
            pane.close()
        qh.kill_tagged_processes(qh.wait_for_no_processes(tag, None, grace=3.0))
    finally:
        qh.set_current_tag(None)


def test_metrics_view_and_errors(ds, tmp_path):
    pane = tui(ds, tmp_path, "stats", "metrics", "--run-id", "tui-fan")
    try:
        screen = pane.wait_text("Metrics of run tui-fan")
        assert "events_received_total" in screen and "Lifecycle" in screen
        pane.keys("q")
        assert pane.result()[0] == "rc=0"
    finally:
        pane.close()
    # Errors come before the terminal is taken, as the command's one-line error and exit 1.
    pane = tui(ds, tmp_path, "inspect", "run", "nope")
    try:
        assert pane.result()[0] == "rc=1"
        assert "Error: run not found: nope" in pane.screen()
    finally:
        pane.close()
    loc = ["--storage-backend", "fs", "--storage-path", str(ds["store"])]
    r = qh.run_quarry(["stats", "runs", "--tui", *loc], env=ds["env"], timeout=30)
    assert (r.returncode, r.stderr) == (
        1, "Error: --tui needs a terminal (stdin and stdout must be a tty)\n")
