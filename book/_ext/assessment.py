"""Sphinx extension: levels on exercise pages, the tables of levels, and quizzes.

- Every exercise page gets a badge under its title (level, plane, syllabus items, and why the
  level when it is not the plane's own), read from the page's front matter through
  ``threeplanes.checking.exercises``: the front matter is the only list of levels.
- ``{exercise-levels}`` (option ``:level:``) draws the table of the exercises of a level.
- ``{quiz-levels}`` (option ``:level:``) lists the quizzes of a level, linked to where they are
  shown (the label ``quiz-<file stem>``, which the chapter puts above its quiz).
- ``{quiz} <path to a quiz file>`` renders a quiz: the reader picks an option and sees at once
  whether it is right, and why each option is right or wrong (``_static/quiz.js``; no server).

A quiz or a front matter that is wrong is a build warning (an error under ``-W``).
"""

from __future__ import annotations

import re
from html import escape
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx import addnodes
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from threeplanes.assessment.quizzes import Quiz, find_quizzes, load_quiz
from threeplanes.checking.exercises import PLANE_LEVEL, Exercise, ExerciseError, all_exercises
from threeplanes.errors import AssessmentError

logger = logging.getLogger(__name__)
EXERCISES = "exercises"
QUIZZES = "book/quizzes"
STAND_PAGE = "/book/where-do-you-stand"


def _exercises(srcdir: str) -> list[Exercise]:
    try:
        return all_exercises(Path(srcdir) / EXERCISES)
    except ExerciseError as error:
        logger.warning(str(error))
        return []


def _doc_link(docname: str, text: str) -> nodes.Node:
    ref = addnodes.pending_xref("", refdomain="std", reftype="doc", reftarget=docname, refexplicit=True)
    ref += nodes.inline(text, text)
    return ref


def _label_link(label: str, text: str) -> nodes.Node:
    ref = addnodes.pending_xref("", refdomain="std", reftype="ref", reftarget=label, refexplicit=True)
    ref += nodes.inline(text, text)
    return ref


def add_level_badge(app, doctree: nodes.document) -> None:
    """Under the title of an exercise page, say its level, plane and items, linked to the levels page."""
    docname = app.env.docname
    parts = docname.split("/")
    if len(parts) != 3 or parts[0] != EXERCISES or parts[2] != "exercise":
        return
    exercise = next((e for e in _exercises(app.srcdir) if e.id == parts[1]), None)
    title = next(iter(doctree.findall(nodes.title)), None)
    if exercise is None or title is None:
        return
    app.env.note_dependency(str(exercise.page))
    badge = nodes.paragraph(classes=["exercise-level", f"level-{exercise.level}"])
    badge += nodes.strong(f"Level {exercise.level}", f"Level {exercise.level}")
    badge += nodes.Text(f" · {exercise.plane} plane · trains {', '.join(exercise.trains)} · ")
    badge += _doc_link(STAND_PAGE, "where do you stand?")
    if PLANE_LEVEL.get(exercise.plane) != exercise.level:
        badge += nodes.Text(f" Why level {exercise.level}: {exercise.level_reason}")
    section = title.parent
    section.insert(section.index(title) + 1, badge)


def _row(cells: list) -> nodes.row:
    row = nodes.row()
    for cell in cells:
        entry = nodes.entry()
        paragraph = nodes.paragraph()
        paragraph += nodes.Text(cell) if isinstance(cell, str) else cell
        entry += paragraph
        row += entry
    return row


def _table(header: list[str], rows: list[list], widths: list[int], css: str) -> nodes.table:
    table = nodes.table(classes=[css])
    group = nodes.tgroup(cols=len(header))
    table += group
    for width in widths:
        group += nodes.colspec(colwidth=width)
    head = nodes.thead()
    head += _row(header)
    group += head
    body = nodes.tbody()
    for cells in rows:
        body += _row(cells)
    group += body
    return table


