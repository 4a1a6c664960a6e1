"""The scorecard: every exercise's checker run on the reader's namespace, tallied by level and plane.

An exercise is *attempted* when the reader has a namespace for it (see ``namespaces``). Only
attempted exercises are checked, unless ``check_all`` is set: then every checker runs, those
without a namespace on the namespace named after the exercise, and they are still reported as
not attempted. With a label selector, an exercise with no namespace among those it matches is
left *outside* the scorecard, not reported as not attempted: it was not looked for. A level is
*reached* when every exercise of it and of the levels below passes (missions train, they do not
gate); a level with exercises outside the selector is not reached. Each outcome that does not pass
carries one hint: the checker's first failing criterion's, or how to start. The next exercise to
take is the first that does not pass, lowest level first, then in the syllabus's order. Missions
(break-and-fix exercises, ``kind: mission``) are checked the same way and counted per level beside
the exercises.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from threeplanes.assessment.namespaces import EXERCISE_LABEL, Attempts, find_attempts, list_namespaces
from threeplanes.assessment.order import study_order
from threeplanes.checking import Checker, Report
from threeplanes.checking.exercises import LEVELS, PLANES, Exercise

PASS, FAIL, NOT_ATTEMPTED, OUTSIDE = "pass", "fail", "not attempted", "outside the selector"
# Checkers mostly wait (on the API, and the pause between their two looks): a few at once is
# faster without loading the two cores much.
PARALLEL_CHECKS = 4


@dataclass(frozen=True)
class Outcome:
    """How the reader did on one exercise."""

    exercise: Exercise
    status: str  # PASS, FAIL or NOT_ATTEMPTED
    namespace: str | None = None
    met: int = 0
    criteria: int = 0
    hint: str = ""
    note: str = ""  # e.g. other namespaces found for the same exercise

    @property
    def passed(self) -> bool:
        return self.status == PASS


@dataclass(frozen=True)
class Tally:
    """How many exercises of a level or plane pass, fail, or are not attempted."""

    passed: int = 0
    failed: int = 0
    not_attempted: int = 0

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.not_attempted


@dataclass
class Scorecard:
    outcomes: list[Outcome]
    order: list[str] = field(default_factory=list)  # syllabus IDs in the syllabus's order
    checked_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    warnings: list[str] = field(default_factory=list)
    outside: list[Exercise] = field(default_factory=list)  # not looked for: outside the label selector
    selector: str | None = None

    def level_reached(self) -> int:
        """The highest level whose exercises, and those of every level below, all pass (0: none yet).

        A level with an exercise outside the selector is not reached: it was not judged."""
        reached = 0
        for level in LEVELS:
            at_level = [o for o in self.outcomes if o.exercise.level == level and not o.exercise.is_mission]
            if any(e.level == level and not e.is_mission for e in self.outside) or not all(o.passed for o in at_level):
                break
            reached = level
        return reached

    def verdict(self) -> str:
        """One sentence: the level reached, and what stands before the next one."""
        reached = self.level_reached()
        said = f"Level reached: {reached}." if reached else "Level reached: none yet."
        if reached == LEVELS[-1]:
            return f"{said} Every exercise of every level passes."
        following = reached + 1
        unjudged = sum(e.level == following and not e.is_mission for e in self.outside)
        tally = self.by_level("exercise")[following]
        if unjudged:
            return (
                f"{said} Level {following}: {tally.passed} of {tally.total} checked exercises pass; {unjudged} more "
                f"are outside the selector {self.selector}."
            )
        return f"{said} Level {following}: {tally.passed} of {tally.total} exercises pass."

    def tally(self, outcomes: Iterable[Outcome]) -> Tally:
        outcomes = list(outcomes)
        return Tally(
            passed=sum(o.status == PASS for o in outcomes),
            failed=sum(o.status == FAIL for o in outcomes),
            not_attempted=sum(o.status == NOT_ATTEMPTED for o in outcomes),
        )

    def by_level(self, kind: str | None = None) -> dict[int, Tally]:
        """Each level's tally: of every exercise, or of one ``kind`` (``exercise`` or ``mission``)."""
        chosen = [o for o in self.outcomes if kind is None or o.exercise.kind == kind]
        return {level: self.tally(o for o in chosen if o.exercise.level == level) for level in LEVELS}

    def missions_by_level(self) -> dict[int, Tally]:
        """The missions' tally at each level that has one."""
        return {level: t for level, t in self.by_level("mission").items() if t.total}

    def by_plane(self) -> dict[str, Tally]:
        present = [p for p in PLANES if any(o.exercise.plane == p for o in self.outcomes)]
        return {plane: self.tally(o for o in self.outcomes if o.exercise.plane == plane) for plane in present}

    def counted(self) -> str:
        """``12 exercises`` or ``12 exercises and 3 missions``."""
        found = sum(o.exercise.is_mission for o in self.outcomes)
        exercises = f"{len(self.outcomes) - found} exercises"
        return f"{exercises} and {found} mission{'s' if found != 1 else ''}" if found else exercises

    def ordered(self) -> list[Outcome]:
        """The outcomes in study order: level, then syllabus position."""
        by_id = {o.exercise.id: o for o in self.outcomes}
        return [by_id[e.id] for e in study_order((o.exercise for o in self.outcomes), self.order)]

    @property
    def next_outcome(self) -> Outcome | None:
        return next((o for o in self.ordered() if not o.passed), None)

    def status(self, exercise_id: str) -> str:
        if any(e.id == exercise_id for e in self.outside):
            return OUTSIDE
        return next(o.status for o in self.outcomes if o.exercise.id == exercise_id)

    def __str__(self) -> str:
        """A summary under 80 columns: bars, one line per exercise, each failure's hint, what next."""
        when = self.checked_at.strftime("%Y-%m-%d %H:%M UTC")
        lines = [f"Where you stand: {self.counted()}, checked {when}", ""]
        for level, tally in self.by_level("exercise").items():
            lines.append(_tally_line(f"Level {level}", tally))
        for level, tally in self.missions_by_level().items():
            lines.append(_tally_line(f"Missions, level {level}", tally))
        for plane, tally in self.by_plane().items():
            lines.append(_tally_line(f"{plane.capitalize()} plane", tally))
        lines += ["", *textwrap.wrap(self.verdict(), WIDTH)]
        if self.outside:
            left = f"{len(self.outside)} exercise(s) outside the selector {self.selector} were not looked for."
            lines += textwrap.wrap(left, WIDTH)
        width = max([len("exercise"), *(len(o.exercise.id) for o in self.outcomes)]) + 2
        lines += ["", f"  {'level':<7}{'plane':<12}{'exercise':<{width}}result"]
        for outcome in self.ordered():
            e = outcome.exercise
            lines.append(f"  {e.level:<7}{e.plane:<12}{e.id:<{width}}{_result(outcome)}")
            if outcome.status == FAIL:
                lines += _wrapped(f"in {outcome.namespace}: {outcome.hint}")
            if outcome.note:
                lines += _wrapped(outcome.note)
        lines.append("")
        upcoming = self.next_outcome
        if upcoming is None:
            lines.append("Every exercise checked passes." if self.outside else "Every exercise passes.")
        else:
            e = upcoming.exercise
            lines += textwrap.wrap(f"Next: {e.id} (level {e.level}, {e.main_item}). {e.title}: {e.page}", WIDTH)
        if any(o.status == NOT_ATTEMPTED for o in self.outcomes):
            lines += textwrap.wrap(f"To start an exercise, label your namespace {EXERCISE_LABEL}=<exercise>.", WIDTH)
        lines += [line for w in self.warnings for line in textwrap.wrap(f"Warning: {w}", WIDTH)]
        return "\n".join(lines)


