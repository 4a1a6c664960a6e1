"""Teardown of the f5-bin-packing exercise: delete the namespace's two nodes and wait until they are gone."""

from __future__ import annotations

from threeplanes.kit.nodes import NodePool

EXERCISE = "f5-bin-packing"


def apply(cluster, namespace: str) -> None:
    NodePool(namespace, owner=f"exercise-{EXERCISE}").delete(cluster)
