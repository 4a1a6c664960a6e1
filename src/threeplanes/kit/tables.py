"""Small tables of cluster objects, as HTML in a notebook and as aligned text elsewhere."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from threeplanes.kit.wait import is_ready
from threeplanes.provision.nodes import node_ready


@dataclass
class Table:
    """Rows of strings under a header; Jupyter shows ``_repr_html_``, ``print`` shows text."""

    header: list[str]
    rows: list[list[str]]

    def __str__(self) -> str:
        widths = [max(len(r[i]) for r in [self.header, *self.rows]) for i in range(len(self.header))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in [self.header, *self.rows]]
        return "\n".join(line.rstrip() for line in lines)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(h)}</th>" for h in self.header)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in self.rows)
        return f'<table class="threeplanes-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'

    def column(self, name: str) -> list[str]:
        index = self.header.index(name)
        return [row[index] for row in self.rows]


def table(objects: Iterable[Any], columns: dict[str, Callable[[Any], Any]]) -> Table:
    """A table with one row per object and one column per ``{header: getter}``."""
    rows = [["" if (v := get(o)) is None else str(v) for get in columns.values()] for o in objects]
    return Table(list(columns), rows)


def label(key: str) -> Callable[[Any], str | None]:
    return lambda o: (o.metadata.labels or {}).get(key)


def nodes_table(nodes: Iterable[Any]) -> Table:
    return table(
        sorted(nodes, key=lambda n: n.metadata.name),
        {
            "NAME": lambda n: n.metadata.name,
            "READY": node_ready,
            "ZONE": label("topology.kubernetes.io/zone"),
            "CPU": lambda n: n.status.allocatable.get("cpu"),
            "MEMORY": lambda n: n.status.allocatable.get("memory"),
            "PODS": lambda n: n.status.allocatable.get("pods"),
            "TAINTS": lambda n: ",".join(f"{t.key}:{t.effect}" for t in n.spec.taints or []),
        },
    )


def pods_table(pods: Iterable[Any]) -> Table:
    return table(
        sorted(pods, key=lambda p: p.metadata.name),
        {
            "NAME": lambda p: p.metadata.name,
            "PHASE": lambda p: "Terminating" if p.metadata.deletion_timestamp else p.status.phase,
            "READY": lambda p: "yes" if is_ready(p) else "no",
            "NODE": lambda p: p.spec.node_name or "(unscheduled)",
            "IP": lambda p: p.status.pod_ip,
        },
    )
