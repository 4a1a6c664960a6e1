"""Wrong, and it hides the symptom: the selector removed and an EndpointSlice written by hand with the
pods' addresses of the moment. It answers, until a pod is replaced."""

from threeplanes.kit.pods import live

NAME = "catalog"


def apply(cluster, namespace: str) -> None:
    cluster.core.patch_namespaced_service(NAME, namespace, [{"op": "remove", "path": "/spec/selector"}])
    pods = live(cluster.core.list_namespaced_pod(namespace, label_selector=f"app={NAME}").items)
    body = {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": f"{NAME}-by-hand",
            "labels": {"kubernetes.io/service-name": NAME, "endpointslice.kubernetes.io/managed-by": "staff"},
        },
        "addressType": "IPv4",
        "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
        "endpoints": [{"addresses": [p.status.pod_ip], "conditions": {"ready": True}} for p in pods],
    }
    cluster.discovery.create_namespaced_endpoint_slice(namespace, body)
