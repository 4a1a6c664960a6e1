"""A right fix written another way: the certificate issued in Python (the book's Pki, on the cryptography
library) under a new name, and the CI's kubeconfig pointed at it."""

from __future__ import annotations

from pathlib import Path

import yaml

from threeplanes.system.assembly import Pki


def apply(book, namespace: str) -> None:
    files = book.core.read_namespaced_config_map("mission", namespace).data
    issued = Pki.load(Path(files["ca"])).issue("ci-2026", "ci-deployer", organizations=("shop-deployers",))
    path = Path(files["ci-kubeconfig"])
    config = yaml.safe_load(path.read_text())
    config["users"][0]["user"] = {"client-certificate": str(issued.cert), "client-key": str(issued.key)}
    path.write_text(yaml.safe_dump(config, sort_keys=False))
