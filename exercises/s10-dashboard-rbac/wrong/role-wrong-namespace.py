"""Wrong: the Role and its RoleBinding in the account's namespace (dashboard), not in shop, which the page shows."""

from pathlib import Path

from threeplanes.checking.programs import hand_in

ANSWER = Path(__file__).resolve().parents[1] / "dashboard-rbac.yaml"


def apply(cluster, namespace: str) -> None:
    text = ANSWER.read_text().replace("  namespace: shop\n", "  namespace: dashboard\n")
    hand_in(cluster, namespace, text, "dashboard-rbac.yaml")
