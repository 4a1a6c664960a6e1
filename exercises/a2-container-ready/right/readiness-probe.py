"""Right, written another way: the objects generated in Python and sent with the API. A readiness
probe on tally's own page (503 while the clock does not answer) instead of an init container, the
file mounted alone with ``subPath`` from a key of another name, and the clock's Service sending to
the port by number."""

from threeplanes.barriers.containerise import CONFIG_TEXT

FILE = "/etc/tally/tally.conf"


def objects() -> tuple[dict, dict, dict]:
    config = {"metadata": {"name": "tally-settings"}, "data": {"conf": CONFIG_TEXT}}
    clock = {"metadata": {"name": "clock"}, "spec": {"selector": {"app": "clock"}, "ports": [{"port": 8080}]}}
    claim = {
        "metadata": {"name": "tally-data"},
        "spec": {
            "storageClassName": "",
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": "100Mi"}},
        },
    }
    return config, clock, claim


def template_patch() -> dict:
    container = {
        "name": "tally",
        "readinessProbe": {"httpGet": {"path": "/", "port": "http"}, "periodSeconds": 2, "failureThreshold": 1},
        "volumeMounts": [
            {"name": "settings", "mountPath": FILE, "subPath": "conf"},
            {"name": "counts", "mountPath": "/var/lib/tally"},
        ],
    }
    volumes = [
        {"name": "settings", "configMap": {"name": "tally-settings"}},
        {"name": "counts", "persistentVolumeClaim": {"claimName": "tally-data"}},
    ]
    return {"spec": {"template": {"spec": {"containers": [container], "volumes": volumes}}}}


def apply(cluster, namespace: str) -> None:
    config, clock, claim = objects()
    cluster.core.create_namespaced_config_map(namespace, config)
    cluster.core.create_namespaced_service(namespace, clock)
    cluster.core.create_namespaced_persistent_volume_claim(namespace, claim)
    cluster.apps.patch_namespaced_deployment("tally", namespace, template_patch())
