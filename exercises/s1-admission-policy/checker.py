"""Checker: the reader's ValidatingAdmissionPolicy enforces the page's rule, judged by what the API server admits.

An admission policy is cluster-wide, so the reader's file (``policy.yaml``, or the file the
namespace's annotation ``threeplanes.io/program`` names) is never applied to the book's cluster:
the checker starts a control plane of its own (``lab_control_plane``), makes two namespaces there,
one labelled ``team-policy=enforced`` and one not, applies the file with kubectl, waits until a
Deployment that breaks the rule is refused (a policy acts once the API server's caches hold it),
then sends server-side dry-run creates and updates of Deployments, a Pod and a StatefulSet and
judges each answer: what the rule forbids is refused with a message that names the rule, the rest
is admitted. It reads the policy and the binding back only to explain a failure. The scenario
runs once per check; the framework's second look reads the same outcome. The control plane is
removed at the end.
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from kubernetes import client

from threeplanes.checking import Checker, Context, Criterion, Failure
from threeplanes.checking.programs import found, played_on_own_plane, scenario_steps, until_first_failure
from threeplanes.errors import LabError, WaitTimeout
from threeplanes.kit.effects import poll_until
from threeplanes.kit.kubectl import kubectl
from threeplanes.kit.lab_planes import LabPlane
from threeplanes.system.apiserver import RawReply, raw_request

DEFAULT_FILE = "policy.yaml"
LABEL = {"team-policy": "enforced"}
ENFORCED, OTHER = "team-enforced", "team-free"  # the checker's two namespaces on its own control plane
REPLICAS_WORDS, MEMORY_WORDS = "at most 5 replicas", "memory limit"
IN_FORCE_SECONDS = 30  # seconds for the policy to act on a dry run
REUSE = 120  # seconds an outcome serves the checker's second look
STEPS = ("applies", "in_force", "refuses", "admits", "updates")

MEMORY = {"limits": {"memory": "64Mi"}}


def container(name: str = "web", resources: dict | None = None) -> dict:
    return {"name": name, "image": "web", **({"resources": resources} if resources is not None else {})}


def deployment(name: str, replicas: int | None = 2, containers: list | None = None, init: list | None = None) -> dict:
    labels = {"app": name}
    pod: dict[str, Any] = {"containers": containers or [container(resources=MEMORY)]}
    if init:
        pod["initContainers"] = init
    spec: dict[str, Any] = {
        "selector": {"matchLabels": labels},
        "template": {"metadata": {"labels": labels}, "spec": pod},
    }
    if replicas is not None:
        spec["replicas"] = replicas
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name}, "spec": spec}


def statefulset(name: str, replicas: int) -> dict:
    body = deployment(name, replicas, [container()])
    body["kind"] = "StatefulSet"
    body["spec"]["serviceName"] = name
    return body


def pod(name: str) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": {"containers": [container()]}}


class Case(NamedTuple):
    """One request the checker sends, and what it says when the answer is wrong."""

    what: str  # "a Deployment of 6 replicas": how the report names the object
    body: dict
    namespace: str = ENFORCED
    words: str = ""  # for a request the rule forbids: the words the refusal must contain
    hint: str = ""  # when the answer is the wrong one


FORBIDDEN = (
    Case(
        "a Deployment of 6 replicas whose container has a memory limit",
        deployment("six", 6),
        words=REPLICAS_WORDS,
        hint="refuse a Deployment whose spec.replicas is above 5",
    ),
    Case(
        "a Deployment of 2 replicas whose container sets no resources at all",
        deployment("bare", 2, [container()]),
        words=MEMORY_WORDS,
        hint="refuse a Deployment unless every container has resources.limits.memory",
    ),
    Case(
        "a Deployment whose container has a cpu limit and no memory limit",
        deployment("cpu-only", 2, [container(resources={"limits": {"cpu": "100m"}})]),
        words=MEMORY_WORDS,
        hint="a cpu limit is not a memory limit: ask for the key memory in resources.limits",
    ),
    Case(
        "a Deployment whose container has a memory request and no memory limit",
        deployment("request-only", 2, [container(resources={"requests": {"memory": "64Mi"}})]),
        words=MEMORY_WORDS,
        hint="a request is not a limit: ask for memory in resources.limits, not in resources.requests",
    ),
    Case(
        "a Deployment whose first container has a memory limit and whose second has none",
        deployment("second", 2, [container(resources=MEMORY), container("sidecar")]),
        words=MEMORY_WORDS,
        hint="look at every container (containers.all(c, ...)), not only the first",
    ),
)

SELECTOR_HINT = (
    "bind the policy to the labelled namespaces only: matchResources.namespaceSelector with "
    "matchLabels team-policy: enforced in the ValidatingAdmissionPolicyBinding"
)
KINDS_HINT = (
    "the rule is about Deployments alone: match apps/v1 deployments in the policy's matchConstraints, "
    "not every resource"
)

ALLOWED = (
    Case(
        "a Deployment of 8 replicas with no memory limit",
        deployment("elsewhere", 8, [container()]),
        namespace=OTHER,
        hint=SELECTOR_HINT,
    ),
    Case(
        "a Deployment of exactly 5 replicas with a memory limit",
        deployment("five", 5),
        hint="5 replicas are allowed: at most 5 means spec.replicas <= 5",
    ),
    Case(
        "a Deployment with no replicas field (it defaults to 1) and a memory limit",
        deployment("default-replicas", None),
        hint="the API server sets spec.replicas to 1 before admission when it is left out: compare it, "
        "do not demand that the client wrote it",
    ),
    Case(
        "a Deployment whose container has a memory limit and whose initContainer has none",
        deployment("with-init", 2, init=[container("setup")]),
        hint="the rule speaks of containers only: leave spec.template.spec.initContainers alone",
    ),
    Case("a Pod with no memory limit", pod("lone-pod"), hint=KINDS_HINT),
    Case("a StatefulSet of 8 replicas with no memory limit", statefulset("stateful", 8), hint=KINDS_HINT),
)

PATHS = {
    "Deployment": "/apis/apps/v1/namespaces/{}/deployments",
    "StatefulSet": "/apis/apps/v1/namespaces/{}/statefulsets",
    "Pod": "/api/v1/namespaces/{}/pods",
}


def message_of(reply: RawReply) -> str:
    try:
        return " ".join(str(reply.json().get("message") or "").split())
    except ValueError:
        return reply.body.decode(errors="replace")[:300]


def warning_of(reply: RawReply) -> str | None:
    return next((v for k, v in reply.headers.items() if k.lower() == "warning"), None)


class Scenario:
    """The reader's policy on the checker's own control plane, and the requests sent to it."""

    def __init__(self, own: LabPlane, path: Path) -> None:
        self.own, self.path, self.cluster = own, path, own.cluster
        self.admission = client.AdmissionregistrationV1Api(self.cluster.api_client)

    def play(self) -> dict[str, Failure | None]:
        return until_first_failure((name, getattr(self, name)) for name in STEPS)

    def send(self, case: Case, dry_run: bool = True) -> RawReply:
        """Create ``case.body`` in ``case.namespace``: a dry run (admission runs, nothing is stored) unless told."""
        path = PATHS[case.body["kind"]].format(case.namespace)
        query = {"dryRun": "All"} if dry_run else None
        return raw_request(self.cluster, "POST", path, query=query, body=case.body, timeout=20)

    def update(self, name: str, change: Callable[[dict], None]) -> RawReply:
        """A dry-run update (PUT) of the Deployment ``name`` as read now, changed by ``change``; read again
        and sent again when the controller manager wrote its status in between (409 Conflict)."""
        path = PATHS["Deployment"].format(ENFORCED) + f"/{name}"
        for _ in range(10):
            body = raw_request(self.cluster, "GET", path).json()
            change(body)
            reply = raw_request(self.cluster, "PUT", path, query={"dryRun": "All"}, body=body, timeout=20)
            if reply.status != 409:
                break
            time.sleep(0.3)
        return reply

    # --- the steps --------------------------------------------------------------------------------------

    def applies(self) -> Failure | None:
        for namespace, labels in ((ENFORCED, LABEL), (OTHER, {})):
            metadata = client.V1ObjectMeta(name=namespace, labels=labels)
            self.cluster.core.create_namespace(client.V1Namespace(metadata=metadata))
        for namespace in (ENFORCED, OTHER):  # a Pod is refused until its namespace's account "default" is made
            poll_until(
                lambda ns=namespace: self.cluster.core.list_namespaced_service_account(ns).items,
                lambda accounts: any(a.metadata.name == "default" for a in accounts),
                what=f"the ServiceAccount default in {namespace}",
                timeout=60,
                every=0.5,
            )
        try:
            kubectl(f"apply -f {shlex.quote(str(self.path))}", self.cluster, show=False)
        except LabError as error:
            said = " ".join(str(getattr(error, "stderr", None) or getattr(error, "stdout", None) or error).split())
            return Failure(
                f"kubectl apply -f {self.path.name} on the checker's control plane answered: {said[:400]}",
                "fix what kubectl says (the API server checks the YAML, the fields and that each CEL expression "
                "compiles); kubectl apply --dry-run=server -f "
                + self.path.name
                + " shows the same answer and stores nothing",
            )
        if not self.admission.list_validating_admission_policy().items:
            return Failure(
                f"{self.path.name} made no ValidatingAdmissionPolicy",
                "write a ValidatingAdmissionPolicy (admissionregistration.k8s.io/v1) and its "
                "ValidatingAdmissionPolicyBinding in the file",
            )
        return None

    def in_force(self) -> Failure | None:
        """A dry run that breaks the rule, sent until it is refused or a policy warns of it (it will not change)."""
        probe = Case("a Deployment of 6 replicas with no memory limit", deployment("probe", 6, [container()]))
        try:
            reply = poll_until(
                lambda: self.send(probe),
                lambda reply: reply.status >= 400 or warning_of(reply) is not None,
                what="the probe refused",
                timeout=IN_FORCE_SECONDS,
                every=0.5,
            ).seen
        except WaitTimeout:
            reply = self.send(probe)
        if reply.status >= 400:
            return None
        warning = warning_of(reply)
        saw = (
            f"{probe.what} was admitted (dry run, {reply.status}) in the namespace {ENFORCED}, labelled "
            f"team-policy=enforced, "
            + (f"with the warning: {warning}" if warning else f"for {IN_FORCE_SECONDS} s after your file was applied")
        )
        return Failure(saw, self.why_not_in_force())

    def why_not_in_force(self) -> str:
        """A hint read from the policies and bindings the file made."""
        policies = {p.metadata.name: p for p in self.admission.list_validating_admission_policy().items}
        bindings = self.admission.list_validating_admission_policy_binding().items
        if not bindings:
            return (
                "a policy does nothing until a ValidatingAdmissionPolicyBinding names it: add one, with "
                "policyName, validationActions and matchResources"
            )
        bound = [b for b in bindings if b.spec.policy_name in policies]
        if not bound:
            names = ", ".join(sorted({str(b.spec.policy_name) for b in bindings}))
            return f"the binding's policyName ({names}) names no policy of yours: use the policy's metadata.name"
        if not any("Deny" in (b.spec.validation_actions or []) for b in bound):
            actions = sorted({a for b in bound for a in b.spec.validation_actions or []})
            return (
                f"the binding's validationActions are {actions}: Warn and Audit let the request through, only "
                "Deny refuses it; write validationActions: [Deny]"
            )
        for b in bound:
            policy = policies[b.spec.policy_name]
            rules = (policy.spec.match_constraints.resource_rules or []) if policy.spec.match_constraints else []
            if not any(
                {"apps", "*"} & set(r.api_groups or [])
                and {"deployments", "*"} & set(r.resources or [])
                and {"CREATE", "*"} & set(r.operations or [])
                for r in rules
            ):
                return (
                    f"the policy {policy.metadata.name} does not match the creation of Deployments: its "
                    "matchConstraints.resourceRules need apiGroups [apps], resources [deployments] and "
                    "operations [CREATE, UPDATE]"
                )
            if policy.spec.failure_policy == "Ignore":
                return (
                    f"the policy {policy.metadata.name} has failurePolicy: Ignore, and one of its expressions "
                    "fails on this Deployment, so it is let through: fix the expression (has() before optional "
                    "fields) and use failurePolicy: Fail"
                )
        return (
            "check that the binding's matchResources.namespaceSelector selects namespaces labelled "
            "team-policy=enforced and that the validations refuse more than 5 replicas and containers without a "
            "memory limit"
        )

    def refuses(self) -> Failure | None:
        for case in FORBIDDEN:
            reply = self.send(case)
            if reply.status < 400:
                return Failure(f"{case.what} was admitted in {ENFORCED}, labelled team-policy=enforced", case.hint)
            failure = self.judge_refusal(case, reply)
            if failure:
                return failure
        return None

    def judge_refusal(self, case: Case, reply: RawReply) -> Failure | None:
        message = message_of(reply)
        if case.words.lower() in message.lower():
            return None
        saw = f"for {case.what}, the API server answered {reply.status}: {message}"
        if "resulted in error" in message or "no such key" in message:
            return Failure(
                saw,
                "an expression failed instead of answering: a field that may be absent (resources, limits) must "
                "be tested with has() before it is read, as in has(c.resources.limits) && ...",
            )
        return Failure(
            saw,
            f"refuse it with a message that names the rule, containing '{case.words}': set message or "
            "messageExpression on the validation",
        )

    def admits(self) -> Failure | None:
        for case in ALLOWED:
            reply = self.send(case)
            if reply.status >= 400:
                where = f"{OTHER}, which has no team-policy label" if case.namespace == OTHER else ENFORCED
                saw = f"{case.what} was refused in the namespace {where} ({reply.status}): {message_of(reply)}"
                return Failure(saw, case.hint)
        return None

    def updates(self) -> Failure | None:
        steady = Case("a Deployment of 2 replicas with a memory limit", deployment("steady", 2))
        reply = self.send(steady, dry_run=False)
        if reply.status >= 400:
            return Failure(
                f"{steady.what} was refused ({reply.status}): {message_of(reply)}",
                "a Deployment that keeps both rules must be admitted: 2 replicas and a memory limit break neither",
            )
        uses_update = "the policy must match UPDATE as well as CREATE: operations: [CREATE, UPDATE]"
        changes: list[tuple[str, Callable[[dict], None], str]] = [
            ("raises its replicas to 6", lambda d: d["spec"].update(replicas=6), REPLICAS_WORDS),
            (
                "removes the memory limit of its container",
                lambda d: d["spec"]["template"]["spec"]["containers"][0].update(resources={}),
                MEMORY_WORDS,
            ),
            (
                "adds a label and keeps the rule",
                lambda d: d["metadata"].setdefault("labels", {}).update(tier="web"),
                "",
            ),
        ]
        for what, change, words in changes:
            case = Case(f"an update of that Deployment that {what}", {}, words=words, hint=uses_update)
            reply = self.update("steady", change)
            if words and reply.status < 400:
                return Failure(f"{case.what} was admitted", uses_update)
            if not words and reply.status >= 400:
                return Failure(
                    f"{case.what} was refused ({reply.status}): {message_of(reply)}",
                    "an update that keeps the rule must go through: judge the object as it will be (object), "
                    "not the request",
                )
            failure = self.judge_refusal(case, reply) if words else None
            if failure:
                return failure
        return None


def play(ctx: Context, path: Path) -> dict[str, Failure | None]:
    """The scenario's result per step, or ``{"applies": failure}`` when the checker's control plane fails it."""
    return played_on_own_plane("exercise-s1-admission-policy", lambda own: Scenario(own, path).play(), "applies")


step = scenario_steps(DEFAULT_FILE, play, reuse=REUSE)

FOUND = Criterion("Your policy file is found", found(DEFAULT_FILE, "your policy"))
APPLIES = Criterion("It applies to a control plane of the checker's own", step("applies"), needs=(FOUND,))
IN_FORCE = Criterion(
    "A Deployment that breaks the rule is refused in a labelled namespace", step("in_force"), needs=(APPLIES,)
)
REFUSES = Criterion(
    "Every Deployment that breaks the rule is refused, with a message naming the rule",
    step("refuses"),
    needs=(IN_FORCE,),
)
ADMITS = Criterion(
    "Everything else is admitted: other namespaces, other kinds, Deployments that keep the rule",
    step("admits"),
    needs=(REFUSES,),
)
UPDATES = Criterion("Updates are judged like creations", step("updates"), needs=(ADMITS,))

CHECKER = Checker(
    "An admission policy that caps replicas and demands memory limits in labelled namespaces",
    [FOUND, APPLIES, IN_FORCE, REFUSES, ADMITS, UPDATES],
)
