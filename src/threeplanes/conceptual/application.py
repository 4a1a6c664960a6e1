"""An application's smallest unit, drawn from the cluster: a pod, its containers and the volumes they share.

A pod's spec lists three sorts of container. Init containers run one after the other, each to
completion, before anything else starts; an init container with ``restartPolicy: Always`` is a
*sidecar*: it starts in its turn, does not have to finish, and runs beside the main containers
for the pod's whole life. The main containers start once every init container has finished
(and every sidecar has started). Volumes belong to the pod, not to a container: two containers
share data by mounting the same volume.
"""

from __future__ import annotations

from typing import Any

import graphviz

from threeplanes.kit.graph import require_dot, selects
from threeplanes.kit.tables import Table


def containers_in_order(pod: Any) -> list[tuple[str, Any]]:
    """(role, container) in the order the kubelet starts them: init containers and sidecars, then the main ones."""
    started = [("sidecar" if c.restart_policy == "Always" else "init", c) for c in pod.spec.init_containers or []]
    return started + [("main", c) for c in pod.spec.containers]


def container_state(status: Any) -> str:
    """``running``, ``terminated (Completed, exit 0)`` or ``waiting (reason)`` from a container status."""
    if status is None:
        return "no status yet"
    state = status.state
    if state.running:
        return "running"
    if state.terminated:
        return f"terminated ({state.terminated.reason}, exit {state.terminated.exit_code})"
    return f"waiting ({state.waiting.reason})" if state.waiting else "unknown"


def statuses(pod: Any) -> dict[str, Any]:
    """Container statuses by container name, init and main together."""
    return {s.name: s for s in [*(pod.status.init_container_statuses or []), *(pod.status.container_statuses or [])]}


def containers_table(pod: Any) -> Table:
    """One row per container, in start order: its role, the volumes it mounts, its state as reported."""
    seen = statuses(pod)
    rows = []
    for kind, container in containers_in_order(pod):
        mounts = ", ".join(f"{m.name} at {m.mount_path}" for m in container.volume_mounts or [])
        rows.append([container.name, kind, mounts or "-", container_state(seen.get(container.name))])
    return Table(["CONTAINER", "ROLE", "MOUNTS", "STATE (REPORTED)"], rows)


def volume_kind(volume: Any) -> str:
    """The source of a pod volume, as its field name in the spec (emptyDir, configMap, secret...)."""
    for name, value in volume.to_dict().items():
        if name != "name" and value is not None:
            return "".join(w.capitalize() if i else w for i, w in enumerate(name.split("_")))
    return "unknown"


def pod_graph(pod: Any) -> Any:
    """The pod as a box: its containers in start order, each with its mounts, above the volumes they mount."""
    require_dot()
    graph = graphviz.Digraph(name=pod.metadata.name)
    graph.attr(rankdir="TB", fontname="Helvetica", fontsize="11", nodesep="0.4")
    graph.attr("node", fontname="Helvetica", fontsize="10", style="filled")
    colours = {"init": "#e0e7ff", "sidecar": "#fef3c7", "main": "#dcfce7"}
    seen = statuses(pod)
    with graph.subgraph(name="cluster_pod") as box:
        box.attr(label=f"Pod {pod.metadata.name} on {pod.spec.node_name}", style="rounded", color="#64748b")
        with box.subgraph() as row:
            row.attr(rank="same")
            previous = None
            for kind, container in containers_in_order(pod):
                node = f"container/{container.name}"
                mounts = "\n".join(f"{m.mount_path} ({m.name})" for m in container.volume_mounts or [])
                state = container_state(seen.get(container.name))
                row.node(node, f"{kind}: {container.name}\n{state}\n{mounts}", shape="box", fillcolor=colours[kind])
                if previous is not None:
                    row.edge(previous, node, label="then", style="dotted", color="#64748b")
                previous = node
        for volume in pod.spec.volumes or []:
            box.node(
                f"volume/{volume.name}",
                f"volume {volume.name}\n{volume_kind(volume)}",
                shape="cylinder",
                fillcolor="#f1f5f9",
            )
    for _, container in containers_in_order(pod):
        for mount in container.volume_mounts or []:
            graph.edge(
                f"container/{container.name}", f"volume/{mount.name}", style="dashed", color="#0f766e", arrowhead="none"
            )
    with graph.subgraph(name="cluster_legend") as legend:
        legend.attr(label="legend", style="rounded", color="#cbd5e1", fontsize="9")
        for kind, colour in colours.items():
            legend.node(f"legend/{kind}", kind, shape="box", fillcolor=colour, fontsize="9")
        legend.node("legend/volume", "volume (dashed: mounted by)", shape="cylinder", fillcolor="#f1f5f9", fontsize="9")
    return graph


def application_tree(namespace: str, application: str, services: list[Any], pods: list[Any]) -> str:
    """The containment hierarchy as text: namespace, application, its Services, the pods each selects, and
    each pod's containers in start order. Pods that no Service selects are listed under ``(no Service)``."""
    groups = {
        f"Service {s.metadata.name}": [p for p in pods if selects(s.spec.selector, p.metadata.labels)]
        for s in sorted(services, key=lambda s: s.metadata.name)
    }
    lonely = [p for p in pods if not any(selects(s.spec.selector, p.metadata.labels) for s in services)]
    if lonely:
        groups["(no Service)"] = lonely
    lines = [f"namespace {namespace}", f"└─ application {application}"]
    for i, (head, members) in enumerate(groups.items()):
        last = i == len(groups) - 1
        lines.append(f"   {'└─' if last else '├─'} {head}")
        for j, pod in enumerate(sorted(members, key=lambda p: p.metadata.name)):
            branch = "└─" if j == len(members) - 1 else "├─"
            containers = ", ".join(f"{kind} {c.name}" for kind, c in containers_in_order(pod))
            lines.append(f"   {'   ' if last else '│  '} {branch} Pod {pod.metadata.name}: {containers}")
    return "\n".join(lines)
