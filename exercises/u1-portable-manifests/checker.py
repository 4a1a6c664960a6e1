"""Checker: the reader's manifests (``portable.yaml``), applied unchanged to two clusters, work on both.

The reader's file (``portable.yaml``, or the file the namespace's annotation ``threeplanes.io/program``
names) is applied with ``kubectl apply -n <namespace> -f`` to two clusters, in a fresh namespace the
checker makes for each check, so that nothing left from an earlier attempt (an object whose field
cannot change, a claim already bound) decides the outcome:

- the book's cluster, where the namespace's pods are placed on the real node by a
  MutatingAdmissionPolicy bound to that namespace (``threeplanes.barriers.portability``), so the file
  needs to name no node; the checker offers there one volume of no class, reserved for the claim
  ``data`` (the book's cluster has no default StorageClass). The shop must roll out on the real node
  and answer ``welcome to the shop`` through the Service ``shop`` on port 80 (asked through the API
  server's proxy);
- a second cluster of the checker's own (``second_cluster``: another Service range, other zone names,
  a default StorageClass ``standard``, simulated nodes only), where the checker offers one volume of
  class ``standard`` in place of the class's provisioner. Every object must be accepted and every
  Deployment rolled out (kwok's nodes: scheduled and Running, no container).

Two namespaces of one cluster would share the Service range, the nodes, their zones and the storage
classes, which are exactly what differs between providers: so the second cluster is a control plane of
its own, started while the book's side is played. What the checker made is removed before it returns;
the teardown removes what a check stopped half way left. The scenario runs once per check; the
framework's second look reads the same outcome.
"""

from __future__ import annotations

import secrets
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from kubernetes import client

from threeplanes.barriers.portability import (
    DEFAULT_CLASS,
    Applied,
    apply_file,
    claim_story,
    give_default_class,
    place_on_real_node,
    pods_story,
    second_cluster,
)
from threeplanes.checking import Checker, Context, Criterion, Failure
from threeplanes.checking.programs import found, scenario_steps, until_first_failure
from threeplanes.errors import LabError, WaitTimeout
from threeplanes.kit.cleanup import delete_owned
from threeplanes.kit.connect import Cluster
from threeplanes.kit.control_plane import REAL_NODE_NAME
from threeplanes.kit.deleting import ignore_missing
from threeplanes.kit.effects import poll_until
from threeplanes.kit.lab_planes import LabPlane
from threeplanes.kit.labels import FOR_NAMESPACE, LAB_LABEL, owned_labels, selector_string
from threeplanes.kit.wait import rollout_complete, unschedulable_message

OWNER = "exercise-u1-portable-manifests"
DEFAULT_FILE = "portable.yaml"
SERVICE, PORT, CLAIM, GREETING = "shop", 80, "data", "welcome to the shop"
BOOK_ROLLOUT_S, SECOND_ROLLOUT_S, ANSWER_S = 45, 25, 15
REUSE = 120  # seconds an outcome serves the checker's second look
STEPS = ("book_applies", "book_answers", "second_applies", "second_runs")

NAMESPACE_HINT = (
    "a manifest that names its namespace (metadata.namespace) can only go there: leave metadata.namespace out "
    "of every object, and let kubectl apply -n choose it"
)
CLUSTER_IP_HINT = (
    "spec.clusterIP fixes an address of one cluster's Service range (each cluster has its own, and a fixed "
    "address may already be taken): leave spec.clusterIP out and let clients call the Service by its name"
)


def selection(namespace: str) -> str:
    return f"{LAB_LABEL}={OWNER},{FOR_NAMESPACE}={namespace}"


def storage_class(name: str, labels: dict) -> dict:
    """A class of volumes made by hand (no provisioner), bound as soon as a claim asks (the one volume
    offered lies on the real node, where the namespace's pods go)."""
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": name, "labels": labels},
        "provisioner": "kubernetes.io/no-provisioner",
        "volumeBindingMode": "Immediate",
    }


