"""Every exercise checker, run against the reference solution, an empty namespace and typical wrong answers.

An exercise lives in ``exercises/<id>/``: ``exercise.md`` (the page), ``checker.py`` (its
``CHECKER``), ``solution.yaml`` or ``solution.py``, ``wrong/<case>.yaml|py`` and
``expect.yaml``, which names the words the hint must contain for the empty namespace and for
each wrong case. The checker must pass on the solution and never on the others.
"""

from __future__ import annotations

import importlib.util
import secrets
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml
from kubernetes import client

from threeplanes.checks import Report, load
from threeplanes.connect import Cluster
from threeplanes.namespace import LAB_LABEL, PART_OF, delete_namespace
from threeplanes.provision.local import kubectl_binary

ROOT = Path(__file__).resolve().parents[2]
EXERCISES = sorted(p.parent for p in (ROOT / "exercises").glob("*/checker.py"))
assert EXERCISES, "no exercise found in exercises/"


def expectations(exercise: Path) -> dict:
    return yaml.safe_load((exercise / "expect.yaml").read_text())


WRONG_CASES = [(e, case) for e in EXERCISES for case in expectations(e)["wrong"]]


@contextmanager
def scratch_namespace(cluster: Cluster, exercise: Path) -> Iterator[str]:
    name = f"ex-{exercise.name}-{secrets.token_hex(2)}"[:63]
    labels = {PART_OF: "threeplanes", LAB_LABEL: f"exercise-{exercise.name}"}
    cluster.core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name, labels=labels)))
    try:
        yield name
    finally:
        delete_namespace(cluster, name)
        teardown = exercise / "teardown.py"
        if teardown.exists():
            _module(teardown).apply(cluster, name)


def _module(path: Path):
    spec = importlib.util.spec_from_file_location(f"exercise_case_{path.parent.name}_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def apply(cluster: Cluster, namespace: str, exercise: Path, stem: str) -> None:
    """Apply ``<stem>.yaml`` with kubectl, or call ``apply(cluster, namespace)`` of ``<stem>.py``."""
    manifest, script = exercise / f"{stem}.yaml", exercise / f"{stem}.py"
    if manifest.exists():
        subprocess.run(
            [kubectl_binary(), "--kubeconfig", str(cluster.kubeconfig), "apply", "-n", namespace, "-f", str(manifest)],
            check=True,
            capture_output=True,
            timeout=60,
        )
    elif script.exists():
        _module(script).apply(cluster, namespace)
    else:
        raise FileNotFoundError(f"{exercise}: neither {manifest.name} nor {script.name}")


def set_up(cluster: Cluster, namespace: str, exercise: Path) -> None:
    if (exercise / "setup.yaml").exists() or (exercise / "setup.py").exists():
        apply(cluster, namespace, exercise, "setup")


def run_until(cluster: Cluster, namespace: str, exercise: Path, done, timeout: float = 90) -> Report:
    """Run the checker until ``done(report)``, or until ``timeout``; return the last report."""
    checker = load(exercise.name)
    deadline = time.monotonic() + timeout
    while True:
        report = checker.run(cluster, namespace)
        if done(report) or time.monotonic() > deadline:
            return report


def mentions(report: Report, words: str) -> bool:
    return any(r.failure and words.lower() in f"{r.failure.saw} {r.failure.hint}".lower() for r in report.results)


@pytest.mark.cluster
@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda p: p.name)
def test_reference_solution_passes(exercise: Path, live_cluster: Cluster, owned_by) -> None:
    owned_by(f"exercise-{exercise.name}")
    with scratch_namespace(live_cluster, exercise) as namespace:
        set_up(live_cluster, namespace, exercise)
        apply(live_cluster, namespace, exercise, "solution")
        report = run_until(live_cluster, namespace, exercise, lambda r: r.passed)
        assert report.passed, str(report)


@pytest.mark.cluster
@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda p: p.name)
def test_empty_namespace_fails_with_a_specific_hint(exercise: Path, live_cluster: Cluster, owned_by) -> None:
    owned_by(f"exercise-{exercise.name}")
    words = expectations(exercise)["empty"]
    with scratch_namespace(live_cluster, exercise) as namespace:
        set_up(live_cluster, namespace, exercise)
        report = run_until(live_cluster, namespace, exercise, lambda r: r.passed or mentions(r, words), timeout=20)
        assert not report.passed, f"the checker passed an empty namespace:\n{report}"
        assert mentions(report, words), f"expected a hint mentioning {words!r}:\n{report}"


@pytest.mark.cluster
@pytest.mark.parametrize("exercise,case", WRONG_CASES, ids=lambda v: v if isinstance(v, str) else v.name)
def test_wrong_answer_fails_with_a_specific_hint(exercise: Path, case: str, live_cluster: Cluster, owned_by) -> None:
    owned_by(f"exercise-{exercise.name}")
    words = expectations(exercise)["wrong"][case]
    with scratch_namespace(live_cluster, exercise) as namespace:
        set_up(live_cluster, namespace, exercise)
        apply(live_cluster, namespace, exercise, f"wrong/{case}")
        report = run_until(live_cluster, namespace, exercise, lambda r: r.passed or mentions(r, words), timeout=60)
        assert not report.passed, f"the checker passed the wrong answer {case}:\n{report}"
        assert mentions(report, words), f"expected a hint mentioning {words!r}:\n{report}"


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda p: p.name)
def test_exercise_is_complete(exercise: Path) -> None:
    assert (exercise / "exercise.md").exists()
    assert any((exercise / f"solution.{ext}").exists() for ext in ("yaml", "py"))
    cases = expectations(exercise)
    assert cases["empty"] and len(cases["wrong"]) >= 2, "an empty-namespace hint and at least two wrong answers"
    for case in cases["wrong"]:
        assert any((exercise / "wrong" / f"{case}.{ext}").exists() for ext in ("yaml", "py")), case
