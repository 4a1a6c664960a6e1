"""Wrong: 404 only: the 409 Conflict answers are client errors too."""

from pathlib import Path

from threeplanes.checking.programs import hand_in, patched

SOLUTION = Path(__file__).parents[1] / "my_queries.yaml"


def apply(cluster, namespace: str) -> None:
    changes = {'code=~"4.."': 'code="404"'}
    hand_in(cluster, namespace, patched(SOLUTION, changes), "my_queries.yaml")
