"""Quiz data: every question has exactly one right option and an explanation for every option."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from threeplanes.assessment.quizzes import find_quizzes, load_quiz
from threeplanes.errors import AssessmentError

ROOT = Path(__file__).resolve().parents[2]
QUIZ_FILES = sorted((ROOT / "book" / "quizzes").glob("*.yaml"))
assert QUIZ_FILES, "no quiz in book/quizzes/"


@pytest.mark.parametrize("path", QUIZ_FILES, ids=lambda p: p.stem)
def test_every_question_has_one_right_option_and_every_option_a_why(path: Path) -> None:
    raw = yaml.safe_load(path.read_text())
    assert len(raw["questions"]) >= 5, "at least five questions per chapter"
    for question in raw["questions"]:
        options = question["options"]
        assert sum(o.get("correct") is True for o in options) == 1, question["id"]
        assert all(str(o.get("why", "")).strip() for o in options), question["id"]
        assert len({o["text"] for o in options}) == len(options), f"{question['id']}: two options read the same"
    assert load_quiz(path).questions  # the loader the book uses accepts it too


@pytest.mark.parametrize("path", QUIZ_FILES, ids=lambda p: p.stem)
def test_the_chapter_shows_the_quiz_under_its_label(path: Path) -> None:
    quiz = load_quiz(path)
    chapter = next(p for p in (ROOT / "book").glob("*.md") if f"({quiz.chapter})=" in p.read_text())
    text = chapter.read_text()
    assert f"(quiz-{quiz.name})=" in text and f"```{{quiz}} quizzes/{path.name}" in text


def test_the_right_option_is_not_always_shown_in_the_same_place() -> None:
    for quiz in find_quizzes(QUIZ_FILES[0].parent):
        places = [[o.correct for o in q.shown_options()].index(True) for q in quiz.questions]
        assert len(set(places)) >= 3, f"{quiz.name}: the right option is shown at places {places}"
        assert all(q.shown_options() == q.shown_options() for q in quiz.questions), "the same order on every build"


QUESTION = {"id": "q", "question": "Why?", "trains": ["F1"]}


@pytest.mark.parametrize(
    "options,words",
    [
        (
            [
                {"text": "a", "why": "x", "correct": True},
                {"text": "b", "why": "y", "correct": True},
                {"text": "c", "why": "z"},
            ],
            "exactly one option must be correct, not 2",
        ),
        (
            [{"text": "a", "why": "x"}, {"text": "b", "why": "y"}, {"text": "c", "why": "z"}],
            "exactly one option must be correct, not 0",
        ),
        (
            [{"text": "a", "why": "x", "correct": True}, {"text": "b"}, {"text": "c", "why": "z"}],
            "needs a text and a why",
        ),
        ([{"text": "a", "why": "x", "correct": True}, {"text": "b", "why": "y"}], "at least three options"),
    ],
)
def test_a_bad_question_names_its_file_and_id(tmp_path: Path, options: list, words: str) -> None:
    path = tmp_path / "bad.yaml"
    quiz = {
        "title": "T",
        "chapter": "c",
        "level": 1,
        "plane": "functional",
        "questions": [{**QUESTION, "options": options}],
    }
    path.write_text(yaml.safe_dump(quiz))
    with pytest.raises(AssessmentError, match=words) as raised:
        load_quiz(path)
    assert "bad.yaml, question q" in str(raised.value)
