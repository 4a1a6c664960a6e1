"""The exercises and what their pages' front matter says about them.

Every ``<exercises>/<id>/exercise.md`` opens with a YAML front matter block::

    ---
    level: 1                      # 1, 2 or 3: the maturity level the exercise shows
    plane: functional             # functional, conceptual, system or barriers
    trains: [F5, S3]              # syllabus items, the main one first
    level_reason: >-              # required when the level is not the plane's own
      why this exercise sits at that level
    ---

That block is the only list of levels: the assessment, the book's badges and tables, and the
syllabus test all read it from here.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from threeplanes.errors import LabError

LEVELS = (1, 2, 3)
PLANES = ("functional", "conceptual", "system", "barriers")
# The level a plane's exercises have unless the page says why not (the barriers have none).
PLANE_LEVEL = {"functional": 1, "conceptual": 2, "system": 3}
ITEM_ID = re.compile(r"^[FCSMAU]\d{1,2}$")
FRONT_MATTER = re.compile(r"\A---\n(.*?\n)---\n", re.DOTALL)
TITLE = re.compile(r"^# (?:Exercise: )?(.+)$", re.MULTILINE)


class AssessmentError(LabError):
    """Bad input to the assessment: an unknown exercise, a page without levels, a wrong namespace."""


@dataclass(frozen=True)
class Exercise:
    """One exercise: its id (the folder's name), where it lives, and its page's front matter."""

    id: str
    directory: Path
    title: str
    level: int
    plane: str
    trains: tuple[str, ...]
    level_reason: str = ""

    @property
    def page(self) -> Path:
        return self.directory / "exercise.md"

    @property
    def main_item(self) -> str:
        """The syllabus item the exercise is about: the first it trains."""
        return self.trains[0]


def read_front_matter(page: Path) -> dict:
    """The YAML front matter of a page, or an ``AssessmentError`` saying what is wrong with it."""
    match = FRONT_MATTER.match(page.read_text())
    if not match:
        raise AssessmentError(
            f"{page} has no front matter: it must open with level, plane and trains between --- lines."
        )
    try:
        data = yaml.safe_load(match.group(1))
    except yaml.YAMLError as error:
        raise AssessmentError(f"The front matter of {page} is not valid YAML: {error}") from None
    if not isinstance(data, dict):
        raise AssessmentError(f"The front matter of {page} must be a mapping of level, plane and trains.")
    return data


def read_exercise(directory: Path) -> Exercise:
    """The exercise in ``directory``, checked: a level of 1-3, a known plane, syllabus IDs."""
    page = directory / "exercise.md"
    data = read_front_matter(page)
    level, plane, trains = data.get("level"), data.get("plane"), data.get("trains")
    reason = str(data.get("level_reason") or "").strip()
    if level not in LEVELS:
        raise AssessmentError(f"{page}: level must be 1, 2 or 3, not {level!r}.")
    if plane not in PLANES:
        raise AssessmentError(f"{page}: plane must be one of {', '.join(PLANES)}, not {plane!r}.")
    if not isinstance(trains, list) or not trains or not all(ITEM_ID.match(str(t)) for t in trains):
        raise AssessmentError(f"{page}: trains must be a list of syllabus IDs such as [F5, S3], not {trains!r}.")
    if PLANE_LEVEL.get(plane) != level and not reason:
        raise AssessmentError(f"{page}: a {plane} exercise at level {level} needs a level_reason saying why.")
    heading = TITLE.search(page.read_text())
    title = heading.group(1).strip() if heading else directory.name
    return Exercise(
        id=directory.name,
        directory=directory,
        title=title[:1].upper() + title[1:],
        level=level,
        plane=plane,
        trains=tuple(str(t) for t in trains),
        level_reason=reason,
    )


def find_exercises(exercises_dir: Path) -> list[Exercise]:
    """Every exercise under ``exercises_dir`` (folders with an ``exercise.md``), sorted by id."""
    exercises_dir = Path(exercises_dir)
    if not exercises_dir.is_dir():
        raise AssessmentError(f"No exercises folder at {exercises_dir}; pass the book's exercises/ with --exercises.")
    found = [read_exercise(page.parent) for page in sorted(exercises_dir.glob("*/exercise.md"))]
    if not found:
        raise AssessmentError(f"{exercises_dir} holds no exercise (no */exercise.md).")
    return found


def find_exercises_dir(start: Path) -> Path:
    """The ``exercises`` folder of the book's repository that holds ``start`` (or one of its parents)."""
    for folder in [start, *start.parents]:
        candidate = folder / "exercises"
        if candidate.is_dir() and any(candidate.glob("*/exercise.md")):
            return candidate
    raise AssessmentError(
        f"No exercises/ folder found in {start} or above; run this from the book's repository or pass --exercises DIR."
    )


def exercise_named(exercises: Iterable[Exercise], name: str) -> Exercise:
    """The exercise with id ``name``, or an error that suggests the closest ids."""
    by_id = {e.id: e for e in exercises}
    if name in by_id:
        return by_id[name]
    close = difflib.get_close_matches(name, list(by_id), n=3)
    suggestion = f" Did you mean {' or '.join(close)}?" if close else ""
    raise AssessmentError(f"No exercise named {name!r}.{suggestion} The exercises are: {', '.join(sorted(by_id))}.")


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
