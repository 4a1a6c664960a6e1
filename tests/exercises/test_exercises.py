"""Every exercise checker, run against the reference solution, an empty namespace and typical wrong answers.

An exercise lives in ``exercises/<id>/`` (see ``threeplanes.checking.exercises``);
``expect.yaml`` names the words the hint must contain for the empty namespace and for each
wrong case, and lists under ``right`` the right answers written another way (``right/<case>``).
The checker must pass on the solution and the right answers, and never on the others. Every case
works in a namespace of its own, and what its setup makes outside the namespace carries the label
``FOR_NAMESPACE``, so cases run side by side and each checks that it left nothing behind. A case
whose exercise has no teardown does not wait for its namespace to go (seconds, for the pods on the
real node to stop): the end of the session waits for every namespace of the run at once.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml
from kubernetes import client

from threeplanes.checking import Report
from threeplanes.checking.exercises import Exercise, all_exercises
from threeplanes.kit.cleanup import cluster_scoped
from threeplanes.kit.connect import Cluster
from threeplanes.kit.deleting import ignore_missing
from threeplanes.kit.labels import FOR_NAMESPACE, owned_labels
from threeplanes.kit.namespaces import delete_namespace

ROOT = Path(__file__).resolve().parents[2]
EXERCISES = all_exercises(ROOT / "exercises")
assert EXERCISES, "no exercise found in exercises/"


def expectations(exercise: Exercise) -> dict:
    return yaml.safe_load((exercise.folder / "expect.yaml").read_text())


CASES = [pytest.param(e, id=e.id) for e in EXERCISES]
WRONG_CASES = [pytest.param(e, case, id=f"{e.id}-{case}") for e in EXERCISES for case in expectations(e)["wrong"]]
RIGHT_CASES = [
    pytest.param(e, case, id=f"{e.id}-right-{case}") for e in EXERCISES for case in expectations(e).get("right") or []
]


@contextmanager
def scratch_namespace(cluster: Cluster, exercise: Exercise) -> Iterator[str]:
    """A namespace of the test's own, set up as the exercise page says; everything removed afterwards."""
    name = f"ex-{exercise.id}-{secrets.token_hex(3)}"[:63]
    metadata = client.V1ObjectMeta(name=name, labels=owned_labels(exercise.owner))
    cluster.core.create_namespace(client.V1Namespace(metadata=metadata))
    try:
        exercise.setup(cluster, name)
        yield name
    finally:
        if exercise.part("teardown"):
            delete_namespace(cluster, name)  # what the teardown removes may be held by what is in the namespace
            exercise.teardown(cluster, name)
            if exercise.is_mission:  # a reader may tear a mission down twice: the second time finds nothing
                exercise.teardown(cluster, name)
        else:
            with ignore_missing():  # the end of the session waits for the namespace to go (tests/conftest.py)
                cluster.core.delete_namespace(name)
    left = [str(o) for o in cluster_scoped(cluster, f"{FOR_NAMESPACE}={name}")]
    assert not left, f"the teardown of {exercise.id} left these behind: {left}"


def run_until(
    cluster: Cluster, namespace: str, exercise: Exercise, done: Callable[[Report], bool], timeout: float
) -> Report:
    """Run the checker until ``done(report)``, or until ``timeout``; return the last report."""
    checker = exercise.checker()
    deadline = time.monotonic() + timeout
    while True:
        report = checker.run(cluster, namespace)
        if done(report) or time.monotonic() > deadline:
            return report


def mentions(report: Report, words: str) -> bool:
    return any(r.failure and words.lower() in f"{r.failure.saw} {r.failure.hint}".lower() for r in report.results)


@pytest.mark.cluster
@pytest.mark.parametrize("exercise", CASES)
def test_reference_solution_passes(exercise: Exercise, live_cluster: Cluster) -> None:
    with scratch_namespace(live_cluster, exercise) as namespace:
        if exercise.is_mission:  # a reader sets a mission up again to start over: the fix must work as well
            exercise.setup(live_cluster, namespace)
        exercise.apply(live_cluster, namespace, "solution")
        report = run_until(live_cluster, namespace, exercise, lambda r: r.passed, timeout=90)
        assert report.passed, str(report)


