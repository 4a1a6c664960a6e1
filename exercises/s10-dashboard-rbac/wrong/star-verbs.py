"""Wrong: every verb ('*') on the three kinds the page shows, so its token may delete and change them."""

from pathlib import Path

from threeplanes.checking.programs import hand_in

ANSWER = Path(__file__).resolve().parents[1] / "dashboard-rbac.yaml"


def apply(cluster, namespace: str) -> None:
    text = ANSWER.read_text().replace("verbs: [get, list, watch]", 'verbs: ["*"]')
    hand_in(cluster, namespace, text, "dashboard-rbac.yaml")