def volume(name: str, labels: dict, storage_class: str, node: str | None) -> dict:
    """A volume the checker offers for the claim ``data``: a directory on the node (real or simulated)."""
    spec: dict[str, Any] = {
        "capacity": {"storage": "1Gi"},
        "accessModes": ["ReadWriteOnce"],
        "storageClassName": storage_class,
        "persistentVolumeReclaimPolicy": "Retain",
        "hostPath": {"path": f"/tmp/threeplanes/{name}", "type": "DirectoryOrCreate"},
    }
    if node:
        term = {"matchExpressions": [{"key": "kubernetes.io/hostname", "operator": "In", "values": [node]}]}
        spec["nodeAffinity"] = {"required": {"nodeSelectorTerms": [term]}}
    return {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": name, "labels": labels}, "spec": spec}


def refusal_hint(said: str) -> str:
    if "does not match the namespace" in said:
        return NAMESPACE_HINT
    if "valid range" in said or "already allocated" in said or "clusterIP" in said:
        return CLUSTER_IP_HINT
    return (
        "fix what kubectl says; kubectl apply --dry-run=server -n <namespace> -f portable.yaml shows the same "
        "answer and stores nothing"
    )


def deployments(cluster: Cluster, namespace: str) -> list[Any]:
    return cluster.apps.list_namespaced_deployment(namespace).items


def stuck_hint(cluster: Cluster, namespace: str) -> str | None:
    """Why the shop waits and will go on waiting, read from its claim and its pods, as a hint; None when
    nothing says it cannot get there."""
    claim = next(
        (c for c in cluster.core.list_namespaced_persistent_volume_claim(namespace).items if c.status.phase != "Bound"),
        None,
    )
    nodes = {n.metadata.name for n in cluster.core.list_node().items}
    for pod in cluster.core.list_namespaced_pod(namespace).items:
        if pod.spec.node_name and pod.spec.node_name not in nodes:
            return (
                f"the pod is bound to node {pod.spec.node_name}, which this cluster does not have: nodeName names "
                "one cluster's machine and skips the scheduler; leave nodeName out"
            )
        if "node affinity/selector" in (unschedulable_message(pod) or ""):
            return (
                "a node selector or affinity asks for labels that no node of this cluster carries (a host name, a "
                "zone: providers name them their own way); leave it out, or ask only for well-known labels every "
                "cluster sets, such as kubernetes.io/os"
            )
    if claim is not None and claim.spec.storage_class_name == "":
        return (
            'storageClassName: "" asks for a volume of no class and turns the cluster\'s default class away: the '
            "claim waits for a volume nobody offers; leave storageClassName out"
        )
    classes = {c.metadata.name for c in cluster.storage.list_storage_class().items}
    if claim is not None and claim.spec.storage_class_name and claim.spec.storage_class_name not in classes:
        return (
            f"the claim names the class {claim.spec.storage_class_name}, which this cluster does not have: a class "
            "is a name one cluster gives its storage; leave storageClassName out, so that each cluster's default "
            "class serves the claim"
        )
    return None


def rolled_out(cluster: Cluster, namespace: str, timeout: float) -> Failure | None:
    """Every Deployment of the namespace rolled out within ``timeout`` s; else what waits, and why (as soon as
    the objects say it will go on waiting)."""
    started = time.monotonic()
    try:
        poll_until(
            lambda: deployments(cluster, namespace),
            lambda found: (
                (bool(found) and all(rollout_complete(d) for d in found)) or stuck_hint(cluster, namespace) is not None
            ),
            what=f"the Deployments of {namespace} to roll out",
            timeout=timeout,
            every=1,
        )
    except WaitTimeout:
        pass
    found = deployments(cluster, namespace)
    if not found:
        return Failure("your file made no Deployment", "keep the shop's Deployment in the file")
    if all(rollout_complete(d) for d in found):
        return None
    stories = [f"{d.metadata.name}: {pods_story(cluster, namespace, selector_string(d.spec.selector))}" for d in found]
    if CLAIM in {c.metadata.name for c in cluster.core.list_namespaced_persistent_volume_claim(namespace).items}:
        stories.append(f"claim {CLAIM}: {claim_story(cluster, namespace, CLAIM)}")
    hint = stuck_hint(cluster, namespace) or f"kubectl describe pods -n {namespace} says what the pods wait for"
    return Failure(f"after {time.monotonic() - started:.0f} s, " + "; ".join(stories), hint)


class Scenario:
    """The reader's file on the book's cluster and on a second cluster of the checker's own."""

    def __init__(self, ctx: Context, path: Path, starting: Future) -> None:
        self.book, self.reader, self.path, self.starting = ctx.cluster, ctx.namespace, path, starting
        self.namespace = f"{ctx.namespace[:50]}-{secrets.token_hex(3)}"
        self.labels = owned_labels(OWNER, **{FOR_NAMESPACE: ctx.namespace})
        self.second: LabPlane | None = None

    def play(self) -> dict[str, Failure | None]:
        return until_first_failure((name, getattr(self, name)) for name in STEPS)

    def make_namespace(self, cluster: Cluster) -> None:
        cluster.core.create_namespace({"metadata": {"name": self.namespace, "labels": self.labels}})
        poll_until(
            lambda: cluster.core.list_namespaced_service_account(self.namespace).items,
            lambda accounts: any(a.metadata.name == "default" for a in accounts),
            what=f"the ServiceAccount default in {self.namespace}",
            timeout=30,
            every=0.3,
        )

    def applied(self, cluster: Cluster, where: str) -> tuple[Applied, Failure | None]:
        applied = apply_file(cluster, None, self.namespace, self.path, show=False)
        if applied.refused:
            said = " ".join(applied.refused)[:400]
            return applied, Failure(
                f"kubectl apply -n {self.namespace} -f {self.path.name} on {where} answered: {said}",
                refusal_hint(said),
            )
        if not applied.accepted:
            return applied, Failure(f"{self.path.name} made no object on {where}", "write the shop's manifests in it")
        return applied, None

    # --- the steps --------------------------------------------------------------------------------------

    def book_applies(self) -> Failure | None:
        self.make_namespace(self.book)
        place_on_real_node(self.book, self.namespace, OWNER, for_namespace=self.reader)
        # The book's cluster has no default class: for this namespace, the checker's class plays that part.
        default = f"{self.namespace}-default"
        self.book.storage.create_storage_class(storage_class(default, self.labels))
        self.book.core.create_persistent_volume(volume(f"{self.namespace}-data", self.labels, default, REAL_NODE_NAME))
        give_default_class(self.book, self.namespace, default, OWNER, self.reader)
        return self.applied(self.book, "the book's cluster")[1]

    def book_answers(self) -> Failure | None:
        waiting = rolled_out(self.book, self.namespace, BOOK_ROLLOUT_S)
        if waiting:
            return Failure(f"on the book's cluster, {waiting.saw}", waiting.hint)
        if not self.book.core.list_namespaced_service(self.namespace, field_selector=f"metadata.name={SERVICE}").items:
            return Failure("no Service named shop on the book's cluster", "keep the Service shop, on port 80")
        path = f"/api/v1/namespaces/{self.namespace}/services/{SERVICE}:{PORT}/proxy/"
        try:
            poll_until(
                lambda: self.ask(path), lambda text: GREETING in text, what="the shop's answer", timeout=ANSWER_S
            )
            return None
        except WaitTimeout:
            return Failure(
                f"the Service shop on port {PORT} of the book's cluster answered {self.ask(path)[:120]!r}, not "
                f"{GREETING!r}",
                "keep the shop's page, its server and its Service as they were: port 80 of the Service reaches the "
                "server's port, and the page comes from the ConfigMap",
            )

    def ask(self, path: str) -> str:
        try:
            return self.book.get_raw(path)
        except (client.ApiException, OSError) as error:
            return f"{getattr(error, 'status', '')} {getattr(error, 'reason', error)}".strip()

    def second_applies(self) -> Failure | None:
        try:
            self.second = self.starting.result()
        except LabError as error:
            first = str(error).split("\n")[0]
            return Failure(f"the checker's second cluster did not start: {first}", "check again")
        second = self.second.cluster
        self.make_namespace(second)
        second.core.create_persistent_volume(volume(f"{self.namespace}-data", self.labels, DEFAULT_CLASS, None))
        return self.applied(second, "the checker's second cluster")[1]

    def second_runs(self) -> Failure | None:
        waiting = rolled_out(self.second.cluster, self.namespace, SECOND_ROLLOUT_S)
        return Failure(f"on the second cluster, {waiting.saw}", waiting.hint) if waiting else None

    def clear(self) -> None:
        """Remove what the check made on the book's cluster (without waiting) and the second cluster."""
        with ignore_missing():
            self.book.core.delete_collection_namespaced_pod(self.namespace, grace_period_seconds=0)
        with ignore_missing():
            self.book.core.delete_namespace(self.namespace)
        delete_owned(self.book, selection(self.reader), wait=False)


def play(ctx: Context, path: Path) -> dict[str, Failure | None]:
    with ThreadPoolExecutor(max_workers=1) as pool:
        starting = pool.submit(second_cluster, OWNER)
        scenario = Scenario(ctx, path, starting)
        try:
            return scenario.play()
        except LabError as error:
            first = str(error).split("\n")[0]
            return {STEPS[0]: Failure(f"the check could not be played to its end: {first}", "check again")}
        finally:
            scenario.clear()
            try:
                starting.result().remove()
            except LabError:
                pass


step = scenario_steps(DEFAULT_FILE, play, reuse=REUSE)

FOUND = Criterion("Your manifests are found", found(DEFAULT_FILE, "your portable manifests"))
BOOK_APPLIES = Criterion(
    "They apply to the book's cluster, in a namespace they do not name", step("book_applies"), needs=(FOUND,)
)
BOOK_ANSWERS = Criterion(
    "The shop rolls out on the book's real node and answers through its Service",
    step("book_answers"),
    needs=(BOOK_APPLIES,),
)
SECOND_APPLIES = Criterion(
    "A second cluster accepts every object, unchanged", step("second_applies"), needs=(BOOK_ANSWERS,)
)
SECOND_RUNS = Criterion(
    "The shop is scheduled and runs on the second cluster", step("second_runs"), needs=(SECOND_APPLIES,)
)

CHECKER = Checker(
    "The shop's manifests, portable: the same file on two clusters",
    [FOUND, BOOK_APPLIES, BOOK_ANSWERS, SECOND_APPLIES, SECOND_RUNS],
)
