"""Remove the reader's attempt at an exercise so that it can be tried again.

The attempt is its namespace (found as ``namespaces`` describes, or named with ``-n``) and
whatever the exercise's set-up made outside it: the nodes of f5-bin-packing, f6-self-healing
and f8-scaling, the volume of f2-storage. The exercise's own ``teardown.py`` knows those;
reset runs it after deleting the namespace. It refuses a namespace that is not marked as the
reader's work on that exercise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kubernetes import client

from threeplanes.assessment.namespaces import check_owner, find_attempts, list_namespaces
from threeplanes.checking.exercises import Exercise
from threeplanes.kit.cleanup import cluster_scoped
from threeplanes.kit.labels import FOR_NAMESPACE, LAB_LABEL
from threeplanes.kit.namespaces import delete_namespace


@dataclass
class ResetResult:
    namespaces: list[str] = field(default_factory=list)
    cluster_objects: list[str] = field(default_factory=list)  # nodes and volumes the teardown removed

    def __str__(self) -> str:
        if not self.namespaces and not self.cluster_objects:
            return "Nothing to reset: no namespace and no node or volume of this exercise was found."
        parts = [f"namespace {n}" for n in self.namespaces] + self.cluster_objects
        return f"Deleted {', '.join(parts)}. You can start the exercise again."


def _cluster_objects(cluster: Any, exercise: Exercise, namespace: str) -> set[str]:
    """What the exercise's set-up made for ``namespace`` outside it (nodes, volumes): labelled as the
    exercise's and for that namespace, found through discovery."""
    selector = f"{LAB_LABEL}=exercise-{exercise.id},{FOR_NAMESPACE}={namespace}"
    return {f"{o.kind.kind.lower()} {o.name}" for o in cluster_scoped(cluster, selector) if o.kind.kind != "Namespace"}


def run_teardown(cluster: Any, exercise: Exercise, namespace: str) -> None:
    """Remove what the exercise's setup made outside the namespace (its ``teardown``), when it has one."""
    exercise.teardown(cluster, namespace)


def reset(cluster: Any, exercise: Exercise, namespace: str | None = None) -> ResetResult:
    """Delete the reader's namespace(s) for ``exercise`` and what its set-up made for them."""
    if namespace is not None:
        try:
            check_owner(cluster.core.read_namespace(namespace), exercise)
        except client.ApiException as error:
            if error.status != 404:
                raise
        targets = [namespace]
    else:
        attempts = find_attempts(list_namespaces(cluster), [exercise.id])
        targets = attempts.by_exercise.get(exercise.id, [])
    result = ResetResult()
    for name in targets:
        before = _cluster_objects(cluster, exercise, name)
        try:
            cluster.core.read_namespace(name)
            delete_namespace(cluster, name)
            result.namespaces.append(name)
        except client.ApiException as error:
            if error.status != 404:
                raise
        run_teardown(cluster, exercise, name)
        result.cluster_objects += sorted(before - _cluster_objects(cluster, exercise, name))
    return result
