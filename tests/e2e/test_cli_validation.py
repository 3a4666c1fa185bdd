"""Pre-execution failures of `quarry run` (cli-and-integrations §4.3, D11.21) and `quarry version`.

Every bad invocation must exit 2 with a one-line error on stderr and start nothing: no executor,
no browser (checked by the autouse `procs` fixture) and no dataset directory.
"""

import json
import re

import pytest

import quarry_harness as qh

DEMO = "examples/demo/script.mjs"


@pytest.fixture
def store(tmp_path):
    path = tmp_path / "store"
    path.mkdir()
    return path


def base_args(store, **drop) -> list[str]:
    """A valid strict/fs invocation as (flag, value) pairs; `drop` removes flags by name."""
    pairs = [("--script", DEMO), ("--run-id", f"validation-{qh.now_ms()}"), ("--source", "val"),
             ("--storage-backend", "fs"), ("--storage-path", str(store)), ("--policy", "strict"),
             ("--no-browser-reuse", None)]
    args = ["run"]
    for flag, value in pairs:
        if drop.get(flag.lstrip("-").replace("-", "_")):
            continue
        args.append(flag)
        if value is not None:
            args.append(value)
    return args


def expect_pre_execution_failure(args, store, *needles, procs=None):
    result = qh.run_quarry(args, timeout=30)
    assert result.returncode == 2, result.describe()
    lines = result.stderr_lines()
    assert len(lines) == 1, f"expected a one-line error, got {len(lines)} lines:\n{result.stderr}"
    line = lines[0]
    for needle in needles:
        assert needle in line, f"{needle!r} not in error line {line!r}"
    assert result.stdout.strip() == "", f"nothing expected on stdout: {result.stdout!r}"
    assert list(store.iterdir()) == [], f"the store was written to: {list(store.rglob('*'))}"
    if procs is not None:
        started = [p.cmdline for p in procs.seen.values()
                   if not p.cmdline.startswith(str(qh.QUARRY_BIN))]
        assert started == [], f"processes were started: {started}"
    assert result.elapsed < 10
    return line


@pytest.mark.parametrize("drop,needles", [
    ("script", ["--script"]),
    ("run_id", ["--run-id"]),
    ("source", ["--source is required (provide via CLI flag or config file)"]),
    ("storage_backend", ["--storage-backend"]),
    ("storage_path", ["--storage-path"]),
])
def test_missing_required_flag(store, procs, drop, needles):
    expect_pre_execution_failure(base_args(store, **{drop: True}), store, *needles, procs=procs)


@pytest.mark.parametrize("job,needle", [
    ("[]", "array (length 0)"),
    ("[1,2,3]", "array (length 3)"),
    ("null", "null"),
    ("1", "number (1)"),
    ('"s"', 'string ("s")'),
    ("true", "boolean (true)"),
])
def test_job_must_be_an_object(store, procs, job, needle):
    line = expect_pre_execution_failure(base_args(store) + ["--job", job], store, needle,
                                        procs=procs)
    assert "object" in line, line


def test_job_malformed_json(store, procs):
    line = expect_pre_execution_failure(base_args(store) + ["--job", "{not json"], store,
                                        procs=procs)
    assert "job" in line.lower(), line


def test_job_and_job_json_are_exclusive(store, tmp_path, procs):
    job_file = tmp_path / "job.json"
    job_file.write_text("{}")
    expect_pre_execution_failure(base_args(store) + ["--job", "{}", "--job-json", str(job_file)],
                                 store, "--job", "--job-json", procs=procs)


def test_job_json_missing_file(store, tmp_path, procs):
    missing = tmp_path / "no-such-job.json"
    expect_pre_execution_failure(base_args(store) + ["--job-json", str(missing)], store,
                                 str(missing), procs=procs)


def test_job_json_not_an_object(store, tmp_path, procs):
    job_file = tmp_path / "job.json"
    job_file.write_text("[]\n")
    expect_pre_execution_failure(base_args(store) + ["--job-json", str(job_file)], store,
                                 "array (length 0)", procs=procs)


def test_attempt_2_without_parent(store, procs):
    line = expect_pre_execution_failure(base_args(store) + ["--attempt", "2"], store, procs=procs)
    assert "parent" in line.lower(), line


def test_attempt_1_with_parent(store, procs):
    line = expect_pre_execution_failure(base_args(store) + ["--parent-run-id", "run-0"], store,
                                        procs=procs)
    assert "parent" in line.lower(), line


def test_attempt_zero(store, procs):
    line = expect_pre_execution_failure(base_args(store) + ["--attempt", "0"], store, procs=procs)
    assert "attempt" in line.lower(), line


def test_unknown_policy(store, procs):
    expect_pre_execution_failure(base_args(store, policy=True) + ["--policy", "fancy"], store,
                                 "strict", "buffered", "streaming", procs=procs)


