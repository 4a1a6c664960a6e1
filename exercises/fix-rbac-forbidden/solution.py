"""The reference fix of fix-rbac-forbidden: the Role's API group, the core group "" instead of "v1".

From a terminal:

    kubectl patch role reporter -n NAMESPACE --type=json \
        -p '[{"op": "replace", "path": "/rules/0/apiGroups", "value": [""]}]'
"""

from __future__ import annotations


def apply(book, namespace: str) -> None:
    patch = [{"op": "replace", "path": "/rules/0/apiGroups", "value": [""]}]
    book.rbac.patch_namespaced_role("reporter", namespace, patch)
