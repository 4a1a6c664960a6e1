"""The labels and annotations that mark what the book made, and which run made it.

Every object a lab or an exercise creates carries ``app.kubernetes.io/part-of: threeplanes``
and ``threeplanes.io/lab: <owner>`` (a lab's file stem, or ``exercise-<id>``): the leftover
checks look for them. A run's namespace also names the process that owns it (see
``namespaces``), so a run never deletes what another live run is using.
"""

from __future__ import annotations

PART_OF = "app.kubernetes.io/part-of"
BOOK = "threeplanes"
LAB_LABEL = "threeplanes.io/lab"
POOL = "threeplanes.io/pool"  # the nodes of one run (or one reader's exercise), and what selects them
FOR_NAMESPACE = "threeplanes.io/for-namespace"  # a cluster-scoped object made for this namespace's run
RUN_OWNER = "threeplanes.io/run-owner"  # annotation: host, pid and start time of the owning process
OURS = f"{PART_OF}={BOOK}"


def owned_labels(owner: str, **extra: str) -> dict[str, str]:
    """The labels of an object made by ``owner`` (a lab's file stem or ``exercise-<id>``)."""
    return {PART_OF: BOOK, LAB_LABEL: owner, **extra}


def selector_string(selector: object) -> str:
    """A label selector object (``matchLabels`` and ``matchExpressions``) as a selector string.

    ``app=web,tier in (front,api),!canary``: the form ``list_*(label_selector=...)`` takes.
    """
    parts = [f"{k}={v}" for k, v in sorted((getattr(selector, "match_labels", None) or {}).items())]
    for expression in getattr(selector, "match_expressions", None) or []:
        key, operator, values = expression.key, expression.operator, ",".join(expression.values or [])
        parts.append(
            {"In": f"{key} in ({values})", "NotIn": f"{key} notin ({values})", "Exists": key}.get(operator, f"!{key}")
        )
    return ",".join(parts)
