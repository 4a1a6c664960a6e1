"""Setup of the a5-quorum-budget exercise: a three-member etcd on the real node, in the reader's namespace.

The members run the pinned etcd (its image, ``threeplanes.barriers.middleware.etcd_image()``, is built
on this machine and imported into the real node's containerd if it is not there yet) as the StatefulSet
``etcd`` behind the headless Service ``etcd``, labelled ``app: etcd``. Each keeps its data in a folder of
its own on the real node (``/tmp/threeplanes/<namespace>/<pod>``), so that a member evicted and started
again comes back with it; the pod ``janitor`` removes that folder when the namespace is deleted. Nothing
is made outside the namespace, so the exercise has no teardown. Run twice, the setup leaves what exists
as it is.
"""

from __future__ import annotations

from threeplanes.barriers.middleware import create_members, ensure_etcd_image, wait_for_members
from threeplanes.errors import NotOnThisCluster

EXERCISE = "a5-quorum-budget"


def apply(cluster, namespace: str) -> None:
    """Create the members (unless they exist) and wait until all three are Ready, each in the quorum."""
    if not cluster.can_show("a three-member etcd on the real node"):
        raise NotOnThisCluster("The a5-quorum-budget exercise runs etcd on the real node, and this cluster has none.")
    image, _ = ensure_etcd_image()
    create_members(cluster, namespace, image)
    members = wait_for_members(cluster, namespace, timeout=120)
    print(f"etcd members Ready in {namespace}: {', '.join(p.metadata.name for p in members)} (label app=etcd)")
