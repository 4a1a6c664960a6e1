"""Checker: a worker pod with scratch space, its settings as a file and a short-lived token for vault.

It works out, from the pod's spec, what the container sees at each path and where it comes
from (volume type, items, subPath, projected sources: ``container_files``), then asks the API
server for the token the kubelet would write and checks that a service calling itself
``vault`` would accept it. So any spec that gives the container the same files passes.
"""

from typing import Any

from threeplanes.checking import Checker, Context, Criterion, Failure
from threeplanes.conceptual.secrets import review_token
from threeplanes.conceptual.volumes import container_files
from threeplanes.kit.identity import request_token
from threeplanes.kit.wait import is_ready, pods_summary

SELECTOR = "app=worker"
ACCOUNT = "worker"
SCRATCH = "/scratch"
GREETING = "/etc/settings/greeting"
TOKEN = "/var/run/vault/token"
AUDIENCE = "vault"
HOUR = 3600
SETUP = ".venv/bin/threeplanes exercise setup c4-volumes -n {namespace}"
PROJECTED = (
    f"a projected volume with a serviceAccountToken source (audience: {AUDIENCE}, expirationSeconds: 600, "
    "path: token) mounted at /var/run/vault"
)


def pods(ctx: Context) -> list[Any]:
    if "pods" not in ctx.notes:
        found = ctx.cluster.core.list_namespaced_pod(ctx.namespace, label_selector=SELECTOR).items
        ctx.notes["pods"] = [p for p in found if not p.metadata.deletion_timestamp]
    return ctx.notes["pods"]


def keys(ctx: Context) -> Any:
    def of(kind: str, name: str) -> list[str]:
        read = (
            ctx.cluster.core.read_namespaced_config_map
            if kind == "ConfigMap"
            else ctx.cluster.core.read_namespaced_secret
        )
        found = ctx.get(read, name, ctx.namespace)
        return sorted({**(found.data or {}), **(getattr(found, "binary_data", None) or {})}) if found else []

    return of


def seen(ctx: Context) -> dict[str, tuple[str, ...]]:
    """What the first container of the first pod sees, path by path."""
    if "seen" not in ctx.notes:
        pod = pods(ctx)[0]
        ctx.notes["seen"] = container_files(pod.spec, pod.spec.containers[0], keys(ctx))
    return ctx.notes["seen"]


def setup_exists(ctx: Context) -> Failure | None:
    config_map = ctx.get(ctx.cluster.core.read_namespaced_config_map, "settings", ctx.namespace)
    account = ctx.get(ctx.cluster.core.read_namespaced_service_account, ACCOUNT, ctx.namespace)
    if config_map is None or account is None:
        return Failure(
            "the ConfigMap settings or the ServiceAccount worker is missing",
            f"apply the exercise's starting point first: {SETUP.format(namespace=ctx.namespace)}",
        )
    return None


def pod_runs_as_worker(ctx: Context) -> Failure | None:
    if not pods(ctx):
        return Failure(
            f"no pod labelled {SELECTOR}",
            f"create a pod labelled {SELECTOR}, with serviceAccountName: {ACCOUNT} and the volumes the exercise names",
        )
    accounts = {p.spec.service_account_name for p in pods(ctx)}
    if accounts != {ACCOUNT}:
        return Failure(
            f"the pods run as the ServiceAccount {', '.join(sorted(accounts))}",
            f"set serviceAccountName: {ACCOUNT}: the token in the pod is that ServiceAccount's",
        )
    return None


def scratch_is_the_pods(ctx: Context) -> Failure | None:
    source = seen(ctx).get(SCRATCH)
    if source and source[0] == "emptyDir":
        return None
    if source and source[0] == "persistentVolumeClaim":
        return Failure(
            f"{SCRATCH} is the claim {source[1]}",
            "a claim outlives the pod (and needs a volume to bind to); scratch space that goes with the pod is "
            "an emptyDir volume",
        )
    if source:
        return Failure(
            f"{SCRATCH} comes from a {source[0]} volume", "use an emptyDir volume: it lives as long as the pod"
        )
    return Failure(f"nothing is mounted at {SCRATCH}", f"mount an emptyDir volume at {SCRATCH}")


