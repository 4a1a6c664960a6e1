"""The labels and annotations that mark what the book made, and which run made it.

Every object a lab or an exercise creates carries ``app.kubernetes.io/part-of: threeplanes``
and ``threeplanes.io/lab: <owner>`` (a lab's file stem, or ``exercise-<id>``): the leftover
checks look for them. A run's namespace also names the process that owns it (see
``namespaces``), so a run never deletes what another live run is using.

A label selector is written as a string for a listing (``selector_string``) or matched against an
object's labels here (``selector_matches``), from a client model or a manifest's dict (``field_of``).
"""

from __future__ import annotations

from typing import Any

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


def field_of(obj: Any, snake: str, camel: str) -> Any:
    """A field of a client model (snake_case attribute) or of a manifest dict (camelCase key)."""
    if isinstance(obj, dict):
        return obj.get(camel)
    return getattr(obj, snake, None)


def expression_holds(expression: Any, value: str | None) -> bool:
    """Whether one ``matchExpressions`` term (``In``, ``NotIn``, ``Exists``, ``DoesNotExist``, and a node
    selector's ``Gt`` and ``Lt``) holds for a label's ``value`` (None: no such label)."""
    operator, values = field_of(expression, "operator", "operator"), field_of(expression, "values", "values") or []
    if operator == "In":
        return value is not None and value in values
    if operator == "NotIn":
        return value is None or value not in values
    if operator == "Exists":
        return value is not None
    if operator == "DoesNotExist":
        return value is None
    if operator in ("Gt", "Lt") and value is not None and values:
        try:
            number, bound = int(value), int(values[0])
        except ValueError:
            return False
        return number > bound if operator == "Gt" else number < bound
    return False


def selector_matches(selector: Any, labels: dict[str, str] | None) -> bool:
    """Whether a label selector (``matchLabels`` and ``matchExpressions``) selects ``labels``.

    An empty selector selects everything; a missing one (None) selects nothing, as in a
    topology spread constraint or a PodDisruptionBudget.
    """
    if selector is None:
        return False
    labels = labels or {}
    match_labels = field_of(selector, "match_labels", "matchLabels") or {}
    expressions = field_of(selector, "match_expressions", "matchExpressions") or []
    return all(labels.get(k) == v for k, v in match_labels.items()) and all(
        expression_holds(e, labels.get(field_of(e, "key", "key"))) for e in expressions
    )
