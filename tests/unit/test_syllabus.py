"""syllabus.yml names every syllabus item, and every path and anchor it names exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from threeplanes.assessment.exercises import read_exercise
from threeplanes.assessment.quizzes import load_quiz

ROOT = Path(__file__).resolve().parents[2]
MAP = yaml.safe_load((ROOT / "syllabus.yml").read_text())
SYLLABUS = ROOT.parent / "shared" / "SYLLABUS.md"
# The items of the syllabus, as its headings group them; kept here so the test runs without shared/.
IDS = [f"F{i}" for i in range(1, 10)] + [f"C{i}" for i in range(1, 7)] + [f"S{i}" for i in range(1, 13)]
IDS += ["M1", "M2", "M3"] + [f"A{i}" for i in range(1, 6)] + [f"U{i}" for i in range(1, 5)]
COVERED = [f"F{i}" for i in range(1, 10)]  # items that must have a chapter, a lab and an exercise


def test_every_syllabus_item_is_mapped() -> None:
    assert not set(IDS) - set(MAP), f"missing from syllabus.yml: {sorted(set(IDS) - set(MAP))}"
    assert not set(MAP) - set(IDS), f"unknown IDs in syllabus.yml: {sorted(set(MAP) - set(IDS))}"


@pytest.mark.skipif(not SYLLABUS.exists(), reason="shared/SYLLABUS.md is not beside the repository")
def test_the_id_list_matches_the_syllabus_document() -> None:
    found = re.findall(r"^- ([FCSMAU]\d+) ", SYLLABUS.read_text(), flags=re.MULTILINE)
    assert sorted(found) == sorted(IDS)


@pytest.mark.parametrize("item", COVERED)
def test_covered_items_have_chapter_lab_and_exercise(item: str) -> None:
    assert {"chapter", "lab", "exercise"} <= set(MAP[item]), f"{item} lacks one of chapter, lab, exercise"


@pytest.mark.parametrize("item", sorted(MAP))
def test_paths_and_anchors_exist(item: str) -> None:
    for key in ("chapter", "lab", "exercise", "quiz"):
        if key not in MAP[item]:
            continue
        path, _, anchor = MAP[item][key].partition("#")
        assert (ROOT / path).is_file(), f"{item} {key}: {path} does not exist"
        if anchor:
            assert f"({anchor})=" in (ROOT / path).read_text(), f"{item} {key}: no label ({anchor})= in {path}"
        toc = (ROOT / "_toc.yml").read_text()
        assert str(Path(path).with_suffix("")) in toc, f"{item} {key}: {path} is not in _toc.yml"


def level_of(item: str) -> int | None:
    """The maturity level an M item stands for (M1 -> 1), None for any other item."""
    return int(item[1:]) if item.startswith("M") else None


@pytest.mark.parametrize("item", sorted(i for i in MAP if "exercise" in MAP[i]))
def test_an_items_exercise_trains_it(item: str) -> None:
    """The exercise's front matter lists the item in ``trains``; for M1-M3, the exercise is of that level."""
    exercise = read_exercise((ROOT / MAP[item]["exercise"]).parent)
    if level_of(item):
        assert exercise.level == level_of(item), f"{item} points at {exercise.id}, which is level {exercise.level}"
    else:
        assert item in exercise.trains, f"{exercise.id}'s front matter does not list {item} in trains"


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
