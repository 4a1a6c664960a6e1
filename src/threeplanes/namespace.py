"""A namespace of the lab's own: unique name, common labels, deleted when the lab ends.

``lab_namespace`` first removes namespaces an interrupted earlier run of the same lab left
behind, so a lab can always be run again; it also deletes its own namespace when the
kernel exits, so a lab that fails halfway leaves nothing behind.
"""

from __future__ import annotations

import atexit
import secrets

from kubernetes import client

from threeplanes.connect import Cluster
from threeplanes.wait import wait_for_namespace_gone

PART_OF = "app.kubernetes.io/part-of"
LAB_LABEL = "threeplanes.io/lab"


def lab_namespace(cluster: Cluster, lab: str) -> str:
    """Create a fresh namespace ``<lab>-<suffix>`` and return its name."""
    for stale in cluster.core.list_namespace(label_selector=f"{LAB_LABEL}={lab}").items:
        if stale.status.phase != "Terminating":
            cluster.core.delete_namespace(stale.metadata.name)
    name = f"{lab}-{secrets.token_hex(3)}"
    body = client.V1Namespace(metadata=client.V1ObjectMeta(name=name, labels={PART_OF: "threeplanes", LAB_LABEL: lab}))
    cluster.core.create_namespace(body)
    atexit.register(_delete_quietly, cluster, name)
    return name


def delete_namespace(cluster: Cluster, name: str, timeout: float = 120) -> None:
    """Delete a namespace and wait until it is gone (its objects deleted first)."""
    try:
        cluster.core.delete_namespace(name)
    except client.ApiException as error:
        if error.status != 404:
            raise
    wait_for_namespace_gone(cluster, name, timeout=timeout)


def _delete_quietly(cluster: Cluster, name: str) -> None:
    """At kernel exit: delete the namespace if the lab did not, and give it a moment to go."""
    try:
        delete_namespace(cluster, name, timeout=20)
    except Exception:  # the kernel is exiting: nothing useful can be said any more
        pass
