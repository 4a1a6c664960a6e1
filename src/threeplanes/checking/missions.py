"""Missions: break-and-fix exercises, whose hints come in rounds and whose pass ends with a debrief.

A mission is an exercise (``kind: mission`` in its page's front matter, an id ``fix-...``): its
setup breaks one thing, its page states only the symptom a user would report, and its checker
drives the scenario and passes when it works, whatever the fix. Two things set it apart, and
both are written once, on the page, as MyST dropdowns:

- the hints, in rounds (``:::{dropdown} Hint 1: where to look first``, ``Hint 2: ...``), each
  pointing at the next place to look. ``threeplanes exercise check`` on a mission that fails
  counts the attempt in an annotation on the reader's namespace (``attempts_annotation``) and
  prints the round of that number (the last one again after it);
- the debrief (``:::{dropdown} Debrief``), printed once the check passes.

The page's commands name an example namespace (front matter ``namespace: my-shop``); the
checker prints the hints with the reader's namespace in its place.

A mission on the real node plays the user with a client pod of the checker's own (``client_pod``,
``client_runs``, ``requests_from``: requests through a Service, as a user's would go), and
sends a failing round again for a few seconds (``settled``) while the node's rules catch up.

The listing page (``book/troubleshooting.md``) holds a table of every mission made from the
front matter between two markers; ``write_listing`` writes it again
(``python -m threeplanes.checking.missions``) and a unit test checks it is current.
"""

from __future__ import annotations

import re
import shlex
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubernetes import client

from threeplanes.checking.exercises import Exercise, ExerciseError, all_exercises
from threeplanes.checking.framework import Context, Failure, Report
from threeplanes.errors import LabError
from threeplanes.kit.control_plane import on_real_node
from threeplanes.kit.kubectl import kubectl
from threeplanes.kit.pods import live
from threeplanes.kit.wait import wait_for
from threeplanes.versions import pinned

DROPDOWN = re.compile(r"^(:{3,}|`{3,})\{dropdown\}\s*(.*?)\n(.*?)^\1\s*$", re.MULTILINE | re.DOTALL)
HINT_TITLE = re.compile(r"^Hint (\d+)\s*[:.]\s*(.+)$")
OPTION = re.compile(r"^:[a-z-]+:.*$", re.MULTILINE)
ROLE = re.compile(r"\{(?:ref|doc|term|numref)\}`(?:([^`<]*?)\s*<([^`>]+)>|([^`]+))`")
TABLE_START = "<!-- missions: start (made by python -m threeplanes.checking.missions) -->"
TABLE_END = "<!-- missions: end -->"


@dataclass(frozen=True)
class Round:
    """One round of hints: its number, its title (where to look), and what it says."""

    number: int
    title: str
    text: str


def attempts_annotation(exercise_id: str) -> str:
    """The annotation on the reader's namespace that counts the failed checks of a mission."""
    return f"threeplanes.io/attempts-{exercise_id}"


def _dropdowns(exercise: Exercise) -> list[tuple[str, str]]:
    return [(m.group(2).strip(), m.group(3)) for m in DROPDOWN.finditer(exercise.page.read_text())]


def plain(text: str) -> str:
    """MyST made readable in a terminal: roles become their target (or text), options and blank runs go."""
    text = ROLE.sub(lambda m: f"{m.group(1)} ({m.group(2)})" if m.group(2) else m.group(3), text)
    text = OPTION.sub("", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def hint_rounds(exercise: Exercise) -> list[Round]:
    """The page's hint dropdowns, in order; an error unless they are numbered 1, 2, 3..."""
    rounds = []
    for title, body in _dropdowns(exercise):
        match = HINT_TITLE.match(title)
        if match:
            rounds.append(Round(int(match.group(1)), match.group(2).strip(), plain(body)))
    if [r.number for r in rounds] != list(range(1, len(rounds) + 1)) or len(rounds) < 2:
        raise ExerciseError(
            f"{exercise.page}: a mission gives at least two rounds of hints, as dropdowns titled "
            f"'Hint 1: ...', 'Hint 2: ...' in that order (found {[r.number for r in rounds]})."
        )
    return rounds


def debrief(exercise: Exercise) -> str:
    """The page's dropdown titled ``Debrief``, as plain text."""
    body = next((body for title, body in _dropdowns(exercise) if title.lower().startswith("debrief")), None)
    if body is None or not body.strip():
        raise ExerciseError(f"{exercise.page}: a mission ends with a dropdown titled 'Debrief'.")
    return plain(body)


def in_namespace(text: str, exercise: Exercise, namespace: str) -> str:
    """``text`` with the page's example namespace (front matter ``namespace``) replaced by ``namespace``."""
    example = str(exercise.front_matter.get("namespace") or "")
    return re.sub(rf"(?<![\w-]){re.escape(example)}(?![\w-])", namespace, text) if example else text


def count_attempt(cluster: Any, exercise: Exercise, namespace: str) -> int:
    """Add one to the namespace's count of failed checks of ``exercise``; the new count (1 when unreadable)."""
    key = attempts_annotation(exercise.id)
    try:
        found = cluster.core.read_namespace(namespace)
    except client.ApiException:
        return 1
    before = (found.metadata.annotations or {}).get(key, "0")
    count = (int(before) if before.isdigit() else 0) + 1
    cluster.core.patch_namespace(namespace, {"metadata": {"annotations": {key: str(count)}}})
    return count


def conclude(exercise: Exercise, cluster: Any, report: Report) -> Report:
    """Add to ``report`` the debrief (when it passed) or the next round of hints (counting the attempt)."""
    if report.passed:
        report.notes.append(f"Debrief\n\n{debrief(exercise)}")
        return report
    rounds = [Round(r.number, r.title, in_namespace(r.text, exercise, report.namespace)) for r in hint_rounds(exercise)]
    attempt = count_attempt(cluster, exercise, report.namespace)
    shown = rounds[min(attempt, len(rounds)) - 1]
    more = (
        f" (round {shown.number} of {len(rounds)}; check again for the next)"
        if shown.number < len(rounds)
        else f" (the last round, {len(rounds)} of {len(rounds)})"
    )
    report.notes.append(f"Hint {shown.number}: {shown.title}{more}\n\n{shown.text}")
    return report


# --- the user's requests ----------------------------------------------------------------------


def client_pod(name: str) -> dict:
    """A busybox pod on the real node that waits for the checker's requests (``requests_from``)."""
    container = {"name": "client", "image": pinned().images["busybox"], "command": ["sleep", "86400"]}
    spec = {"terminationGracePeriodSeconds": 1, "containers": [container]}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": on_real_node(spec),
    }


