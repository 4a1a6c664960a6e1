"""The order in which the assessment lists exercises: the syllabus's, lowest level first."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import yaml

from threeplanes.checking.exercises import Exercise


def syllabus_order(syllabus_file: Path | None) -> list[str]:
    """The syllabus IDs in the order ``syllabus.yml`` lists them; empty when there is no such file."""
    if syllabus_file is None or not syllabus_file.is_file():
        return []
    items = yaml.safe_load(syllabus_file.read_text()) or {}
    return [str(key) for key in items]


def study_order(exercises: Iterable[Exercise], order: list[str]) -> list[Exercise]:
    """Lowest level first, then by the syllabus position of the item each exercise is about."""
    position = {item: index for index, item in enumerate(order)}
    return sorted(exercises, key=lambda e: (e.level, position.get(e.main_item, len(position)), e.main_item, e.id))
