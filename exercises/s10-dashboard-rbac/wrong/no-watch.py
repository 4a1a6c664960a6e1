"""Wrong: the read verbs without watch, in every rule; the page lists each kind once and cannot follow it."""

from pathlib import Path

from threeplanes.checking.programs import hand_in

ANSWER = Path(__file__).resolve().parents[1] / "dashboard-rbac.yaml"


def apply(cluster, namespace: str) -> None:
    text = ANSWER.read_text().replace("verbs: [get, list, watch]", "verbs: [get, list]")
    hand_in(cluster, namespace, text, "dashboard-rbac.yaml")
