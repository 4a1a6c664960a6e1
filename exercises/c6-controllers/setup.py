"""Setup of the c6-controllers exercise: a database run by a Deployment whose replicas share one claim.

The cluster has no storage provisioner, so the setup offers the volumes, each reserved for
the claim that will use it (``claimRef``): ``data`` for the Deployment's shared claim, and
``data-db-0`` to ``data-db-2`` for the claims a StatefulSet ``db`` with a claim template
``data`` makes. They are cluster-wide, so they carry the namespace in their names and
labels, and ``teardown.py`` deletes them.
"""

from __future__ import annotations

from kubernetes import client

from threeplanes.functional.storage import persistent_volume, wait_for_claim
from threeplanes.kit.labels import FOR_NAMESPACE, owned_labels
from threeplanes.versions import pinned

OWNER = "exercise-c6-controllers"
CLAIMS = ["data", "data-db-0", "data-db-1", "data-db-2"]


def apply(cluster, namespace: str) -> None:
    labels = owned_labels(OWNER, **{FOR_NAMESPACE: namespace})
    for claim in CLAIMS:
        volume = persistent_volume(f"{namespace}-{claim}", labels, "1Gi", ["ReadWriteOnce"])
        volume["spec"]["claimRef"] = {"namespace": namespace, "name": claim}
        _create(cluster.core.create_persistent_volume, volume)
    shared = {
        "metadata": {"name": "data"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
    }
    _create(lambda body: cluster.core.create_namespaced_persistent_volume_claim(namespace, body), shared)
    wait_for_claim(cluster, namespace, "data", "Bound", timeout=30)
    container = {
        "name": "db",
        "image": pinned().images["web"],
        "args": ["netexec"],
        "volumeMounts": [{"name": "data", "mountPath": "/var/lib/db"}],
    }
    pod_spec = {
        "containers": [container],
        "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}],
    }
    deployment = {
        "metadata": {"name": "db"},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "db"}},
            "template": {"metadata": {"labels": {"app": "db"}}, "spec": pod_spec},
        },
    }
    _create(lambda body: cluster.apps.create_namespaced_deployment(namespace, body), deployment)


def _create(create, body) -> None:
    try:
        create(body)
    except client.ApiException as error:
        if error.status != 409:  # already there from an earlier setup
            raise
