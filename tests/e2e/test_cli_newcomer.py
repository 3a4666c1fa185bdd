"""A CLI a newcomer gets right the first time (issue 12 items 4 and 5).

Usage errors name everything wrong at once (missing flags together, unknown flags in order with
a "did you mean"), `quarry help` works, `run --help` groups flags and its two examples run as
pasted; a bad script is one line before anything starts; a syntax error is `script_error` with
file:line:column and the offending line; `--quiet` still says when a run failed; a reused
`--run-id` is warned about; successful stealth runs print no stack traces; scripts importing
the original SDK's package name run; the summary ends with where the data went.
"""

import json
import re
import shlex

import pytest

import quarry_harness as qh

DEMO = "examples/demo/script.mjs"


def one_line_error(result, code=2):
    assert result.returncode == code, result.describe()
    lines = result.stderr_lines()
    assert len(lines) == 1, f"expected one line on stderr:\n{result.stderr}"
    assert result.stdout.strip() == "", result.describe()
    return lines[0]


# ---------------------------------------------------------------------------------------------
# Usage errors (no process is started: the autouse `procs` fixture fails on any leftover)


def test_every_missing_required_flag_in_one_message():
    line = one_line_error(qh.run_quarry(["run"], timeout=30))
    assert line.startswith("Error: missing required flags: "), line
    for flag in ["--script", "--run-id", "--source", "--storage-backend", "--storage-path"]:
        assert flag in line, line


def test_unknown_flags_in_the_order_given_with_suggestions(tmp_path):
    args = ["run", "--script", DEMO, "--run-id", "u1", "--sorce", "shop", "--verbose",
            "--polcy=strict", "--storage-backend", "fs", "--storage-path", str(tmp_path)]
    line = one_line_error(qh.run_quarry(args, timeout=30))
    assert line == ("Error: unknown flag --sorce (did you mean --source?); unknown flag "
                    "--verbose; unknown flag --polcy (did you mean --policy?)"), line
    assert list(tmp_path.iterdir()) == []


def test_unknown_command_and_help_topics():
    line = one_line_error(qh.run_quarry(["exprot"], timeout=30))
    assert 'unknown command "exprot" (did you mean export?)' in line, line
    line = one_line_error(qh.run_quarry(["help", "nosuch"], timeout=30))
    assert 'unknown command "nosuch"' in line, line
    # Inside a read-only command a usage error exits 1 (spec §2); in run and at the top level, 2.
    assert one_line_error(qh.run_quarry(["run", "--attempt", "x"], timeout=30)).startswith("Error:")
    line = one_line_error(qh.run_quarry(["export", "--bogus"], timeout=30), code=1)
    assert "--bogus" in line, line


def test_help_and_run_help_groups_defaults_and_examples():
    top = qh.run_quarry(["help"], timeout=30)
    assert top.returncode == 0, top.describe()
    for command in ["run", "export", "help", "version"]:
        assert re.search(rf"^\s+{command}\s", top.stdout, re.M), top.stdout
    run_help = qh.run_quarry(["help", "run"], timeout=30)
    assert run_help.returncode == 0, run_help.describe()
    assert run_help.stdout == qh.run_quarry(["run", "--help"], timeout=30).stdout
    text = run_help.stdout
    headings = [h for h in re.findall(r"^([A-Z][A-Za-z-]+):$", text, re.M)]
    assert headings[:5] == ["Identity", "Storage", "Policy", "Integrations", "Browser"], headings
    # Defaults are shown next to their flags.
    assert re.search(r"--policy TEXT=strict", text), text
    assert re.search(r"--category TEXT=default", text), text
    assert re.search(r"--storage-dataset TEXT=quarry", text), text
    assert re.search(r"--script TEXT .*\(required\)", text), text
    examples = [line.strip() for line in text.splitlines() if line.strip().startswith("quarry run ")]
    assert len(examples) == 2, text
    assert text.rstrip().splitlines()[-1].startswith("and export it with"), text


def test_the_help_examples_run_as_pasted(tmp_path):
    """The two `run --help` examples, pasted in the repository root (the data directory and the
    report redirected into tmp_path so the checkout stays clean)."""
    text = qh.run_quarry(["run", "--help"], timeout=30).stdout
    examples = [line.strip() for line in text.splitlines() if line.strip().startswith("quarry run ")]
    data = tmp_path / "quarry-data"
    data.mkdir()
    for example in examples:
        args = [a.replace("quarry-data", str(data)).replace("report.json", str(tmp_path / "r.json"))
                for a in shlex.split(example)[1:]]
        result = qh.run_quarry(args, timeout=90)
        assert result.returncode == 0, result.describe()
    ds = qh.LodeDataset(data)
    assert {"demo-1", "list-1"} <= ds.run_ids()


def test_missing_or_unreadable_script_is_one_line_before_anything_starts(tmp_path):
    base = ["--run-id", "s1", "--source", "s", "--storage-backend", "fs",
            "--storage-path", str(tmp_path)]
    line = one_line_error(qh.run_quarry(["run", "--script", "nope/missing.mjs", *base], timeout=30))
    assert line == "Error: script not found: nope/missing.mjs", line
    line = one_line_error(qh.run_quarry(["run", "--script", str(tmp_path), *base], timeout=30))
    assert line == f"Error: script is not a file: {tmp_path}", line
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------------------
# Runs


