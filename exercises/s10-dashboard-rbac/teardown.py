"""Teardown of the s10-dashboard-rbac exercise: remove any answer the book's tests handed in for the namespace.

The checker applies the answer to a control plane of its own and removes that control plane before it returns.
"""

from __future__ import annotations

from threeplanes.checking.programs import forget_answers


def apply(cluster, namespace: str) -> None:
    forget_answers(namespace)
