"""Run the pinned kubectl against the lab's cluster, and show the command beside its output."""

from __future__ import annotations

import shlex

from threeplanes.kit.connect import Cluster, find_kubeconfig
from threeplanes.provision import kubectl as pinned_kubectl
from threeplanes.provision.processes import CommandFailed


def kubectl(command: str, cluster: Cluster | None = None, show: bool = True, timeout: float = 60) -> str:
    """Run ``kubectl <command>``; print ``$ kubectl <command>`` and its output; return the output.

    A failure raises ``CommandFailed`` (a ``LabError``) with kubectl's own last words, after
    what kubectl printed before it failed has been shown.
    """
    kubeconfig = cluster.kubeconfig if cluster else find_kubeconfig()
    what = f"`kubectl {command}`"
    try:
        args = shlex.split(command)
        output = pinned_kubectl.run_kubectl(args, kubeconfig=kubeconfig, timeout=timeout, what=what).stdout
    except CommandFailed as failure:
        if show:
            _show(command, failure.stdout or "")
        raise
    if show:
        _show(command, output)
    return output


def _show(command: str, output: str) -> None:
    print(f"$ kubectl {command}\n{output}", end="" if output.endswith("\n") else "\n")
