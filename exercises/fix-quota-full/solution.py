"""Reference fix: the retired pool ``workers-v1`` deleted, as the page says it should have been when
``workers-v2`` shipped; its 900m of requests go back to the namespace's share, and the new pool's
ReplicaSet, on its next attempt, makes both pods. Then the rollout awaited."""

from threeplanes.kit.wait import wait_for_rollout


def apply(cluster, namespace: str) -> None:
    cluster.apps.delete_namespaced_deployment("workers-v1", namespace, propagation_policy="Foreground")
    wait_for_rollout(cluster, namespace, "workers-v2", timeout=90)
