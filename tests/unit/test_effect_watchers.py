"""What the labs poll where no watch reports an effect: a watcher pod's last line, metrics-server's figures."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from kubernetes import client

from threeplanes.errors import WaitTimeout
from threeplanes.functional.configuration import watcher_pod, watcher_report
from threeplanes.functional.scaling import wait_for_pod_metrics

SPEC = {
    "containers": [
        {
            "name": "app",
            "image": "web",
            "args": ["netexec"],
            "ports": [{"containerPort": 8080}],
            "env": [{"name": "LOG_LEVEL", "valueFrom": {"configMapKeyRef": {"name": "c", "key": "LOG_LEVEL"}}}],
            "volumeMounts": [{"name": "config", "mountPath": "/etc/app"}],
        }
    ],
    "volumes": [{"name": "config", "configMap": {"name": "c"}}],
}


def test_the_watcher_keeps_the_wiring_and_prints_the_variable_and_the_file() -> None:
    pod = watcher_pod("watcher", SPEC, "busybox", "LOG_LEVEL", "/etc/app/LOG_LEVEL")
    (container,) = pod["spec"]["containers"]
    assert pod["metadata"]["labels"] == {"role": "watcher"}
    assert container["env"] == SPEC["containers"][0]["env"] and pod["spec"]["volumes"] == SPEC["volumes"]
    assert "args" not in container and "ports" not in container and container["image"] == "busybox"
    assert 'echo "LOG_LEVEL=$LOG_LEVEL FILE=$(cat /etc/app/LOG_LEVEL)"' in container["command"][2]
    assert SPEC["containers"][0]["image"] == "web", "the template is not changed"


def log_reader(*answers: bytes | int):
    """A cluster whose pod log is each answer in turn (an int: the API refuses with that status)."""
    queue = list(answers)

    def read_namespaced_pod_log(*args, **kwargs):
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(answer, int):
            raise client.ApiException(status=answer)
        return SimpleNamespace(data=answer)

    return SimpleNamespace(core=SimpleNamespace(read_namespaced_pod_log=read_namespaced_pod_log))


def test_a_report_is_the_last_line_as_names_and_values() -> None:
    assert watcher_report(log_reader(b"LOG_LEVEL=info FILE=debug\n"), "ns", "watcher") == {
        "LOG_LEVEL": "info",
        "FILE": "debug",
    }
    assert watcher_report(log_reader(400), "ns", "watcher") == {}
    with pytest.raises(client.ApiException):
        watcher_report(log_reader(403), "ns", "watcher")


def metrics_cluster(pods: list[str], figures: list[str]):
    listing = SimpleNamespace(
        items=[SimpleNamespace(metadata=SimpleNamespace(name=n, deletion_timestamp=None)) for n in pods]
    )
    return SimpleNamespace(
        core=SimpleNamespace(list_namespaced_pod=lambda *a, **k: listing),
        custom=SimpleNamespace(
            list_namespaced_custom_object=lambda *a, **k: {"items": [{"metadata": {"name": n}} for n in figures]}
        ),
    )


def test_metrics_are_awaited_until_they_cover_exactly_the_live_pods() -> None:
    assert wait_for_pod_metrics(metrics_cluster(["a", "b"], ["b", "a"]), "ns", "app=web").seen == {"a", "b"}
    with pytest.raises(WaitTimeout, match=r"live pods \['a', 'b'\], figures for \['a', 'b', 'gone'\]"):
        wait_for_pod_metrics(metrics_cluster(["a", "b"], ["a", "b", "gone"]), "ns", "app=web", timeout=0)
