"""The soak: every lab and every exercise case run N times side by side, and the pass rate of each.

Run with ``make soak`` (``threeplanes soak --count N [-k EXPRESSION]``). A lab or a
checker that does not pass every time is a defect to fix at its root: the soak exits non-zero
when any case passed fewer than all of its runs, and prints, for each case, its runs, its passes
and the first line of each distinct failure. The figures go into ``bench/results.json`` under
``soak`` (beside the bench's, which they leave alone) and the page ``book/benchmarks.md`` shows
them, or those of the reference run kept in ``bench/reference.json``.

How, and why this way:

- One pytest session runs the cases ``--count N`` times each (pytest-repeat), with as many workers
  as ``make test`` (``-n 4 --dist worksteal``) and pytest-randomly's shuffle, so the machine and the
  cluster are loaded as ``make test`` loads them, from the first run to the last. Separate rounds
  of the suite would leave the machine half idle at the tail of every round and would never put
  two copies of a case beside each other; in one shuffled session each copy runs beside different
  neighbours, sometimes itself (as ``make test`` may run lab 00 beside its notebook download).
  The seed is chosen here and printed: ``--randomly-seed`` replays the same shuffle (which worker
  takes which test still depends on timing).
- The outcomes come from pytest's own JUnit report, which xdist merges from every worker. A run
  is one test id with its repeat suffix (``[f4-batch-3-10]``); a case is the id without it. A run
  that failed both in its body and in its teardown has two entries in the report, counted once.
- The first line of a failure is taken from the exception itself, by this module loaded into the
  run as a pytest plugin (``-p threeplanes.soak``): a lab's failure is a notebook cell's error,
  whose own name and message (``WaitTimeout: …``) say more than the runner's wrapper (``An error
  occurred while executing the following cell``). Where no such line was recorded (a worker that
  crashed), the report's message gives it.
- Each test has a deadline (``--timeout``): a run that hangs is a failure to report, not a soak
  that never ends.
- Only the labs and the exercise cases run (``-m cluster``), not the unit and kit tests
  ``make test`` runs beside them: the soak's question is whether what a reader runs passes every time.
"""

from __future__ import annotations

import json
import random
import re
import shlex
import sys
import time
import xml.etree.ElementTree as ElementTree
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from threeplanes import bench
from threeplanes.errors import LabError
from threeplanes.provision import processes

KEY = "soak"  # its entry in bench/results.json and bench/reference.json
JUNIT = bench.LOGS / "soak.xml"  # every run's outcome, with each failure's full report
LABS = "tests/labs/test_labs.py::test_lab_runs_top_to_bottom"
EXERCISES = "tests/exercises/test_exercises.py"
TEST_DEADLINE_S = 900  # a lab's cells each have 300 s; a test past this has hung
FAILURE_PROPERTY = "soak_failure"  # the JUnit property that carries a failure's first line
ANSI = re.compile(r"(?:\x1b|#x1B)\[[0-9;]*m")  # colour codes, raw or as pytest escapes them in XML
LONGEST_LINE = 200


class SoakError(LabError):
    """A soak asked for with a count or workers below one, or one that ran no case."""


# --- inside the pytest run (loaded with -p threeplanes.soak) -----------------------------------


def first_line(text: str) -> str:
    """The first line of ``text`` that says anything, without colour codes, at most ``LONGEST_LINE`` long."""
    lines = [line.strip() for line in ANSI.sub("", text).splitlines()]
    line = next((line for line in lines if line), "") or "(no message)"
    return line if len(line) <= LONGEST_LINE else line[: LONGEST_LINE - 1] + "…"


