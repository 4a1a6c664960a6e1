"""Setup of the a3-size-control-plane exercise: the figures the answer is judged on, on this machine.

They are the lab's (``threeplanes.barriers.cost.record_path()``) when the lab ran here; otherwise the
setup measures a control plane of its own at 10 and 100 simulated nodes, about a minute, and keeps
those. It makes nothing in the cluster: the reader's answer is a ConfigMap of their own. Running it
again shows the same figures.
"""

from __future__ import annotations

from threeplanes.barriers.cost import figures_for_sizing, record_path, usage_table


def apply(cluster, namespace: str) -> None:
    measured = figures_for_sizing()
    print(f"Figures of {measured.source}, measured {measured.when} on {measured.cpus} CPUs ({record_path()}):")
    print(usage_table(measured, "memory"))
