"""Configuration and Secrets handed to pods: how a pod spec wires them in, and what the API keeps.

A pod never holds the values of a ConfigMap or a Secret: its spec holds references (which
object, which key), and the kubelet resolves them when it starts the container, copying
values into environment variables or writing them as files into a volume. ``env_wiring``,
``volume_wiring`` and ``mounted_files`` show those references as tables, and
``wiring_graph`` draws them. ``decode`` reads a Secret's values back (base64, not
encryption). ``last_change`` says when an object was last written, from its managed fields,
so a checker can tell whether pods started before or after a change. ``reader_job`` builds a
Job with the same wiring that prints what its container received, for clusters where
containers really run; ``watcher_pod`` a pod that prints it every second, and
``wait_for_report`` waits until that pod prints a new value (the kubelet rewrites a
ConfigMap's files in a running pod late, on its periodic sync of the pod).
"""

from __future__ import annotations

import base64
import copy
from datetime import datetime
from typing import Any

import graphviz
from kubernetes import client

from threeplanes.kit.effects import Effect, poll_until
from threeplanes.kit.graph import Diagram, require_dot
from threeplanes.kit.tables import Table, table

RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"


def env_source(var: Any) -> str:
    """Where one environment variable of a container spec takes its value from, in words."""
    if var.value_from is None:
        return f"literal {var.value!r}"
    source = var.value_from
    if source.config_map_key_ref is not None:
        return f"ConfigMap {source.config_map_key_ref.name}, key {source.config_map_key_ref.key}"
    if source.secret_key_ref is not None:
        return f"Secret {source.secret_key_ref.name}, key {source.secret_key_ref.key}"
    if source.field_ref is not None:
        return f"field {source.field_ref.field_path}"
    return "resource " + source.resource_field_ref.resource if source.resource_field_ref else "?"


def _env_from_source(item: Any) -> str:
    if item.config_map_ref is not None:
        return f"every key of ConfigMap {item.config_map_ref.name}"
    return f"every key of Secret {item.secret_ref.name}"


def env_wiring(spec: Any) -> Table:
    """One row per environment variable (or ``envFrom`` block) of each container of a pod spec."""
    rows = [(c.name, v.name, env_source(v)) for c in spec.containers for v in c.env or []]
    rows += [(c.name, f"{e.prefix or ''}*", _env_from_source(e)) for c in spec.containers for e in c.env_from or []]
    return table(rows, {"CONTAINER": lambda r: r[0], "VARIABLE": lambda r: r[1], "FROM": lambda r: r[2]})


def projected_object(volume: Any) -> tuple[str, str] | None:
    """``(kind, name)`` of the ConfigMap or Secret a volume projects, or None for other volumes."""
    if volume.config_map is not None:
        return ("ConfigMap", volume.config_map.name)
    if volume.secret is not None:
        return ("Secret", volume.secret.secret_name)
    return None


def _mode(volume: Any) -> str:
    source = volume.config_map or volume.secret
    mode = getattr(source, "default_mode", None)
    return "" if mode is None else oct(mode)[2:].rjust(4, "0")


def _mounts(spec: Any) -> list[tuple[Any, Any, Any]]:
    volumes = {v.name: v for v in spec.volumes or []}
    return [(c, m, volumes[m.name]) for c in spec.containers for m in c.volume_mounts or [] if m.name in volumes]


def volume_wiring(spec: Any) -> Table:
    """One row per volume mount: the container, the path, the volume and what it projects."""
    return table(
        _mounts(spec),
        {
            "CONTAINER": lambda r: r[0].name,
            "MOUNTED AT": lambda r: r[1].mount_path + (f" (subPath {r[1].sub_path})" if r[1].sub_path else ""),
            "VOLUME": lambda r: r[2].name,
            "FROM": lambda r: " ".join(projected_object(r[2]) or ("other",)),
            "FILE MODE": lambda r: _mode(r[2]),
            "READ-ONLY": lambda r: "yes" if r[1].read_only else "no",
        },
    )


def mounted_files(spec: Any, keys_of: dict[tuple[str, str], list[str]]) -> Table:
    """The files each container sees: one per key of the projected object (or per listed item)."""
    rows = []
    for container, mount, volume in _mounts(spec):
        source = projected_object(volume)
        if source is None or mount.sub_path:
            continue
        items = (volume.config_map or volume.secret).items
        paths = {i.key: i.path for i in items} if items else {k: k for k in keys_of.get(source, [])}
        folder = mount.mount_path.rstrip("/")
        rows += [
            (container.name, f"{folder}/{path}", f"{source[0]} {source[1]}, key {key}")
            for key, path in sorted(paths.items())
        ]
    return table(rows, {"CONTAINER": lambda r: r[0], "FILE": lambda r: r[1], "FROM": lambda r: r[2]})


def decode(secret: Any) -> dict[str, str]:
    """A Secret's values, decoded from base64: anyone who may read the Secret may do this."""
    return {key: base64.b64decode(value).decode() for key, value in (secret.data or {}).items()}


