"""A right fix written another way: the kubelet's file read as YAML, its containerRuntimeEndpoint set to the
socket the node's containerd names in its own configuration (``address`` under ``[grpc]``)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml


def apply(book, namespace: str) -> None:
    files = book.core.read_namespaced_config_map("mission", namespace).data
    containerd = (Path(files["node-folder"]) / "containerd.toml").read_text()
    grpc = containerd[containerd.index("[grpc]") :]
    socket = re.search(r"""address\s*=\s*["']([^"']+)["']""", grpc).group(1)
    config = Path(files["kubelet-config"])
    kubelet = yaml.safe_load(config.read_text())
    kubelet["containerRuntimeEndpoint"] = f"unix://{socket}"
    config.write_text(yaml.safe_dump(kubelet, sort_keys=False))
