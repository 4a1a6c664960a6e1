"""Configuration helpers: wiring tables, decoding Secrets, last change, the reader Job."""

from __future__ import annotations

import base64
import shutil
from datetime import UTC, datetime

import pytest
from kubernetes import client

from threeplanes.functional.configuration import (
    config_references,
    decode,
    env_wiring,
    last_change,
    mounted_files,
    reader_job,
    volume_wiring,
    wiring_graph,
)

API = client.ApiClient()


def pod_spec() -> client.V1PodSpec:
    container = {
        "name": "app",
        "image": "x",
        "env": [
            {"name": "MODE", "value": "fast"},
            {"name": "LOG_LEVEL", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "LOG_LEVEL"}}},
            {"name": "DB_USER", "valueFrom": {"secretKeyRef": {"name": "db", "key": "username"}}},
        ],
        "envFrom": [{"prefix": "X_", "configMapRef": {"name": "extra"}}],
        "volumeMounts": [
            {"name": "config", "mountPath": "/etc/app"},
            {"name": "creds", "mountPath": "/etc/secrets", "readOnly": True},
            {"name": "scratch", "mountPath": "/tmp"},
        ],
    }
    volumes = [
        {"name": "config", "configMap": {"name": "cfg"}},
        {
            "name": "creds",
            "secret": {"secretName": "db", "defaultMode": 0o400, "items": [{"key": "password", "path": "pw"}]},
        },
        {"name": "scratch", "emptyDir": {}},
    ]
    return API._ApiClient__deserialize({"containers": [container], "volumes": volumes}, "V1PodSpec")


def test_env_wiring_names_each_source() -> None:
    t = env_wiring(pod_spec())
    assert t.column("VARIABLE") == ["MODE", "LOG_LEVEL", "DB_USER", "X_*"]
    assert t.column("FROM") == [
        "literal 'fast'",
        "ConfigMap cfg, key LOG_LEVEL",
        "Secret db, key username",
        "every key of ConfigMap extra",
    ]


def test_volume_wiring_and_mounted_files() -> None:
    t = volume_wiring(pod_spec())
    assert t.column("FROM") == ["ConfigMap cfg", "Secret db", "other"]
    assert t.column("FILE MODE") == ["", "0400", ""]
    assert t.column("READ-ONLY") == ["no", "yes", "no"]
    files = mounted_files(pod_spec(), {("ConfigMap", "cfg"): ["b", "a"], ("Secret", "db"): ["password", "username"]})
    assert files.column("FILE") == ["/etc/app/a", "/etc/app/b", "/etc/secrets/pw"]


def test_references_list_every_configmap_and_secret() -> None:
    found = config_references(pod_spec())
    assert ("ConfigMap", "cfg", "env LOG_LEVEL ← key LOG_LEVEL") in found
    assert ("ConfigMap", "extra", "env ← every key") in found
    assert ("Secret", "db", "files in /etc/secrets") in found
    assert len(found) == 5


@pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz's dot is not installed")
def test_wiring_graph_draws_one_edge_per_reference() -> None:
    deployment = client.V1Deployment(
        metadata=client.V1ObjectMeta(name="app"),
        spec=client.V1DeploymentSpec(
            selector=client.V1LabelSelector(), template=client.V1PodTemplateSpec(spec=pod_spec())
        ),
    )
    assert wiring_graph(deployment).source.count("->") == 5


def test_decode_and_last_change() -> None:
    secret = client.V1Secret(data={"password": base64.b64encode(b"s3cret").decode()})
    assert decode(secret) == {"password": "s3cret"}
    created = datetime(2026, 1, 1, tzinfo=UTC)
    later = datetime(2026, 1, 2, tzinfo=UTC)
    fields = [client.V1ManagedFieldsEntry(time=created), client.V1ManagedFieldsEntry(time=later)]
    assert last_change(client.V1ConfigMap(metadata=client.V1ObjectMeta(managed_fields=fields))) == later
    assert last_change(client.V1ConfigMap(metadata=client.V1ObjectMeta(creation_timestamp=created))) == created


def test_reader_job_keeps_the_wiring_and_runs_the_script() -> None:
    spec = pod_spec()
    job = reader_job("reader", spec, "busybox", "env")
    job_spec = job["spec"]["template"]["spec"]
    assert job_spec.restart_policy == "Never"
    assert job_spec.containers[0].image == "busybox" and job_spec.containers[0].command == ["sh", "-c", "env"]
    assert job_spec.containers[0].env == spec.containers[0].env and job_spec.volumes == spec.volumes
    assert spec.containers[0].image == "x"  # the original spec is left alone
