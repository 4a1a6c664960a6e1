"""Wrong: the counter's total (sum of the counters), not how fast it grows."""

from pathlib import Path

from threeplanes.checking.programs import hand_in, patched

SOLUTION = Path(__file__).parents[1] / "my_queries.yaml"


def apply(cluster, namespace: str) -> None:
    changes = {'sum(rate(apiserver_request_total{code=~"4.."}[20s]))': 'sum(apiserver_request_total{code=~"4.."})'}
    hand_in(cluster, namespace, patched(SOLUTION, changes), "my_queries.yaml")
