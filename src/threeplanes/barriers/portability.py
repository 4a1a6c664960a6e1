"""The same manifests on two clusters: what the lab U1 (``labs/u1-portability.md``) and its exercise measure.

A *second cluster* (``second_cluster``) is a control plane of the caller's own, started with
``threeplanes.kit.lab_planes.lab_control_plane``, whose settings differ from the book's cluster where
providers' clusters differ: its Services take addresses from ``10.96.0.0/16`` (the book's API server
keeps its default, ``10.0.0.0/24``), its two simulated nodes stand in zones of other names, and it has
a default StorageClass ``standard`` (the name kind gives its own) whose provisioner does not run here.
It has no real node and no cloud controller.

On the book's cluster, containers run on one real node, tainted so that only pods that ask for it land
there. ``place_on_real_node`` asks for it on behalf of every pod of one namespace, with a
MutatingAdmissionPolicy bound to that namespace: the manifests themselves then name no node, which is
what makes them portable. The policy and its binding carry ``owned_labels(owner)`` and ``FOR_NAMESPACE``,
so the book's clean-up finds them.

``write_merged_kubeconfig`` merges the contexts of several clusters into one kubeconfig, a context per
cluster; ``apply_file`` runs ``kubectl --context <c> apply -n <namespace> -f <file>`` through the kit's
kubectl and reads which objects were accepted and which refused; ``claim_story``, ``pods_story`` and
``load_balancer_story`` say in a few words what a cluster did with a claim, a workload and a
``LoadBalancer`` Service, each read from the cluster's objects and events (``events_about``, the kit's).
The exercise ``u1-portable-manifests`` plays its checks with the same functions.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client, config

from threeplanes.errors import LabError
from threeplanes.kit.connect import Cluster
from threeplanes.kit.control_plane import Node, kubectl_binary, on_real_node, run_program
from threeplanes.kit.effects import poll_until
from threeplanes.kit.events import events_about
from threeplanes.kit.kubectl import kubectl
from threeplanes.kit.lab_planes import LabPlane, lab_control_plane
from threeplanes.kit.labels import FOR_NAMESPACE, owned_labels
from threeplanes.kit.wait import is_ready, unschedulable_message

__all__ = [
    "DEFAULT_CLASS",
    "SECOND_SERVICE_RANGE",
    "SECOND_ZONES",
    "Applied",
    "apply_file",
    "claim_story",
    "connect_context",
    "default_class_policy",
    "default_class",
    "give_default_class",
    "kubeconfig_context",
    "load_balancer_story",
    "place_on_real_node",
    "pods_story",
    "reader_context",
    "real_node_policy",
    "second_cluster",
    "write_merged_kubeconfig",
]

SECOND_SERVICE_RANGE = "10.96.0.0/16"
SECOND_ZONES = ("dc2-a", "dc2-b")
DEFAULT_CLASS = "standard"
DEFAULT_CLASS_PROVISIONER = "rancher.io/local-path"  # a provisioner that runs as a pod on kind; nowhere here
DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"


# --- the second cluster ------------------------------------------------------------------------------


def default_class() -> dict:
    """The second cluster's default StorageClass: binds once a pod uses the claim, made by a provisioner."""
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": DEFAULT_CLASS, "annotations": {DEFAULT_CLASS_ANNOTATION: "true"}},
        "provisioner": DEFAULT_CLASS_PROVISIONER,
        "volumeBindingMode": "WaitForFirstConsumer",
        "reclaimPolicy": "Delete",
    }


def second_cluster(lab: str, timeout: float = 120) -> LabPlane:
    """Start the second cluster for ``lab`` (see the module's text) and return it, its default class made."""
    nodes = tuple(Node(f"node-{zone}", zone=zone) for zone in SECOND_ZONES)
    flags = {"kube-apiserver": {"service-cluster-ip-range": SECOND_SERVICE_RANGE}}
    own = lab_control_plane(lab, nodes=nodes, extra_flags=flags, timeout=timeout)
    try:
        own.cluster.storage.create_storage_class(default_class())
    except BaseException:
        own.remove()
        raise
    return own