def test_buffered_without_limits(store, procs):
    line = expect_pre_execution_failure(base_args(store, policy=True) + ["--policy", "buffered"],
                                        store, procs=procs)
    assert "buffer" in line.lower(), line


def test_streaming_without_triggers(store, procs):
    line = expect_pre_execution_failure(base_args(store, policy=True) + ["--policy", "streaming"],
                                        store, procs=procs)
    assert "flush" in line.lower(), line


def test_fs_path_missing_suggests_mkdir(tmp_path, store, procs):
    missing = tmp_path / "not-there" / "data"
    args = base_args(store, storage_path=True) + ["--storage-path", str(missing)]
    expect_pre_execution_failure(args, store, f"mkdir -p {missing}", procs=procs)
    assert not missing.exists() and not missing.parent.exists()


def test_fs_path_is_a_file(tmp_path, store, procs):
    a_file = tmp_path / "plain-file"
    a_file.write_text("x")
    args = base_args(store, storage_path=True) + ["--storage-path", str(a_file)]
    expect_pre_execution_failure(args, store, "not a directory", procs=procs)


def test_unknown_storage_backend(store, procs):
    args = base_args(store, storage_backend=True) + ["--storage-backend", "ftp"]
    expect_pre_execution_failure(args, store, "ftp", "fs", "s3", procs=procs)


def test_missing_executor_path(tmp_path, store, procs):
    missing = tmp_path / "no-executor.mjs"
    expect_pre_execution_failure(base_args(store) + ["--executor", str(missing)], store,
                                 str(missing), procs=procs)


def test_unknown_flag(store, procs):
    expect_pre_execution_failure(base_args(store) + ["--bogus-flag"], store, "--bogus-flag",
                                 procs=procs)


def test_unparsable_duration(store, procs):
    line = expect_pre_execution_failure(base_args(store) + ["--timeout", "10"], store, procs=procs)
    assert "timeout" in line or "10" in line, line


def test_resolve_from_missing_directory(tmp_path, store, procs):
    missing = tmp_path / "no-modules"
    expect_pre_execution_failure(base_args(store) + ["--resolve-from", str(missing)], store,
                                 "directory does not exist", procs=procs)


# Validation order (§4.3): the first failing check decides the message.

def test_order_source_before_job(store, procs):
    args = base_args(store, source=True) + ["--job", "[]"]
    expect_pre_execution_failure(args, store, "--source is required", procs=procs)


def test_order_policy_before_job(store, procs):
    args = base_args(store, policy=True) + ["--policy", "fancy", "--job", "[]"]
    line = expect_pre_execution_failure(args, store, "fancy", procs=procs)
    assert "array" not in line


def test_order_job_before_storage(store, procs):
    args = base_args(store, storage_backend=True) + ["--job", "null"]
    line = expect_pre_execution_failure(args, store, "null", procs=procs)
    assert "--storage-backend" not in line


def test_order_storage_before_lineage(tmp_path, store, procs):
    missing = tmp_path / "absent"
    args = base_args(store, storage_path=True) + ["--storage-path", str(missing), "--attempt", "2"]
    expect_pre_execution_failure(args, store, "mkdir -p", procs=procs)


def test_order_lineage_before_executor(tmp_path, store, procs):
    args = base_args(store) + ["--attempt", "2", "--executor", str(tmp_path / "nope.mjs")]
    line = expect_pre_execution_failure(args, store, procs=procs)
    assert "parent" in line.lower() and "nope.mjs" not in line, line


# ---------------------------------------------------------------------------------------------
# Dry run (§4.7)

def test_dry_run_valid_script(tmp_path):
    result = qh.run_quarry(["run", "--dry-run", "--script", DEMO, "--run-id", "dry-1"], timeout=30)
    assert result.returncode == 0, result.describe()
    assert DEMO in result.stderr, "the stderr summary names the script"


def test_dry_run_invalid_script(tmp_path):
    bad = qh.rel(qh.SCRIPTS / "bad-export.mjs")
    result = qh.run_quarry(["run", "--dry-run", "--script", bad, "--run-id", "dry-2"], timeout=30)
    assert result.returncode == 1, result.describe()
    assert bad in result.stderr, "the stderr summary names the script"


# ---------------------------------------------------------------------------------------------
# Version

def test_version_command_json_when_piped():
    result = qh.run_quarry(["version"], timeout=10)
    assert result.returncode == 0, result.describe()
    assert result.stdout.startswith("{\n  \"") and result.stdout.endswith("}\n"), result.stdout
    data = json.loads(result.stdout)
    assert set(data) == {"version", "commit", "contract_version"}, data
    assert data["contract_version"] == "0.13.4"
    assert data["version"] and data["commit"]


