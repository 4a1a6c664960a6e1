"""List, then watch: the one loop that follows a set of objects without missing a state.

``ListWatch`` lists the objects once and then follows a watch from that list's
resourceVersion. Every change lands in ``objects`` in the order the API server made it, and an
optional ``on_change`` callback sees each state (a timeline records them). A watch that falls
too far behind (410 Gone) lists again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from kubernetes import client, watch

Objects = list[Any]


def object_key(obj: Any) -> tuple[str, str]:
    return (obj.metadata.namespace or "", obj.metadata.name)


class ListWatch:
    """The objects ``list_fn(**list_kwargs)`` returns, kept current by a watch."""

    def __init__(
        self,
        list_fn: Callable[..., Any],
        on_change: Callable[[Objects], None] | None = None,
        **list_kwargs: Any,
    ) -> None:
        self.list_fn, self.on_change, self.list_kwargs = list_fn, on_change, list_kwargs
        self._list()

    @property
    def objects(self) -> Objects:
        return list(self.seen.values())

    def _list(self) -> None:
        listing = self.list_fn(**self.list_kwargs)
        self.seen = {object_key(o): o for o in listing.items}
        self.version = listing.metadata.resource_version
        self._changed()

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change(self.objects)

    def follow(self, until: Callable[[Objects], bool], deadline: float) -> bool:
        """Apply watch events until ``until(objects)`` holds (True) or ``deadline`` passes (False)."""
        while not until(self.objects):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self._stream(until, remaining, deadline)
        return True

    def _stream(self, until: Callable[[Objects], bool], remaining: float, deadline: float) -> None:
        watcher = watch.Watch()
        try:
            for event in watcher.stream(
                self.list_fn,
                resource_version=self.version,
                timeout_seconds=max(1, int(remaining)),
                _request_timeout=remaining + 5,
                **self.list_kwargs,
            ):
                obj = event["object"]
                self.version = obj.metadata.resource_version
                if event["type"] == "DELETED":
                    self.seen.pop(object_key(obj), None)
                else:
                    self.seen[object_key(obj)] = obj
                self._changed()
                if until(self.objects) or time.monotonic() > deadline:
                    break
        except client.ApiException as error:
            if error.status != 410:  # 410 Gone: the watch fell too far behind; list again
                raise
            self._list()
        finally:
            watcher.stop()
