"""Setup of the fix-namespace-stuck mission: the old project's namespace, stuck Terminating behind a finalizer.

Beside the reader's namespace ``<ns>``, the setup makes ``<ns>-old`` (the retired project's, labelled
for the reader's namespace so that the book's tests find it), and in it the ConfigMap ``ledger``: the
project's accounts, with the finalizer ``archive.example.com/ledger`` of an archiving job that used
to copy the ledger away before letting it go, and that has since been switched off. Then it deletes
``<ns>-old``. The namespace controller deletes what the namespace holds; the ledger only gets its
deletion timestamp, since a finalizer remains, and the namespace stays ``Terminating``, with the
condition ``NamespaceFinalizersRemaining`` naming the finalizer. The setup waits for that condition.
Running the setup again starts the mission over (``teardown.py`` removes the old namespace first).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from threeplanes.checking import missions
from threeplanes.kit.labels import FOR_NAMESPACE, owned_labels
from threeplanes.kit.wait import wait_for

LEDGER, ARCHIVE = "ledger", "ledger-archive"
FINALIZER = "archive.example.com/ledger"
OWNER = "exercise-fix-namespace-stuck"
DATA = {
    "2026-10.csv": "date,account,amount\n2026-10-03,4010,1250.00\n2026-10-17,4010,-310.40\n",
    "2026-11.csv": "date,account,amount\n2026-11-02,4020,880.00\n2026-11-29,4010,-95.10\n",
    "closing.txt": "closed by the finance team on 2026-11-30; keep ten years\n",
}
TIMEOUT = 60

teardown = missions.load_part(Path(__file__).parent, "teardown")


def old_namespace(namespace: str) -> str:
    return f"{namespace}-old"


def ledger() -> dict:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": LEDGER, "finalizers": [FINALIZER], "labels": {"app": "ledger"}},
        "data": dict(DATA),
    }


def condition(found: Any, kind: str) -> Any | None:
    """The namespace's condition ``kind`` when it is True."""
    return next((c for c in (found.status.conditions or []) if c.type == kind and c.status == "True"), None)


def described(found: list) -> str:
    return ", ".join(f"{n.status.phase}: {[c.type for c in n.status.conditions or []]}" for n in found) or "none"


def apply(cluster: Any, namespace: str) -> None:
    old = old_namespace(namespace)
    teardown.apply(cluster, namespace)
    missions.delete_if_there(lambda: cluster.core.delete_namespaced_config_map(ARCHIVE, namespace))
    labels = owned_labels(OWNER, **{FOR_NAMESPACE: namespace})
    cluster.core.create_namespace({"metadata": {"name": old, "labels": labels}})
    cluster.core.create_namespaced_config_map(old, ledger())
    cluster.core.delete_namespace(old)
    wait_for(
        cluster.core.list_namespace,
        lambda found: bool(found) and condition(found[0], "NamespaceFinalizersRemaining") is not None,
        what=f"the namespace controller's report that {old} waits for the finalizer {FINALIZER}",
        describe=described,
        timeout=TIMEOUT,
        field_selector=f"metadata.name={old}",
    )
