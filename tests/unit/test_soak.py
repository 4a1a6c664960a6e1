"""The soak's summary: runs folded into cases, pass rates, failures' first lines, the exit status, the page."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from threeplanes import bench, cli, soak
from threeplanes.errors import ProvisioningError

ROOT = Path(__file__).resolve().parents[2]
MACHINE = {"when": "2026-01-01T00:00:00Z", "cpus": 2, "platform": "Linux", "kubernetes": "1.36.4", "commit": "abc"}

# Tests with every outcome a soak meets, run twice each through pytest-repeat with the soak's plugin.
SAMPLE_TESTS = """
import pytest
from nbclient.exceptions import CellExecutionError

@pytest.fixture
def leaves_something_behind():
    yield
    raise AssertionError("f4-batch left these behind: [Namespace f4-batch-1a2b3c]")

@pytest.mark.parametrize("lab", ["00-meet-your-cluster", "f4-batch"])
def test_lab_runs_top_to_bottom(lab, request):
    if lab == "f4-batch" and request.node.name.endswith("-2-2]"):
        raise CellExecutionError(
            "An error occurred while executing the following cell:\\n------------------\\nwait()\\n",
            ename="WaitTimeout",
            evalue="the Job pi did not complete within 60 s\\n(its pods: 0 succeeded)",
        )

def test_f2_volume_is_reserved(leaves_something_behind):
    raise AssertionError("\\x1b[31mthe volume was taken\\x1b[0m by another claim\\nassert False")

def test_needs_kwok():
    pytest.skip("this step needs kwok's simulated nodes")
