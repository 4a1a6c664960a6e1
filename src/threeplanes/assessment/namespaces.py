"""Which namespace holds the reader's work on each exercise.

A namespace is the reader's attempt at an exercise when it carries the label
``threeplanes.io/exercise=<id>`` (each exercise page shows the ``kubectl label namespace``
line), or, unlabelled, when it is named exactly after the exercise
(``kubectl create namespace f4-batch``). A label always wins: a namespace named
``f4-batch`` but labelled for ``f3-rollouts`` is an attempt at ``f3-rollouts``. When several
namespaces hold attempts at one exercise, the newest is checked and the others are named.
A label naming no known exercise is reported, with the closest ids.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from threeplanes.checking.exercises import Exercise
from threeplanes.errors import AssessmentError

EXERCISE_LABEL = "threeplanes.io/exercise"


@dataclass
class Attempts:
    """The namespaces found for each exercise, newest first, and the labels that name none."""

    by_exercise: dict[str, list[str]] = field(default_factory=dict)
    unknown_labels: list[str] = field(default_factory=list)  # one sentence per stray namespace

    def namespace(self, exercise_id: str) -> str | None:
        found = self.by_exercise.get(exercise_id)
        return found[0] if found else None

    def others(self, exercise_id: str) -> list[str]:
        return self.by_exercise.get(exercise_id, [])[1:]


def find_attempts(namespaces: list[Any], exercise_ids: Iterable[str]) -> Attempts:
    """Sort ``namespaces`` (V1Namespace objects) into attempts at the exercises ``exercise_ids``."""
    ids = set(exercise_ids)
    attempts = Attempts()
    live = [ns for ns in namespaces if (ns.status is None or ns.status.phase != "Terminating")]
    newest_first = sorted(live, key=lambda ns: (ns.metadata.creation_timestamp or 0, ns.metadata.name), reverse=True)
    for ns in newest_first:
        name = ns.metadata.name
        label = (ns.metadata.labels or {}).get(EXERCISE_LABEL)
        if label is None and name in ids:
            label = name
        if label is None:
            continue
        if label in ids:
            attempts.by_exercise.setdefault(label, []).append(name)
        else:
            close = difflib.get_close_matches(label, sorted(ids), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            attempts.unknown_labels.append(
                f"namespace {name} is labelled {EXERCISE_LABEL}={label}, an exercise that does not exist{hint}"
            )
    return attempts


def list_namespaces(cluster: Any, selector: str | None = None) -> list[Any]:
    """The cluster's namespaces, or only those matching a label selector."""
    return cluster.core.list_namespace(label_selector=selector or "").items


def check_owner(namespace: Any, exercise: Exercise) -> None:
    """Refuse a namespace that is not the reader's work on ``exercise``: labelled for another, or neither
    labelled for it nor named after it (so that ``reset`` never deletes a namespace it was not meant for)."""
    name = namespace.metadata.name
    label = (namespace.metadata.labels or {}).get(EXERCISE_LABEL)
    if label is not None and label != exercise.id:
        raise AssessmentError(
            f"Namespace {name} belongs to the exercise {label} (label {EXERCISE_LABEL}={label}), not to {exercise.id}; "
            f"run `threeplanes exercise reset {label} -n {name}` if that is the one you mean."
        )
    if label is None and name != exercise.id:
        raise AssessmentError(
            f"Namespace {name} is not marked as your work on {exercise.id}, so reset leaves it alone; if it is yours, "
            f"label it first: kubectl label namespace {name} {EXERCISE_LABEL}={exercise.id}"
        )
