"""Checker: LOG_LEVEL from a ConfigMap, the password as a file from a Secret, and the change rolled out."""

import re
from datetime import datetime
from typing import Any

from threeplanes.checking import Checker, Context, Criterion, Failure, criteria
from threeplanes.functional.configuration import decode, last_change
from threeplanes.kit.labels import selector_string
from threeplanes.kit.wait import is_ready, rollout_complete, rollout_state

CONFIG_MAP = "app-config"
SECRET = "db-credentials"
KEY = "LOG_LEVEL"
LEVEL = "debug"
FILE = "/etc/secrets/password"
REVISION = "deployment.kubernetes.io/revision"
SETUP = ".venv/bin/threeplanes exercise setup f7-config-secrets -n {namespace}"
NAME = "app"


def config_map(ctx: Context) -> Any:
    return ctx.get(ctx.cluster.core.read_namespaced_config_map, CONFIG_MAP, ctx.namespace)


def secret(ctx: Context) -> Any:
    return ctx.get(ctx.cluster.core.read_namespaced_secret, SECRET, ctx.namespace)


def deployment(ctx: Context) -> Any:
    return criteria.deployment(ctx, NAME)


def container(ctx: Context) -> Any:
    return deployment(ctx).spec.template.spec.containers[0]


def config_holds_level(ctx: Context) -> Failure | None:
    found = config_map(ctx)
    if found is None:
        return Failure(
            f"no ConfigMap named {CONFIG_MAP}",
            f"create it: kubectl create configmap {CONFIG_MAP} --from-literal={KEY}={LEVEL} -n {ctx.namespace}",
        )
    data = found.data or {}
    if KEY not in data:
        return Failure(
            f"{CONFIG_MAP} has the keys {', '.join(sorted(data)) or '(none)'}",
            f"the key must be {KEY} exactly (case and dashes matter); a variable that names a missing key "
            "keeps its container from starting (CreateContainerConfigError)",
        )
    if data[KEY] != LEVEL:
        return Failure(
            f"{KEY} is {data[KEY]!r} in {CONFIG_MAP}", f"set it to {LEVEL}: kubectl edit configmap {CONFIG_MAP}"
        )
    return None


def secret_holds_password(ctx: Context) -> Failure | None:
    found = secret(ctx)
    if found is None:
        return Failure(
            f"no Secret named {SECRET}",
            f"create it: kubectl create secret generic {SECRET} --from-literal=password=<password> -n {ctx.namespace}",
        )
    if not decode(found).get("password"):
        keys = ", ".join(sorted(found.data or {})) or "(none)"
        return Failure(f"{SECRET} has the keys {keys}", "it needs a non-empty key named password")
    return None


def deployment_exists(ctx: Context) -> Failure | None:
    if deployment(ctx) is None:
        return Failure(
            "no Deployment named app",
            f"apply the exercise's starting point first: {SETUP.format(namespace=ctx.namespace)}",
        )
    return None


def level_from_config_map(ctx: Context) -> Failure | None:
    wanted = f"valueFrom.configMapKeyRef with name {CONFIG_MAP} and key {KEY}"
    var = next((v for v in container(ctx).env or [] if v.name == KEY), None)
    if var is None:
        whole = [e for e in container(ctx).env_from or [] if e.config_map_ref and e.config_map_ref.name == CONFIG_MAP]
        if any(not e.prefix for e in whole):
            return None
        return Failure(f"the container has no {KEY} variable", f"add one, with {wanted}")
    if var.value_from is None:
        return Failure(
            f"{KEY} is set as the literal {var.value!r} in the pod template",
            f"a literal lives in the Deployment, not in the ConfigMap; use {wanted}",
        )
    ref = var.value_from.config_map_key_ref
    if ref is None:
        return Failure(f"{KEY} takes its value from something else than a ConfigMap", f"use {wanted}")
    if (ref.name, ref.key) != (CONFIG_MAP, KEY):
        return Failure(f"{KEY} comes from ConfigMap {ref.name}, key {ref.key}", f"use {wanted}")
    return None


def no_literal_password(ctx: Context) -> Failure | None:
    """No password written into the spec, wherever it could be: a variable of any container
    (init containers too), or their command and arguments."""
    known = decode(secret(ctx)).get("password") if secret(ctx) else None
    spec = deployment(ctx).spec.template.spec
    for c in [*(spec.init_containers or []), *spec.containers]:
        for var in c.env or []:
            if var.value_from is None and ("PASSWORD" in var.name.upper() or (known and var.value == known)):
                return Failure(
                    f"{var.name} is a literal in the pod template",
                    f"anyone who can read the Deployment reads it: remove {var.name}; the password comes from the "
                    f"file {FILE}",
                )
        for word in [*(c.command or []), *(c.args or [])]:
            if (known and known in word) or re.search(r"pass(word)?=", word, re.IGNORECASE):
                return Failure(
                    f"the command or args of container {c.name} carry the password as a literal "
                    f"({word.split('=')[0]}=...)",
                    f"anyone who can read the Deployment reads it: remove it; the program reads the file {FILE}",
                )
    return None


