"""Shared fixtures: the live cluster, shared by every test and every xdist worker, and leftover checks.

The first worker that needs the cluster starts it (under the cluster's file lock) unless one
runs; the run then owns it, and the controlling process stops it at the very end, after
checking that the whole run left nothing of ours behind. The kubeconfig is exported to the
environment, so the lab kernels the tests start talk to the same cluster as the tests.

``pytest --backend kind`` runs the whole suite against a kind cluster (``--backend local``,
the default ``auto`` and ``existing`` likewise); the ``BACKEND`` environment variable is how
``make`` passes the same choice. A step that needs kwok's simulated nodes raises
``NotOnThisCluster`` on kind, and its test is skipped with that sentence.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
import uuid
from pathlib import Path

import psutil
import pytest

from threeplanes.errors import NotOnThisCluster, WaitTimeout
from threeplanes.kit import lab_planes, programs
from threeplanes.kit.cleanup import cluster_scoped
from threeplanes.kit.connect import KUBECONFIG_ENV, Cluster, connect
from threeplanes.kit.control_plane import real_node_processes
from threeplanes.kit.labels import FOR_NAMESPACE, LAB_LABEL, OURS
from threeplanes.kit.namespaces import delete_gone_runs, lab_namespaces, owner_is_gone
from threeplanes.kit.wait import wait_for
from threeplanes.provision import cluster as book_cluster
from threeplanes.provision import paths
from threeplanes.system.proxy import iptables_save
from threeplanes.system.runtime import Crictl, kubelet_configuration, pod_logs_dir

RUN_ENV = "THREEPLANES_TEST_RUN"  # one id for the controlling process and its workers
CALL_FAILED = pytest.StashKey[bool]()


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):  # the controlling process (or a run without xdist)
        # A fresh id, never one inherited: a test that runs pytest inside must not take this
        # run's cluster for its own (and stop it at its end). The workers inherit this one.
        os.environ[RUN_ENV] = uuid.uuid4().hex[:12]


def _started_marker() -> Path:
    """Present while the cluster that this test run started is up."""
    return paths.cache_root() / f"started-by-test-run-{os.environ[RUN_ENV]}"


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
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Remember whether the test itself failed, for fixtures that act on it in their teardown."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.stash[CALL_FAILED] = report.failed


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item):
    outcome = yield
    error = outcome.excinfo[1] if outcome.excinfo else None
    if isinstance(error, NotOnThisCluster):
        outcome.force_exception(pytest.skip.Exception(str(error), _use_item_location=True))


@pytest.fixture(scope="session")
def live_cluster(request: pytest.FixtureRequest) -> Cluster:
    """The book's cluster; started here when none runs (it is then stopped at the end of the run)."""
    backend = request.config.getoption("--backend")
    path, started = book_cluster.up(backend, context=request.config.getoption("--context"))
    if started:
        _started_marker().write_text(str(path))
    os.environ[KUBECONFIG_ENV] = str(path)
    return connect(path)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In the controlling process: check that the runs left no program behind, and, if this run
    started the cluster, that they left nothing in it; then stop it."""
    if hasattr(session.config, "workerinput"):
        return
    started_the_cluster = _started_marker().exists()
    try:
        left = left_programs()
        if started_the_cluster:
            cluster = connect(_started_marker().read_text().strip())
            left += leftovers(cluster, OURS, settle=180) + left_on_real_node(cluster)
        if left:
            print(f"\nThe test run left these behind: {', '.join(left)}")
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
    finally:
        if started_the_cluster:
            _started_marker().unlink(missing_ok=True)
            book_cluster.down()


def leftovers(cluster: Cluster, selector: str, settle: float = 0) -> list[str]:
    """Namespaces and cluster-scoped objects of every kind the API serves that match ``selector``; with
    ``settle``, once the matching namespaces being deleted are gone, or ``settle`` s have passed."""
    if settle:
        with contextlib.suppress(WaitTimeout):  # what is still there is named below
            wait_for(
                cluster.core.list_namespace,
                lambda found: not any(ns.status.phase == "Terminating" for ns in found),
                what=f"the namespaces {selector} being deleted to go",
                describe=lambda found: f"{len(found)} namespace(s)",
                timeout=settle,
                label_selector=selector,
            )
    return sorted(str(o) for o in cluster_scoped(cluster, selector))


def left_on_real_node(cluster: Cluster, timeout: float = 180) -> list[str]:
    """What the runs left on the real node once their namespaces are gone: pod sandboxes in containerd, Service
    rules in the kernel, pod log folders. The kubelet and kube-proxy remove them after the API objects go, so
    this looks again until they are gone or ``timeout`` s have passed."""
    if not real_node_processes():
        return []
    crictl = Crictl.of_real_node()
    logs = pod_logs_dir(kubelet_configuration())

    def look() -> list[str]:
        alive = {n.metadata.name for n in cluster.core.list_namespace().items}
        left = [
            f"pod sandbox {p['metadata']['namespace']}/{p['metadata']['name']} on the real node"
            for p in crictl.json("pods")["items"]
            if p["metadata"]["namespace"] not in alive
        ]
        rules = {m for m in re.findall(r'--comment "?([a-z0-9-]+)/', iptables_save("nat")) if m not in alive}
        left += [f"Service rules of namespace {n} on the real node" for n in sorted(rules)]
        folders = [f for f in logs.iterdir() if f.name.split("_", 1)[0] not in alive] if logs.is_dir() else []
        return left + [f"pod log folder {f}" for f in folders]

    deadline = time.monotonic() + timeout
    while (left := look()) and time.monotonic() < deadline:
        time.sleep(2)
    return left


def left_programs() -> list[str]:
    """What the runs of this session that are over left of the reader's programs and of the labs' own
    control planes: processes still running, the ports they listen on, the runs' folders; cleared once
    named, for the next session.

    A run began in this session if it started after this, the controlling process. A mission's own
    control plane outlives its setup on purpose: it is left behind when its namespace is gone.
    """
    from threeplanes.checking import missions  # the one helper of the checking layer here

    began = psutil.Process().create_time()
    left = programs.left_by_gone_programs(started_after=began) + lab_planes.left_by_gone_planes(started_after=began)
    left += missions.left_by_gone_missions()
    programs.clear_gone_programs()
    lab_planes.clear_gone_planes()
    missions.clear_gone_missions()
    return left


@pytest.fixture
def owned_by(live_cluster: Cluster, request: pytest.FixtureRequest):
    """Check that what a lab labels ``threeplanes.io/lab=<owner>`` during the test is gone after it.

    Labs label their namespace and any cluster-scoped object with their file's stem. Scoping the
    check by owner, and to what did not exist before the test, lets several labs share a cluster.
    The same lab may run in another test at the same time (its notebook download): what belongs to
    a namespace whose owning process still runs is that run's, since this test's kernel has exited.

    A lab that failed half-way never reached its clean-up cell: its kernel asked, as it exited, for
    the deletion of its namespace and of what it made outside it. Then this waits for that deletion
    to finish and reports nothing more, so that the failure is reported once; what the lab's exit
    did not remove is removed here, and named.
    """
    owners: dict[str, set[str]] = {}

    def own(owner: str) -> None:
        owners[owner] = set(leftovers(live_cluster, f"{LAB_LABEL}={owner}"))

    yield own
    failed = request.node.stash.get(CALL_FAILED, False)
    for owner, before in owners.items():
        if failed:
            removed = clean_up_failed_run(live_cluster, owner, before)
            if removed:
                print(f"\n{owner} failed, and its exit left these, removed now: {', '.join(removed)}")
            continue
        left = left_by(live_cluster, owner, before)
        assert not left, f"{owner} left these behind: {left}"


def left_by(cluster: Cluster, owner: str, before: set[str]) -> list[str]:
    """What ``owner`` made since ``before`` that is still there, leaving aside live runs' objects."""
    selector = f"{LAB_LABEL}={owner}"
    running = {ns.metadata.name for ns in lab_namespaces(cluster, owner) if not owner_is_gone(ns)}
    return sorted(
        str(o)
        for o in cluster_scoped(cluster, selector)
        if str(o) not in before and o.name not in running and o.labels.get(FOR_NAMESPACE) not in running
    )


def clean_up_failed_run(cluster: Cluster, owner: str, before: set[str], timeout: float = 120) -> list[str]:
    """Wait for a failed run's own clean-up; delete what it did not ask to delete; return that."""
    deadline = time.monotonic() + timeout
    removed: set[str] = set()
    while left := left_by(cluster, owner, before):
        removed.update(delete_gone_runs(cluster, owner))
        if time.monotonic() > deadline:
            raise AssertionError(f"{owner} failed, and {left} were still there {timeout:g} s later")
        time.sleep(1)
    return sorted(removed)
