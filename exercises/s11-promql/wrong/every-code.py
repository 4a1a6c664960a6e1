"""Wrong: no filter on the code: every request per second, not only the client errors."""

from pathlib import Path

from threeplanes.checking.programs import hand_in, patched

SOLUTION = Path(__file__).parents[1] / "my_queries.yaml"


def apply(cluster, namespace: str) -> None:
    changes = {'sum(rate(apiserver_request_total{code=~"4.."}[20s]))': "sum(rate(apiserver_request_total[20s]))"}
    hand_in(cluster, namespace, patched(SOLUTION, changes), "my_queries.yaml")
