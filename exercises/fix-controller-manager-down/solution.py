"""The reference fix of fix-controller-manager-down: the controller manager's kubeconfig names the server the API
server listens on (the one in the administrator's kubeconfig); the checker starts the controller manager again.

From a terminal, with MISSION set as the page says:

    kubectl config set-cluster "$(kubectl config view --kubeconfig "$MISSION/kube-controller-manager.kubeconfig" \
        -o jsonpath='{.clusters[0].name}')" --kubeconfig "$MISSION/kube-controller-manager.kubeconfig" \
        --server "$(kubectl config view --kubeconfig "$MISSION/kubeconfig" -o jsonpath='{.clusters[0].cluster.server}')"
"""

from __future__ import annotations

from pathlib import Path

import yaml


def apply(book, namespace: str) -> None:
    """For the book's tests: the reader's edit, made on the files the ConfigMap ``mission`` names."""
    files = book.core.read_namespaced_config_map("mission", namespace).data
    admin = yaml.safe_load(Path(files["kubeconfig"]).read_text())
    path = Path(files["controller-manager-kubeconfig"])
    mine = yaml.safe_load(path.read_text())
    mine["clusters"][0]["cluster"]["server"] = admin["clusters"][0]["cluster"]["server"]
    path.write_text(yaml.safe_dump(mine, sort_keys=False))
