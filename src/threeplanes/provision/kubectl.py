"""The one way the package runs the pinned kubectl: ``run_kubectl(args, kubeconfig=..., timeout=...)``.

It goes through ``processes.run``, so it has a deadline, and a failure raises
``processes.CommandFailed`` naming the kubectl command (without the kubeconfig flag, which every
call has) and kubectl's own last words; ``check=False`` returns the exit status instead, for a
question whose "no" is an answer. Provisioning uses it to start and inspect clusters; the lab kit's
``threeplanes.kit.kubectl`` uses it to show a reader a kubectl command beside its output.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from threeplanes.provision import paths, processes


def run_kubectl(
    args: list[str],
    *,
    kubeconfig: Path | str | None,
    timeout: float,
    input: str | None = None,
    check: bool = True,
    what: str | None = None,
) -> processes.CompletedProcess:
    """``kubectl --kubeconfig <kubeconfig> <args>``, its output captured as text.

    ``kubeconfig`` None leaves kubectl to its own defaults (``$KUBECONFIG``, ``~/.kube/config``):
    only for commands that read the reader's own configuration or none (``config view``, ``kustomize``).
    """
    config = ["--kubeconfig", str(kubeconfig)] if kubeconfig is not None else []
    return processes.run(
        [paths.kubectl_binary(), *config, *args],
        timeout=timeout,
        what=what or f"`kubectl {shlex.join(str(a) for a in args)}`",
        input=input,
        capture_output=True,
        check=check,
    )
