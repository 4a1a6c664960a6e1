"""An exercise: its parts, found in its folder, its page's front matter, and the one way to set it
up, check it and tear it down.

An exercise is a folder ``<exercises>/<id>/``: ``exercise.md`` (the page), ``checker.py`` (a
module-level ``CHECKER``), optional ``setup`` and ``teardown`` (a manifest ``.yaml`` applied
with kubectl, or a ``.py`` module with ``apply(cluster, namespace)``), ``solution``, ``wrong/<case>``
and ``right/<case>`` in those forms or as a ``.sh`` script of kubectl commands (the form a learner
writes an answer in), and ``expect.yaml`` (what the tests expect of each). The namespace is the one
thing filled in: ``<namespace>`` in a manifest, ``$NAMESPACE`` in a script, which runs with bash, the
book's kubeconfig in ``$KUBECONFIG`` and the pinned kubectl first on its ``PATH``.
The folder of exercises is handed in by the caller (the command line, the tests); ``locate``
finds it from the current directory for a reader inside the book's repository.

The page opens with a YAML front matter block, the only list of levels: the assessment, the
book's badges and tables, and the syllabus test all read it from here::

    ---
    level: 1                      # 1, 2 or 3: the maturity level the exercise shows
    plane: functional             # functional, conceptual, system or barriers
    trains: [F5, S3]              # syllabus items, the main one first
    level_reason: >-              # required when the level is not the plane's own
      why this exercise sits at that level
    ---

A *mission* (a break-and-fix exercise, id ``fix-...``) is an exercise with three more fields: the
setup breaks one thing and the page states only what a user would report; its hints come in
rounds and a debrief follows a pass (``threeplanes.checking.missions``)::

    kind: mission
    symptom: the shop's API does not answer
    minutes: 15                   # about how long it takes
"""

from __future__ import annotations

import difflib
import importlib.util
import os
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from types import ModuleType

import yaml

from threeplanes.checking.framework import Checker, Report
from threeplanes.errors import LabError
from threeplanes.kit.connect import Cluster
from threeplanes.provision import kubectl, paths, processes

LEVELS = (1, 2, 3)
PLANES = ("functional", "conceptual", "system", "barriers")
# The level a plane's exercises have unless the page says why not (the barriers have none).
PLANE_LEVEL = {"functional": 1, "conceptual": 2, "system": 3}
ITEM_ID = re.compile(r"^[FCSMAU]\d{1,2}$")
FRONT_MATTER = re.compile(r"\A---\n(.*?\n)---\n", re.DOTALL)
TITLE = re.compile(r"^# (?:Exercise: |Mission: )?(.+)$", re.MULTILINE)
KINDS = ("exercise", "mission")
MISSION_PREFIX = "fix-"
PART_SUFFIXES = (".yaml", ".sh", ".py")  # a part is found in this order
NAMESPACE_PLACEHOLDER = "<namespace>"


class ExerciseError(LabError):
    """An exercise that cannot be found or read: an unknown id, a page without its level."""


class UnknownExercise(ExerciseError):
    """No exercise has that id."""