WIDTH = 78


def _wrapped(text: str) -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=" " * 9, subsequent_indent=" " * 11)


def _tally_line(label: str, tally: Tally) -> str:
    if tally.total == 0:
        return f"  {label:<18}no exercise yet"
    width = 10
    filled = round(width * tally.passed / tally.total)
    bar = "█" * filled + "░" * (width - filled)
    return f"  {label:<18}{bar}  {tally.passed} of {tally.total} pass, {tally.failed} failing"


def _result(outcome: Outcome) -> str:
    if outcome.status == PASS:
        return "✓ pass"
    if outcome.status == FAIL:
        return f"✗ {outcome.met} of {outcome.criteria} criteria met"
    return "– not attempted"


def start_hint(exercise: Exercise) -> str:
    return f"start it in a namespace labelled {EXERCISE_LABEL}={exercise.id}: {exercise.page}"


def outcome_from_report(exercise: Exercise, report: Report, attempted: bool, note: str = "") -> Outcome:
    """An outcome from a checker's report; a report on a namespace the reader never made is not an attempt."""
    met = sum(r.status == "pass" for r in report.results)
    first = report.first_failure
    hint = first.failure.hint if first and first.failure else ""
    if not attempted:
        return Outcome(exercise, NOT_ATTEMPTED, None, met, len(report.results), start_hint(exercise), note)
    status = PASS if report.passed else FAIL
    return Outcome(exercise, status, report.namespace, met, len(report.results), "" if report.passed else hint, note)


def run_checks(
    cluster: Any,
    exercises: list[Exercise],
    attempts: Attempts,
    load: Callable[[str], Checker],
    check_all: bool = False,
    order: list[str] | None = None,
    selector: str | None = None,
) -> Scorecard:
    """Run the checker of every attempted exercise (every exercise with ``check_all``) and build the scorecard.

    With a ``selector``, the exercises that have no namespace among those it matched are left outside."""
    jobs: list[tuple[Exercise, Checker, str, bool]] = []
    outcomes: dict[str, Outcome] = {}
    outside: list[Exercise] = []
    for exercise in exercises:
        namespace = attempts.namespace(exercise.id)
        if namespace is None and not check_all:
            if selector:
                outside.append(exercise)
            else:
                outcomes[exercise.id] = Outcome(exercise, NOT_ATTEMPTED, hint=start_hint(exercise))
            continue
        jobs.append((exercise, load(exercise.id), namespace or exercise.id, namespace is not None))
    with ThreadPoolExecutor(max_workers=PARALLEL_CHECKS) as pool:
        reports = list(pool.map(lambda job: job[1].run(cluster, job[2]), jobs))
    for (exercise, _, _, attempted), report in zip(jobs, reports, strict=True):
        others = attempts.others(exercise.id)
        note = f"also found {', '.join(others)}; the newest was checked" if others else ""
        outcomes[exercise.id] = outcome_from_report(exercise, report, attempted, note)
    return Scorecard(
        [outcomes[e.id] for e in exercises if e.id in outcomes],
        order=order or [],
        warnings=list(attempts.unknown_labels),
        outside=outside,
        selector=selector,
    )


def assess(
    cluster: Any,
    exercises: list[Exercise],
    selector: str | None = None,
    check_all: bool = False,
    order: list[str] | None = None,
) -> Scorecard:
    """Find the reader's namespaces (only those matching ``selector``, if given) and check them."""
    attempts = find_attempts(list_namespaces(cluster, selector), [e.id for e in exercises])
    by_id = {e.id: e for e in exercises}
    return run_checks(
        cluster, exercises, attempts, lambda i: by_id[i].checker(), check_all=check_all, order=order, selector=selector
    )
