"""A right fix written another way: a new Role and RoleBinding made with kubectl's generators, beside the broken
pair (which grants nothing)."""

from __future__ import annotations

from threeplanes.kit.kubectl import kubectl


def apply(book, namespace: str) -> None:
    kubectl(
        f"create role configmap-reader -n {namespace} --verb=get,list,watch --resource=configmaps", book, show=False
    )
    kubectl(
        f"create rolebinding configmap-reader -n {namespace} --role=configmap-reader "
        f"--serviceaccount={namespace}:reporter",
        book,
        show=False,
    )
