"""The same manifests on two clusters: the policies, the kubeconfig and kubectl's answer, without a cluster."""

from __future__ import annotations

import stat
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from threeplanes.barriers import portability
from threeplanes.barriers.portability import (
    DEFAULT_CLASS,
    apply_file,
    default_class,
    default_class_policy,
    kubeconfig_context,
    real_node_policy,
    write_merged_kubeconfig,
)
from threeplanes.kit.control_plane import on_real_node
from threeplanes.kit.labels import FOR_NAMESPACE, LAB_LABEL
from threeplanes.provision.processes import CommandFailed


def test_the_real_node_policy_adds_the_kits_selector_and_toleration_in_one_namespace_only() -> None:
    policy, binding = real_node_policy("shop-1", "u1-portability")
    placement = on_real_node({"containers": []})
    ((key, value),) = placement["nodeSelector"].items()
    selector, tolerate = (m["jsonPatch"]["expression"] for m in policy["spec"]["mutations"])
    assert f'jsonpatch.escapeKey("{key}")' in selector and f'value: "{value}"' in selector
    assert all(f'{k}: "{v}"' in tolerate for k, v in placement["tolerations"][0].items())
    assert "has(object.spec.tolerations)" in tolerate  # appended to the tolerations the pod has, or made
    rules = policy["spec"]["matchConstraints"]["resourceRules"]
    assert rules == [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["pods"]}]
    assert binding["spec"]["policyName"] == policy["metadata"]["name"] == "shop-1-real-node"
    selected = binding["spec"]["matchResources"]["namespaceSelector"]["matchLabels"]
    assert selected == {"kubernetes.io/metadata.name": "shop-1"}
    for made in (policy, binding):
        assert made["metadata"]["labels"][LAB_LABEL] == "u1-portability"
        assert made["metadata"]["labels"][FOR_NAMESPACE] == "shop-1"


def test_a_policy_made_for_another_run_is_labelled_for_that_run() -> None:
    policy, _ = real_node_policy("check-ns", "exercise-x", for_namespace="reader-ns")
    assert policy["metadata"]["labels"][FOR_NAMESPACE] == "reader-ns"


def test_the_default_class_policy_fills_in_a_class_only_where_the_claim_names_none() -> None:
    policy, binding = default_class_policy("check-ns", "check-ns-default", "exercise-x", "reader-ns")
    (mutation,) = policy["spec"]["mutations"]
    expression = mutation["jsonPatch"]["expression"]
    assert expression.startswith("has(object.spec.storageClassName) ? [] :")
    assert '"check-ns-default"' in expression
    assert policy["spec"]["matchConstraints"]["resourceRules"][0]["resources"] == ["persistentvolumeclaims"]
    assert binding["metadata"]["labels"][FOR_NAMESPACE] == "reader-ns"


def test_the_second_clusters_class_is_its_default_and_waits_for_a_consumer() -> None:
    made = default_class()
    assert made["metadata"]["name"] == DEFAULT_CLASS
    assert made["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] == "true"
    assert made["volumeBindingMode"] == "WaitForFirstConsumer"


def kubeconfig(path: Path, name: str, server: str) -> Path:
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": name, "cluster": {"server": server, "certificate-authority": "/ca.crt"}}],
                "users": [{"name": name, "user": {"client-certificate": "/a.crt", "client-key": "/a.key"}}],
                "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
                "current-context": name,
            }
        )
    )
    return path


def test_one_kubeconfig_holds_a_context_per_cluster_and_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    book = kubeconfig_context(kubeconfig(tmp_path / "a", "kwok-threeplanes", "https://127.0.0.1:1"))
    second = kubeconfig_context(kubeconfig(tmp_path / "b", "kwok-second", "https://127.0.0.1:2"))
    assert book["cluster"]["server"] == "https://127.0.0.1:1" and book["user"]["client-key"] == "/a.key"
    path = write_merged_kubeconfig(tmp_path / "both", {"book": book, "second": second}, current="book")
    written = yaml.safe_load(path.read_text())
    assert written["current-context"] == "book"
    assert [c["name"] for c in written["contexts"]] == ["book", "second"]
    assert written["contexts"][1]["context"] == {"cluster": "second", "user": "second"}
    assert written["clusters"][1]["cluster"]["server"] == "https://127.0.0.1:2"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


APPLY_OUT = "configmap/web-config created\ndeployment.apps/web unchanged\nservice/web configured\n"
REFUSED = (
    'The Service "shop" is invalid: spec.clusterIPs: Invalid value: ["10.0.0.77"]: failed to allocate IP '
    "10.0.0.77: the provided IP (10.0.0.77) is not in the valid range. The range of valid IPs is 10.96.0.0/16"
)


def test_apply_lists_the_objects_kubectl_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = []
    monkeypatch.setattr(portability, "kubectl", lambda command, cluster, show: seen.append(command) or APPLY_OUT)
    applied = apply_file(SimpleNamespace(context="book"), "second", "shop", Path("/tmp/app.yaml"), show=False)
    assert seen == ["--context second apply -n shop -f /tmp/app.yaml"]
    assert applied.accepted == ["configmap/web-config", "deployment.apps/web", "service/web"]
    assert applied.all_accepted and applied.context == "second"


def test_apply_keeps_what_was_accepted_and_kubectls_words_for_what_was_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(command: str, cluster: object, show: bool) -> str:
        raise CommandFailed("`kubectl apply`", ["kubectl"], 1, stdout="configmap/shop-pages created\n", stderr=REFUSED)

    monkeypatch.setattr(portability, "kubectl", refuse)
    applied = apply_file(SimpleNamespace(context="book"), None, "shop", Path("/tmp/my app.yaml"), show=False)
    assert applied.accepted == ["configmap/shop-pages"] and applied.refused == [REFUSED]
    assert not applied.all_accepted and applied.context == "book"
