"""Teardown of the s3-scheduler exercise: delete the namespace's four nodes, and any answer the tests wrote."""

from __future__ import annotations

from threeplanes.checking.programs import forget_answers
from threeplanes.kit.nodes import NodePool

EXERCISE = "s3-scheduler"


def apply(cluster, namespace: str) -> None:
    NodePool(namespace, owner=f"exercise-{EXERCISE}").delete(cluster)
    forget_answers(namespace)