# --- the book's real node, asked for by the cluster rather than by the manifests ---------------------


def _cel(value: Any) -> str:
    """A string or a map of strings as a CEL literal (JSON's quoting is CEL's)."""
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)


def real_node_policy(namespace: str, owner: str, for_namespace: str | None = None) -> tuple[dict, dict]:
    """A MutatingAdmissionPolicy that gives every new pod the real node's selector and toleration, and its
    binding to ``namespace`` alone; both named ``<namespace>-real-node`` and labelled for ``owner`` and for the
    run of ``for_namespace`` (by default ``namespace``)."""
    placement = on_real_node({"containers": []})
    ((key, value),) = placement["nodeSelector"].items()
    ((toleration),) = placement["tolerations"]
    entry = "Object.spec.tolerations{" + ", ".join(f"{k}: {_cel(v)}" for k, v in toleration.items()) + "}"
    selector = (
        "has(object.spec.nodeSelector) ? "
        f'[JSONPatch{{op: "add", path: "/spec/nodeSelector/" + jsonpatch.escapeKey({_cel(key)}), '
        f"value: {_cel(value)}}}] : "
        f'[JSONPatch{{op: "add", path: "/spec/nodeSelector", value: {_cel({key: value})}}}]'
    )
    tolerate = (
        "has(object.spec.tolerations) ? "
        f'[JSONPatch{{op: "add", path: "/spec/tolerations/-", value: {entry}}}] : '
        f'[JSONPatch{{op: "add", path: "/spec/tolerations", value: [{entry}]}}]'
    )
    name = f"{namespace}-real-node"
    labels = owned_labels(owner, **{FOR_NAMESPACE: for_namespace or namespace})
    policy = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "MutatingAdmissionPolicy",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "matchConstraints": {
                "resourceRules": [
                    {"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["pods"]}
                ]
            },
            "failurePolicy": "Fail",
            "reinvocationPolicy": "Never",
            "mutations": [
                {"patchType": "JSONPatch", "jsonPatch": {"expression": selector}},
                {"patchType": "JSONPatch", "jsonPatch": {"expression": tolerate}},
            ],
        },
    }
    return policy, _bound_to(namespace, name, labels)


def _bound_to(namespace: str, name: str, labels: dict[str, str]) -> dict:
    """A MutatingAdmissionPolicyBinding of the policy ``name`` to ``namespace`` alone, named and labelled alike."""
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "MutatingAdmissionPolicyBinding",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "policyName": name,
            "matchResources": {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}}},
        },
    }


def place_on_real_node(
    cluster: Cluster, namespace: str, owner: str, for_namespace: str | None = None, timeout: float = 30
) -> tuple[dict, dict]:
    """Create ``real_node_policy`` and wait until a pod sent to ``namespace`` (a dry run) comes back placed
    on the real node; return the policy and the binding as created."""
    policy, binding = real_node_policy(namespace, owner, for_namespace)
    admission = client.AdmissionregistrationV1Api(cluster.api_client)
    admission.create_mutating_admission_policy(policy)
    admission.create_mutating_admission_policy_binding(binding)
    wanted = on_real_node({"containers": []})["nodeSelector"]
    probe = {
        "metadata": {"name": "placement-probe"},
        "spec": {"containers": [{"name": "probe", "image": "probe"}]},
    }
    poll_until(
        lambda: cluster.core.create_namespaced_pod(namespace, probe, dry_run="All").spec.node_selector or {},
        lambda selector: wanted.items() <= selector.items(),
        what=f"the policy {policy['metadata']['name']} to place the pods of {namespace} on the real node",
        timeout=timeout,
        every=0.3,
    )
    return policy, binding