def greeting_is_a_file(ctx: Context) -> Failure | None:
    source = seen(ctx).get(GREETING)
    if source == ("ConfigMap", "settings", "greeting"):
        return None
    if source:
        return Failure(f"{GREETING} is {' '.join(source)}", "it must be the key greeting of the ConfigMap settings")
    container = pods(ctx)[0].spec.containers[0]
    as_env = [v.name for v in container.env or [] if v.value_from and v.value_from.config_map_key_ref]
    if as_env or container.env_from:
        return Failure(
            f"the settings reach the container as environment variables ({', '.join(as_env) or 'envFrom'})",
            "the worker reads a file, not a variable: mount a configMap volume of settings at /etc/settings",
        )
    return Failure(f"no file {GREETING}", "mount a configMap volume of settings at /etc/settings")


def token_for_vault(ctx: Context) -> Failure | None:
    source = seen(ctx).get(TOKEN)
    if source and source[0] == "Secret":
        secret = ctx.get(ctx.cluster.core.read_namespaced_secret, source[1], ctx.namespace)
        kind = secret.type if secret else "missing"
        return Failure(
            f"{TOKEN} comes from the Secret {source[1]} ({kind})",
            f"a token kept in a Secret never expires and names no audience; use {PROJECTED}",
        )
    if not source or source[0] != "token":
        return Failure(f"no token at {TOKEN}", f"add {PROJECTED}")
    _, audience, seconds = source
    if audience != AUDIENCE:
        return Failure(
            f"the token's audience is {audience or 'the API server (none given)'}",
            f"set audience: {AUDIENCE}, so that vault accepts it (and the API server does not)",
        )
    if int(seconds) > HOUR:
        return Failure(f"the token is valid {seconds} s", f"ask for at most an hour: expirationSeconds: {HOUR} or less")
    return None


def vault_accepts(ctx: Context) -> Failure | None:
    pod = pods(ctx)[0]
    _, audience, seconds = seen(ctx)[TOKEN]
    token = request_token(ctx.cluster, ctx.namespace, ACCOUNT, [audience], max(600, int(seconds)), pod=pod)
    review = review_token(ctx.cluster, token, [AUDIENCE])
    if not review.authenticated:
        return Failure(f"a token made as the kubelet would was refused: {review.error}", "check the audience")
    return None


def all_ready(ctx: Context) -> Failure | None:
    if all(map(is_ready, pods(ctx))):
        return None
    return Failure(pods_summary(pods(ctx)), "wait for the pods to start: kubectl get pods -l app=worker -w")


SETUP_OK = Criterion("The ConfigMap settings and the ServiceAccount worker exist (from the setup)", setup_exists)
POD = Criterion("A pod labelled app=worker runs as the ServiceAccount worker", pod_runs_as_worker, needs=(SETUP_OK,))
SCRATCH_OK = Criterion("/scratch is an emptyDir, gone with the pod", scratch_is_the_pods, needs=(POD,))
GREETING_OK = Criterion("/etc/settings/greeting is the key greeting of the ConfigMap", greeting_is_a_file, needs=(POD,))
TOKEN_OK = Criterion("/var/run/vault/token is a token for vault, valid an hour at most", token_for_vault, needs=(POD,))
ACCEPTED = Criterion(
    "Such a token, bound to the pod, is accepted for the audience vault", vault_accepts, needs=(TOKEN_OK,)
)
READY = Criterion("Every worker pod is Ready", all_ready, needs=(SCRATCH_OK, GREETING_OK, ACCEPTED))

CHECKER = Checker(
    "Give a pod scratch space, its settings and a token for vault",
    [SETUP_OK, POD, SCRATCH_OK, GREETING_OK, TOKEN_OK, ACCEPTED, READY],
)
