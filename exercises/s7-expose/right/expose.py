"""Right, the imperative way: ``kubectl expose deployment shop`` with port 80, target port 8080, ClientIP affinity.

kubectl copies the Deployment's selector (``app: shop, tier: front``) into the Service.
"""

from __future__ import annotations

from threeplanes.kit.kubectl import kubectl


def apply(cluster, namespace: str) -> None:
    kubectl(
        f"expose deployment shop -n {namespace} --name=shop --port=80 --target-port=8080 --session-affinity=ClientIP",
        cluster,
        show=False,
    )
