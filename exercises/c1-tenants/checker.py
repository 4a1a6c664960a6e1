"""Checker: a namespace made into a tenant, judged by what the API does rather than by what the objects say.

The brief: pods of the namespace may request two CPUs in all and no more; a container that
states no requests gets 100m of CPU and 64Mi of memory; a ServiceAccount ``ci`` may manage
Deployments and list pods here, and may neither read Secrets nor act in another namespace.
The checker tries pods with a server-side dry run (admission runs, nothing is stored), asks the
authorizer about ``ci`` with SubjectAccessReviews, and makes real requests with a token issued
to ``ci``.
"""

from __future__ import annotations

from kubernetes import client
from kubernetes.utils import parse_quantity

from threeplanes.checking import Checker, Context, Criterion, Failure
from threeplanes.kit.identity import refusal, service_account_can, service_account_client
from threeplanes.kit.resources import millicores
from threeplanes.versions import pinned

ACCOUNT = "ci"
ELSEWHERE = "default"  # another namespace, which every cluster has
DEFAULT_CPU, DEFAULT_MEMORY = 100, 64 * 2**20


def probe_pod(name: str, containers: int, resources: dict | None) -> dict:
    """A pod of ``containers`` identical containers, each with ``resources`` (None: nothing stated)."""
    image = pinned().images["busybox"]
    spec = [
        {"name": f"c{i}", "image": image, **({"resources": resources} if resources else {})} for i in range(containers)
    ]
    return {"metadata": {"name": name}, "spec": {"containers": spec}}


def dry_run(ctx: Context, pod: dict) -> tuple[client.V1Pod | None, client.ApiException | None]:
    """Create ``pod`` with a server-side dry run: the pod as admission left it, or the refusal."""
    try:
        return ctx.cluster.core.create_namespaced_pod(ctx.namespace, pod, dry_run="All"), None
    except client.ApiException as error:
        if error.status not in (403, 422):
            raise
        return None, error


TENTH = {"requests": {"cpu": "100m", "memory": "16Mi"}, "limits": {"cpu": "100m", "memory": "16Mi"}}
QUOTA_HINT = (
    "add a ResourceQuota whose hard limit on requests.cpu (or cpu) is 2: "
    "kubectl create quota compute --hard=requests.cpu=2,pods=10 -n {namespace}"
)


def refuses_more_than_two_cpus(ctx: Context) -> Failure | None:
    pod, error = dry_run(ctx, probe_pod("probe-2100m", 21, TENTH))
    if pod is not None:
        return Failure(
            "a pod requesting 2.1 CPU in all (21 containers of 100m) was accepted", QUOTA_HINT.format(**vars(ctx))
        )
    if "exceeded quota" not in error.body:
        return Failure(
            f"a pod of 2.1 CPU was refused, but not by a quota: {refusal(error)}", QUOTA_HINT.format(**vars(ctx))
        )
    return None


def accepts_two_cpus(ctx: Context) -> Failure | None:
    pod, error = dry_run(ctx, probe_pod("probe-2000m", 20, TENTH))
    if pod is None:
        return Failure(
            f"a pod requesting exactly 2 CPU (20 containers of 100m) was refused: {refusal(error)}",
            "the quota must allow 2 CPUs: 2 (or 2000m), not 2m or 200m; and make room if other pods here use CPU",
        )
    return None


def defaults_requests(ctx: Context) -> Failure | None:
    pod, error = dry_run(ctx, probe_pod("probe-defaults", 1, None))
    hint = (
        "add a LimitRange of type Container whose defaultRequest is cpu: 100m, memory: 64Mi: "
        "admission then writes those requests into any container that states none"
    )
    if pod is None:
        return Failure(f"a pod stating no resources was refused: {refusal(error)}", hint)
    requests = pod.spec.containers[0].resources.requests or {}
    got = {k: requests.get(k, "nothing") for k in ("cpu", "memory")}
    if "cpu" not in requests or "memory" not in requests:
        return Failure(f"a container stating no resources was given requests {got}", hint)
    if millicores(requests["cpu"]) != DEFAULT_CPU or parse_quantity(requests["memory"]) != DEFAULT_MEMORY:
        return Failure(
            f"a container stating no resources was given requests {got}",
            "set the LimitRange's defaultRequest to cpu: 100m, memory: 64Mi (requests, not only limits)",
        )
    return None


