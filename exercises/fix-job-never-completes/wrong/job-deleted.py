"""Wrong, and it hides the symptom: the Job deleted. The failures and the alerts stop; no invoice is sent."""

from threeplanes.kit.kubectl import kubectl


def apply(cluster, namespace: str) -> None:
    kubectl(f"delete job invoices --cascade=foreground -n {namespace}", cluster, show=False)