def _exercise_cell(exercise: Exercise) -> nodes.Node:
    """The exercise's title, linked to its page, and its id (what ``assess`` and ``reset`` call it)."""
    cell = nodes.inline()
    cell += _doc_link(f"/{EXERCISES}/{exercise.id}/exercise", exercise.title)
    cell += nodes.Text(" ")
    cell += nodes.literal(exercise.id, exercise.id)
    return cell


class ExerciseLevels(SphinxDirective):
    """The exercises of one level (or all), from their pages' front matter."""

    option_spec = {"level": directives.positive_int}

    def run(self) -> list[nodes.Node]:
        level = self.options.get("level")
        exercises = [e for e in _exercises(self.env.srcdir) if level is None or e.level == level]
        for exercise in exercises:
            self.env.note_dependency(str(exercise.page))
        if not exercises:
            return [nodes.paragraph(text=f"No exercise is at level {level} yet.")]
        rows = [[_exercise_cell(e), str(e.level), e.plane, ", ".join(e.trains)] for e in exercises]
        return [_table(["Exercise", "Level", "Plane", "Trains"], rows, [50, 8, 16, 26], "exercise-levels")]


class QuizLevels(SphinxDirective):
    """The quizzes of one level (or all), from ``book/quizzes/*.yaml``."""

    option_spec = {"level": directives.positive_int}

    def run(self) -> list[nodes.Node]:
        level = self.options.get("level")
        folder = Path(self.env.srcdir) / QUIZZES
        try:
            quizzes = [q for q in find_quizzes(folder) if level is None or q.level == level]
        except AssessmentError as error:
            logger.warning(str(error), location=self.get_location())
            return []
        for path in folder.glob("*.yaml"):
            self.env.note_dependency(str(path))
        if not quizzes:
            return [nodes.paragraph(text=f"No quiz is at level {level} yet.")]
        rows = [
            [_label_link(f"quiz-{q.name}", f"Quiz: {q.title}"), str(q.level), q.plane, str(len(q.questions))]
            for q in quizzes
        ]
        return [_table(["Quiz", "Level", "Plane", "Questions"], rows, [50, 8, 16, 26], "quiz-levels")]


INLINE_CODE = re.compile(r"`([^`]+)`")


def _inline(text: str) -> str:
    """Escape text for HTML, keeping `backticks` as code."""
    return INLINE_CODE.sub(r"<code>\1</code>", escape(text))


def render_quiz(quiz: Quiz) -> str:
    parts = [f'<div class="tp-quiz" data-quiz="{escape(quiz.name)}">']
    for number, question in enumerate(quiz.questions, start=1):
        parts.append(f'<div class="tp-question" id="quiz-{escape(quiz.name)}-{escape(question.id)}">')
        parts.append(f'<p class="tp-question-text"><b>{number}.</b> {_inline(question.question)}</p><ul>')
        for option in question.shown_options():
            verdict = "Right." if option.correct else "Wrong."
            parts.append(
                f'<li><button type="button" class="tp-option" aria-pressed="false" '
                f'data-correct="{"true" if option.correct else "false"}">{_inline(option.text)}</button>'
                f'<div class="tp-why" hidden><b>{verdict}</b> {_inline(option.why)}</div></li>'
            )
        parts.append('</ul><p class="tp-verdict" role="status" aria-live="polite"></p></div>')
    parts.append("</div>")
    return "".join(parts)


class QuizDirective(SphinxDirective):
    """``{quiz} quizzes/<chapter>.yaml``: the questions of one quiz file, relative to the page."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        _, path = self.env.relfn2path(self.arguments[0], self.env.docname)
        self.env.note_dependency(path)
        try:
            quiz = load_quiz(Path(path))
        except (AssessmentError, OSError) as error:
            logger.warning(str(error), location=self.get_location())
            return []
        return [nodes.raw("", render_quiz(quiz), format="html")]


def setup(app):
    app.connect("doctree-read", add_level_badge)
    app.add_directive("exercise-levels", ExerciseLevels)
    app.add_directive("quiz-levels", QuizLevels)
    app.add_directive("quiz", QuizDirective)
    app.add_js_file("quiz.js", loading_method="defer")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
