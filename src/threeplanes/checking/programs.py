"""The reader's own program, handed in to a checker that runs it (a scheduler, a controller, a control plane).

A reader tells the checker where the program is with one annotation on the exercise's namespace,
``threeplanes.io/program`` (``hand_in_command`` prints the line to type); without it, the checker
looks for the page's file name in the folder it is run from. ``program_of`` reads that back, and
``found`` is the criterion that says what to do when there is nothing to run.

The book's tests hand in the reference solution and the wrong answers the same way: ``hand_in``
annotates the namespace with a file, or with the text of one (``patched``: an answer with a change
or two) written first into a folder of the namespace's own, which ``forget_answers`` removes in
the exercise's teardown.

Such a checker plays one scenario against the program and reports each step as a criterion:
``scenario_steps`` makes those criteria's checks from the function that plays it, ``until_first_failure``
plays its steps in order, and ``played_on_own_plane`` plays it on a control plane of the checker's own, which
it removes.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from threeplanes.checking.framework import Check, Context, Failure, remembered
from threeplanes.errors import LabError
from threeplanes.kit.control_plane import Node
from threeplanes.kit.lab_planes import LabPlane, lab_control_plane

PROGRAM_ANNOTATION = "threeplanes.io/program"  # on the exercise's namespace: the path of the reader's program


def hand_in_command(namespace: str, file_name: str) -> str:
    return f"kubectl annotate namespace {namespace} {PROGRAM_ANNOTATION}=$PWD/{file_name} --overwrite"


def program_of(ctx: Context, file_name: str) -> Path | None:
    """The program the namespace's annotation names, else ``file_name`` in the current folder; None if no file."""
    namespace = ctx.get(ctx.cluster.core.read_namespace, ctx.namespace)
    named = ((namespace.metadata.annotations or {}) if namespace else {}).get(PROGRAM_ANNOTATION)
    path = Path(named) if named else Path.cwd() / file_name
    return path if path.is_file() else None


def found(file_name: str, what: str) -> Check:
    """A criterion's check: the program exists (``what`` names it in the hint: "your scheduler")."""

    def check(ctx: Context) -> Failure | None:
        if program_of(ctx, file_name) is not None:
            return None
        namespace = ctx.get(ctx.cluster.core.read_namespace, ctx.namespace)
        named = ((namespace.metadata.annotations or {}) if namespace else {}).get(PROGRAM_ANNOTATION)
        saw = f"no file at {named}" if named else f"no {file_name} in {Path.cwd()} and no annotation naming one"
        return Failure(
            saw,
            f"write {what} in {file_name} and tell the checker where it is: "
            + hand_in_command(ctx.namespace, file_name),
        )

    return check


def answers_folder(namespace: str) -> Path:
    """Where ``hand_in`` writes the programs it is given as text, one folder per namespace."""
    return Path(tempfile.gettempdir()) / "threeplanes-answers" / namespace


def hand_in(cluster: Any, namespace: str, program: Path | str, file_name: str) -> Path:
    """Annotate ``namespace`` with the path of ``program``, as the reader does with ``kubectl annotate``.

    ``program`` is a file, or the text of one, written first as ``answers_folder(namespace)/file_name``.
    """
    if isinstance(program, str):
        path = answers_folder(namespace) / file_name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(program)
    else:
        path = Path(program).resolve()
        if not path.is_file():
            raise LabError(f"There is no program at {path}.")
    cluster.core.patch_namespace(namespace, {"metadata": {"annotations": {PROGRAM_ANNOTATION: str(path)}}})
    return path


def forget_answers(namespace: str) -> None:
    """Remove what ``hand_in`` wrote for ``namespace`` (nothing of the reader's own)."""
    folder = answers_folder(namespace)
    shutil.rmtree(folder, ignore_errors=True)
    with contextlib.suppress(OSError):  # the folder of all namespaces, once empty
        folder.parent.rmdir()


def patched(source: Path, changes: Mapping[str, str]) -> str:
    """The text of ``source`` with each text of ``changes`` replaced; an error unless each is there exactly once
    (the answer the patch was taken from has changed)."""
    text = Path(source).read_text()
    for old, new in changes.items():
        if text.count(old) != 1:
            raise LabError(f"{Path(source).name} holds {old!r} {text.count(old)} times, not once.")
        text = text.replace(old, new)
    return text


def scenario_steps(
    file_name: str, play: Callable[[Context, Path], Mapping[str, Failure | None]], reuse: float = 120
) -> Callable[[str], Check]:
    """``step(name)``: the check of one step of a scenario that ``play(ctx, program)`` plays against the reader's
    program and reports as ``{step: failure or None}``, stopping at the first failure (the steps after it are
    not in it). The scenario is played once per namespace and version of the program (its path and time of
    change), and its outcome serves for ``reuse`` seconds: the checker's two looks read the same one."""
    outcomes: dict[tuple, tuple[float, Mapping[str, Failure | None]]] = {}

    def outcome(ctx: Context) -> Mapping[str, Failure | None]:
        path = program_of(ctx, file_name)
        if path is None:  # the criterion ``found`` said why
            return {}
        key = (ctx.namespace, str(path), path.stat().st_mtime)
        return remembered(outcomes, key, reuse, lambda: play(ctx, path))

    def step(name: str) -> Check:
        def check(ctx: Context) -> Failure | None:
            results = outcome(ctx)
            if name not in results:
                return Failure("the scenario stopped at an earlier step", "fix the step before this one first")
            return results[name]

        return check

    return step


def until_first_failure(steps: Iterable[tuple[str, Callable[[], Failure | None]]]) -> dict[str, Failure | None]:
    """Each step's outcome, played in order up to the first that fails (the steps after it are not in it)."""
    results: dict[str, Failure | None] = {}
    for name, play in steps:
        results[name] = play()
        if results[name] is not None:
            break
    return results


def played_on_own_plane(
    name: str, scenario: Callable[[LabPlane], dict[str, Failure | None]], first_step: str, nodes: tuple[Node, ...] = ()
) -> dict[str, Failure | None]:
    """``scenario(own)`` played on a control plane of the checker's own (``name``, with ``nodes``), removed
    afterwards. A plane that does not start, or is too slow for the scenario on a busy machine, is not the
    reader's doing: it is reported under ``first_step`` with the hint to check again."""
    try:
        own = lab_control_plane(name, nodes=nodes)
    except LabError as error:
        first = str(error).split("\n")[0]
        return {first_step: Failure(f"the checker's own control plane did not start: {first}", "check again")}
    try:
        return scenario(own)
    except LabError as error:
        first = str(error).split("\n")[0]
        return {first_step: Failure(f"the checker's own control plane did not keep up: {first}", "check again")}
    finally:
        own.remove()
