"""Rolling updates: a Deployment's ReplicaSets by revision, and the counts a rollout keeps within bounds.

Each template change makes a ReplicaSet with the next revision number (its
``deployment.kubernetes.io/revision`` annotation). ``replicaset_counts`` is the measure a
``Recorder`` (see ``threeplanes.kit.timeline``) asks at every watch event.

What the Deployment controller bounds is the sum of its ReplicaSets' ``spec.replicas`` (the
pods it *asks for*): it scales the new ReplicaSet up only while that sum, as its informer
sees it, is under ``replicas + maxSurge``, and it writes each change with the ReplicaSet's
resourceVersion, so a decision taken on a stale view fails with a conflict instead of
overshooting (``pkg/controller/deployment/rolling.go`` and ``util/deployment_util.go``,
``NewRSNewReplicas``). The pods that exist (``status.replicas``) are counted by the ReplicaSet
controller, once per ReplicaSet, each at its own moment: the new ReplicaSet's status can report
its new pods before the old one's reports the pods it has deleted, so their sum can pass the
bound for an instant although no more pods were ever asked for. ``bound_breaches`` tells the two
apart on a recorded timeline.
"""

from __future__ import annotations

from typing import Any

from threeplanes.kit.timeline import Counts

REVISION = "deployment.kubernetes.io/revision"


def revision(replicaset: Any) -> int:
    """The Deployment revision a ReplicaSet holds (its ``deployment.kubernetes.io/revision`` annotation)."""
    return int((replicaset.metadata.annotations or {}).get(REVISION, 0))


def replicaset_counts(replicasets: list[Any]) -> Counts:
    """Ready pods per ReplicaSet (by name), plus the pods asked for, existing and available in all.

    ``asked`` sums the ReplicaSets' ``spec.replicas``: the number the Deployment controller
    keeps at or under ``replicas + maxSurge``. ``pods`` counts the pods that exist and are not
    being deleted (``status.replicas``): it follows ``asked`` but, summed over ReplicaSets whose
    statuses are written at different moments, can briefly run ahead of it. ``available``
    counts those ready for at least ``minReadySeconds``: the number the controller keeps at or
    over ``replicas - maxUnavailable`` as long as no pod fails by itself.
    """
    counts = {rs.metadata.name: rs.status.ready_replicas or 0 for rs in sorted(replicasets, key=revision)}
    counts["asked"] = sum(rs.spec.replicas or 0 for rs in replicasets)
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


def bound_breaches(samples: list[Any], counts: str, highest: int | None = None, lowest: int | None = None) -> list[Any]:
    """The samples of a recorded timeline whose count ``counts`` is over ``highest`` or under ``lowest``."""
    return [
        sample
        for sample in samples
        if (highest is not None and sample.counts.get(counts, 0) > highest)
        or (lowest is not None and sample.counts.get(counts, 0) < lowest)
    ]