@pytest.mark.parametrize("flag", ["--version", "-v"])
def test_version_flag(flag):
    data = json.loads(qh.run_quarry(["version"], timeout=10).stdout)
    result = qh.run_quarry([flag], timeout=10)
    assert result.returncode == 0, result.describe()
    line = result.stdout.strip()
    match = re.fullmatch(r"quarry version (\S+) \(commit: (\S+)\)", line)
    assert match, line
    assert match.group(1) == data["version"] and match.group(2) == data["commit"]


def test_version_rejects_tui():
    result = qh.run_quarry(["version", "--tui"], timeout=10)
    assert result.returncode == 1, result.describe()
    assert "--tui is not supported for version command" in result.stderr


# ---------------------------------------------------------------------------------------------
# Hostile values (issue 9 items 1 and 11): no input crashes quarry, and every value that ends up
# in a storage path is checked before anything starts.

def nested(levels: int) -> str:
    return '{"a":' + "[" * levels + "]" * levels + "}"


def test_deeply_nested_job_is_refused_not_a_crash(store, procs):
    line = expect_pre_execution_failure(base_args(store) + ["--job", nested(30_000)], store,
                                        "--job is nested deeper than 128 levels", procs=procs)
    assert len(line) < 200, line


def test_deeply_nested_job_file_is_refused_not_a_crash(store, tmp_path, procs):
    job_file = tmp_path / "deep.json"
    job_file.write_text(nested(30_000))
    expect_pre_execution_failure(base_args(store) + ["--job-json", str(job_file)], store,
                                 "nested deeper than 128 levels", procs=procs)


def test_job_at_the_depth_limit_is_accepted(store, procs):
    # {"a": 127 arrays} is 128 levels: accepted, and the run stores it.
    result = qh.run_quarry(base_args(store) + ["--job", nested(127)], timeout=120)
    assert result.returncode == 0, result.describe()


@pytest.mark.parametrize("text,needle", [
    ("source: x\nextra: " + "[" * 30_000 + "]" * 30_000 + "\n", "nested too deeply at line 2"),
    ("source: x\nstorage:\n" + "".join(" " * (i + 1) + "k:\n" for i in range(3000)),
     "nested too deeply"),
])
def test_deeply_nested_config_is_refused_not_a_crash(store, tmp_path, procs, text, needle):
    config = tmp_path / "deep.yaml"
    config.write_text(text)
    expect_pre_execution_failure(base_args(store) + ["--config", str(config)], store,
                                 "failed to load config", needle, procs=procs)


def test_empty_category_is_refused_before_the_run(store, procs):
    expect_pre_execution_failure(base_args(store) + ["--category", ""], store,
                                 "--category must not be empty", procs=procs)


@pytest.mark.parametrize("flag,drop", [("--run-id", "run_id"), ("--source", "source"),
                                       ("--category", None)])
def test_over_long_path_values_are_refused_before_the_run(store, procs, flag, drop):
    args = base_args(store, **({drop: True} if drop else {})) + [flag, "r" * 300]
    line = expect_pre_execution_failure(args, store, f"{flag} is too long", "at most 255",
                                        procs=procs)
    assert "r" * 60 not in line, f"the value should be shortened in the message: {line}"


def test_value_that_only_escaping_makes_too_long_is_refused(store, procs):
    # 100 spaces are 100 bytes but 300 once escaped (%20) in the partition directory name.
    args = base_args(store, source=True) + ["--source", " " * 100]
    expect_pre_execution_failure(args, store, "--source is too long", procs=procs)


def test_read_only_storage_directory_is_refused_before_the_run(tmp_path, procs):
    import shutil
    import subprocess
    store = tmp_path / "ro"
    store.mkdir()
    if shutil.which("chattr") is None:
        pytest.skip("chattr not available")
    # Root passes permission checks; an immutable directory refuses even root.
    if subprocess.run(["chattr", "+i", str(store)], capture_output=True).returncode != 0:
        pytest.skip("cannot make a directory immutable here")
    try:
        expect_pre_execution_failure(base_args(store), store, "is not writable", procs=procs)
    finally:
        subprocess.run(["chattr", "-i", str(store)], check=True)


def test_newline_in_run_id_is_escaped_in_the_summary(tmp_path):
    store = tmp_path / "nl"
    store.mkdir()
    args = base_args(store, run_id=True) + ["--run-id", "line1\nline2"]
    result = qh.run_quarry(args, timeout=120)
    assert result.returncode == 0, result.describe()
    assert "run_id=line1\\nline2," in result.stdout, result.stdout
    assert "\nline2" not in result.stdout


def test_control_characters_in_values_stay_on_one_error_line(store, procs):
    args = base_args(store, storage_backend=True) + ["--storage-backend", "f\ns\x1b[2J"]
    line = expect_pre_execution_failure(args, store, 'unknown storage backend "f\\ns\\x1b[2J"',
                                        procs=procs)
    assert "\x1b" not in line
