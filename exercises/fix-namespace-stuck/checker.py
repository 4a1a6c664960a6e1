"""Checker of the fix-namespace-stuck mission: the old project's name is free, its ledger archived, nothing left.

The scenario is the team's: they want to create the namespace ``<ns>-old`` again, for a new project.
The checker asks the API server to create it in a dry run (nothing is made): it must be accepted, or
the namespace must already be there again, made anew. The page asks that the ledger be kept first:
the ConfigMap ``ledger-archive`` in the reader's namespace must hold the ledger's data, key for key.
Then nothing of the old namespace may be left in the API's storage. Removing a namespace by force,
through its ``finalize`` subresource, makes the name free at once, but leaves the ledger stored
under the namespace's name, readable through the API, and back in any namespace of that name made
later: the checker lists the ConfigMaps stored under the name and finds it. The namespace's status is
read only to say why the name is not free.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kubernetes import client

from threeplanes.checking import Checker, Context, Criterion, Failure, missions

setup = missions.load_part(Path(__file__).parent, "setup")

SETUP = ".venv/bin/threeplanes exercise setup fix-namespace-stuck -n {namespace}"
ROOT_CA = "kube-root-ca.crt"  # published into every namespace by kube-controller-manager


def old_of(ctx: Context) -> str:
    return setup.old_namespace(ctx.namespace)


def old_namespace(ctx: Context) -> Any | None:
    if "old" not in ctx.notes:
        ctx.notes["old"] = ctx.get(ctx.cluster.core.read_namespace, old_of(ctx))
    return ctx.notes["old"]


def stored(ctx: Context) -> list[Any]:
    """The ConfigMaps stored under the old namespace's name (whether the namespace exists or not)."""
    return ctx.cluster.core.list_namespaced_config_map(old_of(ctx)).items


# --- the criteria --------------------------------------------------------------------------------


def name_is_free(ctx: Context) -> Failure | None:
    old = old_of(ctx)
    found = old_namespace(ctx)
    if found is not None and found.metadata.deletion_timestamp:
        waiting = setup.condition(found, "NamespaceFinalizersRemaining") or setup.condition(
            found, "NamespaceContentRemaining"
        )
        reason = f" ({waiting.type}: {waiting.message})" if waiting else ""
        return Failure(
            f"the namespace {old} is still Terminating, deleted since {found.metadata.deletion_timestamp:%H:%M:%S} "
            f"UTC{reason}",
            f"a namespace goes only once everything in it is gone. Ask the namespace why it waits "
            f"(kubectl describe namespace {old}), then look at what it waits for",
        )
    if found is not None:
        return None  # made again by the reader: the name is in use again, as the team wanted
    try:
        ctx.cluster.core.create_namespace({"metadata": {"name": old}}, dry_run="All")
    except client.ApiException as error:
        return Failure(
            f"the API server refused a new namespace {old} (a dry run): {error.status} {error.reason}",
            f"the name must be free for the team: look at the namespace {old} and what it holds",
        )
    return None


def archived(ctx: Context) -> Failure | None:
    archive = ctx.get(ctx.cluster.core.read_namespaced_config_map, setup.ARCHIVE, ctx.namespace)
    ledger = next((c for c in stored(ctx) if c.metadata.name == setup.LEDGER), None)
    if archive is None:
        if ledger is None:
            return Failure(
                f"no ConfigMap {setup.ARCHIVE} in {ctx.namespace}, and the ledger is gone",
                "the ledger was let go before it was archived: its data is lost, which the finance team must keep "
                f"for ten years. Start over ({SETUP.format(namespace=ctx.namespace)}), and archive it first",
            )
        return Failure(
            f"no ConfigMap {setup.ARCHIVE} in {ctx.namespace}",
            f"before the ledger may go, its data goes to the ConfigMap {setup.ARCHIVE} in your namespace: "
            "every key and value, as they are",
        )
    data = archive.data or {}
    if data != setup.DATA:
        missing = sorted(set(setup.DATA) - set(data))
        changed = sorted(k for k in setup.DATA if k in data and data[k] != setup.DATA[k])
        saw = f"{setup.ARCHIVE} holds {sorted(data)}"
        if missing:
            saw += f"; missing: {', '.join(missing)}"
        if changed:
            saw += f"; different: {', '.join(changed)}"
        return Failure(saw, "the archive must hold the ledger's data as it is: every key, every value unchanged")
    return None


def nothing_left(ctx: Context) -> Failure | None:
    left = [c for c in stored(ctx) if c.metadata.name != ROOT_CA or old_namespace(ctx) is None]
    ledger = next((c for c in left if c.metadata.name == setup.LEDGER), None)
    if old_namespace(ctx) is None and left:
        names = ", ".join(c.metadata.name for c in left)
        return Failure(
            f"the namespace {old_of(ctx)} is gone, but the API still stores ConfigMaps under its name: {names}",
            "the namespace was removed while objects remained in it (forcing its finalize subresource skips the "
            "wait): they are still stored, readable, with their finalizers, and they come back in the next "
            "namespace of that name. Make the namespace again, let what holds them go, and delete it",
        )
    if ledger is not None:
        return Failure(
            f"the new namespace {old_of(ctx)} holds the old ledger (deleted since "
            f"{ledger.metadata.deletion_timestamp or 'never'})",
            "objects of the old namespace came back in the new one: let the old ledger go first",
        )
    return None


NAME_FREE = Criterion("The old project's namespace name can be used again (a dry run)", name_is_free)
ARCHIVED = Criterion(f"The ledger's data is kept in the ConfigMap {setup.ARCHIVE}", archived)
NOTHING_LEFT = Criterion("Nothing of the old namespace is left in the API's storage", nothing_left, needs=(NAME_FREE,))

CHECKER = Checker("Mission: we cannot reuse the old project's name", [NAME_FREE, ARCHIVED, NOTHING_LEFT])
