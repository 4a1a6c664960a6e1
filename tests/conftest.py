"""Shared fixtures: the live cluster (started for the session when none runs) and a leftover check.

``pytest --backend kind`` runs the whole suite against a kind cluster (``--backend local``,
the default ``auto`` and ``existing`` likewise); the ``BACKEND`` environment variable is how
``make`` passes the same choice. A step that needs kwok's simulated nodes raises
``NotOnThisCluster`` on kind, and its test is skipped with that sentence.
"""

from __future__ import annotations

import os

import pytest

from threeplanes.connect import Cluster, connect
from threeplanes.errors import NotOnThisCluster
from threeplanes.namespace import LAB_LABEL, PART_OF
from threeplanes.provision import cluster as book_cluster

OURS = f"{PART_OF}=threeplanes"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backend",
        default=os.environ.get("BACKEND", "auto"),
        choices=book_cluster.BACKENDS,
        help="the cluster the suite runs against (default: $BACKEND, else auto)",
    )
    parser.addoption(
        "--context", default=os.environ.get("CONTEXT"), help="with --backend existing: your cluster's context"
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item):
    outcome = yield
    error = outcome.excinfo[1] if outcome.excinfo else None
    if isinstance(error, NotOnThisCluster):
        outcome.force_exception(pytest.skip.Exception(str(error), _use_item_location=True))


@pytest.fixture(scope="session")
def live_cluster(request: pytest.FixtureRequest) -> Cluster:
    """The book's cluster. Started here if none runs; then stopped at the end, after checking
    that the whole session left nothing of ours behind."""
    backend = request.config.getoption("--backend")
    path, started = book_cluster.up(backend, context=request.config.getoption("--context"))
    cluster = connect(path)
    try:
        yield cluster
        if started:
            left = leftovers(cluster, OURS)
            assert not left, f"the test session left these behind: {left}"
    finally:
        if started:
            book_cluster.down()


def leftovers(cluster: Cluster, selector: str) -> list[str]:
    """Objects matching ``selector`` that still exist: namespaces and the cluster-scoped kinds labs create."""
    listers = {
        "namespace": cluster.core.list_namespace,
        "node": cluster.core.list_node,
        "persistentvolume": cluster.core.list_persistent_volume,
        "storageclass": cluster.storage.list_storage_class,
        "priorityclass": cluster.scheduling.list_priority_class,
    }
    found = []
    for kind, list_all in listers.items():
        found += [f"{kind}/{o.metadata.name}" for o in list_all(label_selector=selector).items]
    return found


@pytest.fixture
def owned_by(live_cluster: Cluster):
    """Check that what a lab or exercise labels ``threeplanes.io/lab=<owner>`` is gone after the test.

    Labs label their namespace (``lab_namespace``) and any cluster-scoped object with their file's
    stem; exercises with ``exercise-<id>``. Scoping the check by owner lets several labs share a
    cluster at once.
    """
    owners: list[str] = []
    yield owners.append
    for owner in owners:
        left = leftovers(live_cluster, f"{LAB_LABEL}={owner}")
        assert not left, f"{owner} left these behind: {left}"