def secret_files(ctx: Context) -> dict[str, str]:
    """``{path in the container: key}`` for every file the container sees from the Secret."""
    volumes = {v.name: v.secret for v in deployment(ctx).spec.template.spec.volumes or [] if v.secret}
    keys = sorted((secret(ctx).data or {}).keys())
    files = {}
    for mount in container(ctx).volume_mounts or []:
        source = volumes.get(mount.name)
        if source is None or source.secret_name != SECRET:
            continue
        paths = {i.path: i.key for i in source.items} if source.items else {k: k for k in keys}
        if mount.sub_path:
            files[mount.mount_path] = paths.get(mount.sub_path, "")
        else:
            files.update({f"{mount.mount_path.rstrip('/')}/{p}": k for p, k in paths.items()})
    return files


def password_is_a_file(ctx: Context) -> Failure | None:
    files = secret_files(ctx)
    if files.get(FILE) == "password":
        return None
    if files:
        return Failure(
            f"the Secret's password is the file {', '.join(sorted(files))}",
            f"mount the volume at /etc/secrets so that the key password becomes {FILE}",
        )
    as_env = [v.name for v in container(ctx).env or [] if v.value_from and v.value_from.secret_key_ref]
    if as_env:
        return Failure(
            f"the Secret reaches the container as the variable {as_env[0]}, not as a file",
            f"mount it instead: a volume with secret.secretName {SECRET}, mounted at /etc/secrets",
        )
    return Failure(
        f"no volume of the pod template is mounted from Secret {SECRET}",
        f"add a volume with secret.secretName {SECRET} and a volumeMount at /etc/secrets",
    )


def started_at(pod: Any) -> datetime:
    """When the pod's containers last started (they read their environment then), else its creation."""
    times = [s.state.running.started_at for s in pod.status.container_statuses or [] if s.state and s.state.running]
    return min(times, default=pod.metadata.creation_timestamp)


def current_pods(ctx: Context) -> tuple[list[Any], list[Any]]:
    """The live pods of Deployment app, split into those of its current revision and the others."""
    found = deployment(ctx)
    revision = (found.metadata.annotations or {}).get(REVISION)
    selector = selector_string(found.spec.selector)
    replicasets = ctx.cluster.apps.list_namespaced_replica_set(ctx.namespace, label_selector=selector).items
    current = {rs.metadata.name for rs in replicasets if (rs.metadata.annotations or {}).get(REVISION) == revision}
    live = criteria.deployment_pods(ctx, NAME)
    is_current = [p for p in live if p.metadata.owner_references and p.metadata.owner_references[0].name in current]
    return is_current, [p for p in live if p not in is_current]


def rolled_out_after_change(ctx: Context) -> Failure | None:
    found = deployment(ctx)
    if not rollout_complete(found):
        return Failure(
            rollout_state(found), f"wait for the rollout: kubectl rollout status deployment app -n {ctx.namespace}"
        )
    current, others = current_pods(ctx)
    if others or not all(map(is_ready, current)):
        return Failure(f"{len(others)} pod(s) of an older revision still run", "wait a few seconds and check again")
    changed = last_change(config_map(ctx))
    stale = [p for p in current if started_at(p) < changed]
    if stale:
        return Failure(
            f"{len(stale)} pod(s) started at {started_at(stale[0]):%H:%M:%S}, before {CONFIG_MAP} last changed "
            f"at {changed:%H:%M:%S}",
            "their LOG_LEVEL is still the old value: a container reads its environment when it starts. "
            f"Restart them: kubectl rollout restart deployment app -n {ctx.namespace}",
        )
    return None


CONFIG = Criterion("A ConfigMap app-config sets LOG_LEVEL to debug", config_holds_level)
SECRET_OK = Criterion("A Secret db-credentials holds a password", secret_holds_password)
DEPLOYMENT = Criterion("The Deployment app (from setup.yaml) exists", deployment_exists)
FROM_CONFIG = Criterion("Its LOG_LEVEL comes from the ConfigMap", level_from_config_map, needs=(CONFIG, DEPLOYMENT))
NO_LITERAL = Criterion("No password is written in the Deployment itself", no_literal_password, needs=(DEPLOYMENT,))
AS_FILE = Criterion(
    "The password is the file /etc/secrets/password, from the Secret", password_is_a_file, needs=(SECRET_OK, DEPLOYMENT)
)
ROLLED_OUT = Criterion(
    "Every pod runs the latest template and started after the ConfigMap last changed",
    rolled_out_after_change,
    needs=(FROM_CONFIG, NO_LITERAL, AS_FILE),
)

CHECKER = Checker(
    "Move configuration and a password out of a Deployment",
    [CONFIG, SECRET_OK, DEPLOYMENT, FROM_CONFIG, NO_LITERAL, AS_FILE, ROLLED_OUT],
)
