"""The conceptual plane's helpers and the explorer, on objects made in memory (no cluster)."""

from __future__ import annotations

import base64
import json
from types import SimpleNamespace

import pytest
import yaml
from kubernetes import client

from threeplanes.conceptual.controllers import Arrivals, daemon_pods_by_node
from threeplanes.conceptual.secrets import encryption_config, printable, start_encrypting_apiserver
from threeplanes.conceptual.volumes import container_files, pod_volumes_table, volume_type
from threeplanes.errors import NotOnThisCluster, ProvisioningError
from threeplanes.kit.graph import NamespaceObjects, build_graph, references
from threeplanes.kit.identity import jwt_claims
from threeplanes.provision import local
from threeplanes.provision.etcd import Etcd, prefix_end

API = client.ApiClient()


def pod_from(manifest: dict) -> client.V1Pod:
    """A V1Pod as the API would return it, from a manifest in camelCase."""

    class Response:
        data = json.dumps(manifest)

    return API.deserialize(Response(), "V1Pod")


POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "worker", "labels": {"app": "worker"}},
    "status": {"phase": "Pending"},
    "spec": {
        "serviceAccountName": "worker",
        "containers": [
            {
                "name": "app",
                "image": "x",
                "env": [{"name": "P", "valueFrom": {"secretKeyRef": {"name": "db", "key": "p"}}}],
                "volumeMounts": [
                    {"name": "scratch", "mountPath": "/scratch"},
                    {"name": "settings", "mountPath": "/etc/settings"},
                    {"name": "one", "mountPath": "/etc/one/greeting", "subPath": "greeting"},
                    {"name": "vault", "mountPath": "/var/run/vault/"},
                    {"name": "data", "mountPath": "/data"},
                ],
            }
        ],
        "volumes": [
            {"name": "scratch", "emptyDir": {}},
            {"name": "settings", "configMap": {"name": "settings"}},
            {"name": "one", "configMap": {"name": "settings", "items": [{"key": "greeting", "path": "greeting"}]}},
            {
                "name": "vault",
                "projected": {
                    "sources": [
                        {"serviceAccountToken": {"audience": "vault", "expirationSeconds": 600, "path": "token"}},
                        {"secret": {"name": "ca", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                    ]
                },
            },
            {"name": "data", "persistentVolumeClaim": {"claimName": "data"}},
            {"name": "kube-api-access-x", "projected": {"sources": [{"configMap": {"name": "kube-root-ca.crt"}}]}},
        ],
    },
}


def keys(kind: str, name: str) -> list[str]:
    return {("ConfigMap", "settings"): ["greeting", "mode"]}.get((kind, name), [])


def test_container_files_follow_items_subpath_and_projected_sources() -> None:
    pod = pod_from(POD)
    seen = container_files(pod.spec, pod.spec.containers[0], keys)
    assert seen["/scratch"] == ("emptyDir", "")
    assert seen["/etc/settings/greeting"] == ("ConfigMap", "settings", "greeting")
    assert seen["/etc/settings/mode"] == ("ConfigMap", "settings", "mode")
    assert seen["/etc/one/greeting"] == ("ConfigMap", "settings", "greeting")
    assert seen["/var/run/vault/token"] == ("token", "vault", "600")
    assert seen["/var/run/vault/ca.crt"] == ("Secret", "ca", "ca.crt")
    assert seen["/data"] == ("persistentVolumeClaim", "data")


def test_volume_types_and_lifetimes() -> None:
    pod = pod_from(POD)
    assert [volume_type(v) for v in pod.spec.volumes][:2] == ["emptyDir", "configMap"]
    rows = {row[0]: row for row in pod_volumes_table(pod).rows}
    assert rows["scratch"][4] == "the pod"
    assert rows["vault"][2] == "ServiceAccount token for vault, 600 s; Secret ca"
    assert rows["kube-api-access-x"][3] == "(not mounted)"


def test_references_skip_the_injected_volume_and_the_default_account() -> None:
    pod = pod_from(POD)
    found = references(pod)
    assert ("ConfigMap", "kube-root-ca.crt") not in found
    assert ("ServiceAccount", "worker") in found and ("Secret", "db") in found
    assert ("PersistentVolumeClaim", "data") in found and found.count(("ConfigMap", "settings")) == 1
    default = pod_from({**POD, "spec": {**POD["spec"], "serviceAccountName": "default"}})
    assert not [r for r in references(default) if r[0] == "ServiceAccount"]


def test_explorer_graph_draws_missing_references() -> None:
    pod = pod_from(POD)
    settings = client.V1ConfigMap(metadata=client.V1ObjectMeta(name="settings"))
    source = build_graph(NamespaceObjects("ns", pods=[pod], configmaps=[settings]), show_references=True).source
    assert '"Pod/worker" -> "ConfigMap/settings"' in source
    assert '"Secret/db"' in source and "missing" in source
    assert "refers to" in source
    assert "refers to" not in build_graph(NamespaceObjects("ns", pods=[pod])).source


def test_jwt_claims_and_printable_bytes() -> None:
    claims = {"aud": ["vault"], "exp": 2, "iat": 1}
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    assert jwt_claims(f"header.{body}.signature") == claims
    raw = b"k8s\x00" + b"x" * 50 + b"secret-value" + b"y" * 50
    shown = printable(raw, 20, around=b"secret-value")
    assert "secret-value" in shown and shown.startswith("...") and "(116 bytes)" in shown
    assert printable(b"k8s\x00ab") == "k8s.ab (6 bytes)"


def test_arrivals_record_order_and_readiness() -> None:
    def pod(name: str, ready: bool, node: str = "n1") -> client.V1Pod:
        condition = client.V1PodCondition(type="Ready", status="True" if ready else "False")
        return client.V1Pod(
            metadata=client.V1ObjectMeta(name=name),
            spec=client.V1PodSpec(containers=[], node_name=node),
            status=client.V1PodStatus(conditions=[condition]),
        )

    arrivals = Arrivals()
    arrivals.see([pod("db-0", False)])
    arrivals.see([pod("db-0", True)])
    arrivals.see([pod("db-0", True), pod("db-1", False)])
    assert arrivals.appeared == ["db-0", "db-1"] and arrivals.ready == ["db-0"]
    assert arrivals.ready_when_appeared == {"db-0": set(), "db-1": {"db-0"}}
    assert daemon_pods_by_node([pod("a", True, "n2"), pod("b", True, "n1")]) == {"n1": ["b"], "n2": ["a"]}


def test_encryption_config_encrypts_secrets_first_and_still_reads_them_unencrypted() -> None:
    key = bytes(range(32))
    config = yaml.safe_load(encryption_config("k1", key))
    (rule,) = config["resources"]
    assert config["kind"] == "EncryptionConfiguration" and rule["resources"] == ["secrets"]
    assert [next(iter(p)) for p in rule["providers"]] == ["aescbc", "identity"]
    (written,) = rule["providers"][0]["aescbc"]["keys"]
    assert written == {"name": "k1", "secret": base64.b64encode(key).decode()}


def test_etcd_requests_name_the_whole_prefix_and_refuse_to_delete_everything() -> None:
    assert prefix_end("/threeplanes-second/c5/") == "/threeplanes-second/c50"
    etcd = Etcd("http://127.0.0.1:1", "/registry")
    assert etcd.key("secrets", "ns", "db") == "/registry/secrets/ns/db"
    for everything in ("/", "", "/a/"):
        with pytest.raises(ValueError):
            etcd.delete_prefix(everything)


def test_second_apiserver_needs_a_local_cluster(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("THREEPLANES_CACHE", str(tmp_path))
    with pytest.raises(ProvisioningError, match="no local cluster was started"):
        local.Local.book().start_second_apiserver("x", {}, {})
    assert local.Local.book().component("kube-apiserver") is None


def test_the_encrypting_apiserver_says_in_one_sentence_that_it_needs_the_local_cluster(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("THREEPLANES_CACHE", str(tmp_path))
    elsewhere = SimpleNamespace(server="https://127.0.0.1:6443")
    with pytest.raises(NotOnThisCluster, match="run it on the local cluster"):
        start_encrypting_apiserver(elsewhere, "c5")
