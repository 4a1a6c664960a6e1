"""Wrong: the missing key added, with a value typed in rather than the greeting the ConfigMap already
holds under its new name. The pod starts; the visitors read a placeholder."""

from threeplanes.kit.kubectl import kubectl


def apply(cluster, namespace: str) -> None:
    patch = '{"data": {"WELCOME_MESSAGE": "Welcome!"}}'
    kubectl(f"patch configmap storefront-config -p '{patch}' -n {namespace}", cluster, show=False)
    kubectl(f"rollout status deployment/storefront --timeout=90s -n {namespace}", cluster, show=False, timeout=100)
