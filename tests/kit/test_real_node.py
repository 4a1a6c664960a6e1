"""The real worker node: what a real kubelet, containerd, kube-proxy and CoreDNS do on it.

Every test places its pods on the real node (``on_real_node``) and asserts an effect only real
containers have: an HTTP reply, a log line, a command's output, a restart, an OOM kill.
"""

from __future__ import annotations

import os
import time

import pytest
from kubernetes import client
from kubernetes.stream import stream

from threeplanes.kit.namespaces import delete_namespace, lab_namespace
from threeplanes.kit.wait import is_ready
from threeplanes.provision.realnode import NODE_NAME, on_real_node, real_node_is_ready
from threeplanes.versions import pinned

pytestmark = pytest.mark.cluster
OWNER = "real-node-test"
AGNHOST = pinned().images["web"]
BUSYBOX = pinned().images["busybox"]


@pytest.fixture(scope="module")
def cluster(live_cluster):
    if not real_node_is_ready(live_cluster.core):
        reason = f"the real node {NODE_NAME} is not Ready; `make cluster` prints why it did not start"
        if os.environ.get("CI", "").strip().lower() == "true":
            pytest.fail(reason)  # under CI nothing that needs real containers is skipped
        pytest.skip(reason)
    return live_cluster


@pytest.fixture
def namespace(cluster, owned_by):
    owned_by(OWNER)
    name = lab_namespace(cluster, OWNER)
    yield name
    delete_namespace(cluster, name)


def pod(name: str, containers: list[dict], labels: dict[str, str] | None = None, **spec) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": labels or {"app": name}},
        "spec": on_real_node({"containers": containers, "terminationGracePeriodSeconds": 1, **spec}),
    }


def wait_pod(cluster, namespace: str, name: str, predicate, timeout: float = 60, what: str = "") -> client.V1Pod:
    deadline = time.monotonic() + timeout
    current = None
    while time.monotonic() < deadline:
        current = cluster.core.read_namespaced_pod(name, namespace)
        if predicate(current):
            return current
        time.sleep(0.5)
    status = current.status if current else None
    raise AssertionError(f"pod {name} did not become {what} within {timeout} s: {status}")


def running(p: client.V1Pod) -> bool:
    return p.status.phase == "Running"


def run(cluster, namespace: str, name: str, command: list[str], container: str | None = None) -> str:
    return stream(
        cluster.core.connect_get_namespaced_pod_exec,
        name,
        namespace,
        command=command,
        container=container,
        stderr=True,
        stdin=False,
        stdout=True,
        tty=False,
        _request_timeout=30,
    )


def test_a_pod_runs_on_the_real_node(cluster, namespace) -> None:
    cluster.core.create_namespaced_pod(namespace, pod("web", [{"name": "web", "image": AGNHOST, "args": ["pause"]}]))
    started = wait_pod(cluster, namespace, "web", running, what="Running")
    assert started.spec.node_name == NODE_NAME
    status = started.status.container_statuses[0]
    assert status.state.running is not None and status.container_id.startswith("containerd://")
    assert started.status.pod_ip.startswith("10.244.0.")


def test_a_service_name_is_answered_by_both_pods_behind_it(cluster, namespace) -> None:
    server = {"name": "web", "image": AGNHOST, "args": ["netexec", "--http-port=8080"]}
    for name in ("web-a", "web-b"):
        cluster.core.create_namespaced_pod(namespace, pod(name, [server], labels={"app": "web"}))
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]},
    }
    cluster.core.create_namespaced_service(namespace, service)
    client_pod = pod("client", [{"name": "client", "image": BUSYBOX, "command": ["sleep", "3600"]}])
    cluster.core.create_namespaced_pod(namespace, client_pod)
    for name in ("web-a", "web-b", "client"):
        wait_pod(cluster, namespace, name, is_ready, what="Ready")
    url = f"http://web.{namespace}.svc.cluster.local/hostname"
    answers = set()
    deadline = time.monotonic() + 60
    while answers != {"web-a", "web-b"} and time.monotonic() < deadline:
        # Debian's static busybox has no `wget -T`: `timeout` bounds the request instead.
        reply = run(cluster, namespace, "client", ["timeout", "5", "wget", "-q", "-O", "-", url])
        answers.add(reply.strip())
    assert answers == {"web-a", "web-b"}, f"replies through the Service: {answers}"


def test_a_containers_output_is_its_log(cluster, namespace) -> None:
    script = "echo hello from a real container; sleep 3600"
    cluster.core.create_namespaced_pod(
        namespace, pod("talker", [{"name": "c", "image": BUSYBOX, "command": ["sh", "-c", script]}])
    )
    wait_pod(cluster, namespace, "talker", running, what="Running")
    deadline = time.monotonic() + 20
    log = ""
    while "hello" not in log and time.monotonic() < deadline:
        # Unpreloaded: kubernetes 36's client turns a plain-text body into the repr of its bytes.
        reply = cluster.core.read_namespaced_pod_log("talker", namespace, _preload_content=False)
        log = reply.data.decode()
        time.sleep(0.5)
    assert log == "hello from a real container\n"


def test_exec_runs_a_command_inside_the_container(cluster, namespace) -> None:
    cluster.core.create_namespaced_pod(
        namespace, pod("shell", [{"name": "c", "image": BUSYBOX, "command": ["sleep", "3600"]}])
    )
    wait_pod(cluster, namespace, "shell", running, what="Running")
    assert run(cluster, namespace, "shell", ["hostname"]).strip() == "shell"
    assert run(cluster, namespace, "shell", ["sh", "-c", "echo $((6 * 7))"]).strip() == "42"


