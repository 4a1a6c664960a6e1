"""An exercise's parts, found in its folder, and the one way to set it up, check it and tear it down.

An exercise is a folder ``<exercises>/<id>/``: ``exercise.md`` (the page), ``checker.py`` (a
module-level ``CHECKER``), optional ``setup`` and ``teardown`` (a manifest ``.yaml`` applied
with kubectl, or a ``.py`` module with ``apply(cluster, namespace)``), ``solution`` and
``wrong/<case>`` in the same two forms, and ``expect.yaml`` (what the tests expect of each).
The folder of exercises is handed in by the caller (the command line, the tests); ``locate``
finds it from the current directory for a reader inside the book's repository.
"""

from __future__ import annotations

import difflib
import importlib.util
import subprocess
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from threeplanes.checking.framework import Checker, Report
from threeplanes.errors import LabError
from threeplanes.kit.connect import Cluster
from threeplanes.provision.local import kubectl_binary


class UnknownExercise(LabError):
    """No exercise has that id."""


def locate(start: Path | None = None) -> Path:
    """The book's ``exercises/`` folder: in ``start`` (the current directory) or a folder above it."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "exercises").is_dir() and (folder / "_toc.yml").is_file():
            return folder / "exercises"
    raise LabError(
        f"No exercises/ folder found in {here} or above it: run this from the book's folder, "
        "or name the folder with --exercises DIR."
    )


@dataclass(frozen=True)
class Exercise:
    id: str
    folder: Path

    @property
    def owner(self) -> str:
        """The value of ``threeplanes.io/lab`` on what the exercise's setup makes."""
        return f"exercise-{self.id}"

    def part(self, stem: str) -> Path | None:
        """``<stem>.yaml`` or ``<stem>.py`` in the folder, whichever exists."""
        return next((p for p in (self.folder / f"{stem}.yaml", self.folder / f"{stem}.py") if p.exists()), None)

    def checker(self) -> Checker:
        return _module(self.folder / "checker.py", self.id).CHECKER

    def check(self, cluster: Cluster, namespace: str) -> Report:
        return self.checker().run(cluster, namespace)

    def apply(self, cluster: Cluster, namespace: str, stem: str) -> None:
        """Apply part ``stem`` (``setup``, ``solution``, ``wrong/<case>``...) to ``namespace``."""
        path = self.part(stem)
        if path is None:
            raise LabError(f"Exercise {self.id} has no {stem}.yaml or {stem}.py in {self.folder}.")
        if path.suffix == ".yaml":
            apply_manifest(cluster, namespace, path)
        else:
            _module(path, f"{self.id}_{stem}").apply(cluster, namespace)

    def setup(self, cluster: Cluster, namespace: str) -> None:
        if self.part("setup"):
            self.apply(cluster, namespace, "setup")

    def teardown(self, cluster: Cluster, namespace: str) -> None:
        """Remove what the setup made outside the namespace (nodes, volumes); the namespace is the reader's."""
        if self.part("teardown"):
            self.apply(cluster, namespace, "teardown")


def find(exercises: Path, exercise_id: str) -> Exercise:
    """The exercise ``exercise_id``; an unknown id names the closest ones."""
    folder = exercises / exercise_id
    if (folder / "checker.py").is_file():
        return Exercise(exercise_id, folder)
    known = [e.id for e in all_exercises(exercises)]
    close = difflib.get_close_matches(exercise_id, known, n=3, cutoff=0.4)
    suggestion = f"did you mean {' or '.join(close)}? " if close else ""
    raise UnknownExercise(f"No exercise named {exercise_id!r}; {suggestion}The exercises are: {', '.join(known)}.")


def all_exercises(exercises: Path) -> list[Exercise]:
    return [Exercise(p.parent.name, p.parent) for p in sorted(exercises.glob("*/checker.py"))]


def apply_manifest(cluster: Cluster, namespace: str, path: Path) -> None:
    """``kubectl apply -n <namespace> -f <path>`` with the book's kubeconfig; kubectl's own words on failure."""
    command = [kubectl_binary(), "--kubeconfig", str(cluster.kubeconfig), "apply", "-n", namespace, "-f", str(path)]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    except subprocess.TimeoutExpired:
        raise LabError(f"kubectl apply -f {path} did not finish within 60 s; is the cluster up?") from None
    if result.returncode != 0:
        raise LabError(f"kubectl apply -f {path.name} -n {namespace} failed: {result.stderr.strip()}")


def _module(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"threeplanes_exercise_{name}".replace("-", "_"), path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check(exercise_id: str, namespace: str, cluster: Any = None, exercises: Path | None = None) -> Report:
    """Check the reader's work on ``exercise_id`` in ``namespace`` (from a notebook: the lab's "On your own")."""
    from threeplanes.kit.connect import connect

    return find(exercises or locate(), exercise_id).check(cluster or connect(), namespace)
