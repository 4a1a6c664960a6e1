"""Teardown of the f8-scaling exercise: delete the namespace's simulated node and wait until it is gone."""

from __future__ import annotations

from threeplanes.kit.nodes import NodePool

LAB = "exercise-f8-scaling"


def apply(cluster, namespace: str) -> None:
    NodePool(namespace, LAB).delete(cluster)
