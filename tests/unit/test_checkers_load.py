"""Every exercise's checker and scripts load without a cluster; an unknown exercise id names the close ones."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from threeplanes.checking import Checker, Criterion
from threeplanes.checking.exercises import Exercise, UnknownExercise, all_exercises, find

EXERCISES = Path(__file__).resolve().parents[2] / "exercises"
FOUND = all_exercises(EXERCISES)
SCRIPTS = sorted(
    path
    for exercise in FOUND
    for path in [
        *(exercise.folder / f"{stem}.py" for stem in ("setup", "teardown", "solution")),
        *(exercise.folder / "wrong").glob("*.py"),
    ]
    if path.is_file()
)


def test_exercises_are_found() -> None:
    assert FOUND, f"no exercise found in {EXERCISES}"


@pytest.mark.parametrize("exercise", FOUND, ids=lambda e: e.id)
def test_checker_loads_and_needs_earlier_criteria(exercise: Exercise) -> None:
    checker = exercise.checker()
    assert isinstance(checker, Checker)
    for position, criterion in enumerate(checker.criteria):
        assert isinstance(criterion, Criterion), criterion
        for need in criterion.needs:
            assert isinstance(need, Criterion), f"{criterion.name!r} needs {need!r}, not a Criterion"
            assert need in checker.criteria[:position], f"{criterion.name!r} needs {need.name!r}, which comes later"


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: str(p.relative_to(EXERCISES)))
def test_script_imports(path: Path) -> None:
    name = "exercise_script_" + "_".join(path.relative_to(EXERCISES).with_suffix("").parts).replace("-", "_")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert callable(getattr(module, "apply", None)), f"{path} has no apply(cluster, namespace)"


def test_unknown_exercise_names_the_closest() -> None:
    with pytest.raises(UnknownExercise) as raised:
        find(EXERCISES, "f5-bin-pack")
    suggestion = str(raised.value).split("Did you mean ", 1)[-1].split("?")[0]
    assert "f5-bin-packing" in suggestion.split(" or "), str(raised.value)
