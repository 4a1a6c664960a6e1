"""Wrong: the Role in shop grants Deployments only; the page's events panel is refused."""

from pathlib import Path

from threeplanes.checking.programs import hand_in, patched

ANSWER = Path(__file__).resolve().parents[1] / "dashboard-rbac.yaml"


def apply(cluster, namespace: str) -> None:
    events = '  - apiGroups: [""]\n    resources: [events]\n    verbs: [get, list, watch]\n'
    hand_in(cluster, namespace, patched(ANSWER, {events: ""}), "dashboard-rbac.yaml")
