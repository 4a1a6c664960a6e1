"""Pods as a lab counts them: the live ones, and what their containers said.

A pod being deleted (``deletionTimestamp`` set) still shows in a listing until its kubelet
confirms it stopped; ``live`` leaves such pods out. The pinned client turns a plain-text log
into the ``repr`` of its bytes when it deserialises it, so ``pod_log`` reads it raw and
decodes it; ``now`` is the time to compare its timestamps with.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def live(pods: list[Any]) -> list[Any]:
    """The pods (or any objects) not being deleted."""
    return [p for p in pods if not p.metadata.deletion_timestamp]


def pod_log(
    cluster: Any, namespace: str, pod: str, container: str | None = None, timestamps: bool = False, **options: Any
) -> str:
    """The log of ``pod`` (of ``container``, when it has several), as the kubelet serves it; ``options`` are
    ``read_namespaced_pod_log``'s others (``previous``, ``since_seconds``, ``tail_lines``...).

    With ``timestamps``, each line starts with the time the container runtime logged it (RFC 3339,
    nanoseconds), then a space: compare it with ``now``.
    """
    if container:
        options["container"] = container
    if timestamps:
        options["timestamps"] = True
    response = cluster.core.read_namespaced_pod_log(pod, namespace, _preload_content=False, **options)
    return response.data.decode()


def now() -> datetime:
    """This machine's time, aware, in UTC (the clock the runtime stamps log lines with)."""
    return datetime.now(UTC)