def last_change(obj: Any) -> datetime:
    """When the object was last written: the newest time in its managed fields (else its creation)."""
    times = [f.time for f in obj.metadata.managed_fields or [] if f.time is not None]
    return max(times, default=obj.metadata.creation_timestamp)


def config_references(spec: Any) -> list[tuple[str, str, str]]:
    """``(kind, name, how)`` for every ConfigMap or Secret a pod spec uses, ``how`` saying through what."""
    found = []
    for c in spec.containers:
        for var in c.env or []:
            ref = var.value_from and (var.value_from.config_map_key_ref or var.value_from.secret_key_ref)
            if ref is not None:
                kind = "ConfigMap" if var.value_from.config_map_key_ref else "Secret"
                found.append((kind, ref.name, f"env {var.name} ← key {ref.key}"))
        for item in c.env_from or []:
            kind, ref = ("ConfigMap", item.config_map_ref) if item.config_map_ref else ("Secret", item.secret_ref)
            found.append((kind, ref.name, "env ← every key"))
    for _, mount, volume in _mounts(spec):
        if (source := projected_object(volume)) is not None:
            found.append((*source, f"files in {mount.mount_path}"))
    return found


def wiring_graph(deployment: Any) -> graphviz.Digraph:
    """The Deployment's pod template and the ConfigMaps and Secrets it takes values from."""
    require_dot()
    graph = Diagram(name="wiring")
    graph.attr(rankdir="LR", fontname="Helvetica", fontsize="10")
    graph.attr("node", fontname="Helvetica", fontsize="10", style="filled")
    graph.attr("edge", fontname="Helvetica", fontsize="9")
    template = f"pod template of\nDeployment {deployment.metadata.name}"
    graph.node("template", template, shape="box3d", fillcolor="#dbeafe")
    colours = {"ConfigMap": "#e0f2fe", "Secret": "#fee2e2"}
    for kind, name, how in config_references(deployment.spec.template.spec):
        graph.node(f"{kind}/{name}", f"{kind}\n{name}", shape="folder", fillcolor=colours[kind])
        graph.edge(f"{kind}/{name}", "template", label=how)
    return graph


def reader_job(name: str, spec: Any, image: str, script: str) -> dict[str, Any]:
    """A Job whose one container has the env and mounts of ``spec``'s first container and runs ``script``."""
    source = spec.containers[0]
    container = copy.deepcopy(source)
    container.image, container.command, container.args, container.ports = image, ["sh", "-c", script], None, None
    pod_spec = copy.deepcopy(spec)
    pod_spec.containers, pod_spec.restart_policy = [container], "Never"
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name},
        "spec": {"backoffLimit": 0, "template": {"spec": pod_spec}},
    }


def watcher_pod(name: str, spec: dict[str, Any], image: str, variable: str, path: str) -> dict[str, Any]:
    """A pod with the env and mounts of ``spec``'s first container (``spec`` a PodSpec as a dict) that prints,
    every second, one line: ``<variable>=<its value> FILE=<the content of path>``. Labelled ``role: <name>``,
    so that no controller that selects ``spec``'s pods adopts it."""
    script = f'while true; do echo "{variable}=${variable} FILE=$(cat {path})"; sleep 1; done'
    container = {k: v for k, v in spec["containers"][0].items() if k not in ("args", "ports")}
    container.update(image=image, command=["sh", "-c", script])
    pod_spec = {**copy.deepcopy(spec), "containers": [container], "restartPolicy": "Always"}
    pod_spec["terminationGracePeriodSeconds"] = 1  # sh ignores SIGTERM: let the kubelet stop it at once
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"role": name}}, "spec": pod_spec}


def watcher_report(cluster: Any, namespace: str, pod: str) -> dict[str, str]:
    """The last line pod ``pod`` (a ``watcher_pod``) printed, as ``{name: value}``; empty before its first."""
    try:
        response = cluster.core.read_namespaced_pod_log(pod, namespace, tail_lines=1, _preload_content=False)
    except client.ApiException as error:
        if error.status == 400:  # the container has not started yet
            return {}
        raise
    words = response.data.decode().split()
    return dict(word.split("=", 1) for word in words if "=" in word)


def wait_for_report(
    cluster: Any, namespace: str, pod: str, expected: dict[str, str], since: float | None = None, timeout: float = 60
) -> Effect[dict[str, str]]:
    """Wait until watcher pod ``pod`` prints ``expected``; return what it printed and after how many seconds
    (counted from ``since``, a ``time.monotonic()`` reading)."""
    return poll_until(
        lambda: watcher_report(cluster, namespace, pod),
        lambda seen: seen == expected,
        what=f"pod {namespace}/{pod} to print {expected}",
        describe=lambda seen: str(seen or "nothing printed yet"),
        timeout=timeout,
        since=since,
    )