def failure_line(error: BaseException) -> str:
    """``Name: message`` of a failure; for a notebook cell's error, the cell's own exception."""
    cell_error = getattr(error, "ename", None)  # nbclient's CellExecutionError carries the cell's exception
    if cell_error:
        return first_line(f"{cell_error}: {getattr(error, 'evalue', '')}")
    return first_line(f"{type(error).__name__}: {error}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    """Record a failure's first line on the test, so that the JUnit report carries it.

    The report writes the properties of a test's last report (its teardown's), which copies the
    test's at the time it is made; a failure in the body is also put on the body's own report,
    which the JUnit report writes apart when the teardown fails as well.
    """
    report = yield
    if report.failed and call.excinfo is not None:
        recorded = (FAILURE_PROPERTY, failure_line(call.excinfo.value))
        item.user_properties.append(recorded)
        report.user_properties.append(recorded)
    return report


# --- the summary -----------------------------------------------------------------------------


def case_of(classname: str, name: str, count: int) -> str:
    """A run's test id without pytest-repeat's suffix: ``[f4-batch-3-10]`` → ``[f4-batch]``, ``[3-10]`` → ``""``."""
    if count > 1:
        name = re.sub(rf"\[(?:(.*)-)?\d+-{count}\]$", lambda m: f"[{m[1]}]" if m[1] is not None else "", name)
    return f"{classname.replace('.', '/')}.py::{name}"


def summarise(junit: Path, count: int) -> list[dict[str, Any]]:
    """Each case of a JUnit report: its runs, passes, skips, and the first line of each distinct failure."""
    runs: dict[tuple[str, str], list[ElementTree.Element]] = {}
    for testcase in ElementTree.parse(junit).getroot().iter("testcase"):
        runs.setdefault((testcase.get("classname", ""), testcase.get("name", "")), []).append(testcase)
    cases: dict[str, dict[str, Any]] = {}
    for (classname, name), entries in runs.items():
        test = case_of(classname, name, count)
        case = cases.setdefault(test, {"test": test, "runs": 0, "passed": 0, "skipped": 0, "failures": Counter()})
        problems = [p for entry in entries for p in entry if p.tag in ("failure", "error")]
        if problems:
            case["runs"] += 1
            case["failures"][run_failure_line(entries, problems)] += 1
        elif any(entry.find("skipped") is not None for entry in entries):
            case["skipped"] += 1
        else:
            case["runs"] += 1
            case["passed"] += 1
    return [{**case, "failures": dict(case["failures"].most_common())} for _, case in sorted(cases.items())]


def run_failure_line(entries: list[ElementTree.Element], problems: list[ElementTree.Element]) -> str:
    """The first failure of a run: the line recorded in the run, else the first line of the report's message."""
    recorded = [p.get("value", "") for e in entries for p in e.iter("property") if p.get("name") == FAILURE_PROPERTY]
    if recorded:
        return recorded[0]
    message = problems[0].get("message") or problems[0].text or ""
    wrapped = re.fullmatch(r'failed on (?:setup|teardown) with "(.*)"', message, flags=re.DOTALL)
    return first_line(wrapped[1] if wrapped else message)


def pass_rate(case: dict[str, Any]) -> float | None:
    """The share of a case's runs that passed; None when every run was skipped."""
    return case["passed"] / case["runs"] if case["runs"] else None


