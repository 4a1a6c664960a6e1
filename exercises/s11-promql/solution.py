"""The reference answers (my_queries.yaml beside this file), handed in as a reader would."""

from pathlib import Path

from threeplanes.checking.programs import hand_in

ANSWERS = Path(__file__).parent / "my_queries.yaml"


def apply(cluster, namespace: str) -> None:
    hand_in(cluster, namespace, ANSWERS, "my_queries.yaml")