def test_syntax_error_is_a_script_error_with_its_location(tmp_path):
    """Like Node's own report: file:line:column, the line and a caret; outcome script_error, and
    with --quiet the failure is still one line on stderr. The error sits in an imported module."""
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "main.mjs").write_text("import { n } from './lib.mjs';\n"
                                      "export default async () => n;\n")
    (scripts / "lib.mjs").write_text("export const n = 1;\nconst broken = ;\n")
    store = tmp_path / "store"
    store.mkdir()
    report = tmp_path / "report.json"
    args = qh.run_args(script=qh.rel(scripts / "main.mjs"), run_id="syntax-1", store=store,
                       report=report, extra=["--quiet"])
    result = qh.run_quarry(args, timeout=60, report_path=report)
    assert result.returncode == 1, result.describe()
    assert result.stdout == ""
    lines = result.stderr_lines()
    assert len(lines) == 1, result.stderr
    where = f"{qh.rel(scripts / 'lib.mjs')}:2:16"
    assert lines[0].startswith("Error: run syntax-1 ended script_error (exit 1): "), lines[0]
    assert f"{where}: SyntaxError: Unexpected token ';'" in lines[0], lines[0]
    rep = result.report
    assert rep["outcome"] == "script_error", rep
    assert rep["message"] == f"{where}: SyntaxError: Unexpected token ';'", rep
    # The executor's stderr carries Node's block: location, the line, a caret under column 16.
    assert f"{where}\nconst broken = ;\n               ^\n" in rep["stderr"], rep["stderr"]
    terminal = [r for r in qh.LodeDataset(store).records() if r.get("type") == "run_error"]
    assert len(terminal) == 1 and terminal[0]["payload"]["error_type"] == "script_error"


def test_scripts_importing_the_original_sdk_package_run(tmp_path):
    script = tmp_path / "original.mjs"
    script.write_text(
        "import { CONTRACT_VERSION, HOOK_NAMES } from '@pithecene-io/quarry-sdk';\n"
        "export default async function (ctx) {\n"
        "  await ctx.emit.item({ item_type: 't', data: { v: CONTRACT_VERSION, prepare: HOOK_NAMES.includes('prepare') } });\n"
        "}\n")
    store = tmp_path / "store"
    store.mkdir()
    result = qh.run_quarry(qh.run_args(script=qh.rel(script), run_id="orig-1", store=store),
                           timeout=90)
    assert result.returncode == 0, result.describe()
    items = [r for r in qh.LodeDataset(store).records() if r.get("type") == "item"]
    assert [i["payload"]["data"] for i in items] == [{"v": "0.13.4", "prepare": True}], items


@pytest.fixture(scope="module")
def stealth_runs(tmp_path_factory):
    """The demo four times with stealth on (a launched browser) and one run id in one store."""
    store = tmp_path_factory.mktemp("stealth")
    results = []
    for _ in range(4):
        args = qh.run_args(script=DEMO, run_id="again-1", store=store)
        results.append(qh.run_quarry(args, timeout=90, env={"QUARRY_STEALTH": "1"}))
    return store, results


def test_successful_stealth_runs_print_no_stack_traces(stealth_runs):
    _, results = stealth_runs
    for r in results:
        assert r.returncode == 0, r.describe()
        for text in (r.stdout, r.stderr):
            assert "TargetCloseError" not in text, r.describe()
            assert not re.search(r"^\s+at .*\(.*:\d+:\d+\)$", text, re.M), r.describe()
            assert "=== Executor Stderr ===" not in text, r.describe()


def test_a_reused_run_id_is_warned_about(stealth_runs):
    _, results = stealth_runs
    assert "already has data" not in results[0].stderr, results[0].describe()
    for r in results[1:]:
        warnings = [l for l in r.stderr_lines() if l.startswith("Warning: ")]
        assert len(warnings) == 1, r.describe()
        assert 'run id "again-1" already has data in dataset "quarry"' in warnings[0], warnings
        assert "use a new --run-id" in warnings[0], warnings


def test_the_summary_ends_with_where_the_data_went(stealth_runs):
    store, results = stealth_runs
    lines = results[0].stdout.rstrip().splitlines()
    block = lines[lines.index("=== Data ===") + 1:]
    assert len(block) == 4, lines
    dataset = block[0].split(":", 1)[1].strip()
    partition = block[1].split(":", 1)[1].strip()
    assert dataset == f"{store}/datasets/quarry", block
    day = qh.utc_today()
    assert partition == (f"partitions/source=example-runner/category=examples/day={day}/"
                         "run_id=again-1/"), block
    assert (store / "datasets" / "quarry" / partition).is_dir()
    inspect = block[2].split(":", 1)[1].strip()
    assert inspect == f"quarry inspect run again-1 --storage-backend fs --storage-path {store}"
    export = block[3].split(":", 1)[1].strip()
    assert export == f"quarry export --run-id again-1 --storage-backend fs --storage-path {store}"
    # The printed commands work as they are.
    for command in (inspect, export):
        r = qh.run_quarry(shlex.split(command)[1:], timeout=60)
        assert r.returncode == 0, r.describe()
        assert "again-1" in r.stdout, r.describe()
    exported = [json.loads(l) for l in qh.run_quarry(shlex.split(export)[1:]).stdout.splitlines()]
    assert [e["payload"]["data"] for e in exported] == [{"message": "hello from quarry"}] * 4
