"""Events: what the scheduler and the controllers say they did, read back from the API.

Components report what they did (``Scheduled``, ``FailedScheduling``, ``Preempted``,
``TaintManagerEviction``...) as Event objects in the namespace of the object concerned.
``events_about`` lists those about one object, ``wait_for_event`` watches for one; ``events_table``
shows them in the order they happened.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from threeplanes.kit.tables import Table, table
from threeplanes.kit.wait import Objects, wait_for


def when(event: Any) -> datetime | None:
    """When the event first happened (older reporters fill ``firstTimestamp``, newer ones ``eventTime``)."""
    return event.first_timestamp or event.event_time or event.metadata.creation_timestamp


def reporter(event: Any) -> str:
    """The component that wrote an event (``default-scheduler``, ``job-controller``...); ``?`` if it says not."""
    return event.reporting_component or (event.source.component if event.source else None) or "?"


def events_about(cluster: Any, namespace: str, name: str, reason: str | None = None) -> Objects:
    """The events about the object ``name`` in ``namespace`` (only those with ``reason``, if given), oldest first."""
    fields = [f"involvedObject.name={name}"] + ([f"reason={reason}"] if reason else [])
    found = cluster.core.list_namespaced_event(namespace, field_selector=",".join(fields)).items
    return sorted(found, key=lambda e: str(when(e)))


def wait_for_event(
    cluster: Any,
    namespace: str,
    reason: str,
    name: str | None = None,
    timeout: float = 30,
    uid: str | None = None,
    latest: bool = False,
) -> Any:
    """Wait for an event with ``reason`` (about the object ``name``, or the one whose uid is ``uid``, if given)
    and return the first one, or the latest with ``latest`` (a component that retries says it again)."""
    fields = [f"reason={reason}"] + ([f"involvedObject.name={name}"] if name else [])
    fields += [f"involvedObject.uid={uid}"] if uid else []
    about = f" about {name}" if name else (f" about the object {uid[:8]}" if uid else "")
    found = wait_for(
        cluster.core.list_namespaced_event,
        bool,
        what=f"a {reason} event{about} in {namespace}",
        describe=lambda events: f"{len(events)} such event(s)",
        timeout=timeout,
        namespace=namespace,
        field_selector=",".join(fields),
    )
    if latest:  # the one said last: a repeated event keeps its first time and moves its last one
        return sorted(found, key=lambda e: str(e.last_timestamp or when(e)))[-1]
    return sorted(found, key=lambda e: str(when(e)))[0]


def events_table(events: Objects, reasons: set[str] | None = None) -> Table:
    """Events in the order they first happened, optionally only those with one of ``reasons``."""
    kept = [e for e in events if reasons is None or e.reason in reasons]
    return table(
        sorted(kept, key=lambda e: str(when(e))),
        {
            "TIME": lambda e: when(e).strftime("%H:%M:%S") if when(e) else "",
            "FROM": reporter,
            "OBJECT": lambda e: f"{e.involved_object.kind}/{e.involved_object.name}",
            "REASON": lambda e: e.reason,
            "MESSAGE": lambda e: e.message,
        },
    )
