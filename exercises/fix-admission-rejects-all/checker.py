"""Checker of the fix-admission-rejects-all mission: the security team's admission policy on the mission's own
control plane refuses privileged pods in ``shop``, and nothing else.

The mission's setup starts a control plane of its own for the reader's namespace (``MissionPlane``: kwokctl's
processes in ``<cache>/missions/<namespace>/fix-admission-rejects-all``, one simulated node), because an
admission policy is cluster-wide and a broken one on the book's cluster would refuse other readers' pods. There
it makes the ValidatingAdmissionPolicy ``no-privileged-pods`` and its binding to the namespace ``shop``, whose
CEL expression reads ``c.securityContext.privileged`` without asking whether the field is set: for a container
without it the expression fails, and with ``failurePolicy: Fail`` every ordinary pod is refused. The Deployment
``web`` gets no pod. The reader mends the policy with kubectl; the checker sends pods to ``shop`` with
``dryRun=All`` (admission runs, nothing is stored) and plays the scenario once per check:

1. the plane answers (else: run the setup);
2. a pod with a privileged container is refused by an admission policy (a guard deleted, or made to warn or
   audit only, hides the symptom);
3. a pod with a privileged init container is refused too;
4. ordinary pods are admitted: no securityContext, one without ``privileged`` (runAsNonRoot), and
   ``privileged: false``;
5. after a restart of ``web``'s rollout (a new ReplicaSet), its two pods run within 30 s.

Objects are read only to explain a failure. The helpers the setup, the teardown and the test cases share are
here (``MissionPlane``), for the rule that an exercise keeps its code in its own folder.
"""

from __future__ import annotations

import datetime
import json
import time

from kubernetes import client

from threeplanes.checking import Checker, Criterion, Failure, missions
from threeplanes.checking.programs import until_first_failure
from threeplanes.kit.connect import Cluster
from threeplanes.kit.control_plane import Node

ID = "fix-admission-rejects-all"
SHOP = "shop"
WEB = "web"
POLICY = "no-privileged-pods"
NODE = "worker-a"
ROLLOUT_S = 30
REUSE_S = 10  # an outcome serves the checker's second look, two seconds after it was played
SETUP = ".venv/bin/threeplanes exercise setup fix-admission-rejects-all -n {namespace}"
MESSAGE = "privileged containers are not allowed in this namespace"
BROKEN_EXPRESSION = (
    "object.spec.containers.all(c, c.securityContext.privileged == false) &&\n"
    "(!has(object.spec.initContainers) ||\n"
    " object.spec.initContainers.all(c, c.securityContext.privileged == false))"
)


def policy(expression: str = BROKEN_EXPRESSION) -> dict:
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": POLICY, "annotations": {"owner": "security team"}},
        "spec": {
            "failurePolicy": "Fail",
            "matchConstraints": {
                "resourceRules": [
                    {
                        "apiGroups": [""],
                        "apiVersions": ["v1"],
                        "operations": ["CREATE", "UPDATE"],
                        "resources": ["pods"],
                    }
                ]
            },
            "validations": [{"expression": expression, "message": MESSAGE}],
        },
    }


def binding() -> dict:
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": POLICY},
        "spec": {
            "policyName": POLICY,
            "validationActions": ["Deny"],
            "matchResources": {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": SHOP}}},
        },
    }


class MissionPlane(missions.MissionPlane):
    """The control plane of one namespace's mission: its folder, the kwokctl cluster in it, its kubeconfig."""

    exercise_id = ID
    nodes = (Node(NODE, zone="zone-a"),)


# --- the scenario -----------------------------------------------------------------------------------


def trial_pod(name: str, security: dict | None = None, init: dict | None = None) -> dict:
    container: dict = {"name": "app", "image": "web"}
    if security is not None:
        container["securityContext"] = security
    spec: dict = {"containers": [container]}
    if init is not None:
        spec["initContainers"] = [{"name": "prepare", "image": "web", "securityContext": init}]
    return {"metadata": {"name": f"checker-{name}"}, "spec": spec}


def admit(cluster: Cluster, body: dict) -> str | None:
    """None when the API server admits ``body`` in shop (dry run: nothing stored), else its message."""
    try:
        cluster.core.create_namespaced_pod(SHOP, body, dry_run="All")
        return None
    except client.ApiException as error:
        try:
            return str(json.loads(error.body).get("message") or error.reason)
        except (TypeError, ValueError):
            return f"{error.status} {error.reason}"


def _guard_state(cluster: Cluster) -> str:
    """What became of the policy and its binding, to explain why a privileged pod got in."""
    admission = client.AdmissionregistrationV1Api(cluster.api_client)
    try:
        admission.read_validating_admission_policy(POLICY)
    except client.ApiException as error:
        if error.status == 404:
            return f"the policy {POLICY} is gone"
        raise
    bindings = [b for b in admission.list_validating_admission_policy_binding().items if b.spec.policy_name == POLICY]
    if not bindings:
        return f"no binding applies the policy {POLICY} any more"
    if not any("Deny" in (b.spec.validation_actions or []) for b in bindings):
        actions = sorted({a for b in bindings for a in b.spec.validation_actions or []})
        return f"its binding only does {', '.join(actions)}, which lets the request through"
    return "the policy and its binding are there, and its expression let the pod through"


