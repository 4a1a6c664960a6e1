"""The pinned versions of every cluster component, read from ``versions.toml`` here and nowhere else."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

VERSIONS_FILE = Path(__file__).resolve().parents[2] / "versions.toml"


@dataclass(frozen=True)
class Versions:
    kubernetes: str
    kubernetes_staging: str
    etcd: str
    kwok: str
    metrics_server: str
    kind: str
    kind_node_image: str
    containerd: str  # the real worker node's runtime and tools ([real-node])
    cri_tools: str
    coredns: str
    images: dict[str, str]
    prometheus: str  # the monitoring lab's server ([prometheus])


@cache
def pinned() -> Versions:
    """Return the versions pinned in ``versions.toml``."""
    data = tomllib.loads(VERSIONS_FILE.read_text())
    return Versions(
        kubernetes=data["kubernetes"]["version"],
        kubernetes_staging=data["kubernetes"]["staging"],
        etcd=data["etcd"]["version"],
        kwok=data["kwok"]["version"],
        metrics_server=data["metrics-server"]["version"],
        kind=data["kind"]["version"],
        kind_node_image=data["kind"]["node-image"],
        containerd=data["real-node"]["containerd"],
        cri_tools=data["real-node"]["cri-tools"],
        coredns=data["real-node"]["coredns"],
        images=dict(data["images"]),
        prometheus=data["prometheus"]["version"],
    )
