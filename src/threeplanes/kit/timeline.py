"""Timelines recorded from a watch: a few counts per moment, checked afterwards and plotted.

A rolling update or a Job runs its course in seconds. To look at its steps afterwards, a lab
records what a watch reported, event by event. ``Recorder`` lists the objects once, before the
lab makes its change, and then follows the watch from that list's resourceVersion, so that no
intermediate state is missed. At every event it asks a *measure* for named counts of the objects
seen so far (for example the ready pods of each of a Deployment's ReplicaSets), and
``Timeline`` keeps each new set of counts with the time it arrived. Because one watch delivers
the events of every object in resourceVersion order, each sample is a state the API server
really held at one moment; but a status in that state is only as recent as the controller that
last wrote it, so counts summed across objects written by different controllers can be briefly
out of step with each other. A sample's time is when the recorder handled the event, so
call ``follow`` while the change is under way: events it reads only later get later times.

``Timeline.plot`` draws every series as steps, with horizontal lines for the bounds a controller
promised (``replicas + maxSurge``, ``replicas - maxUnavailable``, a Job's ``parallelism``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from threeplanes.errors import WaitTimeout
from threeplanes.kit.watch import ListWatch

Counts = dict[str, int]
Measure = Callable[[list[Any]], Counts]


@dataclass(frozen=True)
class TimelineSample:
    """The counts a ``Timeline`` held from one moment on (not a metric's sample: ``threeplanes.kit.metrics``)."""

    at: float  # seconds since the timeline started
    counts: Counts


@dataclass
class Timeline:
    """Named counts over time; a sample is kept only when some count changed."""

    start: float = field(default_factory=time.monotonic)
    samples: list[TimelineSample] = field(default_factory=list)
    marks: list[tuple[float, str]] = field(default_factory=list)

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def record(self, counts: Counts, at: float | None = None) -> None:
        if self.samples and self.samples[-1].counts == counts:
            return
        self.samples.append(TimelineSample(self.elapsed() if at is None else at, dict(counts)))

    def mark(self, label: str) -> None:
        """Note that something happened now (the lab changed something); drawn as a vertical line."""
        self.marks.append((self.elapsed(), label))

    @property
    def names(self) -> list[str]:
        """Every series, in the order it first appeared."""
        return list(dict.fromkeys(name for s in self.samples for name in s.counts))

    @property
    def times(self) -> list[float]:
        return [s.at for s in self.samples]

    def values(self, name: str) -> list[int]:
        """The series ``name`` at every sample; 0 where it was not measured (the object did not exist)."""
        return [s.counts.get(name, 0) for s in self.samples]

    def highest(self, name: str) -> int:
        return max(self.values(name))

    def lowest(self, name: str) -> int:
        return min(self.values(name))

    def changes(self, name: str) -> int:
        """How many times the series ``name`` changed value."""
        values = self.values(name)
        return sum(a != b for a, b in zip(values, values[1:], strict=False))

    def plot(
        self,
        series: Iterable[str] | None = None,
        *,
        labels: dict[str, str] | None = None,
        bounds: dict[str, float] | None = None,
        thin: Iterable[str] = (),
        secondary: dict[str, str] | None = None,
        ylabel: str = "replicas",
        title: str = "",
    ) -> Any:
        """A step plot of ``series`` (all by default), renamed by ``labels``.

        ``bounds`` become horizontal dotted lines named on the right (``{"replicas + maxSurge": 7}``),
        the marks vertical lines named in the legend; the ``thin`` series are drawn thin and dashed,
        over the others, so that a total stays visible where it equals one of its parts. The
        ``secondary`` series (``{name: axis label}``) go on a right-hand axis of their own, as dotted
        points at the samples that measured them.
        """
        import matplotlib.pyplot as plt

        names, thin = (list(series) if series is not None else self.names), set(thin)
        figure, axes = plt.subplots(figsize=(8, 4))
        end = max([*self.times, *(at for at, _ in self.marks)], default=0.0) + 1.0
        for name in sorted(names, key=lambda n: n in thin):
            values = [*self.values(name), self.values(name)[-1]]
            style = {"linewidth": 1.2, "linestyle": "--"} if name in thin else {"linewidth": 2.5}
            axes.step([*self.times, end], values, where="post", label=(labels or {}).get(name, name), **style)
        self._draw_guides(axes, bounds or {}, end)
        top = max([*(bounds or {}).values(), *(self.highest(n) for n in names)], default=1)
        axes.set(xlabel="seconds since the watch started", ylabel=ylabel, ylim=(-0.3, top + 0.8), xlim=(-0.2, end))
        axes.set_title(title, fontsize=10)
        for name, label in (secondary or {}).items():
            measured = [(sample.at, sample.counts[name]) for sample in self.samples if name in sample.counts]
            right = axes.twinx()
            right.plot(*zip(*measured, strict=True), "o:", drawstyle="steps-post", color="tab:orange", label=label)
            right.set(ylabel=label, ylim=(0, None))
            figure.legend(loc="lower right", frameon=False, fontsize=8)
        axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False, fontsize=8)
        figure.tight_layout()
        plt.close(figure)
        return figure

    def _draw_guides(self, axes: Any, bounds: dict[str, float], end: float) -> None:
        for text, level in bounds.items():
            axes.axhline(level, color="grey", linestyle=":", linewidth=1.2)
            axes.annotate(
                f"{text} = {level:g}",
                (end, level),
                xytext=(4, 0),
                textcoords="offset points",
                fontsize=8,
                va="center",
                annotation_clip=False,
            )
        for (at, text), style in zip(self.marks, ["--", "-.", (0, (6, 2, 1, 2, 1, 2)), (0, (1, 3))] * 4, strict=False):
            axes.axvline(at, color="black", alpha=0.6, linestyle=style, linewidth=1, label=text)


class Recorder:
    """List now, follow the watch later: every state in between lands in ``timeline``."""

    def __init__(self, list_fn: Callable[..., Any], measure: Measure, **list_kwargs: Any) -> None:
        self.measure = measure
        self.timeline = Timeline()
        self._objects = ListWatch(
            list_fn, on_change=lambda objects: self.timeline.record(measure(objects)), **list_kwargs
        )

    @property
    def objects(self) -> list[Any]:
        return self._objects.objects

    def follow(self, until: Callable[[list[Any]], bool], *, what: str, timeout: float = 60) -> list[Any]:
        """Record every event until ``until(objects)`` holds; ``WaitTimeout`` naming ``what`` if it never does."""
        if not self._objects.follow(until, time.monotonic() + timeout):
            last = self.timeline.samples[-1].counts if self.timeline.samples else {}
            raise WaitTimeout(f"{what}: not reached after {timeout:g} s; last counts: {last}")
        return self.objects
