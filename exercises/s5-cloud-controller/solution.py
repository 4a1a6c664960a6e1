"""A cloud controller of one's own: addresses for the LoadBalancer Services of one class, and the nodes
that a kubelet registered with --cloud-provider=external initialised.

Run it as the checker does: python my_cloud.py <namespace>
"""

import sys
import threading

from kubernetes import client, config, watch

LB_CLASS = "threeplanes.io/my-cloud"
POOL = ["203.0.113.10", "203.0.113.11", "203.0.113.12", "203.0.113.13"]
UNINITIALIZED = "node.cloudprovider.kubernetes.io/uninitialized"
CLOUD_LABELS = {"node.kubernetes.io/instance-type": "lab.small", "topology.kubernetes.io/region": "lab-1"}


def is_mine(service) -> bool:
    """A LoadBalancer Service of this controller's class (the API server empties the class when the type changes)."""
    return service.spec.type == "LoadBalancer" and service.spec.load_balancer_class == LB_CLASS


def address_of(service) -> str | None:
    """The address in the Service's status, if it has one."""
    ingress = (service.status.load_balancer.ingress if service.status and service.status.load_balancer else None) or []
    return ingress[0].ip if ingress else None


def addresses_held(services: list) -> dict[str, str]:
    """Service name -> address, for the Services of the class whose status holds one."""
    return {s.metadata.name: address_of(s) for s in services if is_mine(s) and address_of(s)}


class LoadBalancers:
    """The Services of one namespace: who holds which address of the pool."""

    def __init__(self, core: client.CoreV1Api, namespace: str) -> None:
        self.core, self.namespace = core, namespace
        self.given: dict[str, str] = {}  # Service name -> the address it holds

    def release(self, name: str) -> None:
        address = self.given.pop(name, None)
        if address:
            print(f"service {name}: released {address}")

    def reconcile(self, kind: str, service) -> None:
        name = service.metadata.name
        if kind == "DELETED" or not is_mine(service):
            self.release(name)
            return
        if address_of(service):
            self.given[name] = address_of(service)
            return
        if name in self.given:  # an event from before our own write: the address is on its way
            return
        free = [a for a in POOL if a not in self.given.values()]
        if not free:
            print(f"service {name}: no free address; it waits")
            return
        status = {"loadBalancer": {"ingress": [{"ip": free[0]}]}}
        try:
            self.core.patch_namespaced_service_status(name, self.namespace, {"status": status})
        except client.ApiException as error:
            if error.status in (404, 422):  # deleted, or no longer a LoadBalancer, since the event
                return
            raise
        self.given[name] = free[0]
        print(f"service {name}: load balancer at {free[0]}")

    def run(self) -> None:
        while True:
            listed = self.core.list_namespaced_service(self.namespace)
            # Rebuild from the cluster before giving anything out: the addresses its Services hold.
            self.given = addresses_held(listed.items)
            for service in listed.items:
                self.reconcile("ADDED", service)
            try:
                for event in watch.Watch().stream(
                    self.core.list_namespaced_service,
                    self.namespace,
                    resource_version=listed.metadata.resource_version,
                    timeout_seconds=300,
                ):
                    self.reconcile(event["type"], event["object"])
            except client.ApiException as error:
                if error.status != 410:  # 410 Gone: the list is too old to watch from; list again
                    raise


def initialise(core: client.CoreV1Api, node) -> None:
    """Give a node that waits for its cloud a provider ID and the cloud's labels, then remove the taint."""
    taints = node.spec.taints or []
    if UNINITIALIZED not in {t.key for t in taints}:
        return
    name = node.metadata.name
    keep = [core.api_client.sanitize_for_serialization(t) for t in taints if t.key != UNINITIALIZED]
    core.patch_node(
        name,
        {"metadata": {"labels": CLOUD_LABELS}, "spec": {"providerID": f"threeplanes://{name}", "taints": keep}},
    )
    print(f"node {name}: initialised")


def watch_nodes(core: client.CoreV1Api) -> None:
    while True:  # a watch ends after a while; start it again
        for event in watch.Watch().stream(core.list_node, timeout_seconds=60):
            if event["type"] != "DELETED":
                initialise(core, event["object"])


def apply(cluster, namespace: str) -> None:
    """For the book's tests: have the checker run this file (a reader annotates the namespace instead)."""
    from pathlib import Path

    from threeplanes.checking.programs import hand_in

    hand_in(cluster, namespace, Path(__file__), "my_cloud.py")


if __name__ == "__main__":
    config.load_kube_config()
    core = client.CoreV1Api()
    threading.Thread(target=watch_nodes, args=(core,), daemon=True).start()
    print("watching Services of class", LB_CLASS, "in", sys.argv[1], flush=True)
    LoadBalancers(core, sys.argv[1]).run()
