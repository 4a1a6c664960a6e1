"""A right fix written another way: NodeResourcesFit's third strategy, RequestedToCapacityRatio, with a shape that
scores a node higher the fuller it is (0 at 0 % of its capacity requested, 10 at 100 %): it packs too."""

from __future__ import annotations

from pathlib import Path

SHAPED = """type: RequestedToCapacityRatio
        requestedToCapacityRatio:
          shape:
          - utilization: 0
            score: 0
          - utilization: 100
            score: 10"""


def apply(book, namespace: str) -> None:
    config = Path(book.core.read_namespaced_config_map("mission", namespace).data["scheduler-config"])
    config.write_text(config.read_text().replace("type: MostRequested", SHAPED))
