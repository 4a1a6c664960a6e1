"""A fix that removes the broken part with what it was for: without NodeResourcesFit's pluginConfig the scheduler
starts and places pods, with the default strategy, LeastAllocated, which spreads them: the team's packing is
gone."""

from __future__ import annotations

from pathlib import Path


def apply(book, namespace: str) -> None:
    config = Path(book.core.read_namespaced_config_map("mission", namespace).data["scheduler-config"])
    text = config.read_text()
    config.write_text(text[: text.index("  pluginConfig:")])