def locate(start: Path | None = None) -> Path:
    """The book's ``exercises/`` folder: in ``start`` (the current directory) or a folder above it."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "exercises").is_dir() and (folder / "_toc.yml").is_file():
            return folder / "exercises"
    raise ExerciseError(
        f"No exercises/ folder found in {here} or above it: run this from the book's folder, "
        "or name the folder with --exercises DIR."
    )


@dataclass(frozen=True)
class Exercise:
    id: str  # the folder's name
    folder: Path

    @property
    def page(self) -> Path:
        return self.folder / "exercise.md"

    @cached_property
    def front_matter(self) -> dict:
        """The page's front matter, checked: a level of 1-3, a known plane, syllabus IDs."""
        match = FRONT_MATTER.match(self.page.read_text()) if self.page.is_file() else None
        if not match:
            raise ExerciseError(
                f"{self.page} has no front matter: it must open with level, plane and trains between --- lines."
            )
        try:
            data = yaml.safe_load(match.group(1))
        except yaml.YAMLError as error:
            raise ExerciseError(f"The front matter of {self.page} is not valid YAML: {error}") from None
        if not isinstance(data, dict):
            raise ExerciseError(f"The front matter of {self.page} must be a mapping of level, plane and trains.")
        level, plane, trains = data.get("level"), data.get("plane"), data.get("trains")
        if level not in LEVELS:
            raise ExerciseError(f"{self.page}: level must be 1, 2 or 3, not {level!r}.")
        if plane not in PLANES:
            raise ExerciseError(f"{self.page}: plane must be one of {', '.join(PLANES)}, not {plane!r}.")
        if not isinstance(trains, list) or not trains or not all(ITEM_ID.match(str(t)) for t in trains):
            raise ExerciseError(f"{self.page}: trains must be a list of syllabus IDs such as [F5, S3], not {trains!r}.")
        if PLANE_LEVEL.get(plane) != level and not str(data.get("level_reason") or "").strip():
            raise ExerciseError(f"{self.page}: a {plane} exercise at level {level} needs a level_reason saying why.")
        kind = data.get("kind", "exercise")
        if kind not in KINDS:
            raise ExerciseError(f"{self.page}: kind must be one of {', '.join(KINDS)}, not {kind!r}.")
        if (kind == "mission") != self.id.startswith(MISSION_PREFIX):
            raise ExerciseError(f"{self.page}: a mission, and only a mission, has an id starting {MISSION_PREFIX}.")
        if kind == "mission":
            if not isinstance(data.get("symptom"), str) or not data["symptom"].strip():
                raise ExerciseError(f"{self.page}: a mission states its symptom: symptom: what a user reports.")
            if not isinstance(data.get("minutes"), int) or data["minutes"] <= 0:
                raise ExerciseError(f"{self.page}: a mission says about how long it takes: minutes: 15.")
        return data

    @property
    def level(self) -> int:
        return self.front_matter["level"]

    @property
    def plane(self) -> str:
        return self.front_matter["plane"]

    @property
    def trains(self) -> tuple[str, ...]:
        return tuple(str(t) for t in self.front_matter["trains"])

    @property
    def main_item(self) -> str:
        """The syllabus item the exercise is about: the first it trains."""
        return self.trains[0]

    @property
    def kind(self) -> str:
        """``exercise``, or ``mission`` for a break-and-fix exercise."""
        return self.front_matter.get("kind", "exercise")

    @property
    def is_mission(self) -> bool:
        return self.kind == "mission"

    @property
    def symptom(self) -> str:
        """What a user reports (a mission's only description of what is wrong); empty for an exercise."""
        return str(self.front_matter.get("symptom") or "").strip()

    @property
    def minutes(self) -> int | None:
        return self.front_matter.get("minutes")

    @property
    def level_reason(self) -> str:
        return str(self.front_matter.get("level_reason") or "").strip()

    @cached_property
    def title(self) -> str:
        heading = TITLE.search(self.page.read_text())
        title = heading.group(1).strip() if heading else self.id
        return title[:1].upper() + title[1:]

    @property
    def owner(self) -> str:
        """The value of ``threeplanes.io/lab`` on what the exercise's setup makes."""
        return f"exercise-{self.id}"

    def part(self, stem: str) -> Path | None:
        """``<stem>.yaml``, ``<stem>.sh`` or ``<stem>.py`` in the folder, whichever exists."""
        return next((p for p in (self.folder / f"{stem}{s}" for s in PART_SUFFIXES) if p.exists()), None)

    def checker(self) -> Checker:
        return _module(self.folder / "checker.py", self.id).CHECKER

    def check(self, cluster: Cluster, namespace: str) -> Report:
        """The checker's report; for a mission, with the next round of hints, or the debrief once it passes."""
        report = self.checker().run(cluster, namespace)
        if self.is_mission:
            from threeplanes.checking import missions

            missions.conclude(self, cluster, report)
        return report

    def apply(self, cluster: Cluster, namespace: str, stem: str) -> None:
        """Apply part ``stem`` (``setup``, ``solution``, ``wrong/<case>``...) to ``namespace``."""
        path = self.part(stem)
        if path is None:
            raise ExerciseError(f"Exercise {self.id} has no {stem}.yaml, {stem}.sh or {stem}.py in {self.folder}.")
        if path.suffix == ".yaml":
            apply_manifest(cluster, namespace, path)
        elif path.suffix == ".sh":
            run_script(cluster, namespace, path)
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
    suggestion = f" Did you mean {' or '.join(close)}?" if close else ""
    raise UnknownExercise(f"No exercise named {exercise_id!r}.{suggestion} The exercises are: {', '.join(known)}.")


def all_exercises(exercises: Path) -> list[Exercise]:
    """Every exercise under ``exercises`` (folders with a checker), sorted by id, each page's front matter checked."""
    if not Path(exercises).is_dir():
        raise ExerciseError(f"No exercises folder at {exercises}; pass the book's exercises/ with --exercises.")
    found = [Exercise(p.parent.name, p.parent) for p in sorted(Path(exercises).glob("*/checker.py"))]
    if not found:
        raise ExerciseError(f"{exercises} holds no exercise (no */checker.py).")
    for exercise in found:
        exercise.front_matter  # noqa: B018 - read now, so a broken page is named before any work starts
    return found


def apply_manifest(cluster: Cluster, namespace: str, path: Path) -> None:
    """``kubectl apply -n <namespace> -f <path>`` with the book's kubeconfig, ``<namespace>`` in the file filled
    in; kubectl's own words on failure."""
    what = f"`kubectl apply -f {path.name} -n {namespace}`"
    text = path.read_text().replace(NAMESPACE_PLACEHOLDER, namespace)
    kubectl.run_kubectl(
        ["apply", "-n", namespace, "-f", "-"], kubeconfig=cluster.kubeconfig, timeout=60, input=text, what=what
    )


def run_script(cluster: Cluster, namespace: str, path: Path) -> None:
    """``bash <path>`` with ``NAMESPACE`` and ``KUBECONFIG`` set and the pinned kubectl first on ``PATH``."""
    pinned = Path(paths.kubectl_binary())
    search = [str(pinned.parent)] if pinned.is_absolute() else []
    env = {
        **os.environ,
        "NAMESPACE": namespace,
        "KUBECONFIG": str(cluster.kubeconfig),
        "PATH": os.pathsep.join([*search, os.environ.get("PATH", "")]),
    }
    processes.run(
        ["bash", "-euo", "pipefail", str(path)], timeout=120, what=f"`bash {path.name}`", capture_output=True, env=env
    )


def _module(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"threeplanes_exercise_{name}".replace("-", "_"), path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
