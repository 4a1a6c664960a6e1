"""Right, written another way: increase() over the window divided by its length, 4xx spelled as a regular
expression of its own, and the biggest pod kept with max by and a comparison with the largest value."""

from threeplanes.checking.programs import hand_in

ANSWERS = """
client_errors_per_second: sum(increase(apiserver_request_total{code=~"4[0-9][0-9]"}[20s])) / 20
biggest_pod: >-
  max by (pod) (container_memory_working_set_bytes{namespace="$NAMESPACE"})
  == scalar(max(container_memory_working_set_bytes{namespace="$NAMESPACE"}))
"""


def apply(cluster, namespace: str) -> None:
    hand_in(cluster, namespace, ANSWERS, "my_queries.yaml")
