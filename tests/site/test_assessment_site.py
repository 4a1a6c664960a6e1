"""The assessment in a browser: the HTML report of ``threeplanes assess``, the quizzes and the levels."""

from __future__ import annotations

from pathlib import Path

import pytest

from threeplanes.assessment import report
from threeplanes.assessment.order import syllabus_order
from threeplanes.assessment.scorecard import FAIL, NOT_ATTEMPTED, PASS, Outcome, Scorecard
from threeplanes.checking.exercises import all_exercises

ROOT = Path(__file__).resolve().parents[2]


def a_scorecard() -> Scorecard:
    """Two exercises pass, one fails with a hint, the others are not attempted."""
    status = {"f4-batch": PASS, "spread-over-zones": PASS, "f1-service-discovery": FAIL}
    outcomes = []
    for exercise in all_exercises(ROOT / "exercises"):
        state = status.get(exercise.id, NOT_ATTEMPTED)
        hint = "select the pods by app=frontend" if state == FAIL else ""
        namespace = None if state == NOT_ATTEMPTED else f"my-{exercise.id}"
        outcomes.append(Outcome(exercise, state, namespace, met=2, criteria=6, hint=hint))
    return Scorecard(outcomes, order=syllabus_order(ROOT / "syllabus.yml"))


@pytest.mark.site
def test_the_html_report_draws_a_bar_per_level_and_plane(page, tmp_path: Path) -> None:
    path = report.write(tmp_path / "scorecard.html", a_scorecard())
    page.goto(path.as_uri())
    assert page.locator("h1").inner_text() == "Where you stand"
    bars = page.locator("#levels .bar[data-total]")
    assert bars.count() == 3, "each level has exercises"
    exercises = all_exercises(ROOT / "exercises")
    at_level_1 = sum(e.level == 1 and not e.is_mission for e in exercises)  # missions have bars of their own
    level_1 = bars.first
    whole = level_1.bounding_box()["width"]
    passed = level_1.locator(".pass").bounding_box()["width"]
    assert abs(passed / whole - 1 / at_level_1) < 0.02, f"one of {at_level_1} level-1 exercises passes"
    assert "no exercise yet" not in page.locator("#levels").inner_text()
    planes = {e.plane for e in exercises}
    assert page.locator("#planes .bar[data-total]").count() == len(planes), f"a bar for each of {planes}"
    row = page.locator('tr[data-exercise="f1-service-discovery"]')
    assert "select the pods by app=frontend" in row.inner_text() and "my-f1-service-discovery" in row.inner_text()
    assert "f1-service-discovery" in page.locator(".next").inner_text()


@pytest.mark.cluster
@pytest.mark.site
def test_a_quiz_answer_says_at_once_whether_it_is_right_and_why(site: str, page) -> None:
    page.goto(f"{site}/book/functional-plane.html")
    question = page.locator(".tp-question").first
    assert question.locator(".tp-why:visible").count() == 0, "explanations are hidden before an answer"
    wrong = question.locator('.tp-option[data-correct="false"]').first
    wrong.click()
    assert "Not this one" in question.locator(".tp-verdict").inner_text()
    assert "tp-picked" in wrong.get_attribute("class") and wrong.get_attribute("aria-pressed") == "true"
    options = question.locator(".tp-option").count()
    assert question.locator(".tp-why:visible").count() == options, "every option explains itself once picked"
    right = question.locator('.tp-option[data-correct="true"]')
    right.click()
    assert question.locator(".tp-verdict").inner_text().startswith("Right.")
    assert right.locator("xpath=following-sibling::div").inner_text().startswith("Right.")


@pytest.mark.cluster
@pytest.mark.site
def test_levels_show_on_exercise_pages_and_the_sample_scorecard_is_real(site: str, page) -> None:
    page.goto(f"{site}/exercises/f6-self-healing/exercise.html")
    badge = page.locator(".exercise-level").inner_text()
    assert badge.startswith("Level 2") and "Why level 2" in badge
    page.goto(f"{site}/book/where-do-you-stand.html")
    tables = page.locator("table.exercise-levels")
    assert tables.count() == 3 and "f5-bin-packing" in tables.first.inner_text()
    assert "m3-control-plane" in tables.nth(2).inner_text()
    outputs = "\n".join(page.locator(".cell_output").all_inner_texts())
    rows = {line.split()[2]: line for line in outputs.splitlines() if line.strip()[:1] in {"1", "2", "3"}}
    for exercise in ("f1-service-discovery", "f4-batch", "f7-config-secrets", "f9-compose", "spread-over-zones"):
        assert rows[exercise].endswith("✓ pass"), rows
    # The sample assesses its own namespaces only: the other exercises are left outside, not "not attempted".
    assert "f2-storage" not in rows and "not attempted" not in outputs
    words = " ".join(outputs.split())  # the scorecard wraps its sentences at 78 columns
    assert "were not looked for" in words and "Every exercise checked passes." in words
    assert "Level reached: none yet." in words
