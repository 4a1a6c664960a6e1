"""Checker: the ServiceAccount billing may get the Secret db-password, and nothing else about Secrets.

It judges what the authorizer answers (SubjectAccessReviews for billing) and what a request
made with billing's own token gets, so any way of writing the grant that behaves right passes.
"""

from typing import Any

from kubernetes import client

from threeplanes.checking import Checker, Context, Criterion, Failure
from threeplanes.kit.identity import api_as, request_token, subject_access_review

ACCOUNT = "billing"
SECRET = "db-password"
OTHERS = ("api-key", "signing-key")
ELSEWHERE = "kube-system"  # a namespace that is not the reader's
SETUP = ".venv/bin/threeplanes exercise setup c5-secrets -n {namespace}"
GRANT = (
    f'a Role with one rule (apiGroups: [""], resources: [secrets], resourceNames: [{SECRET}], verbs: [get]) '
    f"and a RoleBinding of that Role to the ServiceAccount {ACCOUNT}"
)


def user(ctx: Context) -> str:
    return f"system:serviceaccount:{ctx.namespace}:{ACCOUNT}"


def allowed(ctx: Context, verb: str, name: str = "", namespace: str = "") -> bool:
    return bool(
        subject_access_review(ctx.cluster, user(ctx), verb, "secrets", namespace or ctx.namespace, name).allowed
    )


def account_exists(ctx: Context) -> Failure | None:
    if ctx.get(ctx.cluster.core.read_namespaced_service_account, ACCOUNT, ctx.namespace) is None:
        return Failure(
            f"no ServiceAccount named {ACCOUNT}",
            f"apply the exercise's starting point first: {SETUP.format(namespace=ctx.namespace)}",
        )
    return None


def bindings_naming(ctx: Context) -> list[tuple[Any, Any]]:
    """``(binding, subject)`` for every subject named billing in the namespace's RoleBindings."""
    found = []
    for binding in ctx.cluster.rbac.list_namespaced_role_binding(ctx.namespace).items:
        found += [(binding, s) for s in binding.subjects or [] if s.name == ACCOUNT]
    return found


def may_get_the_secret(ctx: Context) -> Failure | None:
    if allowed(ctx, "get", SECRET):
        return None
    wrong_kind = [(b, s) for b, s in bindings_naming(ctx) if s.kind != "ServiceAccount"]
    if wrong_kind:
        binding, subject = wrong_kind[0]
        return Failure(
            f"RoleBinding {binding.metadata.name} names a {subject.kind} called {ACCOUNT}",
            f"the application runs as a ServiceAccount: use a subject with kind: ServiceAccount, name: {ACCOUNT}",
        )
    roles = [r.metadata.name for r in ctx.cluster.rbac.list_namespaced_role(ctx.namespace).items]
    if roles and not bindings_naming(ctx):
        return Failure(
            f"Role(s) {', '.join(roles)} exist, but no RoleBinding names the ServiceAccount {ACCOUNT}",
            f"a Role grants nothing until a RoleBinding binds it to a subject: create a RoleBinding to {ACCOUNT}",
        )
    return Failure(f"{ACCOUNT} may not get the Secret {SECRET}", f"create {GRANT}")


def no_other_secret(ctx: Context) -> Failure | None:
    readable = [name for name in OTHERS if allowed(ctx, "get", name)]
    if readable:
        return Failure(
            f"{ACCOUNT} may also get {', '.join(readable)}",
            f"name the one Secret it needs: resourceNames: [{SECRET}] in the rule",
        )
    return None


def no_list_or_watch(ctx: Context) -> Failure | None:
    verbs = [verb for verb in ("list", "watch") if allowed(ctx, verb)]
    if verbs:
        return Failure(
            f"{ACCOUNT} may {' and '.join(verbs)} Secrets",
            "a list (or a watch) returns whole Secrets, values included, so it reads every Secret of the "
            "namespace: keep only the verb get",
        )
    return None


def only_here(ctx: Context) -> Failure | None:
    if allowed(ctx, "get", SECRET, namespace=ELSEWHERE):
        return Failure(
            f"{ACCOUNT} may get a Secret named {SECRET} in {ELSEWHERE} too",
            "a ClusterRoleBinding grants in every namespace: bind with a RoleBinding in your namespace (it may "
            "refer to a ClusterRole)",
        )
    return None


def attempt(call: Any, *args: Any) -> int:
    try:
        call(*args)
        return 200
    except client.ApiException as error:
        return error.status


def real_requests(ctx: Context) -> Failure | None:
    token = request_token(ctx.cluster, ctx.namespace, ACCOUNT, seconds=600)
    api = client.CoreV1Api(api_as(ctx.cluster, token))
    got = attempt(api.read_namespaced_secret, SECRET, ctx.namespace)
    listed = attempt(api.list_namespaced_secret, ctx.namespace)
    if got != 200 or listed != 403:
        return Failure(
            f"with {ACCOUNT}'s own token, get {SECRET} answered {got} and list secrets answered {listed}",
            "the authorizer's answers and real requests disagree: check that the rules are in a Role bound in "
            "this namespace",
        )
    return None


ACCOUNT_OK = Criterion("The ServiceAccount billing exists (from the setup)", account_exists)
GET = Criterion("billing may get the Secret db-password", may_get_the_secret, needs=(ACCOUNT_OK,))
NOT_OTHERS = Criterion("billing may not get the other Secrets", no_other_secret, needs=(GET,))
NO_LIST = Criterion("billing may neither list nor watch Secrets", no_list_or_watch, needs=(GET,))
HERE = Criterion("The grant holds in this namespace only", only_here, needs=(GET,))
REAL = Criterion(
    "A request with billing's token reads db-password, and a list is refused",
    real_requests,
    needs=(NOT_OTHERS, NO_LIST, HERE),
)

CHECKER = Checker("Let an application read exactly one Secret", [ACCOUNT_OK, GET, NOT_OTHERS, NO_LIST, HERE, REAL])
