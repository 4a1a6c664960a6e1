"""What a pod's containers said: their logs, read as text.

The pinned client turns a plain-text log into the ``repr`` of its bytes when it deserialises
it, so the log is read raw and decoded here.
"""

from __future__ import annotations

from typing import Any


def pod_log(cluster: Any, namespace: str, pod: str, container: str | None = None) -> str:
    """The log of ``pod`` (of ``container``, when it has several), as the kubelet serves it."""
    options = {"container": container} if container else {}
    response = cluster.core.read_namespaced_pod_log(pod, namespace, _preload_content=False, **options)
    return response.data.decode()
