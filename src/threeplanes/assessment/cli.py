"""The commands ``threeplanes assess``, added to the main parser, and ``threeplanes exercise reset``.

``assess`` finds the exercises folder from the current directory upwards (or ``--exercises``),
checks every exercise the reader has a namespace for, prints the scorecard and what changed
since the last run, saves the progress and writes the HTML report under the cache directory.
``exercise reset`` deletes the reader's attempt at one exercise.

The exercises folder gives the pages (levels, planes, items) and the teardown scripts; the
checkers are read from that folder too.
"""

from __future__ import annotations

import argparse
import sys
import webbrowser
from pathlib import Path
from typing import Any

from threeplanes.assessment import progress, report
from threeplanes.assessment.namespaces import EXERCISE_LABEL
from threeplanes.assessment.order import syllabus_order
from threeplanes.assessment.reset import reset
from threeplanes.assessment.scorecard import assess
from threeplanes.checking.exercises import LEVELS, all_exercises, find, locate
from threeplanes.kit.connect import connect
from threeplanes.provision.paths import cache_root

PROGRESS_FILE = "progress.json"
REPORT_FILE = "scorecard.html"


def _exercises_dir(args: argparse.Namespace) -> Path:
    """The folder given, or the one found from here up; relative to here when it is below, for shorter paths."""
    here = Path.cwd()
    found = Path(args.exercises).resolve() if args.exercises else locate(here)
    return found.relative_to(here) if found.is_relative_to(here) else found


def assess_command(args: argparse.Namespace) -> int:
    exercises_dir = _exercises_dir(args)
    exercises = all_exercises(exercises_dir)
    order = syllabus_order(exercises_dir.parent / "syllabus.yml")
    scorecard = assess(connect(), exercises, args.selector, check_all=args.all, order=order)
    progress_path = cache_root() / PROGRESS_FILE
    previous, set_aside = progress.load_progress(progress_path)
    changes = progress.compare(previous, scorecard)
    progress.save_progress(progress_path, scorecard, previous)
    page = report.write(cache_root() / REPORT_FILE, scorecard, changes)
    print(scorecard)
    print()
    if set_aside:
        print(set_aside)
    print(changes)
    print(f"HTML report: {page}")
    if args.open:
        webbrowser.open(page.as_uri())
    if args.require_level and scorecard.level_reached() < args.require_level:
        print(f"Level {args.require_level} is required; {scorecard.verdict()}", file=sys.stderr)
        return 1
    return 0


def reset_command(args: argparse.Namespace) -> int:
    """``threeplanes exercise reset <id> [-n NAMESPACE]``: delete the reader's attempt at one exercise."""
    exercise = find(_exercises_dir(args), args.id)
    print(reset(connect(), exercise, args.namespace))
    return 0


def add_assessment_commands(subparsers: Any) -> None:
    """Add ``assess`` to the ``threeplanes`` command's sub-parsers."""
    a = subparsers.add_parser("assess", help="check every exercise you attempted and show where you stand")
    a.add_argument("--all", action="store_true", help="run every checker, also for exercises you have not started")
    a.add_argument("--open", action="store_true", help="open the HTML report in a browser")
    a.add_argument("--exercises", metavar="DIR", help="the book's exercises folder (default: found from here up)")
    a.add_argument(
        "-l",
        "--selector",
        help=f"only namespaces matching this label selector (your attempts carry {EXERCISE_LABEL}=<exercise>)",
    )
    a.add_argument(
        "--require-level",
        type=int,
        choices=LEVELS,
        metavar="N",
        help="exit with status 1 unless level N is reached (every exercise of levels 1 to N passes)",
    )
    a.set_defaults(run=assess_command)
