"""Run the pinned kubectl against the lab's cluster, and show the command beside its output."""

from __future__ import annotations

import shlex
import subprocess

from threeplanes.errors import LabError
from threeplanes.kit.connect import Cluster, find_kubeconfig
from threeplanes.provision.local import kubectl_binary


def kubectl(command: str, cluster: Cluster | None = None, show: bool = True, timeout: float = 60) -> str:
    """Run ``kubectl <command>``; print ``$ kubectl <command>`` and its output; return the output."""
    kubeconfig = cluster.kubeconfig if cluster else find_kubeconfig()
    args = [kubectl_binary(), "--kubeconfig", str(kubeconfig), *shlex.split(command)]
    result = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)
    if show:
        print(f"$ kubectl {command}\n{result.stdout}", end="" if result.stdout.endswith("\n") else "\n")
    if result.returncode != 0:
        raise LabError(f"`kubectl {command}` failed (exit {result.returncode}): {result.stderr.strip()}")
    return result.stdout
