"""A retried attempt resumes from its predecessor's last checkpoint (docs/temporal.md, "Resuming
from a checkpoint"): the workflow takes the checkpoint id from the failed attempt's result, or from
the last heartbeat of an attempt that timed out (its worker was killed), and the next attempt's
script sees it as ctx.resume."""

import json
import time

import quarry_harness as qh
from temporal_harness import SCRIPTS, lode_run, temporal_server, tenv  # noqa: F401

SCRIPT = str(SCRIPTS / "checkpoint-resume.mjs")


def pages_by_attempt(store, attempts) -> dict[int, list[int]]:
    out = {}
    for a in attempts:
        run = lode_run(store, a["run_id"])
        out[a["attempt"]] = [i["payload"]["data"]["page"] for i in run.items("page")]
    return out


def resumed(store, run_id) -> dict:
    return lode_run(store, run_id).items("resumed")[0]["payload"]["data"]


def test_a_failed_attempt_hands_its_last_checkpoint_to_the_retry(tenv, tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    tenv.worker()
    job = {"pages": 6, "fail_after": 3}
    r = tenv.start("wf-resume", script=SCRIPT, store=store, wait=True,
                   extra=["--job", json.dumps(job), "--max-attempts", "2",
                          "--initial-interval", "1s"])
    assert r.returncode == 0, f"{r.stdout}\n{r.stderr}\n{tenv.worker_logs()}"
    attempts = json.loads(r.stdout)["result"]["attempts"]
    assert [a["outcome"] for a in attempts] == ["script_error", "success"]
    assert resumed(store, attempts[0]["run_id"])["resume"] is None
    second = resumed(store, attempts[1]["run_id"])
    assert second["resume"] == {"checkpoint_id": "page-3", "run_id": attempts[0]["run_id"]}
    assert pages_by_attempt(store, attempts) == {1: [1, 2, 3], 2: [4, 5, 6]}


def test_an_attempt_whose_worker_died_resumes_from_its_last_heartbeat(tenv, tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    first = tenv.worker("--heartbeat-interval", "1s")
    job = {"pages": 5, "fail_after": 2, "hang": True}
    r = tenv.start("wf-resume-hb", script=SCRIPT, store=store,
                   extra=["--job", json.dumps(job), "--max-attempts", "2", "--initial-interval",
                          "1s", "--heartbeat-timeout", "4s"])
    assert r.returncode == 0, r.stderr
    # Wait until attempt 1 checkpointed page 2 and a heartbeat carried it, then kill its worker.
    def checkpointed() -> bool:
        try:  # the dataset is being written: a commit in flight reads as a short chain
            return any(rec.get("event_type") == "checkpoint" and
                       rec["payload"]["checkpoint_id"] == "page-2"
                       for rec in qh.LodeDataset(store).records())
        except (AssertionError, FileNotFoundError, ValueError):
            return False
    qh.wait_for(checkpointed, timeout=120, interval=0.2, what="attempt 1 to checkpoint page 2")
    time.sleep(2.5)  # more than one heartbeat interval
    first.kill9()
    qh.kill_tagged_processes()  # its executor and Chromium went with it (orphan guard); be sure
    tenv.worker("--heartbeat-interval", "1s")
    code, out = tenv.result("wf-resume-hb", timeout=180)
    assert code == 0, f"{out}\n{tenv.worker_logs()}"
    attempts = out["result"]["attempts"]
    assert [a["outcome"] for a in attempts] == ["activity_timeout", "success"], attempts
    second = resumed(store, attempts[1]["run_id"])
    assert second["resume"] == {"checkpoint_id": "page-2", "run_id": attempts[0]["run_id"]}
    assert [i["payload"]["data"]["page"] for i in lode_run(store, attempts[1]["run_id"]).items("page")] == [3, 4, 5]
