"""Wait for an effect no watch reports: a file inside a container, a figure of the metrics API.

The control plane records a change at once; the components that carry it out (the kubelet,
kube-proxy, CoreDNS, metrics-server) act on it later, each on its own period. What they do is
not an object with a resourceVersion to watch, so ``poll_until`` looks at it again, a short
pause apart, until it shows what was expected or the deadline passes. It returns what it saw
and how long the effect took to show, counted from ``since`` (a ``time.monotonic()`` reading
taken when the change was made) so that a lab can print the lag. A timeout raises
``WaitTimeout``, whose message names what was awaited and the last thing seen.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from threeplanes.errors import WaitTimeout

Seen = TypeVar("Seen")


@dataclass(frozen=True)
class Effect(Generic[Seen]):
    """What ``poll_until`` saw when the effect showed, and after how many seconds."""

    seen: Seen
    after: float


def poll_until(
    look: Callable[[], Seen],
    shows: Callable[[Seen], bool],
    *,
    what: str,
    describe: Callable[[Seen], str] = repr,
    timeout: float = 60,
    every: float = 1.0,
    since: float | None = None,
) -> Effect[Seen]:
    """Call ``look()`` every ``every`` seconds until ``shows(seen)`` holds; return it and the time it took.

    ``since`` is the ``time.monotonic()`` reading the lag is counted from (default: now); the
    deadline is always ``timeout`` seconds from now. ``describe(seen)`` says in a few words what
    was last seen, for the timeout message.
    """
    start = time.monotonic() if since is None else since
    deadline = time.monotonic() + timeout
    while True:
        seen = look()
        if shows(seen):
            return Effect(seen, time.monotonic() - start)
        if time.monotonic() + every > deadline:
            raise WaitTimeout(f"{what}: not seen after {timeout:g} s; last seen: {describe(seen)}")
        time.sleep(every)