"""


@pytest.fixture
def results_files(tmp_path, monkeypatch) -> Path:
    monkeypatch.setattr(bench, "RESULTS", tmp_path / "bench" / "results.json")
    monkeypatch.setattr(bench, "REFERENCE", tmp_path / "bench" / "reference.json")
    monkeypatch.setattr(bench, "machine", lambda: MACHINE)
    return tmp_path / "bench" / "results.json"


@pytest.fixture(scope="module")
def sample_junit(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("soak")
    (folder / "test_sample.py").write_text(SAMPLE_TESTS)
    junit = folder / "sample.xml"
    command = [sys.executable, "-m", "pytest", "-p", "threeplanes.soak", "-p", "no:randomly", "-p", "no:cacheprovider"]
    command += ["-n", "2", "--count", "2", f"--junitxml={junit}", "-q", "test_sample.py"]  # as the soak: workers
    subprocess.run(command, cwd=folder, capture_output=True, timeout=120, check=False)
    assert junit.exists(), "the sample soak wrote no JUnit report"
    return junit


def record(cases: list[dict], selection: str | None = None) -> dict:
    return {
        "machine": MACHINE,
        "count": 2,
        "workers": 4,
        "selection": selection,
        "seed": 7,
        "took_s": 600.0,
        "cases": cases,
    }


def case(test: str, passed: int, runs: int = 2, failures: dict | None = None) -> dict:
    return {"test": test, "runs": runs, "passed": passed, "skipped": 0, "failures": failures or {}}


LAB = "tests/labs/test_labs.py::test_lab_runs_top_to_bottom"
EXERCISES = "tests/exercises/test_exercises.py"


def test_a_runs_repeat_suffix_is_folded_into_its_case() -> None:
    assert soak.case_of("tests.labs.test_labs", "test_lab_runs_top_to_bottom[f4-batch-3-10]", 10) == f"{LAB}[f4-batch]"
    assert soak.case_of("tests.x", "test_plain[3-10]", 10) == "tests/x.py::test_plain"
    assert (
        soak.case_of("tests.x", "test_wrong[f3-rollouts-typo-10-10]", 10) == "tests/x.py::test_wrong[f3-rollouts-typo]"
    )
    assert soak.case_of("tests.x", "test_wrong[run-1-2]", 1) == "tests/x.py::test_wrong[run-1-2]"  # no repeat


def test_the_summary_counts_each_case_and_its_failures_first_lines(sample_junit) -> None:
    cases = {c["test"].split("::")[1]: c for c in soak.summarise(sample_junit, count=2)}
    assert set(cases) == {
        "test_lab_runs_top_to_bottom[00-meet-your-cluster]",
        "test_lab_runs_top_to_bottom[f4-batch]",
        "test_f2_volume_is_reserved",
        "test_needs_kwok",
    }
    assert cases["test_lab_runs_top_to_bottom[00-meet-your-cluster]"] | {"failures": None} == {
        "test": "test_sample.py::test_lab_runs_top_to_bottom[00-meet-your-cluster]",
        "runs": 2,
        "passed": 2,
        "skipped": 0,
        "failures": None,
    }
    lab = cases["test_lab_runs_top_to_bottom[f4-batch]"]
    assert (lab["runs"], lab["passed"]) == (2, 1) and soak.pass_rate(lab) == 0.5
    # The notebook cell's own error, not the runner's "An error occurred while executing…".
    assert lab["failures"] == {"WaitTimeout: the Job pi did not complete within 60 s": 1}
    # Failed in its body and in its teardown: two entries in the report, one run, its first failure.
    volume = cases["test_f2_volume_is_reserved"]
    assert (volume["runs"], volume["passed"]) == (2, 0)
    assert volume["failures"] == {"AssertionError: the volume was taken by another claim": 2}
    skipped = cases["test_needs_kwok"]
    assert (skipped["runs"], skipped["skipped"]) == (0, 2) and soak.pass_rate(skipped) is None
    assert [c["test"] for c in soak.under_full(list(cases.values()))] == [
        "test_sample.py::test_f2_volume_is_reserved",
        "test_sample.py::test_lab_runs_top_to_bottom[f4-batch]",
    ]


def test_a_failure_without_a_recorded_line_is_read_from_the_reports_message(tmp_path) -> None:
    junit = tmp_path / "soak.xml"
    junit.write_text(
        '<testsuites><testsuite name="pytest">'
        '<testcase classname="tests.labs.test_labs" name="test_lab_runs_top_to_bottom[f6-self-healing-1-2]">'
        "<failure message=\"worker 'gw1' crashed while running 'tests/labs/test_labs.py::…'\">…</failure>"
        "</testcase>"
        '<testcase classname="tests.labs.test_labs" name="test_lab_runs_top_to_bottom[f6-self-healing-2-2]">'
        '<error message="failed on setup with &quot;#x1B[31mClusterUnavailable:#x1B[0m no cluster answered&#10;'
        'second line&quot;">…</error></testcase>'
        "</testsuite></testsuites>"
    )
    [only] = soak.summarise(junit, count=2)
    assert only["failures"] == {
        "worker 'gw1' crashed while running 'tests/labs/test_labs.py::…'": 1,
        "ClusterUnavailable: no cluster answered": 1,
    }


def test_a_first_line_has_no_colour_and_a_bounded_length() -> None:
    assert soak.first_line("\n\x1b[0;31mAssertionError\x1b[0m: 2 != 3\nmore") == "AssertionError: 2 != 3"
    assert len(soak.first_line("x" * 500)) == soak.LONGEST_LINE
    assert soak.first_line("  \n") == "(no message)"


def test_the_soak_fails_when_any_case_is_under_full_marks(results_files, monkeypatch, capsys) -> None:
    flaky = case(f"{LAB}[f4-batch]", 1, failures={"WaitTimeout: the Job pi did not complete within 60 s": 1})
    steady = case(f"{EXERCISES}::test_reference_solution_passes[f4-batch]", 2)
    outcomes = iter([(record([steady, flaky]), 1), (record([steady]), 0), (record([steady]), 1), (None, 5)])
    monkeypatch.setattr(soak, "soak", lambda *args: next(outcomes))
    assert cli.main(["soak", "--count", "2"]) == 1
    out = capsys.readouterr().out
    assert re.search(r"lab f4-batch +1/2 +50 %\n +1× WaitTimeout: the Job pi did not complete", out)
    assert f"1 of 2 cases under 100 %, each a defect to fix at its root:\n  {LAB}[f4-batch]" in out
    assert cli.main(["soak", "--count", "2"]) == 0
    assert "every case passed all its runs (1 cases)" in capsys.readouterr().out
    assert cli.main(["soak", "--count", "2"]) == 1  # every case passed, yet pytest failed (a leftover, say)
    assert "but pytest exited with 1" in capsys.readouterr().err
    assert cli.main(["soak", "--count", "2", "-k", "no-such-lab"]) == 2
    assert (
        capsys.readouterr().err.strip()
        == "error: the soak ran no case selected by -k 'no-such-lab' (pytest exited with 5)"
    )


def test_a_soak_with_failures_is_summarised_not_taken_for_a_broken_run(
    sample_junit, results_files, monkeypatch
) -> None:
    """pytest exits with 1 when a run failed: the soak reads its report all the same."""

    def pytest_run(command: list[str], *, timeout: float, check: bool = True, **popen) -> subprocess.CompletedProcess:
        shutil.copy(sample_junit, soak.JUNIT)
        if check:
            raise ProvisioningError(f"`{command[0]}` exited with 1")
        return subprocess.CompletedProcess(command, 1)

    monkeypatch.setattr(soak, "JUNIT", results_files.parent / "soak.xml")
    monkeypatch.setattr(soak.processes, "run", pytest_run)
    results_files.parent.mkdir()
    assert cli.main(["soak", "--count", "2", "--seed", "3"]) == 1
    saved = json.loads(results_files.read_text())["soak"]
    assert (saved["count"], saved["seed"], saved["machine"]) == (2, 3, MACHINE)
    assert len(saved["cases"]) == 4 and len(soak.under_full(saved["cases"])) == 2


def test_a_count_below_one_is_refused_in_one_sentence(capsys) -> None:
    assert cli.main(["soak", "--count", "0"]) == 2
    assert capsys.readouterr().err.strip() == "error: --count and --workers must be at least 1"


def test_the_soak_runs_as_make_test_does(monkeypatch) -> None:
    command = soak.session_command(count=10, workers=4, seed=42, only="00-meet or f4-batch")
    text = " ".join(command)
    assert "-n 4 --dist worksteal" in text and "--count 10" in text and "--randomly-seed=42" in text
    assert "-p threeplanes.soak" in text and "-m cluster" in text and command[-2:] == [soak.LABS, soak.EXERCISES]
    assert command[command.index("-k") + 1] == "00-meet or f4-batch"
    for path in command[-2:]:
        assert (ROOT / path.split("::")[0]).exists(), path
    assert "-n" not in soak.session_command(count=2, workers=1, seed=1, only=None)


def test_the_soak_and_the_bench_keep_each_others_figures(results_files) -> None:
    soak.save_soak(record([case(f"{LAB}[f4-batch]", 2)]))
    bench.run_steps([bench.Step("cluster_start_s", "local cluster start", "s", lambda: 9.0)])
    saved = json.loads(results_files.read_text())
    assert saved["steps"]["cluster_start_s"]["value"] == 9.0 and saved["soak"]["cases"][0]["passed"] == 2
    soak.save_soak(record([case(f"{LAB}[f4-batch]", 1)]))
    saved = json.loads(results_files.read_text())
    assert saved["steps"]["cluster_start_s"]["value"] == 9.0 and saved["soak"]["cases"][0]["passed"] == 1


def soak_cell() -> str:
    page = (ROOT / "book" / "benchmarks.md").read_text()
    cells = re.findall(r"^```\{code-cell\} ipython3\n(?::[^\n]*\n)*(.*?)^```", page, flags=re.MULTILINE | re.DOTALL)
    [cell] = [c for c in cells if "threeplanes.soak" in c]
    return cell


def test_the_page_says_in_one_sentence_when_no_soak_has_run(results_files, capsys) -> None:
    exec(soak_cell(), {})
    assert capsys.readouterr().out.startswith("No soak in this build: `make soak` has not run on this machine,")
    bench.run_steps([bench.Step("cluster_start_s", "local cluster start", "s", lambda: 9.0)])  # a bench, no soak
    exec(soak_cell(), {})
    assert capsys.readouterr().out.startswith("No soak in this build")


def test_the_page_shows_the_last_soak_else_the_reference_runs(results_files, capsys, monkeypatch) -> None:
    shown = []
    monkeypatch.setattr("IPython.display.display", shown.append)
    cases = [
        case(f"{EXERCISES}::test_wrong_answer_fails_with_a_specific_hint[f3-rollouts-typo]", 2),
        case(f"{LAB}[f6-self-healing]", 1, failures={"WaitTimeout: node pool-a-1 still Ready after 60 s": 1}),
        case(f"{LAB}[00-meet-your-cluster]", 2),
    ]
    soak.save_soak(record(cases))
    results_files.replace(bench.REFERENCE)
    exec(soak_cell(), {})
    out = capsys.readouterr().out
    assert "Measured by the reference run kept with the book (bench/reference.json)" in out
    assert "2 runs of each case, 4 at a time, 10 minutes in all; 2 of 3 passed every run." in out
    [table] = shown
    assert table.header == ["lab or exercise case", "runs passed", "pass rate", "failures (first line)"]
    assert table.rows == [
        ["lab 00-meet-your-cluster", "2 of 2", "100 %", ""],
        ["lab f6-self-healing", "1 of 2", "50 %", "1× WaitTimeout: node pool-a-1 still Ready after 60 s"],
        ["f3-rollouts-typo: wrong answer fails with a specific hint", "2 of 2", "100 %", ""],
    ]
    soak.save_soak(record(cases[:1], selection="f3-rollouts"))
    exec(soak_cell(), {})
    out = capsys.readouterr().out
    assert "Measured by this machine's last `make soak` (bench/results.json)" in out
    assert "in all,\nonly the cases that `-k 'f3-rollouts'` selects; 1 of 1 passed every run." in out
