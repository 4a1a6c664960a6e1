"""Reference solutions applied as a reader would, for a real sample scorecard in the book.

Only exercises whose set-up (if any) and reference solution are plain manifests are used:
``kubectl apply`` makes them in a few seconds. The others (set-up scripts that add nodes or
volumes, or ship releases one by one) would take minutes. Each namespace is labelled as a
reader's attempt, plus a run label so that the sample is assessed alone on a shared cluster;
everything is deleted on the way out.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from kubernetes import client

from threeplanes.assessment.namespaces import EXERCISE_LABEL
from threeplanes.assessment.scorecard import FAIL, Scorecard, assess
from threeplanes.checking.exercises import Exercise
from threeplanes.kit.kubectl import kubectl
from threeplanes.kit.labels import LAB_LABEL, PART_OF
from threeplanes.kit.wait import wait_for_namespace_gone

RUN_LABEL = "threeplanes.io/assessment-run"


def applies_from_manifests(exercise: Exercise) -> bool:
    """True when the exercise's set-up and reference solution are YAML manifests only."""
    d = exercise.folder
    return (d / "solution.yaml").exists() and not (d / "setup.py").exists() and not (d / "solution.py").exists()


@contextmanager
def reference_attempts(cluster: Any, exercises: list[Exercise], owner: str) -> Iterator[str]:
    """Apply each exercise's set-up and reference solution in a namespace marked as an attempt.

    Yields the label selector that finds these namespaces and no other; deletes them at the end.
    """
    run = secrets.token_hex(3)
    made: list[str] = []
    try:
        for exercise in exercises:
            name = f"{owner}-{exercise.id}"[:56] + f"-{run}"
            labels = {PART_OF: "threeplanes", LAB_LABEL: owner, EXERCISE_LABEL: exercise.id, RUN_LABEL: run}
            cluster.core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name, labels=labels)))
            made.append(name)
            for part in ("setup.yaml", "solution.yaml"):
                if (exercise.folder / part).exists():
                    kubectl(f"apply -n {name} -f {exercise.folder / part}", cluster, show=False)
        yield f"{RUN_LABEL}={run}"
    finally:
        # Ask for every deletion first, then wait: the namespace controller empties them side by side.
        for name in made:
            try:
                cluster.core.delete_namespace(name)
            except client.ApiException as error:
                if error.status != 404:
                    raise
        for name in made:
            wait_for_namespace_gone(cluster, name)


def settled_scorecard(
    cluster: Any, exercises: list[Exercise], selector: str, order: list[str] | None = None, timeout: float = 60
) -> Scorecard:
    """Assess until no attempted exercise fails (objects still rolling out), or ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        scorecard = assess(cluster, exercises, selector, order=order)
        if all(o.status != FAIL for o in scorecard.outcomes) or time.monotonic() > deadline:
            return scorecard
