"""Criteria several exercises share, made by factories: give a name and a hint, get a ``Criterion``.

Each one reads what a reader's solution would make and judges what a user would see: a
Deployment by name (listing the ones that are there when it is missing), its live pods
through its own selector (``matchLabels`` or ``matchExpressions``), and whether they run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from threeplanes.checking.framework import Context, Criterion, Failure
from threeplanes.kit.labels import selector_string
from threeplanes.kit.pods import live
from threeplanes.kit.wait import is_ready, pods_summary


def deployment(ctx: Context, name: str) -> Any | None:
    """The Deployment ``name`` in the reader's namespace, read once per look."""
    key = f"deployment/{name}"
    if key not in ctx.notes:
        ctx.notes[key] = ctx.get(ctx.cluster.apps.read_namespaced_deployment, name, ctx.namespace)
    return ctx.notes[key]


def deployment_pods(ctx: Context, name: str) -> list[Any]:
    """The live (not terminating) pods that Deployment ``name``'s selector selects."""
    selector = selector_string(deployment(ctx, name).spec.selector)
    pods = ctx.cluster.core.list_namespaced_pod(ctx.namespace, label_selector=selector).items
    return live(pods)


def deployment_exists(name: str, hint: str) -> Criterion:
    """ "A Deployment named ``name`` exists"; when it does not, say which Deployments are there."""

    def check(ctx: Context) -> Failure | None:
        if deployment(ctx, name) is not None:
            return None
        names = [d.metadata.name for d in ctx.cluster.apps.list_namespaced_deployment(ctx.namespace).items]
        saw = f"Deployments here: {', '.join(names)}" if names else "no Deployment in the namespace"
        return Failure(saw, hint.format(namespace=ctx.namespace))

    return Criterion(f"A Deployment named {name} exists", check)


def pods_ready(
    name: str, replicas: int, needs: tuple[Criterion, ...], explain: Callable[..., str | None] = None
) -> Criterion:
    """ "All ``replicas`` pods are running": that many live pods, every one Ready, of the current template.

    ``explain(ctx, pods)`` may return a hint chosen from why they are not (a Pending pod's message).
    """

    def check(ctx: Context) -> Failure | None:
        found, pods = deployment(ctx, name), deployment_pods(ctx, name)
        current = (found.status.observed_generation or 0) >= found.metadata.generation
        if current and len(pods) == replicas and all(is_ready(p) for p in pods):
            return None
        hint = (explain and explain(ctx, pods)) or f"wait for the rollout: kubectl rollout status deployment {name}"
        return Failure(f"{pods_summary(pods)} of {replicas} wanted", hint)

    return Criterion(f"All {replicas} pods are running", check, needs)