def refuses(cluster: Cluster, name: str, body: dict, what: str) -> Failure | None:
    refused = admit(cluster, body)
    if refused is not None and "ValidatingAdmissionPolicy" in refused:
        return None
    if refused is not None:
        return Failure(
            f"a pod with {what} was refused, but not by an admission policy: {refused[:200]}",
            "the guard must stay an admission policy bound to shop",
        )
    return Failure(
        f"a pod with {what} was admitted to {SHOP}: {_guard_state(cluster)}; that hides the symptom, and the "
        "security team's guard is gone",
        "the policy guards something real: mend its expression so that ordinary pods pass and privileged ones "
        "are still denied",
    )


def admits_ordinary(cluster: Cluster) -> Failure | None:
    for name, security, what in [
        ("plain", None, "no securityContext"),
        ("non-root", {"runAsNonRoot": True}, "a securityContext without privileged (runAsNonRoot: true)"),
        ("unprivileged", {"privileged": False}, "privileged: false"),
    ]:
        refused = admit(cluster, trial_pod(name, security))
        if refused is None:
            continue
        said = refused.rsplit(" resulted in ", 1)[-1] if " resulted in " in refused else refused
        return Failure(
            f"a pod whose container has {what} was refused: the policy's expression resulted in {said[:200]}"
            if " resulted in " in refused
            else f"a pod whose container has {what} was refused: {said[:300]}",
            "the expression fails on a field this pod does not set, and with failurePolicy Fail a failure refuses "
            "the pod: see which field, and how CEL reads a field that may be absent",
        )
    return None


def web_runs(cluster: Cluster) -> Failure | None:
    now = datetime.datetime.now(datetime.UTC).isoformat()
    restart = {"spec": {"template": {"metadata": {"annotations": {"threeplanes.io/checked-at": now}}}}}
    cluster.apps.patch_namespaced_deployment(WEB, SHOP, restart)
    deadline = time.monotonic() + ROLLOUT_S
    while time.monotonic() < deadline:
        deployment = cluster.apps.read_namespaced_deployment(WEB, SHOP)
        status = deployment.status
        if (
            (status.observed_generation or 0) >= deployment.metadata.generation
            and (status.updated_replicas or 0) == deployment.spec.replicas
            and (status.ready_replicas or 0) == deployment.spec.replicas
        ):
            return None
        time.sleep(1)
    events = cluster.core.list_namespaced_event(SHOP, field_selector="reason=FailedCreate").items
    last = max(events, key=lambda e: e.last_timestamp or e.event_time or e.metadata.creation_timestamp, default=None)
    said = f"; the last FailedCreate event: {last.message[:200]}" if last else ""
    return Failure(
        f"after a restart of {WEB}'s rollout, its {deployment.spec.replicas} pods are not all ready in {ROLLOUT_S} s"
        f"{said}",
        f"read the ReplicaSets' events: kubectl describe replicaset -n {SHOP}",
    )


def play(namespace: str) -> dict[str, Failure | None]:
    plane = MissionPlane(namespace)
    cluster, failure = missions.reached_plane(
        plane,
        SETUP.format(namespace=namespace),
        lambda cluster: cluster.apps.read_namespaced_deployment(WEB, SHOP),
        f", or has no Deployment {WEB} in {SHOP}",
    )
    if cluster is None:
        return {"plane": failure}
    steps = {
        "privileged": lambda: refuses(
            cluster, "privileged", trial_pod("privileged", {"privileged": True}), "a privileged container"
        ),
        "init": lambda: refuses(
            cluster, "init", trial_pod("init", None, {"privileged": True}), "a privileged init container"
        ),
        "ordinary": lambda: admits_ordinary(cluster),
        "web": lambda: web_runs(cluster),
    }
    return {"plane": None, **until_first_failure(steps.items())}


step = missions.played_steps(play, REUSE_S)


PLANE = Criterion("The mission's control plane answers", step("plane"))
PRIVILEGED = Criterion("A pod with a privileged container is still refused", step("privileged"), (PLANE,))
INIT = Criterion("A pod with a privileged init container is refused too", step("init"), (PRIVILEGED,))
ORDINARY = Criterion("Ordinary pods are admitted to shop", step("ordinary"), (INIT,))
WEB_RUNS = Criterion("The Deployment web, restarted, gets its pods", step("web"), (ORDINARY,))

CHECKER = Checker(
    "The shop admits its pods again, and still refuses privileged ones", [PLANE, PRIVILEGED, INIT, ORDINARY, WEB_RUNS]
)
