"""Rolling updates: a Deployment's ReplicaSets by revision, and the counts a rollout keeps within bounds.

Each template change makes a ReplicaSet with the next revision number (its
``deployment.kubernetes.io/revision`` annotation). ``replicaset_counts`` is the measure a
``Recorder`` (see ``threeplanes.kit.timeline``) asks at every watch event.
"""

from __future__ import annotations

from typing import Any

from threeplanes.kit.timeline import Counts

REVISION = "deployment.kubernetes.io/revision"


def revision(replicaset: Any) -> int:
    """The Deployment revision a ReplicaSet holds (its ``deployment.kubernetes.io/revision`` annotation)."""
    return int((replicaset.metadata.annotations or {}).get(REVISION, 0))


def replicaset_counts(replicasets: list[Any]) -> Counts:
    """Ready pods per ReplicaSet (by name), plus the pods and available pods of them all together.

    ``pods`` counts the pods that exist and are not being deleted (``status.replicas``):
    the number a rolling update keeps at or under ``replicas + maxSurge``. ``available`` counts
    those ready for at least ``minReadySeconds``: the number it keeps at or over
    ``replicas - maxUnavailable``.
    """
    counts = {rs.metadata.name: rs.status.ready_replicas or 0 for rs in sorted(replicasets, key=revision)}
    counts["pods"] = sum(rs.status.replicas or 0 for rs in replicasets)
    counts["available"] = sum(rs.status.available_replicas or 0 for rs in replicasets)
    return counts


def newest(replicasets: list[Any]) -> Any | None:
    """The ReplicaSet with the highest revision: the one a rollout moves to."""
    return max(replicasets, key=revision, default=None)


def settled_on(replicasets: list[Any], at_revision: int, replicas: int) -> bool:
    """True once the ReplicaSet of revision ``at_revision`` is the newest, with ``replicas`` pods all
    available, and every other ReplicaSet has none left."""
    latest = newest(replicasets)
    if latest is None or revision(latest) != at_revision:
        return False
    others = [rs for rs in replicasets if rs is not latest]
    return (latest.status.available_replicas or 0) == replicas == (latest.status.replicas or 0) and all(
        (rs.status.replicas or 0) == 0 for rs in others
    )
