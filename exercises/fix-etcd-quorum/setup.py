"""Setup of the fix-etcd-quorum mission: a control plane of the mission's own whose etcd lost two members of three.

It starts the plane for the reader's namespace (``checker.MissionPlane``: kwokctl's etcd, API server, controller
manager, scheduler and kwok), then a three-member etcd of the mission's (``m0``, ``m1``, ``m2``, on free loopback
ports: each member's command line in ``etcd/<member>.sh``, its data in ``etcd/<member>``, its log in
``etcd/logs/<member>.log``), and starts the API server again on the same port with ``--etcd-servers`` naming the
three members (kwokctl's own etcd is stopped). It creates the namespace ``shop`` and the ConfigMap ``orders``
there, then kills ``m1`` and ``m2`` at once (SIGKILL, as lost machines). Last, the ConfigMap ``mission`` in the
reader's namespace of the book's cluster names the mission's files. Running the setup again starts the mission
over; mission planes whose namespace is gone are removed first.
"""

from __future__ import annotations

import time
from pathlib import Path

import urllib3
from kubernetes import client

from threeplanes.checking import missions
from threeplanes.errors import LabError
from threeplanes.system.etcd import EtcdctlFailed


def _until(attempt, what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            attempt()
            return
        except (
            EtcdctlFailed,
            client.ApiException,
            urllib3.exceptions.HTTPError,
            OSError,
            LabError,
            AttributeError,
        ) as error:
            # AttributeError: the Kubernetes client's own, on a connection that failed before any HTTP reply
            if time.monotonic() > deadline:
                raise LabError(f"{what} within {timeout:.0f} s: {' '.join(str(error).split())[:200]}") from None
            time.sleep(0.5)


def ready(cluster) -> None:
    """Return when the API server's /readyz says ok (every check, its post-start hooks included); else raise."""
    said = cluster.core.api_client.call_api(
        "/readyz",
        "GET",
        response_types_map={200: "str"},
        auth_settings=["BearerToken"],
        _return_http_data_only=True,
        _request_timeout=5,
    )
    if "ok" not in str(said):  # a check that fails answers 500, which the client raises
        raise LabError(f"/readyz says {said!r}")


def apply(book, namespace: str) -> None:
    m = missions.load_part(Path(__file__).parent)
    missions.clear_gone_mission_planes(book, m.MissionPlane)
    plane = m.MissionPlane(namespace)
    plane.start()
    plane.make_members()
    for member in m.MEMBERS:
        plane.start_member(member)
    _until(lambda: plane.etcdctl().run("put", "/shop/started", "yes"), "the three etcd members did not write", 30)
    plane.use_members()

    def create_shop() -> None:
        cluster = plane.cluster()
        try:
            cluster.core.create_namespace({"metadata": {"name": m.SHOP}}, _request_timeout=5)
        except client.ApiException as error:
            if error.status != 409:
                raise

    _until(create_shop, "the API server on the three members did not create the namespace shop", 90)
    cluster = plane.cluster()
    orders = {"metadata": {"name": "orders"}, "data": {"last": "1041"}}
    _until(
        lambda: cluster.core.create_namespaced_config_map(m.SHOP, orders, _request_timeout=5),
        "the ConfigMap orders",
        20,
    )
    # Every post-start hook of the API server done (its bootstrap writes: a hook that cannot write stops it).
    _until(lambda: ready(cluster), "the API server on the three members did not report ready", 60)
    for member in m.LOST:
        plane.kill_member(member)
    files = {
        "folder": str(plane.folder),
        "kubeconfig": str(plane.kubeconfig),
        "etcd-folder": str(plane.etcd_folder),
        "apiserver-log": str(plane.logs / "kube-apiserver.log"),
    }
    missions.record_mission(book, namespace, files)
    print(f"The mission's control plane runs; its files are in {plane.folder} (kubeconfig: {plane.kubeconfig}).")