def account_exists(ctx: Context) -> Failure | None:
    if ctx.get(ctx.cluster.core.read_namespaced_service_account, ACCOUNT, ctx.namespace) is None:
        return Failure(f"no ServiceAccount {ACCOUNT}", f"kubectl create serviceaccount {ACCOUNT} -n {ctx.namespace}")
    return None


MUST = [
    ("create", "deployments", "apps"),
    ("update", "deployments", "apps"),
    ("delete", "deployments", "apps"),
    ("list", "pods", ""),
]


def may_deploy(ctx: Context) -> Failure | None:
    refused = [
        f"{verb} {resource}"
        for verb, resource, group in MUST
        if not service_account_can(ctx.cluster, (ctx.namespace, ACCOUNT), verb, resource, ctx.namespace, group)[0]
    ]
    if refused:
        hint = (
            f"bind {ACCOUNT} to a Role with a RoleBinding in this namespace; Deployments are in the API group "
            '"apps" (apiGroups: [apps]), pods in the core group (apiGroups: [""])'
        )
        return Failure(f"the API says {ACCOUNT} may not: {', '.join(refused)}", hint)
    return None


def lists_pods_as_account(ctx: Context) -> Failure | None:
    core = client.CoreV1Api(service_account_client(ctx.cluster, ctx.namespace, ACCOUNT, seconds=600))
    try:
        core.list_namespaced_pod(ctx.namespace)
    except client.ApiException as error:
        return Failure(
            f"listing pods here with a token of {ACCOUNT}: {refusal(error)}", "grant list on pods in the Role"
        )
    try:
        core.list_namespaced_pod(ELSEWHERE)
    except client.ApiException as error:
        if error.status == 403:
            return None
        raise
    return Failure(
        f"with a token of {ACCOUNT}, listing pods in namespace {ELSEWHERE} worked",
        "use a Role and a RoleBinding in your namespace, not a ClusterRoleBinding: a tenant acts at home only",
    )


MUST_NOT = [
    ("get", "secrets", "", None),
    ("list", "secrets", "", None),
    ("create", "rolebindings", "rbac.authorization.k8s.io", None),
    ("create", "deployments", "apps", ELSEWHERE),
]


def confined(ctx: Context) -> Failure | None:
    for verb, resource, group, where in MUST_NOT:
        namespace = where or ctx.namespace
        allowed, reason = service_account_can(ctx.cluster, (ctx.namespace, ACCOUNT), verb, resource, namespace, group)
        if allowed:
            return Failure(
                f"the API says {ACCOUNT} may also {verb} {resource} in {namespace} ({reason})",
                "grant only what the brief asks, in a Role of your own listing deployments and pods: built-in "
                "roles such as edit or admin also grant Secrets, and a ClusterRoleBinding reaches every namespace",
            )
    return None


QUOTA = Criterion("A pod asking for more than 2 CPUs in all is refused by a quota", refuses_more_than_two_cpus)
ROOM = Criterion("A pod asking for 2 CPUs in all is accepted", accepts_two_cpus, needs=(QUOTA,))
DEFAULTS = Criterion("A container that states no requests gets 100m CPU and 64Mi", defaults_requests)
ACCOUNT_EXISTS = Criterion(f"A ServiceAccount named {ACCOUNT} exists", account_exists)
MAY_DEPLOY = Criterion(f"{ACCOUNT} may manage Deployments and list pods here", may_deploy, needs=(ACCOUNT_EXISTS,))
AS_ACCOUNT = Criterion(
    f"With {ACCOUNT}'s token, pods can be listed here and not elsewhere", lists_pods_as_account, needs=(MAY_DEPLOY,)
)
CONFINED = Criterion(
    f"{ACCOUNT} may not read Secrets, grant roles or deploy elsewhere", confined, needs=(ACCOUNT_EXISTS,)
)

CHECKER = Checker(
    "Make a namespace a tenant: quota, defaults, a confined ServiceAccount",
    [QUOTA, ROOM, DEFAULTS, ACCOUNT_EXISTS, MAY_DEPLOY, AS_ACCOUNT, CONFINED],
)
