"""Wrong: more tries (``backoffLimit`` raised to 10). The field may be changed, but every new try runs
the same template with the same arguments, and fails the same way."""

from threeplanes.kit.kubectl import kubectl


def apply(cluster, namespace: str) -> None:
    kubectl(f"""patch job invoices -n {namespace} -p '{{"spec": {{"backoffLimit": 10}}}}'""", cluster, show=False)
