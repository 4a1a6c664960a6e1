"""The bounds of a rolling update, read from recorded timelines, without a cluster.

A watch on a Deployment's ReplicaSets delivers their states in the order the API server
stored them. The Deployment controller bounds the sum of their ``spec.replicas``; the sum of
their ``status.replicas`` comes from the ReplicaSet controller, one ReplicaSet at a time, and
may run ahead of it for an instant. These timelines replay such a watch, step by step.
"""

from __future__ import annotations

from types import SimpleNamespace

from threeplanes.functional.rollouts import bound_breaches, replicaset_counts
from threeplanes.kit.timeline import Timeline

REPLICAS, MAX_SURGE, MAX_UNAVAILABLE = 6, 1, 1


def replicaset(name: str, rev: int, asked: int, pods: int, available: int):
    return SimpleNamespace(
        metadata=SimpleNamespace(name=name, annotations={"deployment.kubernetes.io/revision": str(rev)}),
        spec=SimpleNamespace(replicas=asked),
        status=SimpleNamespace(replicas=pods, ready_replicas=available or None, available_replicas=available or None),
    )


def replay(states: list[tuple[tuple[int, int, int], tuple[int, int, int]]]) -> Timeline:
    """Record each (old, new) state, each as (spec.replicas, status.replicas, availableReplicas)."""
    timeline = Timeline()
    for at, (old, new) in enumerate(states):
        replicasets = [replicaset("web-old", 1, *old)]
        if new != (0, 0, 0):
            replicasets.append(replicaset("web-new", 2, *new))
        timeline.record(replicaset_counts(replicasets), at=float(at))
    return timeline


# One wave of a rollout of six replicas, maxSurge 1, maxUnavailable 1, as a watch delivered it:
# the new ReplicaSet's status (two more pods) arrived before the old one's (two fewer).
STATUS_AHEAD = [
    ((6, 6, 6), (0, 0, 0)),
    ((6, 6, 6), (1, 0, 0)),  # the controller asks for one new pod: 7 asked
    ((5, 6, 6), (1, 0, 0)),  # ... and one old pod fewer: 6 asked
    ((5, 6, 6), (2, 0, 0)),  # a second new pod: 7 asked
    ((5, 6, 6), (2, 2, 0)),  # the new ReplicaSet reports its two pods first: 8 counted
    ((5, 5, 5), (2, 2, 0)),  # the old one reports its deletion
    ((5, 5, 5), (2, 2, 2)),  # minReadySeconds later, the new pods are available: 7 available
    ((3, 5, 5), (2, 2, 2)),  # two old pods may go: 5 asked
    ((3, 5, 5), (4, 2, 2)),  # two new ones come: 7 asked
    ((3, 5, 5), (4, 4, 2)),  # again the new status first: 9 counted
    ((3, 3, 3), (4, 4, 2)),
    ((3, 3, 3), (4, 4, 4)),
    ((1, 3, 3), (4, 4, 4)),
    ((1, 3, 3), (6, 4, 4)),
    ((1, 3, 3), (6, 6, 4)),  # 9 counted once more
    ((1, 1, 1), (6, 6, 4)),
    ((1, 1, 1), (6, 6, 6)),
    ((0, 1, 1), (6, 6, 6)),
    ((0, 0, 0), (6, 6, 6)),
]


def test_the_pods_asked_for_stay_within_replicas_plus_max_surge() -> None:
    timeline = replay(STATUS_AHEAD)
    assert timeline.highest("asked") == REPLICAS + MAX_SURGE
    assert bound_breaches(timeline.samples, "asked", highest=REPLICAS + MAX_SURGE) == []


def test_the_pods_counted_from_statuses_can_pass_the_bound_for_an_instant() -> None:
    timeline = replay(STATUS_AHEAD)
    ahead = bound_breaches(timeline.samples, "pods", highest=REPLICAS + MAX_SURGE)
    assert [s.counts["pods"] for s in ahead] == [8, 9, 9]
    assert all(s.counts["asked"] <= REPLICAS + MAX_SURGE for s in ahead), "never more asked for"
    after = {timeline.samples.index(s) + 1 for s in ahead}
    assert all(timeline.samples[i].counts["pods"] <= REPLICAS + MAX_SURGE for i in after), "settles at once"


def test_availability_never_falls_under_the_bound_when_old_pods_go_only_after_new_ones_are_available() -> None:
    timeline = replay(STATUS_AHEAD)
    assert timeline.lowest("available") == REPLICAS - MAX_UNAVAILABLE
    assert bound_breaches(timeline.samples, "available", lowest=REPLICAS - MAX_UNAVAILABLE) == []
    assert timeline.values("web-new")[-1] == REPLICAS and timeline.values("web-old")[-1] == 0


def test_a_controller_that_overshoots_is_caught() -> None:
    overshoot = [((6, 6, 6), (0, 0, 0)), ((6, 6, 6), (2, 0, 0)), ((4, 6, 6), (2, 0, 0))]
    breaches = bound_breaches(replay(overshoot).samples, "asked", highest=REPLICAS + MAX_SURGE)
    assert [s.counts["asked"] for s in breaches] == [8]
