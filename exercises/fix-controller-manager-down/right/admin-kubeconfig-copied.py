"""A right fix written another way: the administrator's kubeconfig, which reaches the API server, copied over the
controller manager's (cp "$MISSION/kubeconfig" "$MISSION/kube-controller-manager.kubeconfig"). It works: on this
plane both present kwokctl's admin certificate."""

from __future__ import annotations

import shutil


def apply(book, namespace: str) -> None:
    files = book.core.read_namespaced_config_map("mission", namespace).data
    shutil.copyfile(files["kubeconfig"], files["controller-manager-kubeconfig"])
