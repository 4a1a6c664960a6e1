"""Right, written another way: a kopf operator that keeps no state at all. On every event about a Service
it lists the Services of its class and gives each one without an address a free address of the pool, the
addresses in use being read from the cluster each time (so nothing is lost in a restart, and an address is
free again as soon as no Service of the class holds it). Kopf runs its handlers in threads side by side:
one lock keeps two of them from giving out the same address.

Run it as the checker does: python my_cloud.py <namespace>
"""

import sys
import threading

import kopf
from kubernetes import client, config

LB_CLASS = "threeplanes.io/my-cloud"
POOL = [f"203.0.113.{n}" for n in range(10, 14)]
UNINITIALIZED = "node.cloudprovider.kubernetes.io/uninitialized"
LOCK = threading.Lock()
NAMESPACE = sys.argv[1] if __name__ == "__main__" else "shop"
core = None  # the client, made once the kubeconfig is loaded


def holds(service: client.V1Service) -> str | None:
    ingress = service.status.load_balancer.ingress if service.status.load_balancer else None
    return ingress[0].ip if ingress else None


@kopf.on.startup()
def configure(settings: kopf.OperatorSettings, **_) -> None:
    settings.posting.enabled = False  # no Events about the handlers in the cluster


@kopf.on.event("v1", "services")
def sync_services(**_) -> None:
    with LOCK:
        services = core.list_namespaced_service(NAMESPACE).items
        ours = [s for s in services if s.spec.type == "LoadBalancer" and s.spec.load_balancer_class == LB_CLASS]
        taken = {holds(s) for s in ours}
        for service in sorted(ours, key=lambda s: s.metadata.name):
            if holds(service):
                continue
            free = [a for a in POOL if a not in taken]
            if not free:
                return
            body = {"status": {"loadBalancer": {"ingress": [{"ip": free[0]}]}}}
            core.patch_namespaced_service_status(service.metadata.name, NAMESPACE, body)
            taken.add(free[0])


@kopf.on.event("v1", "nodes")
def initialise_node(name, spec, **_) -> None:
    taints = list(spec.get("taints") or [])
    if not any(t["key"] == UNINITIALIZED for t in taints):
        return
    core.patch_node(
        name,
        {
            "metadata": {
                "labels": {"node.kubernetes.io/instance-type": "lab.small", "topology.kubernetes.io/region": "lab-1"}
            },
            "spec": {"providerID": f"threeplanes://{name}", "taints": [t for t in taints if t["key"] != UNINITIALIZED]},
        },
    )


def apply(cluster, namespace: str) -> None:
    """For the book's tests: have the checker run this file."""
    from pathlib import Path

    from threeplanes.checking.programs import hand_in

    hand_in(cluster, namespace, Path(__file__), "my_cloud.py")


if __name__ == "__main__":
    config.load_kube_config()
    core = client.CoreV1Api()
    kopf.run(namespaces=[NAMESPACE], standalone=True)
