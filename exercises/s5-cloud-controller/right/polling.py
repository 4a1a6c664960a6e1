"""Right, written another way: no watch and no table, a loop that lists the Services and the nodes every
second. The addresses in use are those the list shows in the status of the Services of the class, so a
restart loses nothing, and an address is free again as soon as no such Service holds it.

Run it as the checker does: python my_cloud.py <namespace>
"""

import ipaddress
import sys
import time

from kubernetes import client, config

LB_CLASS = "threeplanes.io/my-cloud"
FIRST, LAST = ipaddress.ip_address("203.0.113.10"), ipaddress.ip_address("203.0.113.13")
POOL = [str(FIRST + i) for i in range(int(LAST) - int(FIRST) + 1)]
UNINITIALIZED = "node.cloudprovider.kubernetes.io/uninitialized"


def sync_services(core: client.CoreV1Api, namespace: str) -> None:
    services = core.list_namespaced_service(namespace).items
    ours = [s for s in services if s.spec.type == "LoadBalancer" and s.spec.load_balancer_class == LB_CLASS]
    held = {s.metadata.name: [i.ip for i in s.status.load_balancer.ingress or []] for s in ours}
    free = [a for a in POOL if not any(a in ips for ips in held.values())]
    for name, ips in sorted(held.items()):
        if ips or not free:
            continue
        status = {"loadBalancer": {"ingress": [{"ip": free[0]}]}}
        try:
            core.patch_namespaced_service_status(name, namespace, {"status": status})
        except client.ApiException as error:
            if error.status in (404, 422):  # deleted, or no longer a LoadBalancer, since the list
                continue
            raise
        print(f"{name}: {free.pop(0)}", flush=True)


def sync_nodes(core: client.CoreV1Api) -> None:
    for node in core.list_node().items:
        taints = node.spec.taints or []
        if not any(t.key == UNINITIALIZED for t in taints):
            continue
        name = node.metadata.name
        node.spec.provider_id = f"threeplanes://{name}"
        node.spec.taints = [t for t in taints if t.key != UNINITIALIZED]
        node.metadata.labels = {
            **(node.metadata.labels or {}),
            "node.kubernetes.io/instance-type": "lab.small",
            "topology.kubernetes.io/region": "lab-1",
        }
        try:  # a replace carries the resourceVersion listed: refused if the node changed since (the next loop retries)
            core.replace_node(name, node)
        except client.ApiException as error:
            if error.status != 409:
                raise
        else:
            print(f"node {name}: initialised", flush=True)


def apply(cluster, namespace: str) -> None:
    """For the book's tests: have the checker run this file."""
    from pathlib import Path

    from threeplanes.checking.programs import hand_in

    hand_in(cluster, namespace, Path(__file__), "my_cloud.py")


if __name__ == "__main__":
    config.load_kube_config()
    api = client.CoreV1Api()
    while True:
        sync_services(api, sys.argv[1])
        sync_nodes(api)
        time.sleep(1)
