"""Right, generated: the manifest made with `kubectl create configmap --dry-run=client -o yaml`, the
percent written with its sign ("0.26 %"), and applied with `kubectl apply -f -`."""

import subprocess

from threeplanes.barriers.cost import Machine, load_figures, overhead
from threeplanes.kit.control_plane import kubectl_binary


def apply(cluster, namespace: str) -> None:
    share = overhead(load_figures(), 3, Machine(cpu=4, memory_gib=16), 35)
    literals = {"controlPlaneNodes": "3", "workerNodes": "35", "overheadPercent": f"{100 * share.memory:.2f} %"}
    kubectl = [str(kubectl_binary()), "--kubeconfig", str(cluster.kubeconfig), "-n", namespace]

    def run(*args: str, stdin: str | None = None) -> str:
        done = subprocess.run([*kubectl, *args], input=stdin, check=True, capture_output=True, text=True, timeout=60)
        return done.stdout

    options = [f"--from-literal={k}={v}" for k, v in literals.items()]
    manifest = run("create", "configmap", "sizing", *options, "--dry-run=client", "-o", "yaml")
    run("apply", "-f", "-", stdin=manifest)
