"""The reference fix of fix-kubelet-down: in the kubelet's file, the runtime endpoint where the node's containerd
listens (its socket, ``address`` under ``[grpc]`` in ``node/containerd.toml``); the checker starts the kubelet
again with the file.

From a terminal, with MISSION set as the page says:

    grep -A2 '^\\[grpc\\]' "$MISSION/node/containerd.toml"      # address = '/run/threeplanes/tplab<n>/containerd.sock'
    sed -i 's#/containerd/containerd.sock#/containerd.sock#' "$MISSION/node/kubelet.yaml"
"""

from __future__ import annotations

from pathlib import Path


def apply(book, namespace: str) -> None:
    """For the book's tests: the reader's edit, made on the file the ConfigMap ``mission`` names."""
    config = Path(book.core.read_namespaced_config_map("mission", namespace).data["kubelet-config"])
    config.write_text(config.read_text().replace("/containerd/containerd.sock", "/containerd.sock"))
