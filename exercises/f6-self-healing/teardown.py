"""Teardown of the f6-self-healing exercise: delete the namespace's three nodes and wait until they are gone."""

from __future__ import annotations

from threeplanes.kit.nodes import NodePool

EXERCISE = "f6-self-healing"


def apply(cluster, namespace: str) -> None:
    NodePool(namespace, owner=f"exercise-{EXERCISE}").delete(cluster)