def default_class_policy(namespace: str, storage_class: str, owner: str, for_namespace: str) -> tuple[dict, dict]:
    """A MutatingAdmissionPolicy that gives every new claim of ``namespace`` that names no class the class
    ``storage_class``, as the DefaultStorageClass admission plugin does cluster-wide for the default class, and
    its binding to ``namespace`` alone; both named ``<namespace>-default-class``, labelled for ``owner`` and for
    the run of ``for_namespace``."""
    name = f"{namespace}-default-class"
    labels = owned_labels(owner, **{FOR_NAMESPACE: for_namespace})
    give = (
        "has(object.spec.storageClassName) ? [] : "
        f'[JSONPatch{{op: "add", path: "/spec/storageClassName", value: {_cel(storage_class)}}}]'
    )
    rule = {"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["persistentvolumeclaims"]}
    policy = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "MutatingAdmissionPolicy",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "matchConstraints": {"resourceRules": [rule]},
            "failurePolicy": "Fail",
            "reinvocationPolicy": "Never",
            "mutations": [{"patchType": "JSONPatch", "jsonPatch": {"expression": give}}],
        },
    }
    return policy, _bound_to(namespace, name, labels)


def give_default_class(
    cluster: Cluster, namespace: str, storage_class: str, owner: str, for_namespace: str, timeout: float = 30
) -> None:
    """Create ``default_class_policy`` and wait until a claim sent to ``namespace`` (a dry run) comes back with
    the class ``storage_class``."""
    policy, binding = default_class_policy(namespace, storage_class, owner, for_namespace)
    admission = client.AdmissionregistrationV1Api(cluster.api_client)
    admission.create_mutating_admission_policy(policy)
    admission.create_mutating_admission_policy_binding(binding)
    probe = {
        "metadata": {"name": "class-probe"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Mi"}}},
    }
    poll_until(
        lambda: cluster.core.create_namespaced_persistent_volume_claim(namespace, probe, dry_run="All").spec,
        lambda spec: spec.storage_class_name == storage_class,
        what=f"the policy {policy['metadata']['name']} to give the claims of {namespace} a class",
        timeout=timeout,
        every=0.3,
    )


# --- one kubeconfig, a context per cluster -----------------------------------------------------------


def kubeconfig_context(path: Path) -> dict:
    """The current context of the kubeconfig at ``path``: ``{"cluster": {...}, "user": {...}}``."""
    config = yaml.safe_load(Path(path).read_text())
    current = next(c for c in config["contexts"] if c["name"] == config["current-context"])["context"]
    return {
        "cluster": next(c for c in config["clusters"] if c["name"] == current["cluster"])["cluster"],
        "user": next(u for u in config["users"] if u["name"] == current["user"])["user"],
    }


def reader_context(context: str, timeout: float = 20) -> dict:
    """The context ``context`` of the reader's own kubeconfig (``$KUBECONFIG`` or ``~/.kube/config``), its
    credentials copied in (``kubectl config view --minify --flatten --raw``): the same form as
    ``kubeconfig_context``."""
    view = ["config", "view", "--minify", "--flatten", "--raw", "--context", context, "-o", "json"]
    done = run_program([str(kubectl_binary()), *view], timeout=timeout, capture_output=True, check=False)
    if done.returncode != 0:
        said = (done.stderr or done.stdout or "").strip().splitlines()[-1:] or ["no answer"]
        raise LabError(f"The context {context!r} could not be read from your kubeconfig: {said[0]}")
    config = json.loads(done.stdout)
    return {"cluster": config["clusters"][0]["cluster"], "user": config["users"][0]["user"]}


def connect_context(kubeconfig: Path, context: str) -> Cluster:
    """A connection to the context ``context`` of the kubeconfig at ``kubeconfig``, through the official client's
    ``new_client_from_config``."""
    api = config.new_client_from_config(config_file=str(kubeconfig), context=context)
    version = client.VersionApi(api).get_code(_request_timeout=10).git_version
    return Cluster(api, Path(kubeconfig), context, api.configuration.host, version)


def write_merged_kubeconfig(path: Path, contexts: Mapping[str, Mapping], current: str) -> Path:
    """Write one kubeconfig at ``path`` with a context, a cluster and a user named after each key of
    ``contexts`` (each as ``kubeconfig_context`` returns it); ``current`` is the context kubectl uses
    when it is given none. Readable by its owner only: it holds credentials."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": dict(c["cluster"])} for name, c in contexts.items()],
        "users": [{"name": name, "user": dict(c["user"])} for name, c in contexts.items()],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}} for name in contexts],
        "current-context": current,
    }
    path = Path(path)
    path.touch(mode=0o600)
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


# --- applying a file, and what each cluster did with it ----------------------------------------------

ACCEPTED = re.compile(r"^(\S+/\S+) (created|configured|unchanged|serverside-applied)$")


@dataclass
class Applied:
    """What ``kubectl apply`` reported: the objects accepted, and kubectl's words for those refused."""

    context: str
    accepted: list[str] = field(default_factory=list)  # "deployment.apps/web"
    refused: list[str] = field(default_factory=list)  # kubectl's error lines

    @property
    def all_accepted(self) -> bool:
        return bool(self.accepted) and not self.refused


def apply_file(cluster: Cluster, context: str | None, namespace: str, manifest: Path, show: bool = True) -> Applied:
    """``kubectl --context <context> apply -n <namespace> -f <manifest>`` with ``cluster``'s kubeconfig (its
    current context when ``context`` is None); kubectl goes on past an object the API server refuses, so both
    lists may be filled."""
    where = f"--context {context} " if context else ""
    command = f"{where}apply -n {namespace} -f {shlex.quote(str(manifest))}"
    applied = Applied(context or cluster.context)
    try:
        output = kubectl(command, cluster, show=show)
    except LabError as failure:
        output = getattr(failure, "stdout", None) or ""
        said = getattr(failure, "stderr", None) or str(failure)
        applied.refused = [line.strip() for line in said.splitlines() if line.strip()]
        if show:
            print("\n".join(applied.refused))
    for line in output.splitlines():
        if match := ACCEPTED.match(line.strip()):
            applied.accepted.append(match.group(1))
    return applied


def last_event(cluster: Cluster, namespace: str, name: str) -> str:
    """``reason: message`` of the latest event about ``name``, or an empty string."""
    events = events_about(cluster, namespace, name)
    return f"{events[-1].reason}: {events[-1].message}" if events else ""


def claim_story(cluster: Cluster, namespace: str, name: str) -> str:
    """A claim's phase, with the class it got and the latest event about it when it is not Bound."""
    claim = cluster.core.read_namespaced_persistent_volume_claim(name, namespace)
    klass = claim.spec.storage_class_name
    said = f"{claim.status.phase}, class {klass!r}" if klass is not None else f"{claim.status.phase}, no class"
    if claim.status.phase == "Bound":
        return f"{said}, volume {claim.spec.volume_name}"
    event = last_event(cluster, namespace, name)
    return f"{said}; {event}" if event else said


def pods_story(cluster: Cluster, namespace: str, selector: str) -> str:
    """How many pods ``selector`` selects are ready, on which nodes; a Pending pod's reason when one waits."""
    pods = [p for p in cluster.core.list_namespaced_pod(namespace, label_selector=selector).items]
    pods = [p for p in pods if not p.metadata.deletion_timestamp]
    ready = [p for p in pods if is_ready(p)]
    nodes = sorted({p.spec.node_name for p in ready})
    said = f"{len(ready)}/{len(pods)} ready" + (f" on {', '.join(nodes)}" if nodes else "")
    waiting = next((p for p in pods if not is_ready(p)), None)
    if waiting is None:
        return said
    why = unschedulable_message(waiting) or last_event(cluster, namespace, waiting.metadata.name)
    if not why and waiting.spec.node_name:
        why = f"{waiting.status.phase} on node {waiting.spec.node_name}"
    return f"{said}; {waiting.metadata.name}: {why or waiting.status.phase}"


def load_balancer_story(cluster: Cluster, namespace: str, name: str) -> str:
    """A ``LoadBalancer`` Service's cluster IP, node port and external address (``<pending>`` when none)."""
    service = cluster.core.read_namespaced_service(name, namespace)
    ingress = service.status.load_balancer.ingress or []
    external = ", ".join(i.ip or i.hostname for i in ingress) or "<pending>"
    ports = ", ".join(str(p.node_port) for p in service.spec.ports)
    return f"cluster IP {service.spec.cluster_ip}, node port {ports}, external IP {external}"
