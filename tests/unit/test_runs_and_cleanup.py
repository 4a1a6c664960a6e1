"""Run ownership and clean-up, on fakes: a run clears what gone runs left, never what a live run uses."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from types import SimpleNamespace

import pytest

from threeplanes.kit import cleanup, namespaces
from threeplanes.kit.cleanup import Owned, ServedKind
from threeplanes.kit.labels import FOR_NAMESPACE, LAB_LABEL, RUN_OWNER, selector_string
from threeplanes.kit.namespaces import run_is_gone, this_run


def test_this_process_is_a_live_run() -> None:
    assert not run_is_gone(this_run())


def test_a_process_that_exited_is_a_gone_run() -> None:
    child = subprocess.run(
        [sys.executable, "-c", "from threeplanes.kit.namespaces import this_run; print(this_run())"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert run_is_gone(child.stdout.strip())


@pytest.mark.parametrize("owner", [None, "", "garbage"])
def test_a_namespace_without_a_readable_owner_counts_as_gone(owner: str | None) -> None:
    assert run_is_gone(owner)


def test_a_run_on_another_host_is_left_alone() -> None:
    assert not run_is_gone(f"not-{socket.gethostname()}/1/0")


def test_a_reused_pid_with_another_start_time_is_a_gone_run() -> None:
    host, pid, started = this_run().split("/")
    assert run_is_gone(f"{host}/{pid}/{float(started) - 3600:.0f}")


def namespace(name: str, owner: str | None, phase: str = "Active") -> SimpleNamespace:
    metadata = SimpleNamespace(name=name, annotations={RUN_OWNER: owner} if owner else {})
    return SimpleNamespace(metadata=metadata, status=SimpleNamespace(phase=phase))


def test_only_the_namespaces_of_gone_runs_are_deleted(monkeypatch) -> None:
    listed = [
        namespace("lab-live", this_run()),
        namespace("lab-gone", "h/1/0" if socket.gethostname() == "h" else f"{socket.gethostname()}/999999999/0"),
        namespace("lab-going", None, phase="Terminating"),
    ]
    deleted: list[str] = []
    selectors: list[str] = []

    def list_namespace(label_selector: str = ""):
        selectors.append(label_selector)
        return SimpleNamespace(items=listed)

    core = SimpleNamespace(list_namespace=list_namespace, delete_namespace=deleted.append)
    monkeypatch.setattr(namespaces, "delete_stale", lambda cluster, owner: [])
    assert namespaces.delete_gone_runs(SimpleNamespace(core=core), "lab") == ["lab-gone"]
    assert deleted == ["lab-gone"] and selectors == [f"{LAB_LABEL}=lab"]


def test_stale_cluster_scoped_objects_are_those_whose_namespace_is_gone(monkeypatch) -> None:
    volume = ServedKind("v1", "persistentvolumes", "PersistentVolume", namespaced=False)
    node = ServedKind("v1", "nodes", "Node", namespaced=False)
    owned = [
        Owned(volume, "live-data", {FOR_NAMESPACE: "lab-live"}),
        Owned(volume, "old-data", {FOR_NAMESPACE: "lab-old"}),
        Owned(node, "going-a", {FOR_NAMESPACE: "lab-going"}),
    ]
    monkeypatch.setattr(cleanup, "cluster_scoped", lambda cluster, selector: owned)
    deleted: list[str] = []
    monkeypatch.setattr(cleanup, "_delete", lambda cluster, obj: deleted.append(str(obj)))
    listing = [namespace("lab-live", None), namespace("lab-going", None, phase="Terminating")]
    cluster = SimpleNamespace(core=SimpleNamespace(list_namespace=lambda: SimpleNamespace(items=listing)))
    assert cleanup.delete_stale(cluster, "lab") == ["persistentvolume/old-data", "node/going-a"]
    assert deleted == ["persistentvolume/old-data", "node/going-a"]


def test_discovery_keeps_listable_deletable_kinds_at_each_groups_preferred_version() -> None:
    answers = {
        "/apis": {"groups": [{"preferredVersion": {"groupVersion": "storage.k8s.io/v1"}}]},
        "/api/v1": {
            "resources": [
                {"name": "nodes", "kind": "Node", "namespaced": False, "verbs": ["list", "delete", "get"]},
                {"name": "nodes/status", "kind": "Node", "namespaced": False, "verbs": ["get", "patch"]},
                {"name": "bindings", "kind": "Binding", "namespaced": True, "verbs": ["create"]},
            ]
        },
        "/apis/storage.k8s.io/v1": {
            "resources": [
                {"name": "storageclasses", "kind": "StorageClass", "namespaced": False, "verbs": ["list", "delete"]}
            ]
        },
    }

    class FakeApiClient:
        def call_api(self, path, method, **kwargs):
            return SimpleNamespace(data=json.dumps(answers[path]).encode())

    found = cleanup.kinds(FakeApiClient())
    assert [(k.kind, k.path("x")) for k in found] == [
        ("Node", "/api/v1/nodes/x"),
        ("StorageClass", "/apis/storage.k8s.io/v1/storageclasses/x"),
    ]


def test_a_selector_object_becomes_a_selector_string() -> None:
    expression = SimpleNamespace(key="tier", operator="In", values=["front", "api"])
    absent = SimpleNamespace(key="canary", operator="DoesNotExist", values=None)
    selector = SimpleNamespace(match_labels={"app": "shop"}, match_expressions=[expression, absent])
    assert selector_string(selector) == "app=shop,tier in (front,api),!canary"
