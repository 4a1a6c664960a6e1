"""Benchmarks: print, and write to ``bench/results.json``, how long the book's machinery takes.

Run with ``make bench``. It restarts the local cluster to time its start, so it leaves a
fresh cluster running. Targets (2 cores, binaries cached): cluster start ≤ 15 s,
3-replica Deployment Ready ≤ 5 s, ``make test`` ≤ 20 min.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from kubernetes import client

from threeplanes.kit.connect import connect
from threeplanes.kit.namespaces import delete_namespace, lab_namespace
from threeplanes.kit.wait import wait_for_rollout
from threeplanes.provision import binaries, local, paths
from threeplanes.provision import cluster as book_cluster
from threeplanes.versions import pinned

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results.json"
TARGETS = {"cluster_start_s": 15.0, "deployment_ready_s": 5.0}


def timed(action: Callable[[], object]) -> float:
    started = time.monotonic()
    action()
    return round(time.monotonic() - started, 2)


def provisioning_cold() -> float:
    """Provision every binary into an empty cache, ignoring any named directory (Go's own caches stay warm)."""
    saved = {name: os.environ.pop(name, None) for name in (paths.CACHE_ENV, binaries.BIN_DIR_ENV)}
    with tempfile.TemporaryDirectory() as empty:
        os.environ[paths.CACHE_ENV] = empty
        try:
            return timed(binaries.ensure_all)
        finally:
            os.environ.pop(paths.CACHE_ENV)
            os.environ.update({name: value for name, value in saved.items() if value is not None})


def deployment_ready() -> float:
    cluster = connect()
    namespace = lab_namespace(cluster, "bench")
    labels = {"app": "bench"}
    body = client.V1Deployment(
        metadata=client.V1ObjectMeta(name="bench"),
        spec=client.V1DeploymentSpec(
            replicas=3,
            selector=client.V1LabelSelector(match_labels=labels),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels=labels),
                spec=client.V1PodSpec(containers=[client.V1Container(name="web", image=pinned().images["web"])]),
            ),
        ),
    )
    try:
        return timed(
            lambda: (
                cluster.apps.create_namespaced_deployment(namespace, body),
                wait_for_rollout(cluster, namespace, "bench"),
            )
        )
    finally:
        delete_namespace(cluster, namespace)


def control_plane_memory_mib() -> float:
    total = 0
    for process in local.processes():
        status = Path(f"/proc/{process.pid}/status")
        if process.running and status.exists():
            rss = next(line for line in status.read_text().splitlines() if line.startswith("VmRSS"))
            total += int(rss.split()[1])
    return round(total / 1024, 1)


def run(command: list[str]) -> float:
    return timed(
        lambda: subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    )


def main() -> int:
    RESULTS.parent.mkdir(exist_ok=True)
    bin_dir = Path(sys.executable).parent
    results: dict[str, float] = {}
    results["provisioning_cached_s"] = timed(binaries.ensure_all)
    results["provisioning_empty_cache_warm_go_s"] = provisioning_cold()
    book_cluster.down()
    results["cluster_start_s"] = timed(lambda: book_cluster.up("local"))
    results["control_plane_rss_mib"] = control_plane_memory_mib()
    results["deployment_ready_s"] = deployment_ready()
    results["lab_suite_s"] = run([sys.executable, "-m", "pytest", "-q", "tests/labs"])
    shutil.rmtree(ROOT / "_build", ignore_errors=True)
    results["book_build_cold_s"] = run([str(bin_dir / "jupyter-book"), "build", "."])
    results["book_build_cached_s"] = run([str(bin_dir / "jupyter-book"), "build", "."])

    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    for name, value in results.items():
        target = TARGETS.get(name)
        verdict = "" if target is None else (f"  (target ≤ {target:g}: {'met' if value <= target else 'MISSED'})")
        print(f"{name:40s} {value:10.2f}{verdict}")
    print(f"written to {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
