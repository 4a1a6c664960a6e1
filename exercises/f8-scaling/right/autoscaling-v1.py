"""Right, written another way: the HPA in the autoscaling/v1 API (one CPU target, as a percentage)."""

from threeplanes.kit.kubectl import kubectl

HPA = {
    "apiVersion": "autoscaling/v1",
    "kind": "HorizontalPodAutoscaler",
    "metadata": {"name": "api"},
    "spec": {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "api"},
        "minReplicas": 2,
        "maxReplicas": 5,
        "targetCPUUtilizationPercentage": 60,
    },
}


def apply(cluster, namespace: str) -> None:
    kubectl(f"set resources deployment api --requests=cpu=100m -n {namespace}", cluster, show=False)
    cluster.api_client.call_api(
        f"/apis/autoscaling/v1/namespaces/{namespace}/horizontalpodautoscalers",
        "POST",
        body=HPA,
        auth_settings=["BearerToken"],
        response_types_map={201: "object"},
        _request_timeout=20,
    )
