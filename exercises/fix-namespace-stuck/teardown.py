"""Teardown of the fix-namespace-stuck mission: the namespace ``<ns>-old`` and whatever is still stored of it.

It works in any state the mission can be left in: the namespace Terminating behind the ledger's
finalizer, or already gone. A namespace removed by force (its ``finalize`` subresource) leaves the
ledger in the API's storage, and the API server refuses to change an object of a namespace that does
not exist; so when objects of a missing namespace remain, the namespace is made again (it adopts
them), their finalizers are removed, and the namespace is deleted and awaited.
"""

from __future__ import annotations

from typing import Any

from kubernetes import client

from threeplanes.kit.labels import FOR_NAMESPACE, owned_labels
from threeplanes.kit.wait import wait_for_namespace_gone

OWNER = "exercise-fix-namespace-stuck"


def _ignore_missing(call: Any) -> None:
    try:
        call()
    except client.ApiException as error:
        if error.status not in (404, 409):
            raise


def apply(book: Any, namespace: str) -> None:
    old = f"{namespace}-old"
    stored = book.core.list_namespaced_config_map(old).items
    try:
        book.core.read_namespace(old)
        exists = True
    except client.ApiException as error:
        if error.status != 404:
            raise
        exists = False
    if not exists and not stored:
        return
    if not exists:
        labels = owned_labels(OWNER, **{FOR_NAMESPACE: namespace})
        _ignore_missing(lambda: book.core.create_namespace({"metadata": {"name": old, "labels": labels}}))
    for found in stored:
        if found.metadata.finalizers:
            _ignore_missing(
                lambda name=found.metadata.name: book.core.patch_namespaced_config_map(
                    name, old, {"metadata": {"finalizers": None}}
                )
            )
    _ignore_missing(lambda: book.core.delete_namespace(old))
    wait_for_namespace_gone(book, old, timeout=90)
