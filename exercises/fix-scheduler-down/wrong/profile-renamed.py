"""A guess that changes the wrong field: the strategy mended, and the profile renamed (shop-scheduler). The
scheduler starts, with a single profile, and places only the pods that ask for shop-scheduler: the pods of
web ask for default-scheduler and wait Pending."""

from __future__ import annotations

from pathlib import Path


def apply(book, namespace: str) -> None:
    config = Path(book.core.read_namespaced_config_map("mission", namespace).data["scheduler-config"])
    text = config.read_text().replace("type: MostRequested", "type: MostAllocated")
    config.write_text(text.replace("schedulerName: default-scheduler", "schedulerName: shop-scheduler"))
