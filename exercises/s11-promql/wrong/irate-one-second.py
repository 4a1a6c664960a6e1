"""Wrong: irate over one second, a window that never holds the two scrapes (every 2 s) it needs."""

from pathlib import Path

from threeplanes.checking.programs import hand_in, patched

SOLUTION = Path(__file__).parents[1] / "my_queries.yaml"


def apply(cluster, namespace: str) -> None:
    changes = {
        'sum(rate(apiserver_request_total{code=~"4.."}[20s]))': 'sum(irate(apiserver_request_total{code=~"4.."}[1s]))'
    }
    hand_in(cluster, namespace, patched(SOLUTION, changes), "my_queries.yaml")
