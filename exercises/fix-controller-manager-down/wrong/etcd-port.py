"""A guess at the port: the one in the controller manager's neighbourhood that answers, etcd's client port, read
from the plane's process list. etcd does not speak the Kubernetes API: the controller manager still waits for an
API server's /healthz, and exits."""

from __future__ import annotations

from pathlib import Path

import yaml


def apply(book, namespace: str) -> None:
    files = book.core.read_namespaced_config_map("mission", namespace).data
    record = Path(files["folder"]) / "clusters" / "fix-controller-manager-down" / "kwok.yaml"
    etcd = next(
        c
        for d in yaml.safe_load_all(record.read_text())
        for c in (d or {}).get("components", [])
        if c["name"] == "etcd"
    )
    url = next(a for a in etcd["args"] if a.startswith("--listen-client-urls=")).split("=", 1)[1]
    port = url.rsplit(":", 1)[1]
    path = Path(files["controller-manager-kubeconfig"])
    config = yaml.safe_load(path.read_text())
    config["clusters"][0]["cluster"]["server"] = f"https://127.0.0.1:{port}"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
