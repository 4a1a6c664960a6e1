"""A guess at the wrong field: the resource changed to the singular, configmap, and the group left as it was.
RBAC matches resources by their plural name and the group exactly: still 403."""

from __future__ import annotations


def apply(book, namespace: str) -> None:
    patch = [{"op": "replace", "path": "/rules/0/resources", "value": ["configmap"]}]
    book.rbac.patch_namespaced_role("reporter", namespace, patch)
