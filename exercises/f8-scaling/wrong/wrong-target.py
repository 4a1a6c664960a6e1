"""Wrong: the HPA names a Deployment called web; the Deployment here is api."""

from threeplanes.kit.kubectl import kubectl

HPA = {
    "apiVersion": "autoscaling/v2",
    "kind": "HorizontalPodAutoscaler",
    "metadata": {"name": "api"},
    "spec": {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
        "minReplicas": 2,
        "maxReplicas": 5,
        "metrics": [
            {
                "type": "Resource",
                "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 60}},
            }
        ],
    },
}


def apply(cluster, namespace: str) -> None:
    kubectl(f"set resources deployment api --requests=cpu=100m -n {namespace}", cluster, show=False)
    cluster.autoscaling.create_namespaced_horizontal_pod_autoscaler(namespace, HPA)
