"""Teardown of the fix-wrong-ca mission: stop the mission's control plane and remove its folder."""

from __future__ import annotations

import importlib.util
from pathlib import Path


def apply(book, namespace: str) -> None:
    spec = importlib.util.spec_from_file_location("fix_wrong_ca_checker", Path(__file__).parent / "checker.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.MissionPlane(namespace).remove()
