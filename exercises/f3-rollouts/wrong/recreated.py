"""Wrong: delete the Deployment and create it again with release 1.1. It runs, but its history is gone."""

import importlib.util
from pathlib import Path


def setup_module():
    spec = importlib.util.spec_from_file_location("f3_rollouts_setup", Path(__file__).parents[1] / "setup.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def apply(cluster, namespace: str) -> None:
    setup = setup_module()
    setup.start_over(cluster, namespace)
    cluster.apps.create_namespaced_deployment(namespace, setup.deployment(version="1.1"))
