"""Volumes in a pod spec, by type, and how long what each one shows lives.

A volume is declared in the pod spec; what it shows lives as long as its source: the pod
(``emptyDir``, ``downwardAPI``, a projected ServiceAccount token), an object of the namespace
(``configMap``, ``secret``, ``persistentVolumeClaim``), or, behind a claim, a
PersistentVolume of the cluster. ``pod_volumes_table`` lists a pod's volumes with their source
and that lifetime; ``exists`` says whether an object can still be read. ``container_files``
works out, from the spec alone, which file or directory a container sees at each path and
where it comes from (``items``, ``subPath`` and projected sources included), so a checker can
judge what the container would read rather than how the spec is written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kubernetes import client

from threeplanes.kit.tables import Table, table

LIFETIME = {
    "emptyDir": "the pod",
    "downwardAPI": "the pod (its own fields)",
    "configMap": "the ConfigMap",
    "secret": "the Secret",
    "projected": "the pod, and each source",
    "persistentVolumeClaim": "the claim, then the volume's reclaim policy",
}


def volume_type(volume: Any) -> str:
    """The type of a volume of a pod spec: ``emptyDir``, ``configMap``, ``projected``..."""
    for name, value in volume.to_dict().items():
        if name != "name" and value is not None:
            return client.V1Volume.attribute_map[name]
    return "?"


def projected_sources(volume: Any) -> list[str]:
    """What a projected volume gathers, one phrase per source."""
    found = []
    for source in volume.projected.sources or []:
        if source.service_account_token:
            token = source.service_account_token
            audience = token.audience or "the API server"
            found.append(f"ServiceAccount token for {audience}, {token.expiration_seconds} s")
        if source.config_map:
            found.append(f"ConfigMap {source.config_map.name}")
        if source.secret:
            found.append(f"Secret {source.secret.name}")
        if source.downward_api:
            found.append("downwardAPI " + ", ".join(i.path for i in source.downward_api.items or []))
    return found


def source_summary(volume: Any) -> str:
    kind = volume_type(volume)
    if kind == "configMap":
        return f"ConfigMap {volume.config_map.name}"
    if kind == "secret":
        return f"Secret {volume.secret.secret_name}"
    if kind == "persistentVolumeClaim":
        return f"claim {volume.persistent_volume_claim.claim_name}"
    if kind == "downwardAPI":
        return ", ".join(i.path for i in volume.downward_api.items or [])
    if kind == "projected":
        return "; ".join(projected_sources(volume))
    if kind == "emptyDir":
        medium = volume.empty_dir.medium or "the node's disk"
        return f"{medium}, limit {volume.empty_dir.size_limit}" if volume.empty_dir.size_limit else medium
    return ""


def pod_volumes_table(pod: Any) -> Table:
    """One row per volume of ``pod``: its name, type, source, where it is mounted, and what it lives as long as."""
    mounts = {m.name: m.mount_path for c in pod.spec.containers for m in c.volume_mounts or []}
    return table(
        pod.spec.volumes or [],
        {
            "VOLUME": lambda v: v.name,
            "TYPE": volume_type,
            "SOURCE": source_summary,
            "MOUNTED AT": lambda v: mounts.get(v.name, "(not mounted)"),
            "LIVES AS LONG AS": lambda v: LIFETIME.get(volume_type(v), ""),
        },
    )


def exists(read: Callable[..., Any], *args: Any) -> bool:
    """True when ``read(*args)`` finds the object; False on 404."""
    try:
        read(*args)
    except client.ApiException as error:
        if error.status == 404:
            return False
        raise
    return True


# --- What a container sees ---------------------------------------------------------------------

Keys = Callable[[str, str], list[str]]  # (kind, name) -> the keys of that ConfigMap or Secret


def _key_files(kind: str, name: str, items: Any, keys: Keys) -> dict[str, tuple[str, ...]]:
    """``{relative path: (kind, name, key)}`` for a ConfigMap or Secret source, with or without ``items``."""
    if items:
        return {i.path: (kind, name, i.key) for i in items}
    return {key: (kind, name, key) for key in keys(kind, name)}


def volume_files(volume: Any, keys: Keys) -> dict[str, tuple[str, ...]]:
    """What a volume shows, as ``{relative path: source}``; ``""`` is the volume's root for directory volumes.

    A source is ``("ConfigMap"|"Secret", name, key)``, ``("token", audience, seconds)``,
    ``("field", path)``, or ``(volume type, detail)`` for a whole directory (``emptyDir``, a claim).
    """
    kind = volume_type(volume)
    if kind == "configMap":
        return _key_files("ConfigMap", volume.config_map.name, volume.config_map.items, keys)
    if kind == "secret":
        return _key_files("Secret", volume.secret.secret_name, volume.secret.items, keys)
    if kind == "downwardAPI":
        return {
            i.path: ("field", i.field_ref.field_path if i.field_ref else i.resource_field_ref.resource)
            for i in volume.downward_api.items or []
        }
    if kind == "projected":
        files: dict[str, tuple[str, ...]] = {}
        for source in volume.projected.sources or []:
            if source.service_account_token:
                token = source.service_account_token
                files[token.path] = ("token", token.audience or "", str(token.expiration_seconds or 3600))
            if source.config_map:
                files.update(_key_files("ConfigMap", source.config_map.name, source.config_map.items, keys))
            if source.secret:
                files.update(_key_files("Secret", source.secret.name, source.secret.items, keys))
            if source.downward_api:
                files.update(
                    {
                        i.path: ("field", i.field_ref.field_path if i.field_ref else "")
                        for i in source.downward_api.items or []
                    }
                )
        return files
    if kind == "persistentVolumeClaim":
        return {"": ("persistentVolumeClaim", volume.persistent_volume_claim.claim_name)}
    return {"": (kind, "")}


def container_files(spec: Any, container: Any, keys: Keys) -> dict[str, tuple[str, ...]]:
    """``{absolute path: source}`` for every file or directory the container sees through its mounts."""
    volumes = {v.name: v for v in spec.volumes or []}
    seen: dict[str, tuple[str, ...]] = {}
    for mount in container.volume_mounts or []:
        if mount.name not in volumes:
            continue
        files = volume_files(volumes[mount.name], keys)
        root = mount.mount_path.rstrip("/")
        if mount.sub_path:
            inside = {
                p.removeprefix(mount.sub_path).lstrip("/"): s
                for p, s in files.items()
                if p == mount.sub_path or p.startswith(mount.sub_path + "/")
            }
            files = inside or ({"": files[""]} if "" in files else {})
        for path, source in files.items():
            seen[f"{root}/{path}" if path else root] = source
    return seen