def under_full(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The cases that failed at least once."""
    return [case for case in cases if case["passed"] < case["runs"]]


def describe(test: str) -> str:
    """A case as a reader names it: ``lab f4-batch``, ``f4-batch: reference solution passes``."""
    function, _, parameter = test.split("::", 1)[1].partition("[")
    parameter = parameter.removesuffix("]")
    if function == LABS.split("::")[1]:
        return f"lab {parameter}"
    words = function.removeprefix("test_").replace("_", " ")
    return f"{parameter}: {words}" if parameter else words


def cases_in_page_order(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The labs, then the exercise cases, each in the order of their test ids."""
    return sorted(cases, key=lambda case: (not case["test"].startswith(LABS), case["test"]))


def rate_text(case: dict[str, Any]) -> str:
    rate = pass_rate(case)
    return "skipped" if rate is None else f"{100 * rate:.0f} %"


def soak_summary(soak: dict[str, Any]) -> str:
    """The summary printed at the end of a soak: every case, then the verdict."""
    width = max(len(describe(case["test"])) for case in soak["cases"])
    lines = [f"{'case':{width}s} {'passed':>9s} {'rate':>7s}"]
    for case in cases_in_page_order(soak["cases"]):
        passed = f"{case['passed']}/{case['runs']}"
        lines.append(f"{describe(case['test']):{width}s} {passed:>9s} {rate_text(case):>7s}")
        lines += [f"    {times}× {line}" for line, times in case["failures"].items()]
    failing = under_full(soak["cases"])
    if failing:
        lines.append(f"{len(failing)} of {len(soak['cases'])} cases under 100 %, each a defect to fix at its root:")
        lines += [f"  {case['test']}" for case in failing]
    else:
        lines.append(f"every case passed all its runs ({len(soak['cases'])} cases)")
    return "\n".join(lines)


# --- bench/results.json and the page ----------------------------------------------------------


def save_soak(soak: dict[str, Any]) -> None:
    """Write the soak into ``bench/results.json`` under its own key, keeping the bench's figures."""
    try:
        results = json.loads(bench.RESULTS.read_text())
    except (OSError, ValueError):
        results = {}
    results = results if isinstance(results, dict) else {}
    results[KEY] = soak
    bench.RESULTS.parent.mkdir(exist_ok=True)
    part = bench.RESULTS.with_suffix(".soak-part")
    part.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    part.replace(bench.RESULTS)


def load_soak(path: Path) -> dict[str, Any] | None:
    """The soak recorded in ``path``; None when there is none of this format."""
    try:
        soak = json.loads(path.read_text()).get(KEY)
    except (OSError, ValueError, AttributeError):
        return None
    if not isinstance(soak, dict) or not isinstance(soak.get("cases"), list):
        return None
    return soak


def shown_soak() -> tuple[dict[str, Any] | None, str]:
    """What the page shows: this machine's last soak if there is one, else the reference run's; and which it is."""
    soak = load_soak(bench.RESULTS)
    if soak is not None:
        return soak, f"this machine's last `make soak` (bench/{bench.RESULTS.name})"
    soak = load_soak(bench.REFERENCE)
    if soak is not None:
        return soak, f"the reference run kept with the book (bench/{bench.REFERENCE.name}); `make soak` measures yours"
    return None, ""


def soak_table(soak: dict[str, Any]) -> Any:
    """One row per lab, then per exercise case: runs passed, pass rate, and each distinct failure's first line."""
    from threeplanes.kit.tables import Table

    rows = []
    for case in cases_in_page_order(soak["cases"]):
        failures = "; ".join(f"{times}× {line}" for line, times in case["failures"].items())
        rows.append([describe(case["test"]), f"{case['passed']} of {case['runs']}", rate_text(case), failures])
    return Table(["lab or exercise case", "runs passed", "pass rate", "failures (first line)"], rows)


# --- the run (threeplanes soak) ---------------------------------------------------------------


def session_command(count: int, workers: int, seed: int, only: str | None) -> list[str]:
    """The one pytest session that runs every case ``count`` times (not named ``pytest_*``: this is a plugin)."""
    command = [sys.executable, "-m", "pytest", "-p", "threeplanes.soak", "-q", "--tb=line", f"--junitxml={JUNIT}"]
    command += [f"--timeout={TEST_DEADLINE_S}", "-m", "cluster", "--count", str(count), f"--randomly-seed={seed}"]
    if workers > 1:
        command += ["-n", str(workers), "--dist", "worksteal"]
    if only:
        command += ["-k", only]
    return [*command, LABS, EXERCISES]


def soak(count: int, workers: int, only: str | None, seed: int) -> tuple[dict[str, Any] | None, int]:
    """Run the soak; its record (None when pytest ran no case) and pytest's exit status."""
    JUNIT.unlink(missing_ok=True)
    command = session_command(count, workers, seed, only)
    print(f"[soak] {shlex.join(command[1:])}", file=sys.stderr, flush=True)
    machine = bench.machine()  # the soak's start, and the commit it runs
    started = time.monotonic()
    # A whole round of the labs and exercises takes about 12 minutes on two cores; every test has
    # its own deadline, so this bound is only reached by a run gone wrong in pytest itself.
    result = processes.run(command, cwd=bench.ROOT, timeout=3600 * count + 600, check=False)  # failures are counted
    took = round(time.monotonic() - started, 1)
    if not JUNIT.exists():
        return None, result.returncode
    cases = summarise(JUNIT, count)
    if not cases:
        return None, result.returncode
    record = {
        "machine": machine,
        "count": count,
        "workers": workers,
        "selection": only,
        "seed": seed,
        "took_s": took,
        "cases": cases,
    }
    return record, result.returncode


def soak_and_report(count: int, workers: int = bench.WORKERS, only: str | None = None, seed: int | None = None) -> int:
    """Soak every case (or those ``only`` selects) ``count`` times, save and print each one's pass rate; 1 when
    any case passed fewer than all its runs, or pytest failed for another reason."""
    if count < 1 or workers < 1:
        raise SoakError("--count and --workers must be at least 1")
    seed = seed if seed is not None else random.SystemRandom().randrange(2**32)
    record, status = soak(count, workers, only, seed)
    if record is None:
        selected = f" selected by -k {only!r}" if only else ""
        raise SoakError(f"the soak ran no case{selected} (pytest exited with {status})")
    save_soak(record)
    print(soak_summary(record))
    print(f"{count} runs of each case, {workers} at a time, seed {seed}; written to {bench.RESULTS},")
    print(f"every run's report in {JUNIT}")
    if under_full(record["cases"]):
        return 1
    if status != 0:
        print(f"error: every case passed, but pytest exited with {status}; see its output above", file=sys.stderr)
        return 1
    return 0
