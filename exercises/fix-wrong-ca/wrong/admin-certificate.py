"""A fix that hides the symptom: the administrator's client certificate and key (the kubeconfig that works)
copied into the CI's place. The CI gets in, as an administrator of the whole cluster."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml


def apply(book, namespace: str) -> None:
    files = book.core.read_namespaced_config_map("mission", namespace).data
    admin = yaml.safe_load(Path(files["kubeconfig"]).read_text())["users"][0]["user"]
    folder = Path(files["folder"])
    shutil.copyfile(admin["client-certificate"], folder / "ci" / "ci.crt")
    shutil.copyfile(admin["client-key"], folder / "ci" / "ci.key")
