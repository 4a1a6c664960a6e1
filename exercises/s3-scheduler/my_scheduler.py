"""my_scheduler.py: place the pods of one namespace that ask for my-scheduler.

Run it as ``python my_scheduler.py <namespace>``, with KUBECONFIG naming the cluster.

The rule: a pod may go to the namespace's nodes (labelled threeplanes.io/for-namespace=<namespace>)
whose labels include every pair of the pod's nodeSelector; of those, to the one that holds the
fewest pods of the namespace, the first by name when several tie. A pod that fits nowhere stays
Pending, with a FailedScheduling event that says why.
"""

import sys
import uuid
from datetime import UTC, datetime

from kubernetes import client, config, watch

NAME = "my-scheduler"
NAMESPACE = sys.argv[1]
config.load_kube_config()
core = client.CoreV1Api()


def node_labels():
    """The namespace's nodes, by name, with their labels."""
    selector = f"threeplanes.io/for-namespace={NAMESPACE}"
    return {n.metadata.name: n.metadata.labels or {} for n in core.list_node(label_selector=selector).items}


def pods_per_node():
    """How many pods of the namespace each node holds now."""
    counted = {}
    for pod in core.list_namespaced_pod(NAMESPACE).items:
        if pod.spec.node_name and not pod.metadata.deletion_timestamp:
            counted[pod.spec.node_name] = counted.get(pod.spec.node_name, 0) + 1
    return counted


def choose(pod):
    """The node for ``pod`` and None, or None and why no node fits."""
    wanted = pod.spec.node_selector or {}
    nodes = node_labels()
    fitting = sorted(name for name, labels in nodes.items() if all(labels.get(k) == v for k, v in wanted.items()))
    if not fitting:
        return None, f"0/{len(nodes)} nodes are available: {len(nodes)} node(s) didn't match the nodeSelector {wanted}"
    load = pods_per_node()
    return min(fitting, key=lambda node: (load.get(node, 0), node)), None


def bind(pod, node):
    """POST a Binding: the API server sets the pod's spec.nodeName."""
    target = client.V1ObjectReference(kind="Node", api_version="v1", name=node)
    binding = client.V1Binding(metadata=client.V1ObjectMeta(name=pod.metadata.name), target=target)
    core.create_namespaced_binding(NAMESPACE, binding, _preload_content=False)


def tell(pod, reason, kind, message):
    """An event about ``pod``, written as this scheduler."""
    now = datetime.now(UTC)
    about = client.V1ObjectReference(
        kind="Pod", api_version="v1", namespace=NAMESPACE, name=pod.metadata.name, uid=pod.metadata.uid
    )
    event = client.CoreV1Event(
        metadata=client.V1ObjectMeta(name=f"{pod.metadata.name}.{uuid.uuid4().hex[:12]}"),
        involved_object=about,
        reason=reason,
        type=kind,
        message=message,
        count=1,
        source=client.V1EventSource(component=NAME),
        first_timestamp=now,
        last_timestamp=now,
    )
    core.create_namespaced_event(NAMESPACE, event)


def main():
    print(f"{NAME} places the pods of {NAMESPACE}", flush=True)
    pending = f"spec.schedulerName={NAME},spec.nodeName="
    for change in watch.Watch().stream(core.list_namespaced_pod, NAMESPACE, field_selector=pending):
        pod = change["object"]
        if change["type"] != "ADDED" or pod.metadata.deletion_timestamp:
            continue
        node, why = choose(pod)
        if node is None:
            tell(pod, "FailedScheduling", "Warning", why)
            print(f"{pod.metadata.name}: {why}", flush=True)
            continue
        bind(pod, node)
        tell(pod, "Scheduled", "Normal", f"Successfully assigned {NAMESPACE}/{pod.metadata.name} to {node}")
        print(f"{pod.metadata.name} -> {node}", flush=True)


if __name__ == "__main__":
    main()
