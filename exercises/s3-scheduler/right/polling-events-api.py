"""Written another way: polls instead of watching, binds through the pods/binding subresource, and writes
its events with the events.k8s.io/v1 API. Run as ``python polling-events-api.py <namespace>``."""

import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from kubernetes import client, config

SCHEDULER = "my-scheduler"


def matches(labels, selector):
    return all(labels.get(key) == value for key, value in (selector or {}).items())


def event(namespace, pod, reason, kind, note):
    return client.EventsV1Event(
        metadata=client.V1ObjectMeta(generate_name=f"{pod.metadata.name}-"),
        event_time=datetime.now(UTC),
        reporting_controller=f"example.com/{SCHEDULER}",
        reporting_instance=f"{SCHEDULER}-1",
        action="Binding" if reason == "Scheduled" else "Scheduling",
        reason=reason,
        type=kind,
        note=note,
        regarding=client.V1ObjectReference(
            kind="Pod", namespace=namespace, name=pod.metadata.name, uid=pod.metadata.uid
        ),
    )


def run(namespace):
    config.load_kube_config()
    core, events = client.CoreV1Api(), client.EventsV1Api()
    refused = set()
    print("polling", flush=True)
    while True:
        pods = core.list_namespaced_pod(namespace).items
        load = Counter(p.spec.node_name for p in pods if p.spec.node_name and not p.metadata.deletion_timestamp)
        nodes = core.list_node(label_selector=f"threeplanes.io/for-namespace={namespace}").items
        for pod in sorted(pods, key=lambda p: p.metadata.creation_timestamp):
            mine = pod.spec.scheduler_name == SCHEDULER and not pod.spec.node_name
            if not mine or pod.metadata.deletion_timestamp or pod.metadata.uid in refused:
                continue
            fit = [n.metadata.name for n in nodes if matches(n.metadata.labels or {}, pod.spec.node_selector)]
            if not fit:
                note = f"no node of {namespace} has the labels {pod.spec.node_selector}"
                events.create_namespaced_event(namespace, event(namespace, pod, "FailedScheduling", "Warning", note))
                refused.add(pod.metadata.uid)
                continue
            node = sorted(fit, key=lambda name: (load[name], name))[0]
            body = {
                "apiVersion": "v1",
                "kind": "Binding",
                "metadata": {"name": pod.metadata.name},
                "target": {"apiVersion": "v1", "kind": "Node", "name": node},
            }
            core.create_namespaced_pod_binding(pod.metadata.name, namespace, body, _preload_content=False)
            load[node] += 1
            note = f"Successfully assigned {namespace}/{pod.metadata.name} to {node}"
            events.create_namespaced_event(namespace, event(namespace, pod, "Scheduled", "Normal", note))
        time.sleep(0.3)


def apply(cluster, namespace: str) -> None:
    """How the tests hand this file in, as the page's `kubectl annotate` line does."""
    from threeplanes.checking.programs import hand_in

    hand_in(cluster, namespace, Path(__file__), "my_scheduler.py")


if __name__ == "__main__":
    run(sys.argv[1])
