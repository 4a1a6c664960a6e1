"""``threeplanes assess`` on the live cluster: a book whose every exercise is solved, nothing at all, and a mix.

The exercises are set up and solved with the helpers of ``test_exercises`` (scratch namespace,
set-up, reference or wrong solution, teardown). Each namespace is then marked as a reader's
attempt and carries a run label, and the assessment reads only the namespaces of that run, so
that other tests on the shared cluster do not count.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from kubernetes import client
from test_exercises import expectations, scratch_namespace

from threeplanes import cli
from threeplanes.assessment import cli as assessment_cli
from threeplanes.assessment.namespaces import EXERCISE_LABEL
from threeplanes.assessment.order import syllabus_order
from threeplanes.assessment.reset import run_teardown
from threeplanes.assessment.sample import RUN_LABEL
from threeplanes.assessment.scorecard import FAIL, NOT_ATTEMPTED, OUTSIDE, PASS, Scorecard, Tally, assess
from threeplanes.checking import exercises as parts
from threeplanes.checking.exercises import all_exercises
from threeplanes.kit.connect import KUBECONFIG_ENV, Cluster
from threeplanes.kit.labels import FOR_NAMESPACE, LAB_LABEL, PART_OF
from threeplanes.kit.namespaces import delete_namespace
from threeplanes.kit.wait import wait_for

ROOT = Path(__file__).resolve().parents[2]
EXERCISES_DIR = ROOT / "exercises"
EXERCISES = all_exercises(EXERCISES_DIR)
ORDER = syllabus_order(ROOT / "syllabus.yml")
# Set-ups wait on rollouts and nodes; three at a time keeps the two cores usable.
SIDE_BY_SIDE = 3

pytestmark = pytest.mark.cluster


AT_LEVEL = {level: sum(e.level == level for e in EXERCISES) for level in (1, 2, 3)}


def parts_of(exercise_id: str) -> parts.Exercise:
    """The exercise's parts (set-up, solution, wrong answers), as the tests apply them."""
    return parts.find(EXERCISES_DIR, exercise_id)


@contextmanager
def attempts(cluster: Cluster, parts: dict[str, str | None]) -> Iterator[str]:
    """For each exercise id, a scratch namespace, set up, with ``parts[id]`` applied (``solution``,
    ``wrong/<case>``, or None for nothing), marked as an attempt. Yields the selector of this run."""
    run = secrets.token_hex(3)
    with ExitStack() as stack:
        namespaces = {}
        for exercise_id in parts:
            namespace = stack.enter_context(scratch_namespace(cluster, parts_of(exercise_id)))
            labels = {EXERCISE_LABEL: exercise_id, RUN_LABEL: run}
            cluster.core.patch_namespace(namespace, {"metadata": {"labels": labels}})
            namespaces[exercise_id] = namespace

        def prepare(exercise_id: str) -> None:  # the set-up ran when its scratch namespace was made
            set_up_seen(cluster, namespaces[exercise_id])
            if parts[exercise_id]:
                parts_of(exercise_id).apply(cluster, namespaces[exercise_id], parts[exercise_id])

        with ThreadPoolExecutor(max_workers=SIDE_BY_SIDE) as pool:
            list(pool.map(prepare, parts))
        yield f"{RUN_LABEL}={run}"


def set_up_seen(cluster: Cluster, namespace: str) -> None:
    """Wait until the controllers have seen the set-up's last change to each Deployment. A reader
    takes longer than that to read the page; a test applying the solution at once does not (the
    set-up of f3-rollouts patches in its broken release just before it returns)."""
    wait_for(
        cluster.apps.list_namespaced_deployment,
        lambda deployments: all(d.status.observed_generation == d.metadata.generation for d in deployments),
        what=f"the controllers to see the set-up in {namespace}",
        describe=lambda deployments: ", ".join(
            f"{d.metadata.name}: {d.status.observed_generation}" for d in deployments
        ),
        timeout=30,
        namespace=namespace,
    )


