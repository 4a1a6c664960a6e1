"""Missions without a cluster: their front matter, hint rounds, debrief, the listing page, the attempt
count, and how the assessment counts them beside the exercises."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from kubernetes import client

from threeplanes.assessment import report
from threeplanes.assessment.namespaces import find_attempts
from threeplanes.assessment.scorecard import run_checks
from threeplanes.checking import Checker, Criterion, Failure, Report, Result
from threeplanes.checking import missions as m
from threeplanes.checking.exercises import Exercise, ExerciseError, all_exercises

ROOT = Path(__file__).resolve().parents[2]
EXERCISES = all_exercises(ROOT / "exercises")
MISSIONS = [e for e in EXERCISES if e.is_mission]
BOOK = ROOT / "book"

PAGE = """---
level: 1
plane: functional
trains: [F6]
kind: mission
symptom: the report never ran
minutes: 10
namespace: my-jobs
---

(exercise-fix-thing)=
# Mission: the report never ran

:::{dropdown} Hint 1: look at the events
Read {ref}`the events <lab-f4-batch>`.
:::

:::{dropdown} Hint 2: read the log
`kubectl logs --previous -n my-jobs` (not my-jobs-2)
:::

:::{dropdown} Debrief
The Job's command was wrong; see {ref}`lab-f4-batch`.
:::
"""


def mission(tmp_path: Path, text: str = PAGE, name: str = "fix-thing") -> Exercise:
    folder = tmp_path / name
    folder.mkdir(parents=True)
    (folder / "exercise.md").write_text(text)
    (folder / "checker.py").write_text("")
    return Exercise(name, folder)


# --- the book's missions ---------------------------------------------------------------------


def test_the_book_has_missions() -> None:
    assert MISSIONS, "no exercise with kind: mission"


@pytest.mark.parametrize("exercise", MISSIONS, ids=lambda e: e.id)
def test_a_mission_has_a_symptom_hint_rounds_a_debrief_and_cases(exercise: Exercise) -> None:
    assert exercise.id.startswith("fix-") and exercise.symptom and exercise.minutes
    assert len(m.hint_rounds(exercise)) >= 2
    assert "lab-" in exercise.page.read_text().split("{dropdown} Debrief", 1)[1], "the debrief links to a lab"
    assert m.debrief(exercise)
    cases = yaml.safe_load((exercise.folder / "expect.yaml").read_text())
    assert len(cases["wrong"]) >= 2 and len(cases.get("right") or []) >= 1


@pytest.mark.parametrize("plane", m.LISTED_PLANES)
def test_each_planes_listing_page_is_current_and_lists_its_missions(plane: str) -> None:
    text = m.listing_page(BOOK, plane).read_text()
    assert m.with_listing(text, EXERCISES, plane) == text, "run: .venv/bin/python -m threeplanes.checking.missions"
    for exercise in MISSIONS:
        assert (f"<exercise-{exercise.id}>" in text) == (exercise.plane == plane), exercise.id
        assert f"(exercise-{exercise.id})=" in exercise.page.read_text(), "the page has the label linked to"


# --- front matter ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change,name,words",
    [
        (("symptom: the report never ran\n", ""), "fix-thing", "states its symptom"),
        (("minutes: 10\n", ""), "fix-thing", "how long it takes"),
        (("kind: mission\n", "kind: puzzle\n"), "fix-thing", "kind must be one of"),
        (("", ""), "report-thing", "has an id starting fix-"),
        (("kind: mission\n", ""), "fix-thing", "has an id starting fix-"),
    ],
)
def test_a_bad_mission_front_matter_is_one_clear_sentence(tmp_path: Path, change, name, words) -> None:
    exercise = mission(tmp_path, PAGE.replace(*change) if change[0] else PAGE, name)
    with pytest.raises(ExerciseError, match=words):
        exercise.front_matter  # noqa: B018 - reading it is the test


def test_an_exercise_is_no_mission(tmp_path: Path) -> None:
    folder = tmp_path / "f0-plain"
    folder.mkdir()
    (folder / "exercise.md").write_text("---\nlevel: 1\nplane: functional\ntrains: [F1]\n---\n# Exercise: a\n")
    exercise = Exercise(folder.name, folder)
    assert exercise.kind == "exercise" and not exercise.is_mission and exercise.symptom == ""


def test_rounds_and_debrief_are_read_from_the_page_as_plain_text(tmp_path: Path) -> None:
    exercise = mission(tmp_path)
    assert exercise.title == "The report never ran"
    rounds = m.hint_rounds(exercise)
    assert [(r.number, r.title) for r in rounds] == [(1, "look at the events"), (2, "read the log")]
    assert rounds[0].text == "Read the events (lab-f4-batch)."
    assert m.debrief(exercise) == "The Job's command was wrong; see lab-f4-batch."


def test_rounds_out_of_order_or_no_debrief_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ExerciseError, match="Hint 1"):
        m.hint_rounds(mission(tmp_path / "a", PAGE.replace("Hint 2:", "Hint 3:")))
    with pytest.raises(ExerciseError, match="Debrief"):
        m.debrief(mission(tmp_path / "b", PAGE.replace("{dropdown} Debrief", "{dropdown} Notes")))


# --- the attempts and the report -------------------------------------------------------------


class FakeCore:
    def __init__(self) -> None:
        self.annotations: dict[str, str] = {}

    def read_namespace(self, name: str):
        if name != "mine":
            raise client.ApiException(status=404, reason="Not Found")
        return SimpleNamespace(metadata=SimpleNamespace(annotations=dict(self.annotations)))

    def patch_namespace(self, name: str, body: dict) -> None:
        self.annotations.update(body["metadata"]["annotations"])


def failing_report() -> Report:
    return Report("t", "mine", [Result("a", "fail", Failure("saw", "hint"))])


def test_each_failed_check_counts_and_gives_the_next_round_then_the_last_again(tmp_path: Path) -> None:
    exercise, cluster = mission(tmp_path), SimpleNamespace(core=FakeCore())
    shown = [str(m.conclude(exercise, cluster, failing_report())) for _ in range(3)]
    assert "Hint 1: look at the events (round 1 of 2" in shown[0]
    assert "Hint 2: read the log (the last round" in shown[1] and "Hint 2:" in shown[2]
    assert "--previous -n mine` (not my-jobs-2)" in shown[1], "the reader's namespace in the example's place"
    assert cluster.core.annotations == {m.attempts_annotation("fix-thing"): "3"}


def test_a_pass_prints_the_debrief_and_counts_nothing(tmp_path: Path) -> None:
    exercise, cluster = mission(tmp_path), SimpleNamespace(core=FakeCore())
    report = m.conclude(exercise, cluster, Report("t", "mine", [Result("a", "pass")]))
    assert "Debrief" in str(report) and "command was wrong" in str(report)
    assert "command was wrong" in report._repr_html_()
    assert cluster.core.annotations == {}


# --- the assessment --------------------------------------------------------------------------


def test_the_scorecard_counts_missions_per_level_beside_the_exercises(tmp_path: Path) -> None:
    mission(tmp_path)
    plain = tmp_path / "f0-plain"
    plain.mkdir()
    (plain / "exercise.md").write_text("---\nlevel: 1\nplane: functional\ntrains: [F1]\n---\n# Exercise: a\n")
    (plain / "checker.py").write_text("")
    found = all_exercises(tmp_path)
    namespaces = [
        SimpleNamespace(metadata=SimpleNamespace(name=e.id, labels=None, creation_timestamp=None), status=None)
        for e in found
    ]
    attempts = find_attempts(namespaces, [e.id for e in found])

    def load(exercise_id: str) -> Checker:
        fails = exercise_id == "fix-thing"
        return Checker(exercise_id, [Criterion("c", lambda ctx: Failure("s", "h") if fails else None)], settle=0)

    cluster = SimpleNamespace(core=SimpleNamespace(read_namespace=lambda name: SimpleNamespace()))
    card = run_checks(cluster, found, attempts, load)
    assert card.by_level("exercise")[1].passed == 1 and card.by_level("exercise")[1].total == 1
    assert card.missions_by_level() == {1: card.by_level("mission")[1]} and card.missions_by_level()[1].failed == 1
    assert card.by_level()[1].total == 2
    text = str(card)
    assert "1 exercises and 1 mission" in text and "Missions, level 1" in text
    page = report.render(card)
    assert 'id="missions"' in page and page.count('class="bar mission"') == 1 and "1 exercises and 1 mission" in page
