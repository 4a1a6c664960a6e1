"""Manifests that labs, exercises and checkers build alike.

``app_deployment`` is the one Deployment skeleton: it selects ``app=<name>``, its pods stop within a
second unless told otherwise (a shell as a container's first process ignores SIGTERM, so a longer grace
period only makes every delete wait), and they go to the real node, where containers really run, unless told otherwise.
"""

from __future__ import annotations

from typing import Any

from threeplanes.kit.control_plane import on_real_node


def app_deployment(
    name: str,
    pod_spec: dict[str, Any],
    replicas: int = 1,
    labels: dict[str, str] | None = None,
    real_node: bool = True,
    grace_s: int | None = 1,
    selector: dict[str, str] | None = None,
    **spec: Any,
) -> dict[str, Any]:
    """A Deployment ``name`` of ``pod_spec``, selecting ``selector`` (by default ``app=<name>``); its pods
    labelled ``labels`` (by default ``app=<name>`` alone), given ``grace_s`` seconds to end (None: the default,
    30 s); ``spec`` adds fields to the Deployment's spec."""
    labels = dict(labels or {"app": name})
    pod = {**({"terminationGracePeriodSeconds": grace_s} if grace_s is not None else {}), **pod_spec}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "replicas": replicas,
            **spec,
            "selector": {"matchLabels": dict(selector or {"app": name})},
            "template": {"metadata": {"labels": dict(labels)}, "spec": on_real_node(pod) if real_node else pod},
        },
    }
