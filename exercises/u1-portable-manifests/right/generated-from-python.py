"""Right, written another way: the manifests generated from Python dicts and dumped as YAML, with another
Deployment name and labels, the whole 1Gi volume asked for, the page mounted as one file, a numeric
targetPort and a TCP readiness probe."""

import yaml

from threeplanes.checking.programs import hand_in

IMAGE = "registry.k8s.io/e2e-test-images/busybox:1.37.0-1"
LABELS = {"app.kubernetes.io/name": "shop", "app.kubernetes.io/component": "storefront"}
SERVER = "cp /site/index.html /srv/ && exec httpd -f -p 8080 -h /srv"


def manifests() -> list[dict]:
    pages = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "pages"},
        "data": {"index.html": "welcome to the shop\n"},
    }
    claim = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
    }
    container = {
        "name": "httpd",
        "image": IMAGE,
        "command": ["sh", "-c", SERVER],
        "readinessProbe": {"tcpSocket": {"port": 8080}, "periodSeconds": 1},
        "volumeMounts": [
            {"name": "site", "mountPath": "/site/index.html", "subPath": "index.html"},
            {"name": "srv", "mountPath": "/srv"},
        ],
    }
    storefront = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "storefront", "labels": LABELS},
        "spec": {
            "selector": {"matchLabels": LABELS},
            "template": {
                "metadata": {"labels": LABELS},
                "spec": {
                    "containers": [container],
                    "volumes": [
                        {"name": "site", "configMap": {"name": "pages"}},
                        {"name": "srv", "persistentVolumeClaim": {"claimName": "data"}},
                    ],
                },
            },
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "shop"},
        "spec": {"selector": LABELS, "ports": [{"port": 80, "targetPort": 8080}]},
    }
    return [pages, claim, storefront, service]


def apply(cluster, namespace: str) -> None:
    hand_in(cluster, namespace, yaml.safe_dump_all(manifests(), sort_keys=False), "portable.yaml")
