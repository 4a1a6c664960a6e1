"""The reader's progress between two assessments, kept in a small versioned JSON file.

The file (``progress.json`` under the cache directory) holds the last run's result per
exercise::

    {"version": 1, "checked_at": "2026-11-27T07:30:00+00:00",
     "exercises": {"f4-batch": "pass", "f5-bin-packing": "fail", ...}}

A file that cannot be read, or was written by another version, is never overwritten: it is
renamed aside as ``progress.json.bad-<timestamp>`` and the next run starts afresh, saying so.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from threeplanes.assessment.scorecard import PASS, Scorecard

VERSION = 1


@dataclass(frozen=True)
class Progress:
    """What an earlier run found: each exercise's status, and when."""

    statuses: dict[str, str] = field(default_factory=dict)
    checked_at: str | None = None


@dataclass(frozen=True)
class Changes:
    """What changed since the previous run."""

    newly_passing: list[str]
    newly_failing: list[str]  # passed last time, not any more
    previous: str | None  # when the previous run was, or None for a first run

    def __str__(self) -> str:
        if self.previous is None:
            return "First assessment: nothing to compare with yet."
        if not self.newly_passing and not self.newly_failing:
            return f"Nothing changed since the last run ({self.previous})."
        parts = []
        if self.newly_passing:
            parts.append(f"newly passing: {', '.join(self.newly_passing)}")
        if self.newly_failing:
            parts.append(f"newly failing: {', '.join(self.newly_failing)}")
        return f"Since the last run ({self.previous}): {'; '.join(parts)}."


def load_progress(path: Path, now: datetime | None = None) -> tuple[Progress, str | None]:
    """The saved progress, and a sentence when the file had to be set aside (corrupt or another version)."""
    if not path.exists():
        return Progress(), None
    try:
        data = json.loads(path.read_text())
        problem = None
        if not isinstance(data, dict) or not isinstance(data.get("exercises"), dict):
            problem = "is not a progress file"
        elif data.get("version") != VERSION:
            problem = f"was written by version {data.get('version')!r} of the format, not {VERSION}"
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        problem = "could not be read as JSON"
    if problem is None:
        statuses = {str(k): str(v) for k, v in data["exercises"].items()}
        return Progress(statuses, data.get("checked_at")), None
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S")
    aside = path.with_name(f"{path.name}.bad-{stamp}")
    os.replace(path, aside)
    return Progress(), f"The progress file {path} {problem}; it was kept as {aside} and progress starts afresh."


def compare(previous: Progress, scorecard: Scorecard) -> Changes:
    if previous.checked_at is None and not previous.statuses:
        return Changes([], [], None)
    newly_passing, newly_failing = [], []
    for outcome in scorecard.ordered():
        before = previous.statuses.get(outcome.exercise.id)
        if outcome.passed and before != PASS:
            newly_passing.append(outcome.exercise.id)
        elif before == PASS and not outcome.passed:
            newly_failing.append(outcome.exercise.id)
    return Changes(newly_passing, newly_failing, previous.checked_at)


def save_progress(path: Path, scorecard: Scorecard, previous: Progress | None = None) -> None:
    """Write the scorecard's statuses, atomically (a crash mid-write leaves the old file); the exercises it left
    outside its selector keep their ``previous`` status, since this run did not look at them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    kept = {e.id: previous.statuses[e.id] for e in scorecard.outside if previous and e.id in previous.statuses}
    data = {
        "version": VERSION,
        "checked_at": scorecard.checked_at.isoformat(timespec="seconds"),
        "exercises": kept | {o.exercise.id: o.status for o in scorecard.outcomes},
    }
    partial = path.with_name(f"{path.name}.partial")
    partial.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(partial, path)
