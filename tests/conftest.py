"""Shared fixtures: the live cluster (started for the session when none runs) and a leftover check."""

from __future__ import annotations

import os

import pytest

from threeplanes.connect import Cluster, connect
from threeplanes.namespace import PART_OF
from threeplanes.provision import cluster as book_cluster

OURS = f"{PART_OF}=threeplanes"


@pytest.fixture(scope="session")
def live_cluster() -> Cluster:
    """The book's cluster. Started here if none runs, and then stopped at the end."""
    path, started = book_cluster.up(os.environ.get("BACKEND", "auto"))
    try:
        yield connect(path)
    finally:
        if started:
            book_cluster.down()


def leftovers(cluster: Cluster) -> list[str]:
    """Objects the labs and exercises label as theirs that still exist."""
    found = [f"namespace/{n.metadata.name}" for n in cluster.core.list_namespace(label_selector=OURS).items]
    found += [f"node/{n.metadata.name}" for n in cluster.core.list_node(label_selector=OURS).items]
    found += [
        f"persistentvolume/{v.metadata.name}" for v in cluster.core.list_persistent_volume(label_selector=OURS).items
    ]
    found += [f"storageclass/{s.metadata.name}" for s in cluster.storage.list_storage_class(label_selector=OURS).items]
    found += [
        f"priorityclass/{p.metadata.name}" for p in cluster.scheduling.list_priority_class(label_selector=OURS).items
    ]
    return found


@pytest.fixture
def clean_cluster(live_cluster: Cluster) -> Cluster:
    """The live cluster, checked to hold nothing of ours before and after the test."""
    before = leftovers(live_cluster)
    assert not before, f"objects left by an earlier run: {before}"
    yield live_cluster
    after = leftovers(live_cluster)
    assert not after, f"the test left these behind: {after}"
