"""Wrong: the HPA aims at an average of 60m of CPU per pod, not at 60% of the request."""

from threeplanes.kit.kubectl import kubectl

HPA = {
    "apiVersion": "autoscaling/v2",
    "kind": "HorizontalPodAutoscaler",
    "metadata": {"name": "api"},
    "spec": {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "api"},
        "minReplicas": 2,
        "maxReplicas": 5,
        "metrics": [
            {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "AverageValue", "averageValue": "60m"}}}
        ],
    },
}


def apply(cluster, namespace: str) -> None:
    kubectl(f"set resources deployment api --requests=cpu=100m -n {namespace}", cluster, show=False)
    cluster.autoscaling.create_namespaced_horizontal_pod_autoscaler(namespace, HPA)
