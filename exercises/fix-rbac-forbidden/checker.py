"""Checker of the fix-rbac-forbidden mission: the ServiceAccount ``reporter`` reads the ConfigMaps of its
namespace, and nothing more.

The setup (in the reader's namespace of the book's cluster) makes the ServiceAccount ``reporter``, the ConfigMap
``report-settings`` it reads, and a Role and RoleBinding ``reporter`` meant to let it read ConfigMaps; the Role
names the API group ``v1``, which does not exist (ConfigMaps are in the core group, ``""``), so the account gets
403 on every request. The checker plays the app: it asks the TokenRequest API for a short-lived token of the
account and sends, with it:

1. what the app does: list the ConfigMaps of the namespace, watch them (a list with ``watch=true`` that ends after
   a second) and read ``report-settings``; each must be answered 200;
2. what the app must not be able to do, each to be refused (403): list the namespace's Secrets, create and delete
   a ConfigMap (dry runs), list the Pods, and list the ConfigMaps of the namespace ``default``.

A binding to cluster-admin, to edit, or a ClusterRoleBinding passes the first step and fails the second: it gives
far more than the app needs. Roles and bindings are read only to explain a failure.
"""

from __future__ import annotations

from typing import Any

from kubernetes import client

from threeplanes.checking import Checker, Context, Criterion, Failure
from threeplanes.kit.identity import service_account_client

ACCOUNT = "reporter"
SETTINGS = "report-settings"
SETUP = ".venv/bin/threeplanes exercise setup fix-rbac-forbidden -n {namespace}"
OTHER = "default"


def account_exists(ctx: Context) -> Failure | None:
    if ctx.get(ctx.cluster.core.read_namespaced_service_account, ACCOUNT, ctx.namespace) is None:
        return Failure(
            f"no ServiceAccount {ACCOUNT} in {ctx.namespace}",
            "set the mission up (again): " + SETUP.format(namespace=ctx.namespace),
        )
    if ctx.get(ctx.cluster.core.read_namespaced_config_map, SETTINGS, ctx.namespace) is None:
        return Failure(
            f"no ConfigMap {SETTINGS} in {ctx.namespace}: the app reads it",
            "set the mission up (again): " + SETUP.format(namespace=ctx.namespace),
        )
    return None


def _status(call, *args: Any, **kwargs: Any) -> int:
    try:
        call(*args, **kwargs)
        return 200
    except client.ApiException as error:
        return error.status


def _core(ctx: Context) -> client.CoreV1Api:
    if "core" not in ctx.notes:
        ctx.notes["core"] = client.CoreV1Api(service_account_client(ctx.cluster, ctx.namespace, ACCOUNT, seconds=600))
    return ctx.notes["core"]


def _bindings(ctx: Context) -> str:
    """The bindings that name the account, to explain a failure."""

    def names(subjects: Any) -> bool:
        return any(
            s.kind == "ServiceAccount" and s.name == ACCOUNT and s.namespace == ctx.namespace for s in subjects or []
        )

    found = [
        f"RoleBinding {b.metadata.name} -> {b.role_ref.kind} {b.role_ref.name}"
        for b in ctx.cluster.rbac.list_namespaced_role_binding(ctx.namespace).items
        if names(b.subjects)
    ]
    found += [
        f"ClusterRoleBinding {b.metadata.name} -> {b.role_ref.kind} {b.role_ref.name}"
        for b in ctx.cluster.rbac.list_cluster_role_binding().items
        if names(b.subjects)
    ]
    return "; ".join(found) or "no binding names it"


def app_works(ctx: Context) -> Failure | None:
    core = _core(ctx)
    tries = [
        ("list the ConfigMaps of its namespace", lambda: core.list_namespaced_config_map(ctx.namespace)),
        (
            "watch them",
            lambda: core.list_namespaced_config_map(
                ctx.namespace, watch=True, timeout_seconds=1, _preload_content=False
            ).close(),
        ),
        (f"read the ConfigMap {SETTINGS}", lambda: core.read_namespaced_config_map(SETTINGS, ctx.namespace)),
    ]
    for what, call in tries:
        status = _status(call)
        if status != 200:
            return Failure(
                f"as the ServiceAccount {ACCOUNT}, the app could not {what}: the API server answered {status}",
                f"ask the API server what the account may do: kubectl auth can-i --list -n {ctx.namespace} "
                f"--as=system:serviceaccount:{ctx.namespace}:{ACCOUNT}, and compare with the rules of the Role "
                "its binding names",
            )
    return None


def no_more(ctx: Context) -> Failure | None:
    core = _core(ctx)
    probe = {"metadata": {"name": "checker-probe"}, "data": {"a": "b"}}
    tries = [
        ("list the Secrets of its namespace", lambda: core.list_namespaced_secret(ctx.namespace)),
        ("create a ConfigMap", lambda: core.create_namespaced_config_map(ctx.namespace, probe, dry_run="All")),
        ("delete a ConfigMap", lambda: core.delete_namespaced_config_map(SETTINGS, ctx.namespace, dry_run="All")),
        ("list the Pods of its namespace", lambda: core.list_namespaced_pod(ctx.namespace)),
        (f"list the ConfigMaps of the namespace {OTHER}", lambda: core.list_namespaced_config_map(OTHER)),
    ]
    for what, call in tries:
        status = _status(call)
        if status != 403:
            return Failure(
                f"as the ServiceAccount {ACCOUNT}, the app could {what} (answer {status}, not 403): it has more than "
                f"it needs ({_bindings(ctx)})",
                "least privilege: a Role in its namespace with the verbs and the resource the app uses, bound to "
                "the account alone by a RoleBinding; remove the broader binding",
            )
    return None


ACCOUNT_EXISTS = Criterion("The ServiceAccount reporter and its ConfigMap are there", account_exists)
WORKS = Criterion("As reporter, the app lists, watches and reads ConfigMaps", app_works, (ACCOUNT_EXISTS,))
NO_MORE = Criterion("As reporter, it can do nothing more", no_more, (WORKS,))

CHECKER = Checker("The reporter reads its ConfigMaps, and nothing more", [ACCOUNT_EXISTS, WORKS, NO_MORE])
