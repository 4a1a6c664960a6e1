"""Teardown of the s1-admission-policy exercise: remove any answer the book's tests handed in for the namespace.

The checker removes its own control plane, where the policy was applied, before it returns.
"""

from __future__ import annotations

from threeplanes.checking.programs import forget_answers


def apply(cluster, namespace: str) -> None:
    forget_answers(namespace)