def client_runs(ctx: Context, name: str) -> Failure | None:
    """A criterion's check: the client pod ``name`` runs (made again first if it is gone)."""
    if ctx.get(ctx.cluster.core.read_namespaced_pod, name, ctx.namespace) is None:
        ctx.cluster.core.create_namespaced_pod(ctx.namespace, client_pod(name))
    try:
        wait_for(
            ctx.cluster.core.list_namespaced_pod,
            lambda found: any(p.status.phase == "Running" for p in live(found)),
            what=f"the checker's client pod {name}",
            describe=lambda found: ", ".join(p.status.phase or "?" for p in found) or "no pod",
            timeout=60,
            namespace=ctx.namespace,
            field_selector=f"metadata.name={name}",
        )
    except LabError as error:
        return Failure(str(error), "the client runs on the real node: is it Ready? kubectl get nodes")
    return None


def requests_from(
    ctx: Context, client_name: str, url: str, count: int, interval: float = 0.5, give_up: int = 3
) -> list[str]:
    """The answers to ``count`` GETs of ``url`` sent from the client pod ``interval`` s apart ("" for none),
    stopping early after ``give_up`` unanswered requests in a row.

    Each is bounded to two seconds by ``timeout``: the image's busybox wget crashes on its own
    timeout option (``-T``)."""
    loop = (
        f"miss=0; for i in $(seq {count}); do "
        f"a=\"$(timeout 2 wget -qO- {shlex.quote(url)} 2>/dev/null | tr -d '\\n')\"; "
        'echo "answer $a"; '
        f'if [ -z "$a" ]; then miss=$((miss+1)); [ $miss -ge {give_up} ] && break; else miss=0; fi; '
        f"sleep {interval:g}; done"
    )
    command = f"exec -n {ctx.namespace} {client_name} -- sh -c {shlex.quote(loop)}"
    output = kubectl(command, ctx.cluster, show=False, timeout=count * (interval + 3) + 30)
    return [line[len("answer ") :].strip() for line in output.splitlines() if line.startswith("answer")]


def settled(attempt: Callable[[], Failure | None], within: float = 15) -> Failure | None:
    """``attempt()`` (a scenario's round), made again for up to ``within`` seconds while it fails: after a
    fix, the endpoints follow within moments, and the packets once kube-proxy has rewritten the node's
    rules. The last failure, or None."""
    deadline = time.monotonic() + within
    while True:
        failure = attempt()
        if failure is None or time.monotonic() > deadline:
            return failure
        time.sleep(1)


# --- the listing page --------------------------------------------------------------------------


def missions(exercises: list[Exercise]) -> list[Exercise]:
    """The missions among ``exercises``, by level, then plane, then id."""
    return sorted((e for e in exercises if e.is_mission), key=lambda e: (e.level, e.plane, e.id))


def listing_table(exercises: list[Exercise]) -> str:
    """A Markdown table of every mission: level, plane, the symptom (linked to its page), time."""
    rows = ["| Level | Plane | Symptom | Mission | Time |", "|---|---|---|---|---|"]
    for e in missions(exercises):
        symptom = e.symptom.replace("|", "\\|")
        rows.append(f"| {e.level} | {e.plane} | {symptom} | {{ref}}`{e.id} <exercise-{e.id}>` | {e.minutes} min |")
    return "\n".join(rows)


def with_listing(page_text: str, exercises: list[Exercise]) -> str:
    """``page_text`` with the table between the two markers made again from the front matter."""
    start, end = page_text.find(TABLE_START), page_text.find(TABLE_END)
    if start < 0 or end < start:
        raise ExerciseError(f"the listing page has no markers {TABLE_START!r} ... {TABLE_END!r}")
    head, tail = page_text[: start + len(TABLE_START)], page_text[end:]
    return f"{head}\n{listing_table(exercises)}\n{tail}"


def write_listing(page: Path, exercises_folder: Path) -> bool:
    """Write the table of missions into ``page``; True when it changed."""
    text = page.read_text()
    new = with_listing(text, all_exercises(exercises_folder))
    if new != text:
        page.write_text(new)
    return new != text


if __name__ == "__main__":
    root = Path(__file__).resolve().parents[3]
    changed = write_listing(root / "book" / "troubleshooting.md", root / "exercises")
    print("book/troubleshooting.md " + ("written again" if changed else "is current"))
    sys.exit(0)
