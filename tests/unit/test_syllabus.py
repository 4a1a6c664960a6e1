"""syllabus.yml names every syllabus item, every path and anchor it names exists and is in the
table of contents, and every item a lab says it covers is mapped to that lab.

The map reads only what the repository holds: a lab states what it covers in one sentence,
"Covers syllabus item(s) F5 and S3, with S4 and C3." (items after "touches" are mentioned,
not covered), and each of those items names that lab under ``lab`` (a path, or a list of
paths when several labs cover it).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from threeplanes.assessment.quizzes import load_quiz
from threeplanes.checking.exercises import Exercise

ROOT = Path(__file__).resolve().parents[2]
MAP = yaml.safe_load((ROOT / "syllabus.yml").read_text())
TOC = (ROOT / "_toc.yml").read_text()
# The items of the syllabus, as its headings group them.
IDS = [f"F{i}" for i in range(1, 10)] + [f"C{i}" for i in range(1, 7)] + [f"S{i}" for i in range(1, 13)]
IDS += ["M1", "M2", "M3"] + [f"A{i}" for i in range(1, 6)] + [f"U{i}" for i in range(1, 5)]
COVERED = [f"F{i}" for i in range(1, 10)]  # items that must have a chapter, a lab and an exercise


def test_every_syllabus_item_is_mapped() -> None:
    assert not set(IDS) - set(MAP), f"missing from syllabus.yml: {sorted(set(IDS) - set(MAP))}"
    assert not set(MAP) - set(IDS), f"unknown IDs in syllabus.yml: {sorted(set(MAP) - set(IDS))}"


def paths(item: str, key: str) -> list[str]:
    value = MAP[item].get(key) or []
    return [value] if isinstance(value, str) else list(value)


def covered_by(lab: Path) -> set[str]:
    """The items a lab's "Covers syllabus item(s) ..." sentence names (ranges such as F3–F8 expanded)."""
    match = re.search(r"Covers\s+syllabus\s+items?\s+(.*?)(?:\.\s|\.$|, and touches)", lab.read_text(), flags=re.S)
    assert match, f"{lab.name} has no sentence 'Covers syllabus item(s) ...'"
    found: set[str] = set()
    for first, last in re.findall(r"([FCSMAU]\d+)(?:[–-]([FCSMAU]?\d+))?", match.group(1)):
        if last:
            letter, start, end = first[0], int(first[1:]), int(last.lstrip("FCSMAU"))
            found |= {f"{letter}{i}" for i in range(start, end + 1)}
        else:
            found.add(first)
    return found


LABS = sorted((ROOT / "labs").glob("*.md"))


@pytest.mark.parametrize("lab", LABS, ids=lambda p: p.stem)
def test_every_item_a_lab_covers_is_mapped_to_it(lab: Path) -> None:
    named = f"labs/{lab.name}"
    missing = sorted(item for item in covered_by(lab) if named not in paths(item, "lab"))
    assert not missing, f"{lab.name} says it covers {missing}, which syllabus.yml does not map to it"


def test_the_sentence_parser_expands_ranges_and_stops_at_touches(tmp_path: Path) -> None:
    lab = tmp_path / "lab.md"
    lab.write_text("Covers syllabus items F5 and S3, with C3–C4, and touches F1.\n")
    assert covered_by(lab) == {"F5", "S3", "C3", "C4"}


@pytest.mark.parametrize("item", COVERED)
def test_covered_items_have_chapter_lab_and_exercise(item: str) -> None:
    assert {"chapter", "lab", "exercise"} <= set(MAP[item]), f"{item} lacks one of chapter, lab, exercise"


@pytest.mark.parametrize("item", sorted(MAP))
def test_paths_and_anchors_exist_and_are_in_the_table_of_contents(item: str) -> None:
    for key in ("chapter", "lab", "exercise", "quiz", "missions"):
        for target in paths(item, key):
            path, _, anchor = target.partition("#")
            assert (ROOT / path).is_file(), f"{item} {key}: {path} does not exist"
            if anchor:
                assert f"({anchor})=" in (ROOT / path).read_text(), f"{item} {key}: no label ({anchor})= in {path}"
            assert str(Path(path).with_suffix("")) in TOC, f"{item} {key}: {path} is not in _toc.yml"


def level_of(item: str) -> int | None:
    """The maturity level an M item stands for (M1 -> 1), None for any other item."""
    return int(item[1:]) if item.startswith("M") else None


@pytest.mark.parametrize("item", sorted(i for i in MAP if "exercise" in MAP[i]))
def test_an_items_exercise_trains_it(item: str) -> None:
    """The exercise's front matter lists the item in ``trains``; for M1-M3, the exercise is of that level."""
    folder = (ROOT / MAP[item]["exercise"]).parent
    exercise = Exercise(folder.name, folder)
    if level_of(item):
        assert exercise.level == level_of(item), f"{item} points at {exercise.id}, which is level {exercise.level}"
    else:
        assert item in exercise.trains, f"{exercise.id}'s front matter does not list {item} in trains"


@pytest.mark.parametrize("item", sorted(i for i in MAP if "missions" in MAP[i]))
def test_an_items_missions_are_missions_that_train_it(item: str) -> None:
    for page in paths(item, "missions"):
        folder = (ROOT / page).parent
        mission = Exercise(folder.name, folder)
        assert mission.is_mission, f"{item} names {mission.id} under missions, and it is not a mission"
        assert item in mission.trains, f"{mission.id}'s front matter does not list {item} in trains"


def test_every_mission_is_named_by_the_items_it_trains() -> None:
    named = {page for item in MAP for page in paths(item, "missions")}
    for folder in sorted((ROOT / "exercises").glob("fix-*")):
        mission = Exercise(folder.name, folder)
        page = f"exercises/{folder.name}/exercise.md"
        assert page in named, f"{mission.id} is a mission that syllabus.yml names under no item's missions"


@pytest.mark.parametrize("item", sorted(i for i in MAP if "quiz" in MAP[i]))
def test_an_items_quiz_asks_about_it(item: str) -> None:
    """A quiz is shown under the label ``quiz-<file stem>``; one of its questions trains the item (M: its level)."""
    anchor = MAP[item]["quiz"].partition("#")[2]
    assert anchor.startswith("quiz-"), f"{item}: a quiz is linked by its label quiz-<name>"
    quiz = load_quiz(ROOT / "book" / "quizzes" / f"{anchor.removeprefix('quiz-')}.yaml")
    if level_of(item):
        assert quiz.level == level_of(item)
    else:
        assert any(item in q.trains for q in quiz.questions), f"no question of {quiz.name} trains {item}"
