"""Wrong: the subcommand fixed, but the port changed with it (to agnhost's usual 9376 in a copied
example). The pods run and are Ready, since nothing probes them; the Service still sends to 8080."""

from threeplanes.kit.kubectl import kubectl


def apply(cluster, namespace: str) -> None:
    patch = (
        '[{"op": "replace", "path": "/spec/template/spec/containers/0/args", "value": ["netexec", "--http-port=9376"]}]'
    )
    kubectl(f"patch deployment shop-api --type=json -p '{patch}' -n {namespace}", cluster, show=False)
    kubectl(f"rollout status deployment/shop-api --timeout=90s -n {namespace}", cluster, show=False, timeout=100)
