"""Teardown of the u1-portable-manifests exercise: what a check stopped half way left, and the answers handed in.

A check removes what it made before it returns (its namespace and volume on the book's cluster, its
admission policy, its second control plane), without waiting for the namespace to go; this waits for
it, removes what a check that was stopped left, and forgets the answers the book's tests handed in.
"""

from __future__ import annotations

from threeplanes.checking.programs import forget_answers
from threeplanes.kit.cleanup import delete_owned
from threeplanes.kit.deleting import ignore_missing
from threeplanes.kit.labels import FOR_NAMESPACE, LAB_LABEL
from threeplanes.kit.wait import wait_for_namespace_gone

OWNER = "exercise-u1-portable-manifests"


def apply(cluster, namespace: str) -> None:
    selector = f"{LAB_LABEL}={OWNER},{FOR_NAMESPACE}={namespace}"
    checks = [ns.metadata.name for ns in cluster.core.list_namespace(label_selector=selector).items]
    for name in checks:
        with ignore_missing():
            cluster.core.delete_collection_namespaced_pod(name, grace_period_seconds=0)
            cluster.core.delete_namespace(name)
    for name in checks:
        wait_for_namespace_gone(cluster, name, timeout=90)
    delete_owned(cluster, selector)
    forget_answers(namespace)
