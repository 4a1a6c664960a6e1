"""The benchmark keeps going past a failed step, and its page draws whatever the file holds."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import matplotlib
import pytest

from threeplanes import bench, cli

matplotlib.use("Agg")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def results_file(tmp_path, monkeypatch) -> Path:
    monkeypatch.setattr(bench, "RESULTS", tmp_path / "bench" / "results.json")
    monkeypatch.setattr(bench, "REFERENCE", tmp_path / "bench" / "reference.json")
    machine = {"when": "2026-01-01T00:00:00Z", "cpus": 2, "platform": "Linux", "kubernetes": "1.36.4", "commit": "abc"}
    monkeypatch.setattr(bench, "machine", lambda: machine)
    return tmp_path / "bench" / "results.json"


def broken() -> float:
    raise RuntimeError("kwokctl could not start the cluster (exit 1);\nlog: /tmp/x")


def test_a_failed_step_is_recorded_and_the_run_goes_on(results_file) -> None:
    steps = [
        bench.Step("cluster_start_s", "local cluster start", "s", broken, target=15.0),
        bench.Step("bare_kwokctl_start_s", "bare kwokctl", "s", lambda: 6.0),
        bench.Step("deployment_ready_s", "deployment", "s", lambda: 0.5, target=5.0),
    ]
    results = bench.run_steps(steps)
    saved = json.loads(results_file.read_text())
    assert saved == results
    start = saved["steps"]["cluster_start_s"]
    assert start["error"] == "kwokctl could not start the cluster (exit 1); log: /tmp/x"  # one line
    assert saved["steps"]["deployment_ready_s"]["value"] == 0.5
    assert "needs both cluster_start_s" in saved["steps"]["cluster_start_over_floor"]["error"]
    text = bench.report(results)
    assert "FAILED: kwokctl could not start" in text and "(target ≤ 5: met)" in text


def test_the_start_is_compared_with_its_floor(results_file) -> None:
    steps = [
        bench.Step("cluster_start_s", "local cluster start", "s", lambda: 9.0),
        bench.Step("bare_kwokctl_start_s", "bare kwokctl", "s", lambda: 6.0),
    ]
    assert bench.run_steps(steps)["steps"]["cluster_start_over_floor"]["value"] == 1.5


def test_each_labs_time_comes_from_the_junit_report(tmp_path) -> None:
    junit = tmp_path / "labs.xml"
    junit.write_text(
        '<testsuites><testsuite name="pytest">'
        '<testcase classname="tests.labs.test_labs" name="test_lab_runs_top_to_bottom[f1-service-discovery]"'
        ' time="41.5"/>'
        '<testcase classname="tests.labs.test_labs" name="test_lab_runs_top_to_bottom[f5-bin-packing]" time="3.0">'
        '<skipped message="kind"/></testcase>'
        '<testcase classname="tests.labs.test_labs" name="test_every_lab_is_in_the_table_of_contents" time="0.1"/>'
        "</testsuite></testsuites>"
    )
    assert bench.lab_times(junit) == {"f1-service-discovery": 41.5}


def test_only_measures_some_steps_again_and_keeps_the_others(results_file, monkeypatch) -> None:
    monkeypatch.setattr(bench, "STEPS", [bench.Step("a_s", "a", "s", broken), bench.Step("b_s", "b", "s", lambda: 2.0)])
    cli.main(["bench"])
    assert "error" in json.loads(results_file.read_text())["steps"]["a_s"]
    monkeypatch.setattr(bench, "STEPS", [bench.Step("a_s", "a", "s", lambda: 1.0), bench.STEPS[1]])
    assert cli.main(["bench", "--only", "a_s"]) == 0
    steps = json.loads(results_file.read_text())["steps"]
    assert steps["a_s"]["value"] == 1.0 and steps["b_s"]["value"] == 2.0
    assert steps["a_s"]["commit"] == "abc" and "when" in steps["b_s"]


def test_a_step_measured_alone_takes_its_place_among_the_others(results_file, monkeypatch) -> None:
    first, last = bench.Step("a_s", "a", "s", lambda: 1.0), bench.Step("c_s", "c", "s", lambda: 3.0)
    monkeypatch.setattr(bench, "STEPS", [first, last])
    cli.main(["bench"])
    monkeypatch.setattr(bench, "STEPS", [first, bench.Step("b_s", "b", "s", lambda: 2.0), last])
    cli.main(["bench", "--only", "b_s"])
    assert list(json.loads(results_file.read_text())["steps"]) == ["a_s", "b_s", "c_s"]


def test_list_names_every_step_and_measures_none(results_file, capsys) -> None:
    assert cli.main(["bench", "--list"]) == 0
    names = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert names == [s.name for s in bench.STEPS]
    assert not results_file.exists()


def test_an_unknown_step_is_one_sentence(capsys) -> None:
    assert cli.main(["bench", "--only", "cluster_start_s,warp_speed"]) == 2
    assert capsys.readouterr().err.strip() == "error: no bench step is called warp_speed; --list names them"


def page_code() -> str:
    page = (ROOT / "book" / "benchmarks.md").read_text()
    match = re.search(r"^```\{code-cell\} ipython3\n(?::[^\n]*\n)*(.*?)^```", page, flags=re.MULTILINE | re.DOTALL)
    assert match
    return match.group(1)


def test_the_page_says_plainly_when_there_are_no_results(results_file, capsys) -> None:
    exec(page_code(), {})
    assert "No benchmark results in this build: no bench/results.json" in capsys.readouterr().out
    results_file.parent.mkdir()
    results_file.write_text('{"cluster_start_s": 9.1, "deployment_ready_s": 0.4}\n')  # an older bench's file
    exec(page_code(), {})
    assert "No benchmark results in this build" in capsys.readouterr().out


def test_the_page_falls_back_on_the_reference_run_and_says_which_it_shows(results_file, capsys, monkeypatch) -> None:
    monkeypatch.setattr("IPython.display.display", lambda shown: None)
    bench.run_steps([bench.Step("cluster_start_s", "local cluster start", "s", lambda: 9.0)])
    results_file.replace(bench.REFERENCE)
    exec(page_code(), {})
    assert "Measured by the reference run kept with the book (bench/reference.json)" in capsys.readouterr().out
    bench.run_steps([bench.Step("cluster_start_s", "local cluster start", "s", lambda: 8.0)])
    exec(page_code(), {})
    assert "Measured by this machine's last `make bench` (bench/results.json)" in capsys.readouterr().out


def test_the_reference_run_kept_with_the_book_names_every_step() -> None:
    reference = bench.load_results(ROOT / "bench" / "reference.json")
    assert reference is not None, "bench/reference.json is missing or not of this format"
    missing = {s.name for s in bench.STEPS} - set(reference["steps"])
    failed = {name: e["error"] for name, e in reference["steps"].items() if "error" in e}
    assert not missing, f"bench/reference.json lacks {sorted(missing)}: run `make bench` and copy its results"
    assert not failed, f"the reference run kept with the book has failed steps: {failed}"


def test_the_page_draws_a_table_and_a_chart(results_file, monkeypatch) -> None:
    steps = [
        bench.Step("cluster_start_s", "local cluster start", "s", lambda: 9.0, target=15.0),
        bench.Step("control_plane_rss_mib", "memory", "MiB", lambda: 800.0),
        bench.Step("lab_suite_serial_s", "labs", "s", lambda: {"total": 60.0, "f1": 20.0, "f2": 40.0}),
        bench.Step("make_test_s", "make test", "s", broken),
    ]
    bench.run_steps(steps)
    shown = []
    monkeypatch.setattr("IPython.display.display", shown.append)
    exec(page_code(), {})
    table, figure = shown
    assert table.column("measure") == [
        "local cluster start",
        "memory",
        "labs",
        "make test",
        "labs: f1",
        "labs: f2",
    ]
    assert table.rows[0][1:] == ["9 s", "≤ 15 s"] and table.rows[3][1].startswith("FAILED: kwokctl")
    bars = figure.axes[0].patches
    assert [b.get_width() for b in bars] == [9.0, 60.0]  # the seconds, not the MiB nor the failure


def test_a_provisioning_step_sees_other_caches_and_then_the_readers_own_again(monkeypatch) -> None:
    """The cold steps point the book's and Go's caches elsewhere, ignore a named binary directory,
    and give every variable back as it was, even after a failure."""
    monkeypatch.setenv("GOMODCACHE", "/home/reader/go/pkg/mod")
    monkeypatch.setenv(bench.binaries.BIN_DIR_ENV, "/opt/k8s/bin")
    monkeypatch.delenv("GOCACHE", raising=False)
    with pytest.raises(RuntimeError), bench.caches_at({"GOMODCACHE": "/tmp/m", "GOCACHE": "/tmp/b"}):
        assert (os.environ["GOMODCACHE"], os.environ["GOCACHE"]) == ("/tmp/m", "/tmp/b")
        assert bench.binaries.BIN_DIR_ENV not in os.environ
        raise RuntimeError("the build failed")
    assert os.environ["GOMODCACHE"] == "/home/reader/go/pkg/mod"
    assert os.environ[bench.binaries.BIN_DIR_ENV] == "/opt/k8s/bin"
    assert "GOCACHE" not in os.environ


def test_the_readers_scheduler_is_the_one_the_s3_lab_writes(tmp_path) -> None:
    program = bench.readers_scheduler(tmp_path)
    source = program.read_text()
    compile(source, str(program), "exec")
    assert "create_namespaced_binding" in source and "spec.schedulerName=" in source
    assert source.strip() in bench.SCHEDULER_LAB.read_text()
