"""Exercise checkers: named criteria checked against the reader's own namespace.

A checker is a list of criteria. Each criterion looks at the cluster and either passes or
returns a ``Failure`` that says what it saw and gives a hint chosen from that state. A
criterion may need earlier ones (it is skipped while they fail). The whole list is checked
twice, a short pause apart, and a criterion passes only when it held both times: a state
that is still changing (pods starting, a rollout under way) does not pass.

Checkers live in ``exercises/<id>/checker.py`` as a module-level ``CHECKER``; the criteria
several exercises share are in ``threeplanes.checking.criteria``.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kubernetes import client

from threeplanes.kit.connect import Cluster


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
    """One thing the checker looks at; skipped while a criterion it ``needs`` fails."""

    name: str
    check: Check
    needs: tuple[Criterion, ...] = ()


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
    notes: list[str] = field(default_factory=list)  # printed after the verdict: a mission's hint round, its debrief

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
        return "\n".join([*lines, verdict, *(f"\n{note}" for note in self.notes)])

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
        notes = "".join(f'<p style="white-space:pre-wrap">{html.escape(note)}</p>' for note in self.notes)
        return (
            f'<div class="threeplanes-report"><b>{html.escape(self.title)}</b> '
            f"(namespace <code>{html.escape(self.namespace)}</code>)"
            f'<ul style="list-style:none">{"".join(items)}</ul><p>{verdict}</p>{notes}</div>'
        )


def remembered(outcomes: dict, key: Any, reuse: float, play: Callable[[], Any]) -> Any:
    """The outcome of ``play()`` for ``key`` (the state it was played in), played only when no outcome of
    the last ``reuse`` s is kept for that state in ``outcomes``: a scenario played once serves the checker's
    two looks, and is played again once the reader changes something. ``reuse`` counts from the end of the
    play, which may take longer than ``reuse`` itself."""
    for old in [k for k, (at, _) in outcomes.items() if time.monotonic() - at > reuse]:
        del outcomes[old]
    if key not in outcomes:
        found = play()
        outcomes[key] = (time.monotonic(), found)
    return outcomes[key][1]


def namespace_exists(ctx: Context) -> Failure | None:
    if ctx.get(ctx.cluster.core.read_namespace, ctx.namespace) is None:
        return Failure(
            saw=f"no namespace named {ctx.namespace} on the book's cluster ({ctx.cluster.server})",
            hint=f"create it first: kubectl create namespace {ctx.namespace} (with your terminal set up for the "
            'book\'s cluster: eval "$(.venv/bin/threeplanes env)")',
        )
    return None


NAMESPACE_EXISTS = Criterion("The namespace exists", namespace_exists)


class Checker:
    """An ordered list of criteria, checked twice ``settle`` seconds apart."""

    def __init__(self, title: str, criteria: list[Criterion], settle: float = 2.0) -> None:
        names = [c.name for c in criteria]
        if len(set(names)) != len(names):
            raise ValueError(f"two criteria share a name in {title!r}: {names}")
        for position, c in enumerate(criteria):
            unknown = [n.name for n in c.needs if n not in criteria[:position]]
            if unknown:
                raise ValueError(f"criterion {c.name!r} needs {unknown}, which do not come before it")
        self.title = title
        self.settle = settle
        self.criteria = [NAMESPACE_EXISTS, *criteria]

    def _evaluate(self, ctx: Context) -> list[Result]:
        results: dict[str, Result] = {}
        for criterion in self.criteria:
            needs = criterion.needs if criterion is NAMESPACE_EXISTS else (NAMESPACE_EXISTS, *criterion.needs)
            if any(results[n.name].status != "pass" for n in needs):
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
