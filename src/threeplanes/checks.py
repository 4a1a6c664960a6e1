"""Exercise checkers: named criteria checked against the reader's own namespace.

A checker is a list of criteria. Each criterion looks at the cluster and either passes or
returns a ``Failure`` that says what it saw and gives a hint chosen from that state. A
criterion may need earlier ones (it is skipped while they fail). The whole list is checked
twice, a short pause apart, and a criterion passes only when it held both times: a state
that is still changing (pods starting, a rollout under way) does not pass.

Checkers live in ``exercises/<id>/checker.py`` as a module-level ``CHECKER``.
"""

from __future__ import annotations

import html
import importlib.util
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kubernetes import client

from threeplanes.connect import Cluster, connect
from threeplanes.errors import LabError

EXERCISES_DIR = Path(__file__).resolve().parents[2] / "exercises"


@dataclass(frozen=True)
class Failure:
    """Why a criterion is not met: what the checker saw, and what the reader can do."""

    saw: str
    hint: str


@dataclass
class Context:
    """What a criterion's check receives: the cluster, the reader's namespace, shared notes."""

    cluster: Cluster
    namespace: str
    notes: dict[str, Any] = field(default_factory=dict)

    def get(self, read: Callable[..., Any], *args: Any, **kwargs: Any) -> Any | None:
        """Read one object; None when it does not exist."""
        try:
            return read(*args, **kwargs)
        except client.ApiException as error:
            if error.status == 404:
                return None
            raise


Check = Callable[[Context], Failure | None]


@dataclass(frozen=True)
class Criterion:
    name: str
    check: Check
    needs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Result:
    name: str
    status: str  # "pass", "fail" or "skipped"
    failure: Failure | None = None

    @property
    def symbol(self) -> str:
        return {"pass": "✓", "fail": "✗", "skipped": "–"}[self.status]


@dataclass
class Report:
    title: str
    namespace: str
    results: list[Result]

    @property
    def passed(self) -> bool:
        return all(r.status == "pass" for r in self.results)

    def result(self, name: str) -> Result:
        return next(r for r in self.results if r.name == name)

    @property
    def first_failure(self) -> Result | None:
        return next((r for r in self.results if r.status == "fail"), None)

    def __str__(self) -> str:
        lines = [f"{self.title} (namespace {self.namespace})"]
        for r in self.results:
            lines.append(f"  {r.symbol} {r.name}")
            if r.failure:
                lines.append(f"      saw:  {r.failure.saw}")
                lines.append(f"      hint: {r.failure.hint}")
        met = sum(r.status == "pass" for r in self.results)
        verdict = "All criteria met." if self.passed else f"{met} of {len(self.results)} criteria met."
        return "\n".join([*lines, verdict])

    def _repr_html_(self) -> str:
        items = []
        for r in self.results:
            detail = ""
            if r.failure:
                detail = (
                    f"<br><small><b>saw:</b> {html.escape(r.failure.saw)}<br>"
                    f"<b>hint:</b> {html.escape(r.failure.hint)}</small>"
                )
            items.append(f'<li class="check-{r.status}">{r.symbol} {html.escape(r.name)}{detail}</li>')
        verdict = "All criteria met." if self.passed else "Not yet: see the first ✗ above."
        return (
            f'<div class="threeplanes-report"><b>{html.escape(self.title)}</b> '
            f"(namespace <code>{html.escape(self.namespace)}</code>)"
            f'<ul style="list-style:none">{"".join(items)}</ul><p>{verdict}</p></div>'
        )


def namespace_exists(ctx: Context) -> Failure | None:
    if ctx.get(ctx.cluster.core.read_namespace, ctx.namespace) is None:
        return Failure(
            saw=f"no namespace named {ctx.namespace}",
            hint=f"create it first: kubectl create namespace {ctx.namespace}",
        )
    return None


class Checker:
    """An ordered list of criteria, checked twice ``settle`` seconds apart."""

    def __init__(self, title: str, criteria: list[Criterion], settle: float = 2.0) -> None:
        names = [c.name for c in criteria]
        for c in criteria:
            unknown = [n for n in c.needs if n not in names[: names.index(c.name)]]
            if unknown:
                raise ValueError(f"criterion {c.name!r} needs {unknown}, which do not come before it")
        self.title = title
        self.settle = settle
        self.criteria = [Criterion("The namespace exists", namespace_exists), *criteria]
        first = self.criteria[0].name
        self.criteria[1:] = [Criterion(c.name, c.check, (first, *c.needs)) for c in criteria]

    def _evaluate(self, ctx: Context) -> list[Result]:
        results: dict[str, Result] = {}
        for criterion in self.criteria:
            blocking = [n for n in criterion.needs if results[n].status != "pass"]
            if blocking:
                results[criterion.name] = Result(criterion.name, "skipped")
                continue
            try:
                failure = criterion.check(ctx)
            except client.ApiException as error:
                failure = Failure(
                    f"the API answered {error.status} {error.reason}", "check the cluster is up: make cluster"
                )
            results[criterion.name] = Result(criterion.name, "fail" if failure else "pass", failure)
        return list(results.values())

    def run(self, cluster: Cluster, namespace: str) -> Report:
        first = self._evaluate(Context(cluster, namespace))
        if any(r.status == "pass" for r in first):
            time.sleep(self.settle)
        second = self._evaluate(Context(cluster, namespace))
        merged = [_merge(a, b) for a, b in zip(first, second, strict=True)]
        return Report(self.title, namespace, merged)


def _merge(first: Result, second: Result) -> Result:
    """Keep a verdict only when both looks agree; a state that changed in between fails."""
    if first.status == second.status:
        return second
    seen = (second.failure or first.failure or Failure("the state changed", "")).saw
    return Result(
        second.name,
        "fail",
        Failure(
            f"{seen} (the state changed between two looks)",
            "the cluster is still settling: check again in a few seconds",
        ),
    )


def load(exercise: str) -> Checker:
    """The checker of ``exercises/<exercise>/checker.py``."""
    path = EXERCISES_DIR / exercise / "checker.py"
    if not path.exists():
        known = sorted(p.parent.name for p in EXERCISES_DIR.glob("*/checker.py"))
        raise LabError(f"No exercise named {exercise!r}; the exercises are: {', '.join(known)}")
    spec = importlib.util.spec_from_file_location(f"threeplanes_exercise_{exercise.replace('-', '_')}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.CHECKER


def check(exercise: str, namespace: str, cluster: Cluster | None = None) -> Report:
    """Check the reader's work on ``exercise`` in ``namespace`` and return the report."""
    return load(exercise).run(cluster or connect(), namespace)
