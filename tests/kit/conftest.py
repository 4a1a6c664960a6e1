"""Markers of the kit tests: ``lifecycle`` tests restart the cluster, so they run only when asked for alone."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "lifecycle: stops and starts the cluster; runs only when selected (pytest -m lifecycle)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "lifecycle" in (config.option.markexpr or ""):
        return
    skip = pytest.mark.skip(reason="restarts the cluster; run it last or alone with `pytest -m lifecycle`")
    for item in items:
        if "lifecycle" in item.keywords:
            item.add_marker(skip)
