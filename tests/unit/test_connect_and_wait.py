"""Connecting and waiting fail with a clear sentence, without a cluster."""

from __future__ import annotations

import socket
import time
from types import SimpleNamespace

import pytest

from threeplanes.errors import ClusterUnavailable, LabError, WaitTimeout
from threeplanes.kit.connect import KUBECONFIG_ENV, connect
from threeplanes.kit.wait import wait_for
from threeplanes.provision import paths

KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:%d", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: ctx, context: {cluster: c, user: u}}]
current-context: ctx
"""


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(autouse=True)
def no_env(monkeypatch, tmp_path):
    monkeypatch.delenv(KUBECONFIG_ENV, raising=False)
    monkeypatch.setenv(paths.CACHE_ENV, str(tmp_path / "cache"))


def test_no_kubeconfig_names_make_cluster() -> None:
    with pytest.raises(ClusterUnavailable, match="make cluster"):
        connect()


def test_a_broken_kubeconfig_is_named(tmp_path) -> None:
    path = tmp_path / "kubeconfig"
    path.write_text("this: is: not: a kubeconfig")
    with pytest.raises(ClusterUnavailable, match=f"kubeconfig {path} could not be used"):
        connect(path)


def test_no_api_server_answering_says_so_within_the_timeout(tmp_path, monkeypatch) -> None:
    path = tmp_path / "kubeconfig"
    path.write_text(KUBECONFIG % closed_port())
    monkeypatch.setenv(KUBECONFIG_ENV, str(path))
    started = time.monotonic()
    with pytest.raises(ClusterUnavailable, match="No Kubernetes API answered at https://127.0.0.1") as error:
        connect(timeout=5)
    assert time.monotonic() - started < 10
    assert "context ctx" in str(error.value) and "make cluster" in str(error.value)


def test_lab_errors_render_without_a_traceback() -> None:
    assert LabError("start the cluster")._render_traceback_() == ["\x1b[31mLabError:\x1b[0m start the cluster"]


def test_a_wait_that_times_out_names_what_it_waited_for_and_what_it_saw() -> None:
    listing = SimpleNamespace(
        items=[SimpleNamespace(metadata=SimpleNamespace(namespace="ns", name="web"))],
        metadata=SimpleNamespace(resource_version="1"),
    )
    with pytest.raises(WaitTimeout) as error:
        wait_for(
            lambda **kw: listing,
            lambda objs: False,
            what="Deployment ns/web to finish its rollout",
            describe=lambda objs: "2/3 ready",
            timeout=0,
        )
    assert str(error.value) == "Deployment ns/web to finish its rollout: not reached after 0 s; last seen: 2/3 ready"


def test_a_wait_whose_condition_already_holds_returns_at_once() -> None:
    listing = SimpleNamespace(items=[], metadata=SimpleNamespace(resource_version="1"))
    assert wait_for(lambda **kw: listing, lambda objs: True, what="x", describe=str, timeout=1) == []