def test_a_failing_readiness_probe_takes_the_pod_out_of_the_endpoint_slice(cluster, namespace) -> None:
    probe = {"exec": {"command": ["cat", "/tmp/ready"]}, "periodSeconds": 1, "failureThreshold": 1}
    container = {
        "name": "web",
        "image": AGNHOST,
        "command": ["sh", "-c", "touch /tmp/ready; exec /agnhost netexec --http-port=8080"],
        "readinessProbe": probe,
    }
    cluster.core.create_namespaced_pod(namespace, pod("flaky", [container], labels={"app": "flaky"}))
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "flaky"},
        "spec": {"selector": {"app": "flaky"}, "ports": [{"port": 80, "targetPort": 8080}]},
    }
    cluster.core.create_namespaced_service(namespace, service)
    wait_pod(cluster, namespace, "flaky", is_ready, what="Ready")

    def endpoint_ready() -> list[bool]:
        slices = cluster.discovery.list_namespaced_endpoint_slice(
            namespace, label_selector="kubernetes.io/service-name=flaky"
        )
        return [bool(e.conditions.ready) for s in slices.items for e in s.endpoints or []]

    deadline = time.monotonic() + 30
    while endpoint_ready() != [True] and time.monotonic() < deadline:
        time.sleep(0.5)
    assert endpoint_ready() == [True]
    run(cluster, namespace, "flaky", ["rm", "/tmp/ready"])  # nothing else changes: only the probe now fails
    wait_pod(cluster, namespace, "flaky", lambda p: not is_ready(p), timeout=30, what="not Ready")
    deadline = time.monotonic() + 30
    while endpoint_ready() != [False] and time.monotonic() < deadline:
        time.sleep(0.5)
    assert endpoint_ready() == [False]
    assert cluster.core.read_namespaced_pod("flaky", namespace).status.container_statuses[0].restart_count == 0


def test_a_container_failing_its_liveness_probe_is_killed_and_restarted(cluster, namespace) -> None:
    container = {
        "name": "c",
        "image": BUSYBOX,
        "command": ["sh", "-c", "touch /tmp/alive; exec sleep 3600"],
        "livenessProbe": {"exec": {"command": ["cat", "/tmp/alive"]}, "periodSeconds": 1, "failureThreshold": 1},
    }
    cluster.core.create_namespaced_pod(namespace, pod("victim", [container]))
    wait_pod(cluster, namespace, "victim", running, what="Running")
    run(cluster, namespace, "victim", ["rm", "/tmp/alive"])
    restarted = wait_pod(
        cluster,
        namespace,
        "victim",
        lambda p: (p.status.container_statuses[0].restart_count or 0) >= 1 and running(p),
        timeout=60,
        what="restarted",
    )
    status = restarted.status.container_statuses[0]
    assert status.restart_count >= 1
    # sleep, PID 1 in its container, ignores SIGTERM: the kubelet's SIGKILL ends it after the grace period.
    assert status.last_state.terminated is not None and status.last_state.terminated.exit_code == 137
    # The new container starts from the image again: the file the probe reads is back.
    assert run(cluster, namespace, "victim", ["cat", "/tmp/alive"]) == ""


def test_a_container_over_its_memory_limit_is_oom_killed(cluster, namespace) -> None:
    # busybox's `head` keeps what it reads in memory: 64 MiB from /dev/zero through a shell variable.
    hog = {
        "name": "hog",
        "image": BUSYBOX,
        "command": ["sh", "-c", "x=$(head -c 67108864 /dev/zero | tr '\\0' a); sleep 3600"],
        "resources": {"limits": {"memory": "16Mi"}, "requests": {"memory": "16Mi"}},
    }
    cluster.core.create_namespaced_pod(namespace, pod("hog", [hog], restartPolicy="Never"))
    done = wait_pod(
        cluster,
        namespace,
        "hog",
        lambda p: bool(p.status.container_statuses) and p.status.container_statuses[0].state.terminated is not None,
        timeout=90,
        what="terminated",
    )
    terminated = done.status.container_statuses[0].state.terminated
    assert terminated.reason == "OOMKilled", terminated
    assert terminated.exit_code == 137


def test_an_env_var_and_a_mounted_config_map_are_read_inside(cluster, namespace) -> None:
    config_map = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}, "data": {"level": "debug"}}
    cluster.core.create_namespaced_config_map(namespace, config_map)
    reader = {
        "name": "c",
        "image": BUSYBOX,
        "command": ["sleep", "3600"],
        "env": [{"name": "GREETING", "value": "bonjour"}],
        "volumeMounts": [{"name": "settings", "mountPath": "/etc/settings"}],
    }
    volumes = [{"name": "settings", "configMap": {"name": "settings"}}]
    cluster.core.create_namespaced_pod(namespace, pod("reader", [reader], volumes=volumes))
    wait_pod(cluster, namespace, "reader", running, what="Running")
    assert run(cluster, namespace, "reader", ["sh", "-c", "echo $GREETING"]).strip() == "bonjour"
    assert run(cluster, namespace, "reader", ["cat", "/etc/settings/level"]) == "debug"


def test_pod_traffic_stays_on_this_machine(cluster) -> None:
    """The guard chains are hooked and complete, and the pod range routes to the bridge (checked, not probed)."""
    from threeplanes.provision import processes
    from threeplanes.provision.realnode import configs, network

    if os.geteuid() != 0:
        pytest.skip("reading iptables needs root")
    assert network.guard_installed() == []
    route = processes.run(["ip", "route", "get", "10.244.0.200"], timeout=10, capture_output=True).stdout
    assert f"dev {configs.BRIDGE}" in route
