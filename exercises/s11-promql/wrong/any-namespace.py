"""Wrong: no namespace filter: the biggest series of the whole node, whichever namespace it is in."""

from pathlib import Path

from threeplanes.checking.programs import hand_in, patched

SOLUTION = Path(__file__).parents[1] / "my_queries.yaml"


def apply(cluster, namespace: str) -> None:
    changes = {'container_memory_working_set_bytes{namespace="$NAMESPACE"}': "container_memory_working_set_bytes"}
    hand_in(cluster, namespace, patched(SOLUTION, changes), "my_queries.yaml")
