"""Secrets never leak (issue 9 items 5–7, cli-and-integrations D11.25, storage-and-policies §8.8).

* Credentials Quarry itself consumes (Temporal API key, AWS keys, QUARRY_SECRET_*) do not reach the
  executor or the script through the inherited environment; `--executor-env NAME` passes one on.
* Redis URLs whose password holds URL-special characters are never printed unredacted.
* Webhook URLs that carry their token in the path (Slack/Discord style) are stored and printed
  redacted, in warnings, outbox records and `quarry outbox list`.

Every check greps everything the run produced: stdout, stderr, the report and every dataset file.
"""

import json
import socket
from pathlib import Path

import pytest

import quarry_harness as qh

DEMO = "examples/demo/script.mjs"
DUMP_ENV = qh.rel(qh.SCRIPTS / "dump-env.mjs")


def everything_written(ex: qh.ExampleRun) -> str:
    parts = [ex.result.stdout, ex.result.stderr]
    for p in sorted(Path(ex.store).rglob("*")):
        if p.is_file():
            parts.append(p.read_bytes().decode("utf-8", "replace"))
    return "\n".join(parts)


def assert_nowhere(ex: qh.ExampleRun, *secrets: str) -> None:
    text = everything_written(ex)
    for s in secrets:
        assert s not in text, f"{s!r} leaked into the output or the dataset:\n{ex.result.describe()}"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


CREDENTIALS = {
    "TEMPORAL_API_KEY": "temporal-key-0f3c9e",
    "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE0000LEAK",
    "AWS_SECRET_ACCESS_KEY": "aws-secret-7d1b2a",
    "AWS_SESSION_TOKEN": "aws-session-44c0ff",
    "QUARRY_SECRET_DB_PASSWORD": "db-pw-91aa",
}
ORDINARY = {"MY_SETTING": "plain-value", "AWS_REGION": "eu-west-1"}


def env_names(ex: qh.ExampleRun) -> list[str]:
    items = ex.run_view().items("env")
    assert len(items) == 1, items
    return items[0]["payload"]["data"]["names"]


def test_quarry_credentials_do_not_reach_the_script(tmp_path):
    ex = qh.run_example(tmp_path, "env", DUMP_ENV, env={**CREDENTIALS, **ORDINARY})
    qh.check_run(ex, outcome="success", types=["item", "run_complete"])
    names = env_names(ex)
    for name in CREDENTIALS:
        assert name not in names, f"{name} reached the script"
    for name in ORDINARY:
        assert name in names, f"{name} should still reach the script"
    assert "PATH" in names and "HOME" in names
    assert_nowhere(ex, *CREDENTIALS.values())


def test_executor_env_passes_a_named_credential(tmp_path):
    ex = qh.run_example(tmp_path, "env-pass", DUMP_ENV, env=CREDENTIALS,
                        extra=["--executor-env", "AWS_SESSION_TOKEN"])
    qh.check_run(ex, outcome="success", types=["item", "run_complete"])
    names = env_names(ex)
    assert "AWS_SESSION_TOKEN" in names
    assert "AWS_SECRET_ACCESS_KEY" not in names and "TEMPORAL_API_KEY" not in names


def test_executor_env_refuses_an_assignment(tmp_path):
    store = tmp_path / "s"
    store.mkdir()
    result = qh.run_quarry(qh.run_args(script=DUMP_ENV, run_id="env-bad", store=store,
                                       extra=["--executor-env", "AWS_SESSION_TOKEN=x"]))
    assert result.returncode == 2, result.describe()
    lines = result.stderr_lines()
    assert len(lines) == 1 and "--executor-env" in lines[0] and "not a variable name" in lines[0]


@pytest.mark.parametrize("password", ["pa/ss-w0rd", "pa#ss-w0rd", "pa?ss-w0rd", "pa@ss-w0rd",
                                      "/pass-w0rd", "pass-w0rd#", "p%2Fss-w0rd"])
def test_redis_url_passwords_with_special_characters_never_show(tmp_path, password):
    url = f"redis://:{password}@127.0.0.1:{closed_port()}/0"
    for flags in (["--event-sink", "lode,redis", "--event-sink-redis-url", url,
                   "--event-sink-redis-retries", "0"],
                  ["--adapter", "redis", "--adapter-url", url, "--adapter-retries", "0"]):
        ex = qh.run_example(tmp_path, f"redis-{abs(hash((password, flags[0])))}", DEMO,
                            executor=qh.rel(qh.FAKES / "happy.py"), extra=flags)
        # Whatever the URL's fate (invalid, or valid and unreachable), the failure is reported
        # (policy failure, or a warning) and the password never shows.
        assert ex.result.returncode != 0 or "Warning:" in ex.result.stderr, ex.result.describe()
        assert_nowhere(ex, password, password.strip("/#?@"), "w0rd")


def test_webhook_token_in_the_path_is_stored_and_printed_redacted(tmp_path):
    token = "XXXXsecretTOKENinPATHxxxx"
    url = f"http://127.0.0.1:{closed_port()}/services/T000AAAA/B000BBBB/{token}"
    ex = qh.run_example(tmp_path, "hook", DEMO, executor=qh.rel(qh.FAKES / "happy.py"),
                        extra=["--adapter", "webhook", "--adapter-url", url,
                               "--adapter-retries", "0", "--adapter-timeout", "2s"])
    assert ex.result.returncode == 0, ex.result.describe()
    assert "adapter notification failed" in ex.result.stderr
    records = [json.loads(p.read_text()) for p in
               ex.store.glob("datasets/*/partitions/*/*/*/*/event_type=adapter_outbox/*.json")]
    assert [r["state"] for r in records] == ["notification_pending"], records
    assert records[0]["target"] == "webhook http://127.0.0.1:%d/services/***" % int(
        url.split(":")[2].split("/")[0])
    listed = qh.run_quarry(["outbox", "list", "--storage-backend", "fs", "--storage-path",
                            str(ex.store)], timeout=30)
    assert json.loads(listed.stdout)[0]["run_id"] == ex.run_id
    for text in (everything_written(ex), listed.stdout, listed.stderr):
        assert token not in text and "T000AAAA" not in text and "B000BBBB" not in text
