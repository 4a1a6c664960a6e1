"""Deleting as a run does it: what is already gone is no error, and what is left goes at exit.

``ignore_missing`` lets a 404 pass. ``at_exit`` is the one way the kit asks, when the process
(a notebook's kernel, a test) ends, for the deletion of what the run made: its namespace, its
nodes, its cluster-scoped objects. Each asks and goes on, without waiting: a notebook kernel
that is told to shut down is killed a few seconds later (jupyter_client's
``shutdown_wait_time``), and every other at-exit deletion must be asked for before that. The
API server finishes the deletions on its own.
"""

from __future__ import annotations

import atexit
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from kubernetes import client


@contextmanager
def ignore_missing() -> Iterator[None]:
    """Let a 404 pass: deleting what is already gone is not an error."""
    try:
        yield
    except client.ApiException as error:
        if error.status != 404:
            raise


def at_exit(ask_deletion: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Call ``ask_deletion(*args, **kwargs)`` when the process ends; it must ask and not wait."""
    atexit.register(_quietly, ask_deletion, args, kwargs)


def _quietly(ask_deletion: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    try:
        with ignore_missing():
            ask_deletion(*args, **kwargs)
    except Exception:  # the process is exiting: nothing useful can be said any more
        pass
