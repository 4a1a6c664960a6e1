"""Server-side apply: send a manifest's documents as the declared state, under a field manager's name.

``kubectl apply --server-side`` sends each document as a PATCH of type
``application/apply-patch+yaml`` to the object's own URL, whether the object exists or not.
The API server merges it with what other managers set, records in ``metadata.managedFields``
which manager owns which field, and answers 409 Conflict when a manager changes a field another
one owns, unless it forces. These helpers do the same with the Python client, for any kind the
API serves (found through discovery).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import yaml
from kubernetes import client

from threeplanes.errors import LabError
from threeplanes.kit.cleanup import ServedKind, kinds
from threeplanes.kit.tables import Table

APPLY_PATCH = "application/apply-patch+yaml"


def documents(text: str) -> list[dict[str, Any]]:
    """The documents of a multi-document YAML manifest, empty ones left out."""
    return [d for d in yaml.safe_load_all(text) if d]


def kind_of(cluster: Any, document: dict[str, Any]) -> ServedKind:
    """The resource that serves ``document``'s apiVersion and kind, from API discovery."""
    version, kind = document.get("apiVersion"), document.get("kind")
    for found in kinds(cluster.api_client):
        if found.group_version == version and found.kind == kind:
            return found
    raise LabError(f"The API serves no kind {kind} in {version}: check apiVersion and kind in the manifest.")


def object_path(cluster: Any, document: dict[str, Any], namespace: str) -> str:
    resource = kind_of(cluster, document)
    base = "/api/v1" if resource.group_version == "v1" else f"/apis/{resource.group_version}"
    scope = f"/namespaces/{namespace}" if resource.namespaced else ""
    return f"{base}{scope}/{resource.plural}/{document['metadata']['name']}"


def server_side_apply(
    cluster: Any, namespace: str, document: dict[str, Any], manager: str, force: bool = False, dry_run: bool = False
) -> dict[str, Any]:
    """Apply one document as ``manager`` (``kubectl apply --server-side --field-manager``); the object stored.

    With ``dry_run`` the request goes through every check (conflicts, admission) and stores nothing.
    """
    query = (
        [("fieldManager", manager)] + ([("force", "true")] if force else []) + ([("dryRun", "All")] if dry_run else [])
    )
    response = cluster.api_client.call_api(
        object_path(cluster, document, namespace),
        "PATCH",
        query_params=query,
        header_params={"Content-Type": APPLY_PATCH, "Accept": "application/json"},
        body=document,
        auth_settings=["BearerToken"],
        _preload_content=False,
        _request_timeout=20,
    )
    return json.loads(response.data)


def apply_documents(cluster: Any, namespace: str, docs: list[dict[str, Any]], manager: str) -> list[dict[str, Any]]:
    """Apply every document in order as ``manager``; the objects stored."""
    return [server_side_apply(cluster, namespace, d, manager) for d in docs]


@dataclass(frozen=True)
class Conflict:
    """One field that another manager owns, from a 409 answer to an apply."""

    field: str
    manager: str


def conflicts(error: client.ApiException) -> list[Conflict]:
    """The conflicts a 409 answer to an apply names: each field and the manager that owns it."""
    if error.status != 409:
        return []
    causes = (json.loads(error.body).get("details") or {}).get("causes") or []
    found = []
    for cause in causes:
        message = cause.get("message", "")  # 'conflict with "ci" using apps/v1'
        manager = message.split('"')[1] if message.count('"') >= 2 else message
        found.append(Conflict(cause.get("field", ""), manager))
    return found


def owned_fields(fields: dict[str, Any], prefix: str = "") -> list[str]:
    """The leaves of a managedFields ``fieldsV1`` tree, as paths like ``.spec.replicas``."""
    paths = []
    for key, value in fields.items():
        if key == ".":
            continue
        step = key[2:] if key.startswith("f:") else key
        path = f"{prefix}.{step}" if key.startswith("f:") else f"{prefix}[{step}]"
        children = owned_fields(value, path) if value else []
        paths.extend(children or [path])
    return paths


def managers(obj: dict[str, Any]) -> dict[str, list[str]]:
    """For an object read as a dict: each manager of an apply or an update, and the fields it owns."""
    result: dict[str, list[str]] = {}
    for entry in obj["metadata"].get("managedFields") or []:
        where = f", {entry['subresource']}" if entry.get("subresource") else ""
        name = f"{entry['manager']} ({entry['operation']}{where})"
        result.setdefault(name, []).extend(owned_fields(entry.get("fieldsV1") or {}))
    return result


def managers_table(obj: dict[str, Any], under: str = "") -> Table:
    """One row per manager: the fields it owns (only those starting with ``under``, if given)."""
    rows = []
    for name, fields in managers(obj).items():
        shown = [f for f in fields if f.startswith(under)]
        if shown:
            rows.append([name, ", ".join(shown)])
    return Table(["MANAGER (OPERATION)", "FIELDS IT OWNS"], rows)
