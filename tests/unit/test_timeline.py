"""Timelines: recording counts from a (fake) watch, reading them back, and plotting them, without a cluster."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from kubernetes import client

from threeplanes.errors import WaitTimeout
from threeplanes.functional.batch import pod_counts
from threeplanes.functional.rollouts import newest, replicaset_counts, revision, settled_on
from threeplanes.kit import watch as watch_module
from threeplanes.kit.timeline import Recorder, Timeline


def replicaset(name: str, rev: int, desired: int, pods: int, ready: int, available: int, version: str = "1"):
    return SimpleNamespace(
        metadata=SimpleNamespace(
            name=name,
            namespace="ns",
            resource_version=version,
            annotations={"deployment.kubernetes.io/revision": str(rev)},
        ),
        spec=SimpleNamespace(replicas=desired),
        status=SimpleNamespace(replicas=pods, ready_replicas=ready or None, available_replicas=available or None),
    )


def pod(name: str, phase: str, deleting: bool = False):
    return SimpleNamespace(
        metadata=SimpleNamespace(name=name, namespace="ns", deletion_timestamp="now" if deleting else None),
        status=SimpleNamespace(phase=phase),
    )


def test_a_sample_is_kept_only_when_a_count_changes() -> None:
    timeline = Timeline()
    timeline.record({"a": 1}, at=0.0)
    timeline.record({"a": 1}, at=1.0)
    timeline.record({"a": 2, "b": 1}, at=2.0)
    assert timeline.times == [0.0, 2.0]
    assert timeline.names == ["a", "b"]
    assert timeline.values("b") == [0, 1], "a series not measured yet counts as 0"
    assert (timeline.highest("a"), timeline.lowest("a"), timeline.changes("a")) == (2, 1, 1)


def test_replicaset_counts_give_ready_pods_per_replicaset_and_totals() -> None:
    old = replicaset("web-old", 1, desired=5, pods=6, ready=6, available=6)
    new = replicaset("web-new", 2, desired=2, pods=1, ready=0, available=0)
    counts = replicaset_counts([new, old])
    assert counts == {"web-old": 6, "web-new": 0, "asked": 7, "pods": 7, "available": 6}
    assert list(replicaset_counts([new, old]))[:2] == ["web-old", "web-new"], "ordered by revision"
    assert revision(new) == 2 and newest([old, new]) is new


def test_settled_on_needs_the_expected_revision_fully_available_and_the_others_empty() -> None:
    old_done = replicaset("web-old", 1, desired=0, pods=0, ready=0, available=0)
    new_done = replicaset("web-new", 2, desired=6, pods=6, ready=6, available=6)
    assert settled_on([old_done, new_done], at_revision=2, replicas=6)
    assert not settled_on([old_done, new_done], at_revision=3, replicas=6)
    old_left = replicaset("web-old", 1, desired=0, pods=1, ready=1, available=1)
    assert not settled_on([old_left, new_done], at_revision=2, replicas=6)
    not_yet = replicaset("web-new", 2, desired=6, pods=6, ready=6, available=4)
    assert not settled_on([old_done, not_yet], at_revision=2, replicas=6)
    assert not settled_on([], at_revision=1, replicas=6)


def test_pod_counts_count_active_pods_but_not_those_being_deleted() -> None:
    pods = [
        pod("a", "Pending"),
        pod("b", "Running"),
        pod("c", "Running", deleting=True),
        pod("d", "Succeeded"),
        pod("e", "Failed"),
    ]
    assert pod_counts(pods) == {"active": 2, "succeeded": 1, "failed": 1}


class FakeWatch:
    """Replays prepared event batches, one batch per call to ``stream``."""

    batches: list = []
    calls: list = []

    def stream(self, list_fn, **kwargs):
        FakeWatch.calls.append(kwargs)
        if not FakeWatch.batches:  # nothing more happens: a watch that times out empty
            time.sleep(0.01)
            return
        batch = FakeWatch.batches.pop(0)
        if isinstance(batch, Exception):
            raise batch
        yield from batch

    def stop(self) -> None:
        pass


def listing(items, version: str):
    return SimpleNamespace(items=items, metadata=SimpleNamespace(resource_version=version))


@pytest.fixture
def fake_watch(monkeypatch):
    monkeypatch.setattr(watch_module.watch, "Watch", FakeWatch)
    FakeWatch.calls = []
    return FakeWatch


def test_the_recorder_follows_from_the_listed_version_and_records_each_event(fake_watch) -> None:
    before = replicaset("web-1", 1, desired=6, pods=6, ready=6, available=6, version="10")
    recorder = Recorder(lambda **kw: listing([before], "10"), replicaset_counts, namespace="ns")
    surge = replicaset("web-2", 2, desired=1, pods=1, ready=1, available=0, version="11")
    down = replicaset("web-1", 1, desired=5, pods=5, ready=5, available=5, version="12")
    done = replicaset("web-2", 2, desired=6, pods=6, ready=6, available=6, version="13")
    gone = replicaset("web-1", 1, desired=0, pods=0, ready=0, available=0, version="14")
    fake_watch.batches = [
        [{"type": "ADDED", "object": surge}, {"type": "MODIFIED", "object": down}],
        [{"type": "MODIFIED", "object": done}, {"type": "MODIFIED", "object": gone}],
    ]
    objects = recorder.follow(lambda rss: settled_on(rss, 2, 6), what="the rollout", timeout=5)
    assert [c["resource_version"] for c in fake_watch.calls] == ["10", "12"]
    assert fake_watch.calls[0]["namespace"] == "ns"
    assert recorder.timeline.values("web-2") == [0, 1, 1, 6, 6]
    assert recorder.timeline.values("pods") == [6, 7, 6, 11, 6]
    assert {o.metadata.name for o in objects} == {"web-1", "web-2"}


def test_the_recorder_lists_again_when_the_watch_is_too_old(fake_watch) -> None:
    versions = iter(["1", "5"])
    states = iter([[pod("a", "Running")], [pod("a", "Succeeded")]])

    def list_pods(**kw):
        return listing(next(states), next(versions))

    recorder = Recorder(list_pods, pod_counts)
    fake_watch.batches = [client.ApiException(status=410, reason="Gone")]
    recorder.follow(lambda pods: pod_counts(pods)["succeeded"] == 1, what="a pod to finish", timeout=5)
    assert recorder._objects.version == "5"
    assert recorder.timeline.values("succeeded") == [0, 1]


def test_the_recorder_names_what_it_waited_for_on_timeout(fake_watch) -> None:
    recorder = Recorder(lambda **kw: listing([pod("a", "Running")], "1"), pod_counts)
    fake_watch.batches = []
    with pytest.raises(WaitTimeout, match="a pod to finish: not reached after 0.2 s; last counts: .*'active': 1"):
        recorder.follow(lambda pods: False, what="a pod to finish", timeout=0.2)


def test_plot_draws_one_line_per_series_and_the_bounds_and_marks() -> None:
    timeline = Timeline()
    timeline.record({"old": 6, "new": 0, "pods": 6}, at=0.0)
    timeline.record({"old": 5, "new": 2, "pods": 7}, at=1.0)
    timeline.mark("release")
    figure = timeline.plot(["old", "new", "pods"], labels={"old": "revision 1"}, bounds={"max": 7}, thin=["pods"])
    axes = figure.axes[0]
    labels = [line.get_label() for line in axes.get_lines()]
    assert {"revision 1", "new", "pods", "release"} <= set(labels)
    assert any(t.get_text() == "max = 7" for t in axes.texts)
    assert axes.get_legend() is not None