def assess_until(cluster: Cluster, selector: str, done, timeout: float, among=EXERCISES) -> Scorecard:
    """Assess the exercises ``among`` until ``done(scorecard)`` holds (rollouts and metrics take a while), or
    ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        scorecard = assess(cluster, among, selector, order=ORDER)
        if done(scorecard) or time.monotonic() > deadline:
            return scorecard


# Every reference solution passes on its own in test_exercises. Here the assessment reads a sample of
# them side by side, one of each level, plane and kind, all solved, as the whole book and through the
# command a reader types: a full pass of every exercise twice over would add a quarter of an hour.
SAMPLE = (
    "f1-service-discovery",
    "f9-compose",
    "fix-crashloop-command",
    "c3-hierarchies",
    "fix-service-no-endpoints",
    "s1-admission-policy",
    "fix-scheduler-down",
)


def test_a_book_whose_every_exercise_is_solved_passes(
    live_cluster: Cluster, tmp_path: Path, monkeypatch, capsys
) -> None:
    book = tmp_path / "exercises"
    book.mkdir()
    for exercise_id in SAMPLE:
        (book / exercise_id).symlink_to(EXERCISES_DIR / exercise_id, target_is_directory=True)
    sample = all_exercises(book)
    at_level = {level: sum(e.level == level for e in sample) for level in (1, 2, 3)}
    assert all(at_level.values()) and any(e.is_mission for e in sample) and any(not e.is_mission for e in sample)
    with attempts(live_cluster, {e.id: "solution" for e in sample}) as selector:
        scorecard = assess_until(live_cluster, selector, lambda s: s.next_outcome is None, timeout=150, among=sample)
        assert scorecard.next_outcome is None, str(scorecard)
        for level in (1, 2, 3):
            assert scorecard.by_level()[level] == Tally(passed=at_level[level]), str(scorecard)

        # The same through the command a reader types, with a progress file of the test's own.
        # Only the progress file goes to the test's folder: the missions' control planes stay in the cache.
        monkeypatch.setattr(assessment_cli, "cache_root", lambda: tmp_path)
        monkeypatch.setenv(KUBECONFIG_ENV, str(live_cluster.kubeconfig))
        # Checked again, as a reader would after a moment, while a checker's pods of the first pass still go.
        deadline = time.monotonic() + 150
        while True:
            assert cli.main(["assess", "--exercises", str(book), "--selector", selector]) == 0
            printed = capsys.readouterr().out
            if "Every exercise passes." in printed or time.monotonic() > deadline:
                break
        with capsys.disabled():
            print(f"\n{printed}")
        assert "Every exercise passes." in printed, printed
        assert f"HTML report: {tmp_path / 'scorecard.html'}" in printed
        assert (tmp_path / "progress.json").exists()


def test_nothing_attempted_means_nothing_passes_and_each_says_how_to_start(live_cluster: Cluster) -> None:
    nobody = f"{RUN_LABEL}=nobody-{secrets.token_hex(3)}"
    scorecard = assess(live_cluster, EXERCISES, nobody, check_all=True, order=ORDER)
    for outcome in scorecard.outcomes:
        assert outcome.status == NOT_ATTEMPTED, str(scorecard)
        assert outcome.criteria > 1, f"{outcome.exercise.id}: its checker did not run"
        assert f"{EXERCISE_LABEL}={outcome.exercise.id}" in outcome.hint
    assert scorecard.by_level()[1] == Tally(not_attempted=AT_LEVEL[1])
    assert scorecard.next_outcome.exercise.id == "f1-service-discovery"


def test_a_mix_is_reported_exactly(live_cluster: Cluster) -> None:
    parts = {
        "f4-batch": "solution",
        "spread-over-zones": "solution",
        "f1-service-discovery": None,  # set up, nothing written yet
        "f7-config-secrets": "wrong/secret-as-env",
    }
    # The selector finds these four attempts; every other exercise is left outside, not "not attempted".
    expected = {"f4-batch": PASS, "spread-over-zones": PASS, "f1-service-discovery": FAIL, "f7-config-secrets": FAIL}
    with attempts(live_cluster, parts) as selector:
        scorecard = assess_until(
            live_cluster, selector, lambda s: {o.exercise.id: o.status for o in s.outcomes} == expected, timeout=90
        )
    assert {o.exercise.id: o.status for o in scorecard.outcomes} == expected, str(scorecard)
    by_id = {o.exercise.id: o for o in scorecard.outcomes}
    assert expectations(parts_of("f1-service-discovery"))["empty"] in by_id["f1-service-discovery"].hint
    assert by_id["f7-config-secrets"].hint and by_id["f7-config-secrets"].met < by_id["f7-config-secrets"].criteria
    assert scorecard.by_level()[1] == Tally(passed=1, failed=2)
    assert scorecard.by_level()[2] == Tally(passed=1)
    assert len(scorecard.outside) == len(EXERCISES) - 4 and scorecard.status("f2-storage") == OUTSIDE
    assert scorecard.level_reached() == 0
    assert scorecard.verdict().startswith("Level reached: none yet. Level 1: 1 of 3 checked exercises pass;")
    assert scorecard.next_outcome.exercise.id == "f1-service-discovery"


def test_reset_deletes_the_attempt_and_its_nodes_and_can_run_twice(live_cluster: Cluster, capsys) -> None:
    name = f"reset-{secrets.token_hex(3)}"
    labels = {PART_OF: "threeplanes", LAB_LABEL: "exercise-f5-bin-packing", EXERCISE_LABEL: "f5-bin-packing"}
    live_cluster.core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name, labels=labels)))
    try:
        parts_of("f5-bin-packing").setup(live_cluster, name)
        argv = ["exercise", "reset", "f5-bin-packing", "-n", name, "--exercises", str(EXERCISES_DIR)]
        assert cli.main(argv) == 0
        assert f"Deleted namespace {name}, node {name}-a, node {name}-b." in capsys.readouterr().out
        assert not live_cluster.core.list_namespace(field_selector=f"metadata.name={name}").items
        assert not live_cluster.core.list_node(label_selector=f"{FOR_NAMESPACE}={name}").items
        assert cli.main(argv) == 0
        assert "Nothing to reset" in capsys.readouterr().out
    finally:  # when the test failed halfway; both are no-ops after a reset
        delete_namespace(live_cluster, name)
        run_teardown(live_cluster, next(e for e in EXERCISES if e.id == "f5-bin-packing"), name)
