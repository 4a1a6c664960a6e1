"""Quiz data: the concept questions that sit beside a chapter, one YAML file per chapter.

A quiz file (``book/quizzes/<chapter>.yaml``) reads::

    title: The functional plane      # shown in the tables of levels
    chapter: functional-plane        # the label of the chapter it belongs to
    level: 1                         # the maturity level it checks
    plane: functional
    questions:
      - id: selector-without-endpoints
        trains: [F1]
        question: ...
        options:
          - text: ...
            correct: true
            why: ...                 # every option explains itself, right or wrong

Each question has exactly one right option, and every option a ``why``.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from threeplanes.checking.exercises import ITEM_ID, LEVELS, PLANES
from threeplanes.errors import AssessmentError

QUESTION_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Option:
    text: str
    correct: bool
    why: str


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    options: tuple[Option, ...]
    trains: tuple[str, ...]

    def shown_options(self) -> list[Option]:
        """The options in the order the page shows them: shuffled, the same way on every build
        (seeded by the question's id), so that the right one is not always where it was written."""
        shown = list(self.options)
        random.Random(self.id).shuffle(shown)
        return shown


@dataclass(frozen=True)
class Quiz:
    name: str  # the file's stem
    title: str
    chapter: str
    level: int
    plane: str
    questions: tuple[Question, ...]


def _question(path: Path, data: dict) -> Question:
    qid = str(data.get("id", ""))
    where = f"{path}, question {qid or '(no id)'}"
    if not QUESTION_ID.match(qid):
        raise AssessmentError(f"{where}: id must be lowercase words joined by dashes.")
    if not str(data.get("question", "")).strip():
        raise AssessmentError(f"{where}: the question text is missing.")
    trains = data.get("trains") or []
    if not all(ITEM_ID.match(str(t)) for t in trains):
        raise AssessmentError(f"{where}: trains must list syllabus IDs such as F1.")
    options = []
    for raw in data.get("options") or []:
        text, why = str(raw.get("text", "")).strip(), str(raw.get("why", "")).strip()
        if not text or not why:
            raise AssessmentError(f"{where}: every option needs a text and a why (the explanation shown once picked).")
        options.append(Option(text, raw.get("correct") is True, why))
    if len(options) < 3:
        raise AssessmentError(f"{where}: give at least three options.")
    right = sum(o.correct for o in options)
    if right != 1:
        raise AssessmentError(f"{where}: exactly one option must be correct, not {right}.")
    return Question(qid, str(data["question"]).strip(), tuple(options), tuple(str(t) for t in trains))


def load_quiz(path: Path) -> Quiz:
    """Read and check one quiz file; a mistake in it is an ``AssessmentError`` naming the file and question."""
    try:
        data = yaml.safe_load(Path(path).read_text())
    except yaml.YAMLError as error:
        raise AssessmentError(f"{path} is not valid YAML: {error}") from None
    if not isinstance(data, dict):
        raise AssessmentError(f"{path} must be a mapping with chapter, level, plane and questions.")
    if data.get("level") not in LEVELS or data.get("plane") not in PLANES or not data.get("chapter"):
        raise AssessmentError(f"{path}: chapter, level (1-3) and plane ({', '.join(PLANES)}) are required.")
    if not str(data.get("title", "")).strip():
        raise AssessmentError(f"{path}: a title is required.")
    questions = tuple(_question(path, q) for q in data.get("questions") or [])
    if not questions:
        raise AssessmentError(f"{path} has no questions.")
    ids = [q.id for q in questions]
    if len(set(ids)) != len(ids):
        raise AssessmentError(f"{path}: question ids must be unique.")
    return Quiz(
        Path(path).stem, str(data["title"]).strip(), str(data["chapter"]), data["level"], data["plane"], questions
    )


def find_quizzes(quizzes_dir: Path) -> list[Quiz]:
    """Every quiz under ``quizzes_dir`` (``*.yaml``), sorted by name."""
    return [load_quiz(path) for path in sorted(Path(quizzes_dir).glob("*.yaml"))]
