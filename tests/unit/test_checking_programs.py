"""The reader's program, handed in by an annotation: found, handed in as a file or as a patched text, forgotten."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from threeplanes.checking.framework import Context, Failure
from threeplanes.checking.programs import (
    PROGRAM_ANNOTATION,
    answers_folder,
    forget_answers,
    found,
    hand_in,
    patched,
    program_of,
    scenario_steps,
)
from threeplanes.errors import LabError


class FakeCore:
    def __init__(self) -> None:
        self.annotations: dict[str, str] = {}

    def read_namespace(self, name: str):
        return SimpleNamespace(metadata=SimpleNamespace(annotations=dict(self.annotations)))

    def patch_namespace(self, name: str, body: dict) -> None:
        self.annotations.update(body["metadata"]["annotations"])


def context() -> Context:
    return Context(SimpleNamespace(core=FakeCore()), "my-ns")


def test_a_patch_changes_each_text_once_and_refuses_a_stale_one(tmp_path: Path) -> None:
    source = tmp_path / "solution.py"
    source.write_text("a = 1\nb = 2\n")
    assert patched(source, {"b = 2": "b = 3"}) == "a = 1\nb = 3\n" and source.read_text() == "a = 1\nb = 2\n"
    with pytest.raises(LabError, match="0 times, not once"):
        patched(source, {"c = 3": ""})


def test_no_program_says_what_to_write_and_how_to_hand_it_in(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    failure = found("my_scheduler.py", "your scheduler")(context())
    assert "no my_scheduler.py in" in failure.saw
    assert failure.hint.startswith("write your scheduler in my_scheduler.py")
    assert f"kubectl annotate namespace my-ns {PROGRAM_ANNOTATION}=$PWD/my_scheduler.py" in failure.hint


def test_a_file_in_the_current_folder_is_found_without_an_annotation(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "my_controller.py").write_text("pass\n")
    assert program_of(context(), "my_controller.py") == tmp_path / "my_controller.py"


def test_a_text_handed_in_is_written_named_and_forgotten(tmp_path: Path) -> None:
    ctx = context()
    path = hand_in(ctx.cluster, ctx.namespace, "print('hi')\n", "my_control_plane.py")
    try:
        assert path == answers_folder("my-ns") / "my_control_plane.py" and path.read_text() == "print('hi')\n"
        assert program_of(ctx, "elsewhere.py") == path
    finally:
        forget_answers("my-ns")
    assert not path.exists()
    assert found("my_control_plane.py", "your control plane")(ctx).saw == f"no file at {path}"


def test_a_missing_file_cannot_be_handed_in(tmp_path: Path) -> None:
    ctx = context()
    with pytest.raises(LabError, match="no program at"):
        hand_in(ctx.cluster, ctx.namespace, tmp_path / "absent.py", "absent.py")


def test_a_scenario_is_played_once_per_version_of_the_program(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    program = tmp_path / "my_program.py"
    program.write_text("v1\n")
    played: list[str] = []

    def play(ctx: Context, path: Path) -> dict:
        played.append(path.read_text())
        return {"first": None, "second": Failure("saw", "hint")}

    step = scenario_steps("my_program.py", play)
    ctx = context()
    assert step("first")(ctx) is None and step("second")(ctx).hint == "hint"
    assert step("third")(ctx).saw == "the scenario stopped at an earlier step"
    assert played == ["v1\n"]
    program.write_text("v2, changed\n")
    os.utime(program, (0, 12345))
    step("first")(ctx)
    assert played == ["v1\n", "v2, changed\n"]