@pytest.mark.cluster
@pytest.mark.parametrize("exercise", CASES)
def test_empty_namespace_fails_with_a_specific_hint(exercise: Exercise, live_cluster: Cluster) -> None:
    words = expectations(exercise)["empty"]
    with scratch_namespace(live_cluster, exercise) as namespace:
        report = run_until(live_cluster, namespace, exercise, lambda r: r.passed or mentions(r, words), timeout=20)
        assert not report.passed, f"the checker passed an empty namespace:\n{report}"
        assert mentions(report, words), f"expected a hint mentioning {words!r}:\n{report}"


@pytest.mark.cluster
@pytest.mark.parametrize("exercise,case", WRONG_CASES)
def test_wrong_answer_fails_with_a_specific_hint(exercise: Exercise, case: str, live_cluster: Cluster) -> None:
    words = expectations(exercise)["wrong"][case]
    with scratch_namespace(live_cluster, exercise) as namespace:
        exercise.apply(live_cluster, namespace, f"wrong/{case}")
        report = run_until(live_cluster, namespace, exercise, lambda r: r.passed or mentions(r, words), timeout=60)
        assert not report.passed, f"the checker passed the wrong answer {case}:\n{report}"
        assert mentions(report, words), f"expected a hint mentioning {words!r}:\n{report}"


@pytest.mark.cluster
@pytest.mark.parametrize("exercise,case", RIGHT_CASES)
def test_right_answer_passes(exercise: Exercise, case: str, live_cluster: Cluster) -> None:
    """A right answer written another way than the reference solution (``right/<case>``, listed in
    ``expect.yaml`` under ``right:``) must pass too."""
    assert exercise.part(f"right/{case}"), f"expect.yaml lists right/{case}, which does not exist"
    with scratch_namespace(live_cluster, exercise) as namespace:
        exercise.apply(live_cluster, namespace, f"right/{case}")
        report = run_until(live_cluster, namespace, exercise, lambda r: r.passed, timeout=90)
        assert report.passed, f"the checker failed the right answer {case}:\n{report}"


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.id)
def test_exercise_is_complete(exercise: Exercise) -> None:
    assert (exercise.folder / "exercise.md").exists()
    assert exercise.part("solution"), "a reference solution, solution.yaml, solution.sh or solution.py"
    cases = expectations(exercise)
    assert cases["empty"] and len(cases["wrong"]) >= 2, "an empty-namespace hint and at least two wrong answers"
    for case in cases["wrong"]:
        assert exercise.part(f"wrong/{case}"), case
    for case in cases.get("right", []):
        assert exercise.part(f"right/{case}"), case


@pytest.mark.cluster
def test_f2_volume_is_reserved_for_its_namespace_and_set_up_again_once_released(live_cluster: Cluster) -> None:
    """A fitting claim in another namespace, with no volume of its own, never takes the volume; after the
    reader's claim is gone, the setup makes the Released volume Available again, for a new claim ``data``."""
    from threeplanes.functional.storage import wait_for_volume
    from threeplanes.kit.events import wait_for_event

    exercise = next(e for e in EXERCISES if e.id == "f2-storage")
    claim = {
        "metadata": {"name": "data"},
        "spec": {
            "storageClassName": "archive",
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": "1Gi"}},
        },
    }
    with scratch_namespace(live_cluster, exercise) as mine, scratch_namespace(live_cluster, exercise) as other:
        volume = f"archive-{mine}"
        exercise.teardown(live_cluster, other)  # the other namespace's claim has no volume of its own
        live_cluster.core.create_namespaced_persistent_volume_claim(other, claim)
        # The volume controller looked for a volume and found none it may bind (then tried the class).
        wait_for_event(live_cluster, other, "ProvisioningFailed", name="data")
        assert live_cluster.core.read_persistent_volume(volume).status.phase == "Available"
        assert live_cluster.core.read_namespaced_persistent_volume_claim("data", other).status.phase == "Pending"
        live_cluster.core.create_namespaced_persistent_volume_claim(mine, claim)
        bound = wait_for_volume(live_cluster, volume, "Bound")
        assert bound.spec.claim_ref.namespace == mine
        live_cluster.core.delete_namespaced_persistent_volume_claim("data", mine)
        wait_for_volume(live_cluster, volume, "Released")
        exercise.setup(live_cluster, mine)
        again = wait_for_volume(live_cluster, volume, "Available")
        reference = again.spec.claim_ref
        assert (reference.namespace, reference.name, reference.uid) == (mine, "data", None)
